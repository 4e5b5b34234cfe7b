import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryDatabase, startServiceHarness } from '@atrium/test-kit';
import type { ServiceHarness } from '@atrium/test-kit';
import { createLogger } from '@atrium/service-runtime';
import { startIdentityService } from '../src/service.js';

/** Everything the service logs, one JSON line each. */
const lines: string[] = [];
const capture = new Writable({
  write(chunk: Buffer, _encoding, done) {
    lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    done();
  },
});

let harness: ServiceHarness;
beforeAll(async () => {
  harness = await startServiceHarness('identity', ({ databaseUrl, broadcast, bus }) =>
    startIdentityService({ databaseUrl, sessionTtlDays: 30, broadcast, bus, log: createLogger('identity', 'debug', capture) }),
  );
});
afterAll(() => harness?.stop());

describe('an unexpected database error in the log', () => {
  it('names the error class, SQL state, constraint and request id, never a value', async () => {
    // A rule the service does not know about, so the insert fails in a way no handler expects.
    await queryDatabase(harness.databaseUrl, `alter table identity.users add constraint users_no_leaks check (email not like 'leak-%')`);
    const email = 'leak-secret-address@example.com';
    const password = 'hunter2 hunter2';
    const failed = await harness.transport
      .call({
        service: 'identity',
        path: 'auth.register',
        kind: 'mutation',
        input: { email, password, name: 'Private Name' },
        meta: { requestId: 'req-log-check' },
      })
      .catch((error: unknown) => error);
    expect(failed).toMatchObject({ data: { apiCode: 'INTERNAL_ERROR' } });

    const logged = lines.find((line) => line.includes('"procedure failed"'));
    expect(logged).toBeDefined();
    const entry = JSON.parse(logged!) as { requestId: string; err: { database: Record<string, string> } };
    expect(entry.requestId).toBe('req-log-check');
    expect(entry.err.database).toMatchObject({
      type: 'CheckConstraintViolationException',
      sqlState: '23514',
      constraint: 'users_no_leaks',
      table: 'users',
    });
    const everything = lines.join('\n');
    for (const secret of ['leak-secret-address', 'scrypt$', 'Private Name', 'insert into', 'hunter2']) {
      expect(everything).not.toContain(secret);
    }
  });
});
