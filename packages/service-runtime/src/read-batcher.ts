/**
 * Reads by key made in one turn of the event loop, run as one statement at its end.
 *
 * Under load a service takes several calls from one socket read (the callers batch their sends
 * per turn too), and each hot read is one small indexed statement. On one connection after the
 * other, every statement is a socket write that wakes a PostgreSQL backend, plus a bind and an
 * execute there: measured on `GET /projects/:id` at 32 connections, the write alone was ~18% of
 * the one-process mode's CPU samples. One statement for the turn's keys (`= any`/`unnest` of
 * arrays) pays that once per batch. The wait is the rest of the current turn (setImmediate),
 * not a timer, so a lone call waits for nothing.
 *
 * A batch the database refuses for its data (SQLSTATE class 22 or 23: a value it cannot take)
 * is run again key by key, so one such key fails only its own call, never its neighbours'. Any
 * other failure (no connection, a timeout, shutting down) fails the whole batch at once: running
 * it again key by key would only multiply the load on a database already in trouble.
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
 * A read by key that calls of one turn share (see `ServiceContext.readBatched`): one constant
 * statement for any number of keys, `?` placeholders (see `readRows`).
 */
export interface BatchedRead<Key, Value> {
  sql: string;
  /** The statement's parameters for these keys (arrays, for `unnest`). */
  params(keys: readonly Key[]): unknown[];
  /** One value per key, in the keys' order, from the statement's rows. */
  values(rows: Record<string, unknown>[], keys: readonly Key[]): Value[];
}

/**
 * The FROM item of a batched read's keys, one `?` per key array of these SQL types, in order:
 * `from ${unnestKeys('uuid', 'uuid')} with ordinality as k(project_id, user_id, i)`.
 *
 * Each array is passed through a scalar subquery, `(select ?::uuid[])`, so that PostgreSQL
 * cannot see how many keys a call brings when it plans. Seeing them (an array parameter is a
 * constant to a plan made for the call's values), it costs a plan for one key far below its
 * generic plan, costed for an unknown count, and so plans the statement afresh on every call,
 * for good: measured on the membership read, ~0.13–0.2 ms of PostgreSQL CPU per call against
 * ~0.04 ms with the plan it keeps (`pg_prepared_statements.generic_plans` stayed 0). Not seeing
 * them, every plan costs the same, and after five calls it keeps the generic one.
 */
export function unnestKeys(...types: readonly string[]): string {
  return `unnest(${types.map((type) => `(select ?::${type}[])`).join(', ')})`;
}

/**
 * The column a batched statement tags each row with: its key's position among the batch's keys,
 * from 1 (`unnest(…) with ordinality as k(…, i)`, selected as `k.i as batch_index`).
 */
export const BATCH_INDEX = 'batch_index';

/**
 * The rows of a batched statement grouped by key, in the keys' order, each without its
 * BATCH_INDEX tag: what a `BatchedRead`'s `values` builds its answers from.
 */
export function rowsByKey(rows: readonly Record<string, unknown>[], keyCount: number): Record<string, unknown>[][] {
  const groups: Record<string, unknown>[][] = Array.from({ length: keyCount }, () => []);
  for (const { [BATCH_INDEX]: index, ...row } of rows) groups[Number(index) - 1]!.push(row);
  return groups;
}

/** `load(keys)` answers one value per key, in the keys' order. */
export function batchReadsPerTurn<Key, Value>(load: BatchLoad<Key, Value>): (key: Key) => Promise<Value> {
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
