import { MikroORM, PostgreSqlDriver } from '@mikro-orm/postgresql';
import { afterEach, describe, expect, it } from 'vitest';
import { DomainError } from '../src/errors.js';
import { createMetrics, SCRAPE_DATABASE_WAIT_MS } from '../src/metrics.js';
import { fromOrmError, isDatabaseUnavailable } from '../src/orm-errors.js';
import { poolStats } from '../src/orm-pool.js';

/**
 * A database that is not there, as the services meet it: a real pool (MikroORM, knex, tarn,
 * node-postgres) on a port nothing listens on. The e2e side, a PostgreSQL restarted under load,
 * is apps/standalone/test/postgres-restart.e2e.test.ts.
 */
let orm: MikroORM | undefined;
afterEach(async () => {
  await orm?.close();
  orm = undefined;
});

async function ormOnNothing(): Promise<MikroORM> {
  orm = await MikroORM.init({
    driver: PostgreSqlDriver,
    clientUrl: 'postgresql://nobody@127.0.0.1:1/nothing',
    connect: false,
    entities: [],
    discovery: { warnWhenNoEntities: false },
    pool: { min: 0, max: 2, acquireTimeoutMillis: 10_000 },
  });
  return orm;
}

describe('a database that is not there', () => {
  it('is told from errors about the statement, and answered 503 at once, not after the pool wait', async () => {
    const started = Date.now();
    const error = await (await ormOnNothing()).em
      .getConnection()
      .execute('select 1')
      .then(
        () => undefined,
        (failure: unknown) => failure,
      );
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(isDatabaseUnavailable(error)).toBe(true);
    const translated = fromOrmError(error);
    expect(translated).toBeInstanceOf(DomainError);
    expect(translated).toMatchObject({ code: 'SERVICE_UNAVAILABLE' });

    // Wrapped as a cause, as tRPC hands it over; and a statement's own errors are not it.
    expect(isDatabaseUnavailable(new Error('wrapped', { cause: error }))).toBe(true);
    expect(isDatabaseUnavailable(Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' }))).toBe(
      true,
    );
    expect(isDatabaseUnavailable(new Error('COMMIT; - Client has encountered a connection error and is not queryable'))).toBe(true);
    expect(isDatabaseUnavailable(Object.assign(new Error('syntax error at or near "selec"'), { code: '42601' }))).toBe(false);
    expect(isDatabaseUnavailable(Object.assign(new Error('duplicate key value'), { code: '23505' }))).toBe(false);
    expect(fromOrmError(new Error('anything else'))).toBeInstanceOf(Error);
  });

  it("reports the pool's connections in use, idle and waiting, and nothing once it is closed", async () => {
    const stats = poolStats(await ormOnNothing());
    expect(stats()).toEqual({ inUse: 0, idle: 0, waiting: 0 });
    await orm!.close();
    orm = undefined;
    expect(stats()).toBeUndefined();
  });

  it('keeps a scrape short when a gauge read from the database does not answer', async () => {
    const metrics = createMetrics();
    metrics.observeOutbox('stuck', () => new Promise(() => undefined));
    metrics.observeDeadLetters('stuck', () => new Promise(() => undefined));
    metrics.observeMailOutbox('stuck', () => new Promise(() => undefined));
    const started = Date.now();
    const text = await metrics.registry.metrics();
    expect(Date.now() - started).toBeLessThan(SCRAPE_DATABASE_WAIT_MS * 4);
    expect(text).toContain('atrium_outbox_backlog');
    expect(text).not.toContain('service="stuck"');
  });
});
