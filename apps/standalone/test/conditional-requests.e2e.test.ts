import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AtriumError, connectAtrium } from '@atrium/client';
import { queryDatabase } from '@atrium/test-kit';
import { png } from './support/images.js';
import { newUser, startTestSystem } from './support/system.js';
import type { ApiClient, ApiResponse, TestSystem } from './support/system.js';

/**
 * Optimistic concurrency over real HTTP (RFC 9110 conditional requests; docs/api-contract.md,
 * Conditional requests): GETs answer a strong ETag, writes with If-Match apply only over the
 * version they name (412 otherwise, nothing changed, nothing recorded), If-None-Match answers 304.
 */
let system: TestSystem;
let api: ApiClient;
beforeAll(async () => {
  system = await startTestSystem({ RATE_LIMIT_PER_MINUTE: '0', AUTH_RATE_LIMIT_PER_MINUTE: '0' });
  api = system.api;
});
afterAll(() => system?.stop());

const sql = <T = Record<string, unknown>>(text: string, values: unknown[] = []) => queryDatabase<T>(system.databaseUrl, text, values);

async function ok(response: Promise<ApiResponse>, status = 200) {
  const answer = await response;
  expect(answer.status, answer.text).toBe(status);
  return answer;
}

/** A new owner with a project and a second (non-default) environment. */
async function setup() {
  const owner = await newUser(api, 'etag-owner');
  const token = owner.token;
  const project = (await ok(api('POST', '/projects', { token, body: { name: `etag-${randomUUID().slice(0, 8)}` } }), 201)).body.data;
  const base = `/projects/${project.id}/environments`;
  const staging = (await ok(api('POST', base, { token, body: { name: 'staging', type: 'staging' } }), 201)).body.data;
  return { token, project, base, staging, envPath: `${base}/${staging.id}` };
}

/** The events environments recorded (its outbox) about one environment, by type. */
async function recordedFor(environmentId: string): Promise<string[]> {
  const rows = await sql<{ type: string }>(
    `select type from environments.outbox where payload->'data'->>'environment_id' = $1 order by created_at, id`,
    [environmentId],
  );
  return rows.map((row) => row.type);
}

describe('ETags', () => {
  it('GET of a project and an environment answers a strong ETag: the version in quotes, also in the body, changing with each change', async () => {
    const { token, project, envPath } = await setup();
    const read = await ok(api('GET', `/projects/${project.id}`, { token }));
    expect(read.headers.get('etag')).toBe('"1"');
    expect(read.body.data.version).toBe(1);
    const updated = await ok(api('PUT', `/projects/${project.id}`, { token, body: { description: 'changed' } }));
    expect(updated.headers.get('etag')).toBe('"2"');
    expect(updated.body.data.version).toBe(2);
    expect((await ok(api('GET', `/projects/${project.id}`, { token }))).headers.get('etag')).toBe('"2"');

    const env = await ok(api('GET', envPath, { token }));
    expect(env.headers.get('etag')).toBe('"1"');
    expect(env.body.data.version).toBe(1);
    // An update that changes nothing is no change: the ETag stays.
    expect((await ok(api('PUT', envPath, { token, body: {} }))).headers.get('etag')).toBe('"1"');
    expect((await ok(api('PUT', envPath, { token, body: { color: '#112233' } }))).headers.get('etag')).toBe('"2"');
  });

  it('moving the default changes both environments (their ETags)', async () => {
    const { token, base, staging, envPath } = await setup();
    const production = (await ok(api('GET', base, { token }))).body.data.find((env: { is_default: boolean }) => env.is_default);
    const before = (await ok(api('GET', `${base}/${production.id}`, { token }))).headers.get('etag');
    const moved = await ok(api('POST', `${envPath}/set-default`, { token, headers: { 'if-match': `"${staging.version}"` } }));
    expect(moved.headers.get('etag')).toBe('"2"');
    const after = await ok(api('GET', `${base}/${production.id}`, { token }));
    expect(after.body.data.is_default).toBe(false);
    expect(after.headers.get('etag')).not.toBe(before);
    // Setting the default it already is changes nothing.
    expect((await ok(api('POST', `${envPath}/set-default`, { token, headers: { 'if-match': '"2"' } }))).headers.get('etag')).toBe('"2"');
  });

  it('If-None-Match with the current ETag answers 304 with no body and the ETag; a stale one the resource', async () => {
    const { token, project, envPath } = await setup();
    const read = await ok(api('GET', envPath, { token }));
    const etag = read.headers.get('etag')!;
    const notModified = await api('GET', envPath, { token, headers: { 'if-none-match': etag } });
    expect(notModified.status).toBe(304);
    expect(notModified.text).toBe('');
    expect(notModified.headers.get('etag')).toBe(etag);
    // Weak comparison, lists, and `*`.
    expect((await api('GET', envPath, { token, headers: { 'if-none-match': `"7", W/${etag}` } })).status).toBe(304);
    expect((await api('GET', envPath, { token, headers: { 'if-none-match': '*' } })).status).toBe(304);
    expect((await api('GET', `/projects/${project.id}`, { token, headers: { 'if-none-match': '"1"' } })).status).toBe(304);

    await ok(api('PUT', envPath, { token, body: { description: 'new' } }));
    const changed = await ok(api('GET', envPath, { token, headers: { 'if-none-match': etag } }));
    expect(changed.body.data.description).toBe('new');
    expect(changed.headers.get('etag')).toBe('"2"');
    // Not a member: 404 as always, whatever the precondition.
    const outsider = await newUser(api, 'etag-outsider');
    expect((await api('GET', envPath, { token: outsider.token, headers: { 'if-none-match': '*' } })).status).toBe(404);
  });
});

