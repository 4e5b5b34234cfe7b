import { describe, expect, it } from 'vitest';
import { isPoolTimeout } from '../src/orm-errors.js';
import { transientReason } from '../src/orm-startup.js';

/** knex's error when no pooled connection came free in time (its message is fixed). */
const poolTimeout = () =>
  new Error('Knex: Timeout acquiring a connection. The pool is probably full. Are you missing a .transacting(trx) call?');

describe('a pool time-out', () => {
  it("is told by knex's message, wherever it is in the chain of causes", () => {
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

describe('why start-up waits for the database', () => {
  it('names the reasons of a host with several addresses, whose AggregateError has no message of its own', () => {
    // What Node 20 gives when every address of a name (localhost: ::1 and 127.0.0.1) refused:
    // an AggregateError with an empty message and the first error's code.
    const refused = (address: string) => Object.assign(new Error(`connect ECONNREFUSED ${address}:5432`), { code: 'ECONNREFUSED' });
    const aggregate = Object.assign(new AggregateError([refused('::1'), refused('127.0.0.1')], ''), { code: 'ECONNREFUSED' });
    expect(transientReason(aggregate)).toBe('connect ECONNREFUSED ::1:5432; connect ECONNREFUSED 127.0.0.1:5432');
    // With no messages at all, the code.
    expect(transientReason(Object.assign(new AggregateError([], ''), { code: 'ECONNREFUSED' }))).toBe('ECONNREFUSED');
    expect(transientReason(Object.assign(new Error('getaddrinfo ENOTFOUND db'), { code: 'ENOTFOUND' }))).toBe('getaddrinfo ENOTFOUND db');
    expect(transientReason(Object.assign(new Error('password authentication failed'), { code: '28P01' }))).toBeUndefined();
  });
});
