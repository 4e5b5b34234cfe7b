import { describe, expect, it } from 'vitest';
import { createTurnBatcher } from '../src/index.js';

describe('the turn batcher', () => {
  it('runs what was queued in one turn together, in order, once the current code is done', async () => {
    const inThisTurn = createTurnBatcher();
    const ran: string[] = [];
    inThisTurn(() => ran.push('a'));
    inThisTurn(() => ran.push('b'));
    await Promise.resolve();
    ran.push('microtasks first');
    await new Promise<void>((resolve) => inThisTurn(resolve));
    expect(ran).toEqual(['microtasks first', 'a', 'b']);
  });

  it('runs a task queued by a task of the batch in a later batch, not never', async () => {
    const inThisTurn = createTurnBatcher();
    const ran: string[] = [];
    await new Promise<void>((resolve) => {
      inThisTurn(() => {
        ran.push('first');
        inThisTurn(() => {
          ran.push('second');
          resolve();
        });
      });
    });
    expect(ran).toEqual(['first', 'second']);
  });
});
