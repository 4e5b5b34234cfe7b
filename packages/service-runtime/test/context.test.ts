import { describe, expect, it } from 'vitest';
import type { EntityManager } from '@mikro-orm/postgresql';
import { createLogger, createServiceContext } from '../src/index.js';

/** An EntityManager that records what is done with it: forks, executes, and the pool's queries. */
function fakeEntityManager() {
  const seen = {
    forks: 0,
    executed: [] as string[],
    pooled: [] as { name?: string; text: string; values: readonly unknown[] }[],
    released: 0,
  };
  let inTransaction = false;
  const client = {
    acquireConnection: async () => ({
      query: async (statement: { name?: string; text: string; values: readonly unknown[] }) => {
        seen.pooled.push(statement);
        return { rows: [{ from: 'pool' }] };
      },
    }),
    releaseConnection: async () => {
      seen.released += 1;
    },
  };
  // The transaction's own connection, as knex hands it to a transaction's client.
  const transactionClient = {
    acquireConnection: async () => ({
      query: async (statement: { text: string }) => {
        seen.executed.push(statement.text);
        return { rows: [{ from: 'transaction' }] };
      },
    }),
    releaseConnection: async () => undefined,
  };
  const logger = { getLogger: () => ({ logQuery() {} }) };
  const forked = {
    isInTransaction: () => inTransaction,
    begin: async () => {
      inTransaction = true;
    },
    getTransactionContext: () => (inTransaction ? { client: transactionClient } : undefined),
    config: logger,
  };
  const root = {
    fork: () => {
      seen.forks += 1;
      return forked;
    },
    isInTransaction: () => false,
    getConnection: () => ({ getKnex: () => ({ client }) }),
    config: logger,
  };
  return { em: root as unknown as EntityManager, seen };
}

const contextOn = (em: EntityManager) =>
  createServiceContext({
    meta: { requestId: 'test' },
    em,
    forkOnUse: true,
    log: createLogger('test', 'silent'),
    services: () => {
      throw new Error('no services here');
    },
  });

describe("a call's context", () => {
  it('makes its logger on the first line it logs, once, and not at all for a call that logs none', () => {
    const { em } = fakeEntityManager();
    let made = 0;
    const parts = {
      meta: { requestId: 'test' },
      em,
      log: () => {
        made += 1;
        return createLogger('test', 'silent').child({ requestId: 'test' });
      },
      services: () => {
        throw new Error('no services here');
      },
    };
    createServiceContext(parts);
    expect(made).toBe(0);
    const ctx = createServiceContext(parts);
    expect(ctx.log.bindings()).toMatchObject({ requestId: 'test' });
    expect(ctx.log).toBe(ctx.log);
    expect(made).toBe(1);
  });

  it('forks no EntityManager for a query that only reads hand-written SQL, prepared once by its text', async () => {
    const { em, seen } = fakeEntityManager();
    const ctx = contextOn(em);
    expect(ctx.inTransaction).toBe(false);
    await expect(ctx.read('select a from t where a = ? and b = ?', [1, 2])).resolves.toEqual([{ from: 'pool' }]);
    await ctx.read('select a from t where a = ? and b = ?', [3, 4]);
    await ctx.read('select b from t where a = ?', [5]);
    expect(seen).toMatchObject({ forks: 0, executed: [], released: 3 });
    const [first, again, other] = seen.pooled;
    expect(first).toMatchObject({
      text: 'select a from t where a = $1 and b = $2',
      values: [1, 2],
      name: expect.stringMatching(/^atrium_/),
    });
    expect(again).toEqual({ ...first, values: [3, 4] });
    expect(other).toMatchObject({ text: 'select b from t where a = $1', values: [5] });
    expect(other!.name).not.toBe(first!.name);
  });

  it('forks once when the handler needs its EntityManager, and reads in its transaction from then on', async () => {
    const { em, seen } = fakeEntityManager();
    const ctx = contextOn(em);
    expect(ctx.em).toBe(ctx.em);
    await ctx.em.begin();
    expect(ctx.inTransaction).toBe(true);
    await expect(ctx.read('select 1', [])).resolves.toEqual([{ from: 'transaction' }]);
    expect(seen).toMatchObject({ forks: 1, executed: ['select 1'], pooled: [] });
  });
});
