/**
 * Batched reads: the one batching layer of the system. A query's read by key
 * (`ctx.readBatched(read, key)`, `read` a `BatchedRead` constant) waits for the rest of the
 * current turn of the event loop; then every key asked for in that turn is read by one
 * statement, and each caller gets its own key's value. Calls that arrive together (several in
 * one socket read) so cost the database one round trip instead of one each; a lone call waits
 * for nothing (setImmediate, not a timer). Only queries batch: a mutation reads in its own
 * transaction (`ctx.read`).
 *
 * A batch the database refuses for its data (SQLSTATE class 22 or 23) is run again key by key,
 * so one bad key fails only its own call. Any other failure (no connection, a timeout) fails the
 * whole batch: retrying key by key would only add load to a database already in trouble.
 */
import { AsyncResource } from 'node:async_hooks';

export type BatchLoad<Key, Value> = (keys: readonly Key[]) => Promise<readonly Value[]>;

/**
 * Made when this module loads, outside any call. A batch serves several calls, so it runs in
 * this neutral async context rather than in that of whichever call came first (whose
 * AsyncLocalStorage might name a transaction, say).
 */
const BATCH_SCOPE = new AsyncResource('atrium.read-batch');

/** At most this many keys per statement: arrays stay small, plans stay the same. */
export const MAX_BATCH_KEYS = 64;

interface Waiting<Key, Value> {
  key: Key;
  resolve: (value: Value) => void;
  reject: (error: unknown) => void;
}

/**
 * A read by key that calls of one turn share (see the module's comment): one constant statement
 * for any number of keys, `?` placeholders (see `readRows`), whose rows are `Row`s (each also
 * tagged with BATCH_INDEX).
 */
export interface BatchedRead<Key, Value, Row = Record<string, unknown>> {
  sql: string;
  /** The statement's parameters for these keys (arrays, for `unnest`). */
  params(keys: readonly Key[]): unknown[];
  /** One value per key, in the keys' order, from the statement's rows. */
  values(rows: Row[], keys: readonly Key[]): Value[];
}

/**
 * The FROM item of a batched read's keys, one `?` per key array of these SQL types, in order:
 * `from ${unnestKeys('uuid', 'uuid')} with ordinality as k(project_id, user_id, i)`.
 *
 * Each array goes through a scalar subquery, `(select ?::uuid[])`, so that PostgreSQL cannot see
 * how many keys a call brings when it plans: seeing them, it would plan every call afresh
 * instead of keeping one generic plan (the hot-read-plans tests hold each read to one).
 */
export function unnestKeys(...types: readonly string[]): string {
  return `unnest(${types.map((type) => `(select ?::${type}[])`).join(', ')})`;
}

/**
 * The column a batched statement tags each row with: its key's position among the batch's keys,
 * from 1 (`unnest(…) with ordinality as k(…, i)`, selected as `k.i as batch_index`).
 */
export const BATCH_INDEX = 'batch_index' as const;

/**
 * The rows of a batched statement grouped by key, in the keys' order, each without its
 * BATCH_INDEX tag: what a `BatchedRead`'s `values` builds its answers from.
 */
export function rowsByKey<Row>(rows: readonly Row[], keyCount: number): Omit<Row, typeof BATCH_INDEX>[][] {
  const groups: Omit<Row, typeof BATCH_INDEX>[][] = Array.from({ length: keyCount }, () => []);
  for (const { [BATCH_INDEX]: index, ...row } of rows as (Row & { [BATCH_INDEX]: unknown })[]) groups[Number(index) - 1]!.push(row);
  return groups;
}

/** `load(keys)` answers one value per key, in the keys' order. */
export function batchedReader<Key, Value>(load: BatchLoad<Key, Value>): (key: Key) => Promise<Value> {
  let waiting: Waiting<Key, Value>[] = [];

  const run = async (batch: Waiting<Key, Value>[]) => {
    try {
      const values = await load(batch.map((entry) => entry.key));
      if (values.length !== batch.length) throw new Error(`a batched read answered ${values.length} values for ${batch.length} keys`);
      for (const [i, entry] of batch.entries()) entry.resolve(values[i]!);
    } catch (error) {
      if (batch.length === 1 || !causedByData(error)) {
        for (const entry of batch) entry.reject(error);
        return;
      }
      // Isolate the failure: each key alone, so only the one at fault fails.
      await Promise.all(batch.map((entry) => run([entry])));
    }
  };

  const runWaiting = () => {
    const turn = waiting;
    waiting = [];
    for (let start = 0; start < turn.length; start += MAX_BATCH_KEYS) void run(turn.slice(start, start + MAX_BATCH_KEYS));
  };

  return (key) =>
    new Promise<Value>((resolve, reject) => {
      if (waiting.length === 0) setImmediate(() => BATCH_SCOPE.runInAsyncScope(runWaiting));
      waiting.push({ key, resolve, reject });
    });
}

/** A data exception (22) or an integrity constraint violation (23): something one key can cause. */
function causedByData(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (code.startsWith('22') || code.startsWith('23'));
}