describe('If-Match', () => {
  it('two browser tabs read one environment: the first save wins, the second gets 412 and the stored value is the first', async () => {
    const { token, staging, envPath } = await setup();
    const tabA = await ok(api('GET', envPath, { token }));
    const tabB = await ok(api('GET', envPath, { token }));
    expect(tabA.headers.get('etag')).toBe(tabB.headers.get('etag'));

    const saveA = await ok(
      api('PUT', envPath, { token, headers: { 'if-match': tabA.headers.get('etag')! }, body: { description: 'from tab A' } }),
    );
    expect(saveA.headers.get('etag')).toBe('"2"');
    expect(saveA.body.data).toMatchObject({ description: 'from tab A', version: 2 });

    const saveB = await api('PUT', envPath, {
      token,
      headers: { 'if-match': tabB.headers.get('etag')! },
      body: { description: 'from tab B' },
    });
    expect(saveB.status).toBe(412);
    expect(saveB.body).toEqual({ success: false, error: { code: 'PRECONDITION_FAILED', message: expect.stringContaining('"2"') } });

    const stored = await ok(api('GET', envPath, { token }));
    expect(stored.body.data.description).toBe('from tab A');
    expect(stored.headers.get('etag')).toBe('"2"');
    // The refused write recorded nothing: one update in the audit trail's source.
    expect(await recordedFor(staging.id)).toEqual(['environments.v1.created', 'environments.v1.updated']);

    // Tab B reloads and saves over the new ETag.
    const retried = await ok(api('PUT', envPath, { token, headers: { 'if-match': '"2"' }, body: { description: 'from tab B' } }));
    expect(retried.headers.get('etag')).toBe('"3"');
  });

  it('of 10 concurrent PUTs holding the same ETag exactly one wins; nine get 412', async () => {
    const { token, staging, envPath } = await setup();
    const etag = (await ok(api('GET', envPath, { token }))).headers.get('etag')!;
    const answers = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        api('PUT', envPath, { token, headers: { 'if-match': etag }, body: { description: `writer ${i}` } }),
      ),
    );
    const statuses = answers.map((answer) => answer.status).sort();
    expect(statuses).toEqual([200, ...Array(9).fill(412)]);
    const winner = answers.find((answer) => answer.status === 200)!;
    const stored = await ok(api('GET', envPath, { token }));
    expect(stored.body.data.description).toBe(winner.body.data.description);
    expect(stored.body.data.version).toBe(2);
    expect(await recordedFor(staging.id)).toEqual(['environments.v1.created', 'environments.v1.updated']);
  });

  it('of 10 concurrent variable PUTs holding the same ETag exactly one wins', async () => {
    const { token, envPath } = await setup();
    const created = await ok(api('PUT', `${envPath}/variables/RACE`, { token, body: { value: 'start' } }));
    expect(created.headers.get('etag')).toBe('"1"');
    const answers = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        api('PUT', `${envPath}/variables/RACE`, { token, headers: { 'if-match': '"1"' }, body: { value: `writer ${i}` } }),
      ),
    );
    expect(answers.map((answer) => answer.status).sort()).toEqual([200, ...Array(9).fill(412)]);
    const winner = answers.find((answer) => answer.status === 200)!;
    expect(winner.headers.get('etag')).toBe('"2"');
    const listed = (await ok(api('GET', `${envPath}/variables`, { token }))).body.data;
    expect(listed).toEqual([expect.objectContaining({ key: 'RACE', value: winner.body.data.value, version: 2 })]);
  });

  it('a stale If-Match on delete is 412 and the resource is still there; the current one deletes', async () => {
    const { token, project, staging, envPath } = await setup();
    await ok(api('PUT', envPath, { token, body: { description: 'v2' } }));
    const refused = await api('DELETE', envPath, { token, headers: { 'if-match': '"1"' } });
    expect(refused.status).toBe(412);
    expect(refused.body.error.code).toBe('PRECONDITION_FAILED');
    expect((await ok(api('GET', envPath, { token }))).body.data.id).toBe(staging.id);
    expect(await recordedFor(staging.id)).toEqual(['environments.v1.created', 'environments.v1.updated']);
    expect((await api('DELETE', envPath, { token, headers: { 'if-match': '"2"' } })).status).toBe(204);
    expect((await api('GET', envPath, { token })).status).toBe(404);
    // Gone: a precondition does not turn the 404 into anything else.
    expect((await api('DELETE', envPath, { token, headers: { 'if-match': '"2"' } })).status).toBe(404);

    // The project too.
    const stale = await api('DELETE', `/projects/${project.id}`, { token, headers: { 'if-match': '"7"' } });
    expect(stale.status).toBe(412);
    expect((await ok(api('GET', `/projects/${project.id}`, { token }))).body.data.id).toBe(project.id);
    const projectEvents = () =>
      sql<{ type: string }>(`select type from projects.outbox where payload->'data'->>'project_id' = $1 order by created_at, id`, [
        project.id,
      ]).then((rows) => rows.map((row) => row.type));
    // The refused delete recorded nothing, and neither does a refused update.
    expect(
      (await api('PUT', `/projects/${project.id}`, { token, headers: { 'if-match': '"7"' }, body: { color: '#000000' } })).status,
    ).toBe(412);
    expect(await projectEvents()).toEqual(['projects.v1.created']);
    expect((await api('DELETE', `/projects/${project.id}`, { token, headers: { 'if-match': '"1"' } })).status).toBe(204);
  });

  it('variables: per-variable versions in the list and the PUT answer, If-Match on put and delete', async () => {
    const { token, envPath } = await setup();
    const vars = `${envPath}/variables`;
    // If-Match on a variable that does not exist: 412 (only an unconditional PUT creates).
    expect((await api('PUT', `${vars}/NEW`, { token, headers: { 'if-match': '*' }, body: { value: 'x' } })).status).toBe(412);
    expect((await api('GET', vars, { token })).body.data).toEqual([]);
    const created = await ok(api('PUT', `${vars}/NEW`, { token, body: { value: 'x' } }));
    expect(created.body.data.version).toBe(1);
    expect(created.headers.get('etag')).toBe('"1"');
    await ok(api('PUT', `${vars}/OTHER`, { token, body: { value: 'y', secret: true } }));
    const replaced = await ok(api('PUT', `${vars}/NEW`, { token, headers: { 'if-match': '*' }, body: { value: 'x2' } }));
    expect(replaced.headers.get('etag')).toBe('"2"');
    expect((await ok(api('GET', vars, { token }))).body.data.map((v: { key: string; version: number }) => [v.key, v.version])).toEqual([
      ['NEW', 2],
      ['OTHER', 1],
    ]);
    // Any of several tags.
    expect((await api('PUT', `${vars}/NEW`, { token, headers: { 'if-match': '"1", "9"' }, body: { value: 'no' } })).status).toBe(412);
    expect(
      (await ok(api('PUT', `${vars}/NEW`, { token, headers: { 'if-match': '"1", "2"' }, body: { value: 'x3' } }))).body.data.value,
    ).toBe('x3');
    // Weak tags never match a write (strong comparison).
    expect((await api('DELETE', `${vars}/NEW`, { token, headers: { 'if-match': 'W/"3"' } })).status).toBe(412);
    expect((await api('DELETE', `${vars}/NEW`, { token, headers: { 'if-match': '"2"' } })).status).toBe(412);
    expect((await api('DELETE', `${vars}/NEW`, { token, headers: { 'if-match': '"3"' } })).status).toBe(204);
    expect((await api('DELETE', `${vars}/NEW`, { token, headers: { 'if-match': '"3"' } })).status).toBe(404);
  });

  it('If-Match: * matches any existing resource; a malformed If-Match is a 400; if_match is no body field', async () => {
    const { token, project, envPath } = await setup();
    expect(
      (await ok(api('PUT', envPath, { token, headers: { 'if-match': '*' }, body: { description: 'star' } }))).headers.get('etag'),
    ).toBe('"2"');
    const malformed = await api('PUT', envPath, { token, headers: { 'if-match': '3' }, body: { description: 'bad' } });
    expect(malformed.status).toBe(400);
    expect(malformed.body.error.code).toBe('BAD_REQUEST');
    expect((await api('PUT', envPath, { token, body: { description: 'sneaky', if_match: [2] } })).status).toBe(400);
    expect((await ok(api('GET', envPath, { token }))).body.data.description).toBe('star');
    // Project writes: update, transfer and icon delete take it too.
    expect(
      (await api('PUT', `/projects/${project.id}`, { token, headers: { 'if-match': '"9"' }, body: { color: '#000000' } })).status,
    ).toBe(412);
    const member = await newUser(api, 'etag-member');
    await ok(api('POST', `/projects/${project.id}/members`, { token, body: { user_id: member.id, role: 'admin' } }), 201);
    expect(
      (await api('POST', `/projects/${project.id}/transfer`, { token, headers: { 'if-match': '"9"' }, body: { new_owner_id: member.id } }))
        .status,
    ).toBe(412);
    expect((await api('DELETE', `/projects/${project.id}/icon`, { token, headers: { 'if-match': '"9"' } })).status).toBe(412);
    expect((await api('DELETE', `/projects/${project.id}/icon`, { token, headers: { 'if-match': '"1"' } })).status).toBe(204);
    await ok(api('POST', `/projects/${project.id}/transfer`, { token, headers: { 'if-match': '"1"' }, body: { new_owner_id: member.id } }));
    // Ownership moved: a change of the project, so its ETag moved too.
    expect((await ok(api('GET', `/projects/${project.id}`, { token }))).headers.get('etag')).toBe('"2"');
  });

  it('without the headers everything works as before, and the ETag is still sent', async () => {
    const { token, envPath } = await setup();
    const first = await ok(api('PUT', envPath, { token, body: { description: 'one' } }));
    const second = await ok(api('PUT', envPath, { token, body: { description: 'two' } }));
    expect(first.headers.get('etag')).toBe('"2"');
    expect(second.headers.get('etag')).toBe('"3"');
    expect((await ok(api('GET', envPath, { token }))).body.data.description).toBe('two');
  });
});

