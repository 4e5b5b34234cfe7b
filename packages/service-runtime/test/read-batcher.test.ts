import { AsyncLocalStorage } from 'node:async_hooks';
import { describe, expect, it } from 'vitest';
import { BATCH_INDEX, MAX_BATCH_KEYS, batchedReader, rowsByKey } from '../src/read-batcher.js';

/** A load that records each batch it was given and answers `key * 10`, refusing negative keys. */
function recordingLoad() {
  const batches: number[][] = [];
  const load = async (keys: readonly number[]) => {
    batches.push([...keys]);
    // SQLSTATE 22P02, what PostgreSQL answers a value it cannot take.
    if (keys.some((key) => key < 0)) throw Object.assign(new Error(`refused ${keys.join(',')}`), { code: '22P02' });
    return keys.map((key) => key * 10);
  };
  return { batches, load };
}

describe('reads batched per turn', () => {
  it('runs the keys asked for in one turn as one load, answering each in its order', async () => {
    const { batches, load } = recordingLoad();
    const read = batchedReader(load);
    await expect(Promise.all([read(1), read(2), read(3), read(2)])).resolves.toEqual([10, 20, 30, 20]);
    expect(batches).toEqual([[1, 2, 3, 2]]);
    // The next turn is a batch of its own.
    await expect(read(4)).resolves.toBe(40);
    expect(batches).toEqual([[1, 2, 3, 2], [4]]);
  });

  it('fails only the key at fault: a batch refused for its data is run again key by key', async () => {
    const { batches, load } = recordingLoad();
    const read = batchedReader(load);
    const outcomes = await Promise.allSettled([read(1), read(-1), read(3)]);
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(outcomes[0]).toMatchObject({ value: 10 });
    expect(outcomes[1]).toMatchObject({ reason: new Error('refused -1') });
    expect(batches).toEqual([[1, -1, 3], [1], [-1], [3]]);
  });

  it('fails the whole batch at once when the failure is not the data (no connection, say): no key-by-key storm', async () => {
    let loads = 0;
    const read = batchedReader<number, number>(async () => {
      loads += 1;
      throw Object.assign(new Error('Knex: Timeout acquiring a connection'), { code: undefined });
    });
    const outcomes = await Promise.allSettled([read(1), read(2), read(3)]);
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['rejected', 'rejected', 'rejected']);
    expect(loads).toBe(1);
  });

  it('runs a batch outside the async context of the call that came first', async () => {
    const store = new AsyncLocalStorage<string>();
    const seen: (string | undefined)[] = [];
    const read = batchedReader<number, number>(async (keys) => {
      seen.push(store.getStore());
      return [...keys];
    });
    await store.run('first caller transaction', () => Promise.all([read(1), read(2)]));
    expect(seen).toEqual([undefined]);
  });

  it('refuses a load that answers another number of values than keys, never answering a key with another value', async () => {
    const read = batchedReader<number, number>(async () => [1]);
    const outcomes = await Promise.allSettled([read(1), read(2)]);
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['rejected', 'rejected']);
    expect(outcomes[0]).toMatchObject({ reason: new Error('a batched read answered 1 values for 2 keys') });
    const none = batchedReader<number, number>(async () => []);
    await expect(none(1)).rejects.toThrow(/0 values for 1 keys/);
  });

  it(`splits a turn of more than ${MAX_BATCH_KEYS} keys`, async () => {
    const { batches, load } = recordingLoad();
    const read = batchedReader(load);
    const keys = Array.from({ length: MAX_BATCH_KEYS + 5 }, (_, i) => i);
    await expect(Promise.all(keys.map(read))).resolves.toEqual(keys.map((key) => key * 10));
    expect(batches.map((batch) => batch.length)).toEqual([MAX_BATCH_KEYS, 5]);
  });
});

describe('the rows of a batched statement', () => {
  it("are grouped by their key's position, in the keys' order, without the position tag", () => {
    const rows = [
      { [BATCH_INDEX]: '3', id: 'c1' },
      { [BATCH_INDEX]: '1', id: 'a1' },
      { [BATCH_INDEX]: '3', id: 'c2' },
    ];
    expect(rowsByKey(rows, 3)).toEqual([[{ id: 'a1' }], [], [{ id: 'c1' }, { id: 'c2' }]]);
  });
});
