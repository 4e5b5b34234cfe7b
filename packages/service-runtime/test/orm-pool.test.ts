import { MikroORM, PostgreSqlDriver } from '@mikro-orm/postgresql';
import { afterEach, describe, expect, it } from 'vitest';
import { onPoolTimeout, setAcquireTimeout } from '../src/orm-pool.js';

/**
 * The wait of each acquisition is tarn's `acquireTimeoutMillis`, written by start-up and read by
 * tarn at every acquisition: a real pool (MikroORM, knex, tarn as the services have them), never
 * connected — nothing here needs a database.
 */
let orm: MikroORM | undefined;
afterEach(async () => {
  await orm?.close();
  orm = undefined;
});

async function unconnectedOrm(): Promise<MikroORM> {
  orm = await MikroORM.init({
    driver: PostgreSqlDriver,
    clientUrl: 'postgresql://nobody@127.0.0.1:1/nothing',
    connect: false,
    entities: [],
    discovery: { warnWhenNoEntities: false },
    pool: { min: 0, max: 2, acquireTimeoutMillis: 300 },
  });
  return orm;
}

const tarnPool = (orm: MikroORM) => (orm.em.getConnection().getKnex().client as { pool: Record<string, unknown> }).pool;

describe("the pool's wait for a connection", () => {
  it('is written where tarn reads it at each acquisition (the start-up tests see it take effect)', async () => {
    const orm = await unconnectedOrm();
    expect(tarnPool(orm).acquireTimeoutMillis).toBe(300);
    setAcquireTimeout(orm, 1234.2);
    expect(tarnPool(orm).acquireTimeoutMillis).toBe(1235);
  });

  it('is not written blindly: a pool without it (another tarn) is a clear error, not a silent no-op', async () => {
    const orm = await unconnectedOrm();
    delete tarnPool(orm).acquireTimeoutMillis;
    expect(() => setAcquireTimeout(orm, 1000)).toThrow(/acquireTimeoutMillis/);
    expect(tarnPool(orm).acquireTimeoutMillis).toBeUndefined();
  });
});

describe('the pool time-outs counted', () => {
  it('leave out an acquisition that failed for another reason: a connection refused is no wait that ran out', async () => {
    const orm = await unconnectedOrm();
    let counted = 0;
    onPoolTimeout(orm, () => {
      counted += 1;
    });
    const pool = orm.em.getConnection().getKnex().client as { acquireConnection(): Promise<unknown> };
    // Nothing listens on port 1: knex hands the refusal to the waiting acquisition (tarn's acquireFail, not a TimeoutError).
    await expect(pool.acquireConnection()).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    expect(counted).toBe(0);
  });
});
