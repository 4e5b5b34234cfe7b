import { stripVTControlCharacters } from 'node:util';
import { MikroORM, PostgreSqlDriver } from '@mikro-orm/postgresql';
import type { EntitySchema } from '@mikro-orm/postgresql';
import type { MigrationObject } from '@mikro-orm/core';
import { DEFAULT_ACQUIRE_TIMEOUT_MS, DEFAULT_STARTUP_TIMEOUT_MS } from './timeout-defaults.js';
import { databaseNameOf, tlsOptionsFromUrl } from './database-url.js';
import type { Logger } from './logger.js';
import type { Metrics } from './metrics.js';
import { isPoolTimeout } from './orm-errors.js';
import { boundWaitsBy, onPoolTimeout, poolStats, setAcquireTimeout } from './orm-pool.js';
import { databaseNotReady, waitForDatabase } from './orm-startup.js';
import { StartupError } from './startup.js';

export interface OrmOptions {
  clientUrl: string;
  /** The service's own PostgreSQL schema: services share a database server, never tables. */
  schema: string;
  // biome-ignore lint/suspicious/noExplicitAny: a service's entities are of unrelated types
  entities: EntitySchema<any, any>[];
  /** The service's migrations: `lazyMigrations` (loaded only when one has still to run), or a list. */
  migrations: LazyMigrations | MigrationObject[];
  poolMax?: number;
  /**
   * How long a statement waits for a free connection before failing (then the call answers 503,
   * see orm-errors.ts). knex's own default, 60 s, outlasts any caller's deadline: calls would
   * queue for connections long after their callers gave up.
   */
  acquireTimeoutMs?: number;
  /**
   * How long start-up may wait for the database (60 s; never less than `acquireTimeoutMs`): its
   * first connection — tried again while PostgreSQL refuses connections, says it is starting up
   * or does not answer — and every connection its migrations wait for, each wait ending by one
   * deadline (`boundWaitsBy`). A call's
   * wait suits a call, not a database that is still starting: with it, start-up failed at once
   * on a refusal and after `acquireTimeoutMs` on a slow handshake, with knex's "pool is probably full".
   */
  startupTimeoutMs?: number;
  /** Where start-up says that it waits for the database. */
  log?: Logger;
  /**
   * Where the pool's time-outs are counted once start-up is done (`poolTimeouts`, labelled with
   * the schema, which is the service's name): every wait that ran out, once, whoever waited; and
   * where the pool's connections in use, idle and its waiting callers are reported (`observePool`).
   */
  metrics?: Metrics;
  /** Sees every SQL statement (tests use it to hold hot paths to their query budget). */
  onQuery?: (sql: string) => void;
}

/** The pool settings a service takes from its configuration (see `databasePool`). */
export type PoolOptions = Pick<OrmOptions, 'poolMax' | 'acquireTimeoutMs' | 'startupTimeoutMs'>;

/** What a service's `init…Orm(url, options)` takes besides the URL: its pool settings, log and test hooks. */
export type ServiceOrmOptions = Omit<OrmOptions, 'clientUrl' | 'schema' | 'entities' | 'migrations'>;

/**
 * A service's migrations by name, each loaded on demand. The migration classes extend
 * `@mikro-orm/migrations`' Migration, and that package loads the whole migrator with them
 * (umzug and its command line, ~250 modules, ~0.2 s of CPU): a start on a current schema only
 * needs the names. Each export is named as its migration (the class `Migration2026…_initial`).
 */
export interface LazyMigrations {
  names: readonly string[];
  load(): Promise<MigrationObject[]>;
}

export function lazyMigrations(modules: Record<string, () => Promise<Record<string, unknown>>>): LazyMigrations {
  return {
    names: Object.keys(modules),
    load: () =>
      Promise.all(
        Object.entries(modules).map(async ([name, load]) => {
          const migration = (await load())[name];
          if (typeof migration !== 'function') throw new Error(`migration ${name}: its module exports no class of that name`);
          return { name, class: migration as MigrationObject['class'] };
        }),
      ),
  };
}

function loadedMigrations(list: MigrationObject[]): LazyMigrations {
  return { names: list.map((migration) => migration.name), load: async () => list };
}

/**
 * Connects MikroORM for one service and brings its schema up to date, waiting for a database
 * not ready yet within `startupTimeoutMs`. The database must exist: a mistyped name is a
 * start-up error naming it, never a new empty database.
 */
