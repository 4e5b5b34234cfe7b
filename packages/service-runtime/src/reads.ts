import { createHash } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';

interface PooledClient {
  query(statement: { name?: string; text: string; values: readonly unknown[] }): Promise<{ rows: unknown[] }>;
}
interface ConnectionPool {
  acquireConnection(): Promise<PooledClient>;
  releaseConnection(connection: PooledClient): Promise<unknown>;
}

interface Statement {
  /** Set while the service has few enough distinct reads to keep each prepared. */
  name?: string;
  text: string;
}

/** The SQL texts of hot reads are a handful of constants; past this many something builds them dynamically. */
const MAX_PREPARED = 200;
const statements = new Map<string, Statement>();

/**
 * A hot read runs as a named statement: PostgreSQL parses and plans it once per connection, then
 * only binds and executes it (pg keeps each connection's prepared names). The statements name
 * their columns rather than `*`, so a column added by a later migration does not change a
 * prepared statement's result (PostgreSQL refuses such a statement until reconnected).
 */
/** A hot read's `?` placeholders (MikroORM's style) as pg's `$1…$n`: the text PostgreSQL prepares. */
export function numberedPlaceholders(sql: string): string {
  let index = 0;
  return sql.replace(/\?/g, () => `$${++index}`);
}

function statementOf(sql: string): Statement {
  let statement = statements.get(sql);
  if (statement === undefined) {
    const text = numberedPlaceholders(sql);
    statement =
      statements.size < MAX_PREPARED ? { name: `atrium_${createHash('sha256').update(text).digest('hex').slice(0, 24)}`, text } : { text };
    if (statement.name) statements.set(sql, statement);
  }
  return statement;
}

/**
 * A hand-written read on a hot path, with `?` placeholders (and no other `?` in the text), a
 * constant text per shape (it is prepared: see `statementOf`) naming its columns.
 * Inside a transaction — a mutation — it runs through the EntityManager on the transaction's
 * connection, so it sees and locks what the mutation does. Outside one — a query, which changes
 * nothing — it runs straight on a connection of the same pool with bound parameters, without
 * MikroORM's `execute` (value inlining, knex's runner) on the hot path. Either way the statement is
 * logged like every other (tests count them). `em` is the call's EntityManager, or the root one
 * while the call has forked none (see `ServiceContext.read`): the pool is the same.
 */
export async function readRows<Row>(em: EntityManager, sql: string, params: readonly unknown[]): Promise<Row[]> {
  if (em.isInTransaction()) return transactionRows<Row>(em, sql, params);
  return readPooledRows<Row>(em, sql, params);
}

/**
 * A hand-written statement in the EntityManager's transaction, on the transaction's own
 * connection (knex hands a transaction's client that one), prepared and with bound parameters
 * as `readPooledRows` runs them; a failure is converted as MikroORM converts its own
 * (`UniqueConstraintViolationException`, …).
 */
export async function transactionRows<Row>(em: EntityManager, sql: string, params: readonly unknown[]): Promise<Row[]> {
  const transaction = em.getTransactionContext<{ client: ConnectionPool }>();
  if (!transaction) throw new Error('transactionRows needs an EntityManager in a transaction');
  try {
    return await preparedOn<Row>(transaction.client, em, sql, params);
  } catch (error) {
    throw em
      .getPlatform()
      .getExceptionConverter()
      .convertException(error as Error);
  }
}

/**
 * `readRows` outside any transaction, whatever the async context says: straight on a pooled
 * connection. What batched reads use (see read-batcher.ts) — they run for several calls, so
 * never in one caller's transaction.
 */
export async function readPooledRows<Row>(em: EntityManager, sql: string, params: readonly unknown[]): Promise<Row[]> {
  return preparedOn<Row>(em.getConnection().getKnex().client as ConnectionPool, em, sql, params);
}

/**
 * `sql` as a prepared statement on a connection `client` hands out — a pooled one, or a
 * transaction's own (knex's transaction client hands that one and never releases it) — logged
 * like every other statement (tests count them).
 */
async function preparedOn<Row>(client: ConnectionPool, em: EntityManager, sql: string, params: readonly unknown[]): Promise<Row[]> {
  const started = Date.now();
  const connection = await client.acquireConnection();
  try {
    const { rows } = await connection.query({ ...statementOf(sql), values: params });
    em.config.getLogger().logQuery({ query: sql, took: Date.now() - started, results: rows.length, level: 'info' });
    return rows as Row[];
  } finally {
    await client.releaseConnection(connection);
  }
}
