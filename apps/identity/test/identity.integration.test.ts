import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryDatabase, startServiceHarness } from '@atrium/test-kit';
import type { ServiceHarness } from '@atrium/test-kit';
import { createJetStreamSink, createLogger, ensureEventStream, jetStreamEventSource } from '@atrium/service-runtime';
import { startIdentityService } from '../src/service.js';
import { TEST_ONLY_SCRYPT } from '../src/security/passwords.js';

let harness: ServiceHarness;

/** What the service logs at `error` and above, one JSON line each (read by the logging test). */
const logged: string[] = [];
const logCapture = new Writable({
  write(chunk: Buffer, _encoding, done) {
    logged.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    done();
  },
});

beforeAll(async () => {
  harness = await startServiceHarness('identity', async ({ databaseUrl, broadcast, bus, nc, events }) => {
    await ensureEventStream(nc, events);
    const log = createLogger('identity', 'error', 'json', logCapture);
    return startIdentityService({
      databaseUrl,
      sessionTtlDays: 30,
      broadcast,
      eventSink: createJetStreamSink(nc, events),
      events: jetStreamEventSource(nc, events, log),
      bus,
      log,
      passwordHashing: TEST_ONLY_SCRYPT,
    });
  });
});
afterAll(() => harness?.stop());

const sql = <T = Record<string, unknown>>(text: string, values: unknown[] = []) => queryDatabase<T>(harness.databaseUrl, text, values);

const register = (email: string, password = 'correct horse battery') =>
  harness.call('auth.register', 'mutation', { email, password, name: 'Ada' });