export async function initOrm(options: OrmOptions): Promise<MikroORM> {
  const ssl = tlsOptionsFromUrl(options.clientUrl);
  const acquireTimeoutMs = options.acquireTimeoutMs ?? DEFAULT_ACQUIRE_TIMEOUT_MS;
  const startupTimeoutMs = Math.max(options.startupTimeoutMs ?? DEFAULT_STARTUP_TIMEOUT_MS, acquireTimeoutMs);
  const deadline = Date.now() + startupTimeoutMs;
  const orm = await MikroORM.init({
    driver: PostgreSqlDriver,
    clientUrl: options.clientUrl,
    // Its own check would run one `select 1` with a call's wait and keep quiet about a failure: start-up checks, below.
    connect: false,
    // MikroORM would create a missing database; only the embedded mode creates one, explicitly.
    ensureDatabase: false,
    driverOptions: {
      ...(ssl === undefined ? {} : { connection: { ssl } }),
      // knex's own warnings — `Connection Error: …` for each pooled connection found broken, as
      // after a PostgreSQL restart — go to the service's log, not to the console as bare lines.
      ...(options.log ? { log: knexLog(options.log) } : {}),
    },
    schema: options.schema,
    // MikroORM finds "the current" EntityManager and transaction through AsyncLocalStorage under
    // this name. The one-process mode runs every service's ORM in one process, and an event
    // handler runs inside the publishing service's async context: under one shared name, a
    // service would run its queries on another service's transaction and metadata.
    contextName: options.schema,
    entities: options.entities,
    migrations: {
      tableName: 'mikro_orm_migrations',
      transactional: true,
      allOrNothing: true,
      snapshot: false,
      silent: true,
    },
    // knex waits the shorter of this (tarn's setting) and its own acquireConnectionTimeout (60 s unset).
    pool: { min: 0, max: options.poolMax ?? 10, acquireTimeoutMillis: acquireTimeoutMs },
    forceUtcTimezone: true,
    // A service may start before its first table exists (environments, for now).
    discovery: { warnWhenNoEntities: false },
    // Handlers must use the EntityManager forked for their call.
    allowGlobalContext: false,
    ...(options.onQuery
      ? {
          debug: ['query' as const],
          colors: false,
          // MikroORM colours its log lines from process-wide settings whatever `colors` says
          // (FORCE_COLOR, set by whatever ran before in the same worker): hand over plain SQL.
          logger: (message: string) => options.onQuery?.(stripVTControlCharacters(message)),
        }
      : { debug: false }),
  });
  // Every wait for a connection until start-up is done ends by its deadline, however many there are.
  let unbound: (() => void) | undefined;
  try {
    unbound = boundWaitsBy(orm, deadline);
    await waitForDatabase(orm, { clientUrl: options.clientUrl, startupTimeoutMs, deadline, log: options.log });
    const migrations = Array.isArray(options.migrations) ? loadedMigrations(options.migrations) : options.migrations;
    if (!(await schemaIsCurrent(orm, options.schema, migrations.names))) await migrate(orm, options.schema, migrations);
  } catch (error) {
    unbound?.();
    const gaveUp = isPoolTimeout(error)
      ? databaseNotReady(options.clientUrl, startupTimeoutMs, 'no connection came free for the migrations')
      : error;
    // Given up on the database: a connection attempt that never answers may still be pending, and
    // closing waits for it. The failure is reported now; the pool closes when that attempt ends.
    if (gaveUp instanceof StartupError) void orm.close().catch(() => undefined);
    else await orm.close();
    // 3D000: invalid_catalog_name.
    if ((error as { code?: string }).code === '3D000') {
      throw new Error(
        `The database "${databaseNameOf(options.clientUrl)}" named by DATABASE_URL does not exist: create it, or fix the URL`,
      );
    }
    throw gaveUp;
  }
  // From now on a call waits for a connection no longer than it can afford.
  unbound();
  setAcquireTimeout(orm, acquireTimeoutMs);
  const { metrics } = options;
  if (metrics) {
    onPoolTimeout(orm, () => metrics.poolTimeouts.inc({ service: options.schema }));
    metrics.observePool(options.schema, poolStats(orm));
  }
  return orm;
}

/** knex's logger, onto the service's: its warnings at warn, its errors at error (no SQL values in either). */
function knexLog(log: Logger) {
  const text = (message: unknown) => (typeof message === 'string' ? message : String(message));
  return {
    warn: (message: unknown) => log.warn({ detail: text(message) }, 'database client warning'),
    error: (message: unknown) => log.error({ detail: text(message) }, 'database client error'),
    deprecate: (method: unknown, alternative: unknown) => log.debug({ method, alternative }, 'knex deprecation'),
    debug: () => undefined,
  };
}

/**
 * Whether every migration is recorded as applied: then the migrator is not even loaded. A
 * schema or migrations table not there yet (a first start) means no. Read without the lock:
 * an instance that finds all applied has nothing to wait for, and one that does not takes the
 * lock and lets the migrator decide again.
 */
async function schemaIsCurrent(orm: MikroORM, schema: string, names: readonly string[]): Promise<boolean> {
  let applied: { name: string }[];
  try {
    applied = await orm.em.getConnection().execute(`select name from "${schema}"."mikro_orm_migrations"`);
  } catch (error) {
    // 3F000 invalid_schema_name, 42P01 undefined_table.
    if (['3F000', '42P01'].includes((error as { code?: string }).code ?? '')) return false;
    throw error;
  }
  const done = new Set(applied.map((row) => row.name));
  return names.every((name) => done.has(name));
}

/**
 * Runs pending migrations while holding a session-level advisory lock on a connection of
 * its own, so N instances starting together migrate once and the others wait, then find
 * nothing to do. (A transaction-scoped lock would deadlock: the migrator works on other
 * connections of the pool.)
 */
async function migrate(orm: MikroORM, schema: string, migrations: LazyMigrations): Promise<void> {
  const [{ Migrator }, migrationsList] = await Promise.all([import('@mikro-orm/migrations'), migrations.load()]);
  orm.config.set('migrations', { ...orm.config.get('migrations'), migrationsList });
  Migrator.register(orm);
  const client = orm.em.getConnection().getKnex().client;
  const lockConnection = await client.acquireConnection();
  const lockKey = `atrium:migrations:${schema}`;
  try {
    await lockConnection.query('select pg_advisory_lock(hashtext($1))', [lockKey]);
    await orm.em.getConnection().execute(`create schema if not exists "${schema}"`);
    await orm.getMigrator().up();
  } finally {
    await lockConnection.query('select pg_advisory_unlock(hashtext($1))', [lockKey]).catch(() => undefined);
    await client.releaseConnection(lockConnection);
  }
}
