import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import '@atrium/local-infra/provided-context';
import { batchedReader, createMetrics, isPoolTimeout } from '@atrium/service-runtime';
import { startOrmHarness } from '@atrium/test-kit';
import { initProjectsOrm } from '../src/db.js';

/**
 * atrium_db_pool_timeouts_total counts at the pool: each wait for a connection that ran out
 * (DB_ACQUIRE_TIMEOUT_MS), once, whoever waited — a call's statement, a batched read serving many
 * calls, a transaction, the relay or a prune — and nothing else. Real PostgreSQL, a 2-connection
 * pool the test holds.
 */
const POOL_MAX = 2;

const metrics = createMetrics();
let harness: Awaited<ReturnType<typeof startOrmHarness<Awaited<ReturnType<typeof initProjectsOrm>>>>>;
beforeAll(async () => {
  harness = await startOrmHarness((url) => initProjectsOrm(url, { poolMax: POOL_MAX, acquireTimeoutMs: 300, metrics }));
});
afterAll(() => harness?.stop());

const poolTimeouts = async () => (await metrics.poolTimeouts.get()).values.find((value) => value.labels.service === 'projects')?.value ?? 0;

interface Pool {
  acquireConnection(): Promise<unknown>;
  releaseConnection(connection: unknown): Promise<unknown>;
}

/** Takes every connection of the pool, as calls holding them would; resolves to what gives them back. */
async function exhaustPool(): Promise<() => Promise<void>> {
  const pool = harness.orm.em.getConnection().getKnex().client as Pool;
  const held = await Promise.all(Array.from({ length: POOL_MAX }, () => pool.acquireConnection()));
  return async () => {
    for (const connection of held) await pool.releaseConnection(connection);
  };
}

const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (error: unknown) => error,
  );

describe('the pool time-outs counted in /metrics', () => {
  it('are the waits that ran out, once each, whoever waited', async () => {
    expect(await poolTimeouts()).toBe(0);
    const release = await exhaustPool();
    try {
      // A statement on the pool (a hot read, the relay's poll, a prune): one wait.
      expect(isPoolTimeout(await failure(harness.orm.em.fork().execute('select 1')))).toBe(true);
      expect(await poolTimeouts()).toBe(1);
      // Five calls' reads batched into one statement: one wait, though five calls fail.
      const read = batchedReader<number, number>(async (keys) => {
        await harness.orm.em.fork().execute('select 1');
        return keys;
      });
      const outcomes = await Promise.allSettled([1, 2, 3, 4, 5].map((key) => read(key)));
      expect(outcomes.map((outcome) => outcome.status)).toEqual(Array(5).fill('rejected'));
      expect(await poolTimeouts()).toBe(2);
      // A transaction that could not begin: one wait.
      expect(isPoolTimeout(await failure(harness.orm.em.fork().transactional(async (em) => em.execute('select 1'))))).toBe(true);
      expect(await poolTimeouts()).toBe(3);
    } finally {
      await release();
    }
    // Failures that are no wait are not counted.
    expect(await failure(harness.orm.em.fork().execute('select * from no_such_table'))).toBeInstanceOf(Error);
    expect(await harness.orm.em.fork().execute('select 1 as one')).toEqual([{ one: 1 }]);
    expect(await poolTimeouts()).toBe(3);
  });
});
