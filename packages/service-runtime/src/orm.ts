import { stripVTControlCharacters } from 'node:util';
import { MikroORM, PostgreSqlDriver } from '@mikro-orm/postgresql';
import type { EntitySchema } from '@mikro-orm/postgresql';
import { Migrator } from '@mikro-orm/migrations';
import type { MigrationObject } from '@mikro-orm/core';
import { databaseNameOf, tlsOptionsFromUrl } from './database-url.js';

export interface OrmOptions {
  clientUrl: string;
  /** The service's own PostgreSQL schema: services share a database server, never tables. */
  schema: string;
  // biome-ignore lint/suspicious/noExplicitAny: a service's entities are of unrelated types
  entities: EntitySchema<any, any>[];
  migrations: MigrationObject[];
  poolMax?: number;
  /** Sees every SQL statement (tests use it to hold hot paths to their query budget). */
  onQuery?: (sql: string) => void;
}

/**
 * Connects MikroORM for one service and brings its schema up to date. The database must
 * exist: a mistyped name is a start-up error naming it, never a new empty database.
 */
export async function initOrm(options: OrmOptions): Promise<MikroORM> {
  const ssl = tlsOptionsFromUrl(options.clientUrl);
  const orm = await MikroORM.init({
    driver: PostgreSqlDriver,
    clientUrl: options.clientUrl,
    // MikroORM would create a missing database; only the embedded mode creates one, explicitly.
    ensureDatabase: false,
    ...(ssl === undefined ? {} : { driverOptions: { connection: { ssl } } }),
    schema: options.schema,
    // MikroORM finds "the current" EntityManager and transaction through AsyncLocalStorage under
    // this name. The one-process mode runs every service's ORM in one process, and an event
    // handler runs inside the publishing service's async context: under one shared name, a
    // service would run its queries on another service's transaction and metadata.
    contextName: options.schema,
    entities: options.entities,
    extensions: [Migrator],
    migrations: {
      migrationsList: options.migrations,
      tableName: 'mikro_orm_migrations',
      transactional: true,
      allOrNothing: true,
      snapshot: false,
      silent: true,
    },
    pool: { min: 0, max: options.poolMax ?? 10 },
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
  try {
    await orm.em.getConnection().execute('select 1');
  } catch (error) {
    await orm.close();
    // 3D000: invalid_catalog_name.
    if ((error as { code?: string }).code === '3D000') {
      throw new Error(
        `The database "${databaseNameOf(options.clientUrl)}" named by DATABASE_URL does not exist: create it, or fix the URL`,
      );
    }
    throw error;
  }
  await migrate(orm, options.schema);
  return orm;
}

/**
 * Runs pending migrations while holding a session-level advisory lock on a connection of
 * its own, so N instances starting together migrate once and the others wait, then find
 * nothing to do. (A transaction-scoped lock would deadlock: the migrator works on other
 * connections of the pool.)
 */
async function migrate(orm: MikroORM, schema: string): Promise<void> {
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
