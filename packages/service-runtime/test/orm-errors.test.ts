import { describe, expect, it } from 'vitest';
import { isPoolTimeout } from '../src/orm-errors.js';

/** knex's error when no pooled connection came free in time (its message is fixed). */
const poolTimeout = () => new Error('Knex: Timeout acquiring a connection. The pool is probably full. Are you missing a .transacting(trx) call?');

describe('a pool time-out', () => {
  it('is told by knex\'s message, wherever it is in the chain of causes', () => {
    expect(isPoolTimeout(poolTimeout())).toBe(true);
    // Wrapped once (a transport error, a TRPCError) or twice: still the pool's time-out.
    expect(isPoolTimeout(new Error('the call failed', { cause: poolTimeout() }))).toBe(true);
    expect(isPoolTimeout(new Error('outer', { cause: new Error('inner', { cause: poolTimeout() }) }))).toBe(true);
    expect(isPoolTimeout(new Error('connect ECONNREFUSED', { cause: new Error('something else') }))).toBe(false);
    expect(isPoolTimeout('Knex: Timeout acquiring a connection')).toBe(false);
    // A cause that leads back to itself ends the search.
    const loop = new Error('loop');
    loop.cause = loop;
    expect(isPoolTimeout(loop)).toBe(false);
  });
});
