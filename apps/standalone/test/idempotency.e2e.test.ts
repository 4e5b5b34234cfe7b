import { createHash, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { busAuth } from '@atrium/local-infra';
import { procedureSubject } from '@atrium/nats-trpc';
import { metaToHeaders } from '@atrium/nats-trpc/nats-transport';
import type { ProcedureCall } from '@atrium/nats-trpc';
import { connectNats } from '@atrium/service-runtime';
import { openDatabaseSession, queryDatabase } from '@atrium/test-kit';
import { newUser, startTestSystem } from './support/system.js';
import type { TestSystem } from './support/system.js';

let system: TestSystem;
let token: string;
beforeAll(async () => {
  system = await startTestSystem();
  token = (await newUser(system.api, 'idem')).token;
});
afterAll(() => system?.stop());

const withKey = (key: string) => ({ 'idempotency-key': key });

describe('Idempotency-Key on creating POSTs', { timeout: 120_000 }, () => {
  it('replays the first answer, status and body, and creates once', async () => {
    const key = randomUUID();
    const body = { name: `idem-${Date.now().toString(36)}`, description: 'once' };
    const first = await system.api('POST', '/projects', { token, headers: withKey(key), body });
    expect(first.status).toBe(201);
    const again = await system.api('POST', '/projects', { token, headers: withKey(key), body });
    expect(again.status).toBe(201);
    expect(again.body).toEqual(first.body);
    const rows = await queryDatabase(system.databaseUrl, 'select id from projects.projects where name = $1', [body.name]);
    expect(rows).toHaveLength(1);
  });

  it('replays environment creates and clones too, each made once', async () => {
    const project = await system.api('POST', '/projects', { token, body: { name: `idem-env-${Date.now().toString(36)}` } });
    const base = `/projects/${project.body.data.id}/environments`;
    const key = randomUUID();
    const first = await system.api('POST', base, { token, headers: withKey(key), body: { name: 'staging', type: 'staging' } });
    expect(first.status, first.text).toBe(201);
    const again = await system.api('POST', base, { token, headers: withKey(key), body: { name: 'staging', type: 'staging' } });
    expect(again.status, again.text).toBe(201);
    expect(again.body).toEqual(first.body);
    const cloneKey = randomUUID();
    const clone = () =>
      system.api('POST', `${base}/${first.body.data.id}/clone`, { token, headers: withKey(cloneKey), body: { name: 'staging-2' } });
    const cloned = await clone();
    expect(cloned.status, cloned.text).toBe(201);
    expect((await clone()).body).toEqual(cloned.body);
    const names = (await system.api('GET', base, { token })).body.data.map((e: { name: string }) => e.name).sort();
    expect(names).toEqual(['production', 'staging', 'staging-2']);
  });

  it('422 UNPROCESSABLE_CONTENT for the same key with a different body; nothing is created', async () => {
    const key = randomUUID();
    expect((await system.api('POST', '/auth/api-keys', { token, headers: withKey(key), body: { name: 'ci' } })).status).toBe(201);
    const other = await system.api('POST', '/auth/api-keys', { token, headers: withKey(key), body: { name: 'deploys' } });
    expect(other.status).toBe(422);
    expect(other.body.error.code).toBe('UNPROCESSABLE_CONTENT');
    const names = (await system.api('GET', '/auth/api-keys?limit=100', { token })).body.data.map((k: { name: string }) => k.name);
    expect(names).not.toContain('deploys');
  });

  it('concurrent repeats: one creation; the others replay it or get 409 while it runs', async () => {
    const key = randomUUID();
    const body = { name: 'concurrent key' };
    const answers = await Promise.all(
      Array.from({ length: 8 }, () => system.api('POST', '/auth/api-keys', { token, headers: withKey(key), body })),
    );
    const created = answers.filter((answer) => answer.status === 201);
    expect(answers.every((answer) => answer.status === 201 || answer.status === 409)).toBe(true);
    expect(created.length).toBeGreaterThan(0);
    expect(new Set(created.map((answer) => answer.body.data.id)).size).toBe(1);
    for (const refused of answers.filter((answer) => answer.status === 409)) expect(refused.body.error.code).toBe('CONFLICT');
    const keys = (await system.api('GET', '/auth/api-keys?limit=100', { token })).body.data;
    expect(keys.filter((k: { name: string }) => k.name === 'concurrent key')).toHaveLength(1);
  });

  it('keys are per caller, and a public operation (registration) replays too', async () => {
    const key = randomUUID();
    const other = await newUser(system.api, 'idem-other');
    const mine = await system.api('POST', '/auth/api-keys', { token, headers: withKey(key), body: { name: 'same key' } });
    const theirs = await system.api('POST', '/auth/api-keys', { token: other.token, headers: withKey(key), body: { name: 'same key' } });
    expect(theirs.status).toBe(201);
    expect(theirs.body.data.id).not.toBe(mine.body.data.id);

    const registration = { email: `idem-${randomUUID()}@example.com`, password: 'correct horse battery' };
    const first = await system.api('POST', '/auth/register', { headers: withKey(key), body: registration });
    const again = await system.api('POST', '/auth/register', { headers: withKey(key), body: registration });
    expect(first.status).toBe(201);
    expect(again.status).toBe(201);
    expect(again.body.data.user.id).toBe(first.body.data.user.id);
  });

  it("a transport's repeat of a call still running waits for it and replays its answer; a client's repeat gets 409", async () => {
    const user = await newUser(system.api, 'idem-retry');
    const key = randomUUID();
    const body = { name: `retried-${key.slice(0, 8)}` };
    // The first copy "still running": its lock, on the scope runIdempotently derives (caller, operation, key).
    const scope = createHash('sha256').update(`${user.id}\nidentity.apiKeys.create\n${key}`).digest('hex');
    const session = await openDatabaseSession(system.databaseUrl);
    const nc = await connectNats(system.natsUrl, 'gateway', busAuth(system.natsCredentials, 'gateway'));
    try {
      await session.query('select pg_advisory_lock(hashtextextended($1, 0))', [scope]);
      // The copy the gateway's transport sends after an unanswered attempt: same request, same assertion, attempt 2.
      const call: ProcedureCall = {
        service: 'identity',
        path: 'apiKeys.create',
        kind: 'mutation',
        input: body,
        meta: { requestId: randomUUID(), caller: { userId: user.id, credentialId: randomUUID() }, idempotencyKey: key },
      };
      const deadline = Date.now() + 20_000;
      const assertion = system.keys.gateway.signer.sign(call, deadline);
      const repeat = nc.request(procedureSubject('identity', 'apiKeys.create'), JSON.stringify(body), {
        timeout: 20_000,
        headers: metaToHeaders({ ...call.meta, deadline, assertion, attempt: 2 }, 'mutation'),
      });
      // It waits on the lock (not refused)...
      for (;;) {
        const [waiting] = await session.query<{ n: number }>(
          "select count(*)::int as n from pg_locks where locktype = 'advisory' and not granted",
        );
        if (waiting!.n > 0) break;
      }
      // ...while a client's own repeat is told the call is still running.
      const client = await system.api('POST', '/auth/api-keys', { token: user.token, headers: withKey(key), body });
      expect(client.status).toBe(409);
      await session.query('select pg_advisory_unlock(hashtextextended($1, 0))', [scope]);
      const answered = (await repeat).json<{ result: { id: string } }>();
      expect(answered.result.id).toEqual(expect.any(String));
      const replayed = await system.api('POST', '/auth/api-keys', { token: user.token, headers: withKey(key), body });
      expect(replayed.status).toBe(201);
      expect(replayed.body.data.id).toBe(answered.result.id);
      const names = (await system.api('GET', '/auth/api-keys?limit=100', { token: user.token })).body.data.map(
        (k: { name: string }) => k.name,
      );
      expect(names.filter((name: string) => name === body.name)).toHaveLength(1);
    } finally {
      await session.close();
      await nc.close();
    }
  });

  it("a client's repeat of a call that has answered replays it, even while a transport's late copy holds the lock", async () => {
    // A copy sent after an unanswered attempt waits for the lock and takes it once the first
    // commits, to replay the answer; a client's repeat arriving then was refused with 409.
    const user = await newUser(system.api, 'idem-late-copy');
    const key = randomUUID();
    const body = { name: `late-copy-${key.slice(0, 8)}` };
    const first = await system.api('POST', '/auth/api-keys', { token: user.token, headers: withKey(key), body });
    expect(first.status).toBe(201);
    const scope = createHash('sha256').update(`${user.id}\nidentity.apiKeys.create\n${key}`).digest('hex');
    const session = await openDatabaseSession(system.databaseUrl);
    try {
      // The late copy, holding the lock while it replays.
      await session.query('select pg_advisory_lock(hashtextextended($1, 0))', [scope]);
      const again = await system.api('POST', '/auth/api-keys', { token: user.token, headers: withKey(key), body });
      expect(again.status).toBe(201);
      expect(again.body).toEqual(first.body);
      const different = await system.api('POST', '/auth/api-keys', { token: user.token, headers: withKey(key), body: { name: 'other' } });
      expect(different.status).toBe(422);
    } finally {
      await session.close();
    }
  });

  it('stores neither the key nor the answer (which holds a secret) in the clear', async () => {
    const key = `plain-${randomUUID()}`;
    const created = await system.api('POST', '/auth/api-keys', { token, headers: withKey(key), body: { name: 'secret holder' } });
    const rows = await queryDatabase<Record<string, string>>(system.databaseUrl, 'select * from identity.idempotency_keys');
    const stored = JSON.stringify(rows);
    expect(stored).not.toContain(key);
    expect(stored).not.toContain(created.body.data.key);
  });

  it('400 for an Idempotency-Key that is not 1–255 visible ASCII characters', async () => {
    for (const bad of ['x'.repeat(256), 'has space']) {
      const response = await system.api('POST', '/auth/api-keys', { token, headers: withKey(bad), body: { name: 'k' } });
      expect(response.status).toBe(400);
      expect(response.body.error.details[0].path).toBe('Idempotency-Key');
    }
  });

  it('is documented on every creating POST of the OpenAPI document', async () => {
    const document = (await (await fetch(`${system.url}/api/v1/openapi.json`)).json()) as {
      paths: Record<string, Record<string, { parameters?: { name: string; in: string }[]; responses: Record<string, unknown> }>>;
    };
    for (const path of ['/projects', '/auth/api-keys', '/auth/register']) {
      const post = document.paths[path]!.post!;
      expect(post.parameters, path).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'Idempotency-Key', in: 'header' })]));
      expect(Object.keys(post.responses), path).toEqual(expect.arrayContaining(['409', '422']));
    }
    const login = document.paths['/auth/login']!.post!;
    expect((login.parameters ?? []).some((parameter) => parameter.name === 'Idempotency-Key')).toBe(false);
  });
});