describe('the icon upload', () => {
  it('takes If-Match: a stale one is 412 and the icon stays as it was; the current one sets it and answers the new ETag', async () => {
    const { token, project } = await setup();
    const upload = (ifMatch: string) => {
      const form = new FormData();
      form.append('file', new Blob([png()], { type: 'image/png' }), 'icon.png');
      return fetch(`${system.url}/api/v1/projects/${project.id}/icon`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'if-match': ifMatch },
        body: form,
      });
    };
    const stale = await upload('"5"');
    expect(stale.status).toBe(412);
    expect(((await stale.json()) as { error: { code: string } }).error.code).toBe('PRECONDITION_FAILED');
    const unchanged = await ok(api('GET', `/projects/${project.id}`, { token }));
    expect(unchanged.body.data).toMatchObject({ icon_path: null, version: 1 });
    const current = await upload('"1"');
    expect(current.status).toBe(200);
    expect(current.headers.get('etag')).toBe('"2"');
    expect(((await current.json()) as { data: { icon_path: string | null } }).data.icon_path).toMatch(/^\/uploads\//);
    expect((await upload('nonsense')).status).toBe(400);
  });
});

describe('the typed client', () => {
  it('sends the precondition as the input field if_match, reads version from the answer, and meets PRECONDITION_FAILED (412)', async () => {
    const { token, project, staging } = await setup();
    const key = (await ok(api('POST', '/auth/api-keys', { token, body: { name: 'etag client' } }), 201)).body.data.key;
    const atrium = await connectAtrium({
      servers: system.natsUrl,
      pass: system.natsCredentials.client?.password,
      credential: key,
      timeoutMs: 20_000,
    });
    try {
      const ref = { projectId: project.id, envId: staging.id };
      const read = await atrium.environments.get(ref);
      expect(read.version).toBe(1);
      const saved = await atrium.environments.update({ ...ref, description: 'typed', if_match: [read.version] });
      expect(saved.version).toBe(2);
      const refused = await atrium.environments.update({ ...ref, description: 'stale', if_match: [read.version] }).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(refused).toBeInstanceOf(AtriumError);
      expect(refused).toMatchObject({ code: 'PRECONDITION_FAILED', status: 412 });
      expect((await atrium.environments.get(ref)).description).toBe('typed');
    } finally {
      await atrium.close();
    }
  });
});