describe('identity over NATS', () => {
  it('registers, stores only hashes, and authenticates the returned token', async () => {
    const session = await register('Ada@Example.com');
    expect(session.user).toMatchObject({ email: 'ada@example.com', name: 'Ada' });
    expect(session.token).toMatch(/^ats_[A-Za-z0-9_-]{43}$/);

    const [user] = await sql<{ password_hash: string }>(`select password_hash from identity.users where id = $1`, [session.user.id]);
    expect(user!.password_hash).toMatch(/^scrypt\$/);
    expect(user!.password_hash).not.toContain('correct horse');
    const tokens = await sql<{ token_hash: string }>(`select token_hash from identity.sessions where user_id = $1`, [session.user.id]);
    expect(tokens).toHaveLength(1);
    expect(tokens[0]!.token_hash).not.toBe(session.token);

    const caller = await harness.call('credentials.authenticate', 'query', { credential: session.token });
    expect(caller).toMatchObject({ user: { id: session.user.id }, credential_kind: 'session' });
  });

  it('refuses a second account for the same e-mail, whatever its case', async () => {
    await register('twice@example.com');
    await expect(register('TWICE@example.com')).rejects.toMatchObject({ code: 'CONFLICT', data: { apiCode: 'CONFLICT' } });
    expect(await sql(`select id from identity.users where email = 'twice@example.com'`)).toHaveLength(1);
  });

  it('gives the same 401 for a wrong password and an unknown e-mail', async () => {
    await register('login@example.com');
    // Both in flight at once, each with its handler attached at once: either may answer first.
    const [wrongPassword, unknownEmail] = await Promise.all([
      harness.call('auth.login', 'mutation', { email: 'login@example.com', password: 'not the password' }).catch((e: unknown) => e),
      harness.call('auth.login', 'mutation', { email: 'nobody@example.com', password: 'not the password' }).catch((e: unknown) => e),
    ]);
    expect(wrongPassword).toMatchObject({ code: 'UNAUTHORIZED', message: 'Invalid e-mail or password' });
    expect(unknownEmail).toMatchObject({ code: 'UNAUTHORIZED', message: 'Invalid e-mail or password' });
    const ok = await harness.call('auth.login', 'mutation', { email: 'LOGIN@example.com', password: 'correct horse battery' });
    expect(ok.user.email).toBe('login@example.com');
  });

  it('validates input with field details and writes nothing', async () => {
    const error = await register('short@example.com', 'short').catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'BAD_REQUEST', data: { apiCode: 'BAD_REQUEST', details: [{ path: 'password' }] } });
    expect(await sql(`select id from identity.users where email = 'short@example.com'`)).toHaveLength(0);
  });

  it('logout revokes exactly the credential used', async () => {
    const first = await register('logout@example.com');
    const second = await harness.call('auth.login', 'mutation', { email: 'logout@example.com', password: 'correct horse battery' });
    const caller = await harness.call('credentials.authenticate', 'query', { credential: first.token });
    await harness.call('auth.logout', 'mutation', {}, { userId: caller.user.id, credentialId: caller.credential_id });
    await expect(harness.call('credentials.authenticate', 'query', { credential: first.token })).rejects.toMatchObject({
      code: 'UNAUTHORIZED',
    });
    await expect(harness.call('credentials.authenticate', 'query', { credential: second.token })).resolves.toMatchObject({
      user: { id: first.user.id },
    });
  });

  it('creates API keys whose secret is shown once and works until deleted', async () => {
    const session = await register('keys@example.com');
    const auth = await harness.call('credentials.authenticate', 'query', { credential: session.token });
    const caller = { userId: auth.user.id, credentialId: auth.credential_id };
    const created = await harness.call('apiKeys.create', 'mutation', { name: 'ci' }, caller);
    expect(created.key).toMatch(/^atk_/);
    expect(created.prefix).toBe(created.key.slice(0, 12));
    const [row] = await sql<{ key_hash: string }>(`select key_hash from identity.api_keys where id = $1`, [created.id]);
    expect(row!.key_hash).not.toContain(created.key);

    const listed = await harness.call('apiKeys.list', 'query', { limit: 50 }, caller);
    expect(listed.data).toEqual([expect.not.objectContaining({ key: expect.anything() })]);
    expect(listed.data[0].id).toBe(created.id);

    await expect(harness.call('credentials.authenticate', 'query', { credential: created.key })).resolves.toMatchObject({
      credential_kind: 'api_key',
    });
    await harness.call('apiKeys.delete', 'mutation', { id: created.id }, caller);
    await expect(harness.call('credentials.authenticate', 'query', { credential: created.key })).rejects.toMatchObject({
      code: 'UNAUTHORIZED',
    });
    await expect(harness.call('apiKeys.delete', 'mutation', { id: created.id }, caller)).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('changes the password only with the current one and signs out other sessions', async () => {
    const first = await register('change@example.com');
    const second = await harness.call('auth.login', 'mutation', { email: 'change@example.com', password: 'correct horse battery' });
    const auth = await harness.call('credentials.authenticate', 'query', { credential: first.token });
    const caller = { userId: auth.user.id, credentialId: auth.credential_id };

    await expect(
      harness.call('auth.updateMe', 'mutation', { password: 'new password 123', current_password: 'wrong one' }, caller),
    ).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await expect(harness.call('auth.updateMe', 'mutation', { password: 'new password 123' }, caller)).rejects.toMatchObject({
      data: { details: [{ path: 'current_password' }] },
    });

    const updated = await harness.call(
      'auth.updateMe',
      'mutation',
      { name: 'Ada L.', password: 'new password 123', current_password: 'correct horse battery' },
      caller,
    );
    expect(updated.name).toBe('Ada L.');
    await expect(harness.call('credentials.authenticate', 'query', { credential: first.token })).resolves.toBeTruthy();
    await expect(harness.call('credentials.authenticate', 'query', { credential: second.token })).rejects.toMatchObject({
      code: 'UNAUTHORIZED',
    });
    await expect(
      harness.call('auth.login', 'mutation', { email: 'change@example.com', password: 'new password 123' }),
    ).resolves.toBeTruthy();
  });

  it('refuses user operations without an authenticated caller', async () => {
    await expect(harness.call('auth.me', 'query', {})).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
  });
});

describe('an unexpected database error in the log', () => {
  it('names the error class, SQL state, constraint and request id, never a value', async () => {
    // A rule the service does not know about, so the insert fails in a way no handler expects.
    await sql(`alter table identity.users add constraint users_no_leaks check (email not like 'leak-%')`);
    const failed = await harness
      .call('auth.register', 'mutation', { email: 'leak-secret-address@example.com', password: 'hunter2 hunter2', name: 'Private Name' })
      .catch((error: unknown) => error);
    expect(failed).toMatchObject({ data: { apiCode: 'INTERNAL_ERROR' } });

    const line = logged.find((entry) => entry.includes('"procedure failed"'));
    expect(line).toBeDefined();
    const entry = JSON.parse(line!) as { requestId: string; err: { database: Record<string, string> } };
    expect(entry.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(entry.err.database).toMatchObject({
      type: 'CheckConstraintViolationException',
      sqlState: '23514',
      constraint: 'users_no_leaks',
      table: 'users',
    });
    const everything = logged.join('\n');
    for (const secret of ['leak-secret-address', 'scrypt$', 'Private Name', 'insert into', 'hunter2']) {
      expect(everything).not.toContain(secret);
    }
  });
});
