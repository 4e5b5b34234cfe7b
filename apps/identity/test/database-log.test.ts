import { randomUUID } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startEmbeddedPostgres } from '@atrium/local-infra';
import type { RunningPostgres } from '@atrium/local-infra';
import { queryDatabase, startServiceHarness } from '@atrium/test-kit';
import type { ServiceHarness } from '@atrium/test-kit';
import { createJetStreamSink, createLogger, ensureEventStream, jetStreamEventSource } from '@atrium/service-runtime';
import { startIdentityService } from '../src/service.js';
import { TEST_ONLY_SCRYPT } from '../src/security/passwords.js';

/**
 * PostgreSQL logs a statement that fails (`log_min_error_statement`, ERROR by default) with its
 * values: a statement carrying a secret must not be one that can fail on a constraint. This file
 * runs identity on a PostgreSQL of its own, whose log it reads.
 */
let postgres: RunningPostgres;
let harness: ServiceHarness;
let serverLog = '';

beforeAll(async () => {
  postgres = await startEmbeddedPostgres({
    dataDir: await mkdtemp(join(tmpdir(), 'atrium-pg-log-')),
    persistent: false,
    log: (chunk) => {
      serverLog += chunk;
    },
  });
  harness = await startServiceHarness('identity', async ({ broadcast, bus, nc, events }) => {
    await ensureEventStream(nc, events);
    const log = createLogger('identity', 'silent');
    return startIdentityService({
      databaseUrl: postgres.url,
      sessionTtlDays: 30,
      broadcast,
      eventSink: createJetStreamSink(nc, events),
      events: jetStreamEventSource(nc, events, log),
      bus,
      log,
      passwordHashing: TEST_ONLY_SCRYPT,
    });
  });
}, 180_000);
afterAll(async () => {
  await harness?.stop();
  await postgres?.stop();
});

/** Everything PostgreSQL logged up to now: a failing statement of our own marks the point, and its line is waited for. */
async function logSoFar(): Promise<string> {
  const marker = `marker-${randomUUID()}`;
  await expect(queryDatabase(postgres.url, `select '${marker}'::int`)).rejects.toThrow();
  await vi.waitUntil(() => serverLog.includes(`"${marker}"`), { timeout: 10_000, interval: 20 });
  return serverLog;
}

describe("secrets stay out of PostgreSQL's log", { timeout: 120_000 }, () => {
  it('concurrent registrations of one e-mail: one account, the others 409, and no statement failed on the e-mail', async () => {
    const email = `race-${randomUUID().slice(0, 8)}@example.com`;
    const outcomes = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        harness.call('auth.register', 'mutation', { email, password: `secret number ${i}`, name: 'Racer' }).then(
          () => 'created',
          (error: { code?: string }) => error.code,
        ),
      ),
    );
    expect(outcomes.filter((outcome) => outcome === 'created')).toHaveLength(1);
    expect(outcomes.filter((outcome) => outcome !== 'created')).toEqual(Array(5).fill('CONFLICT'));

    const log = await logSoFar();
    // The check works: our own failing statement is there, with its value.
    expect(log).toMatch(/STATEMENT:\s+select 'marker-/);
    expect(log).not.toContain('scrypt$');
    expect(log).not.toMatch(/duplicate key value violates unique constraint/);
    expect(log).not.toContain(email);
  });
});
