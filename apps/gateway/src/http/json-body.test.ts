import { describe, expect, it } from 'vitest';
import { nestsDeeperThan } from './json-body.js';

describe('nestsDeeperThan', () => {
  it('counts objects and arrays alike', () => {
    expect(nestsDeeperThan('{"a":[{"b":[]}]}', 4)).toBe(false);
    expect(nestsDeeperThan('{"a":[{"b":[]}]}', 3)).toBe(true);
    expect(nestsDeeperThan('[]'.repeat(1000), 1)).toBe(false);
  });

  it('ignores brackets in strings, escaped quotes and backslashes included', () => {
    expect(nestsDeeperThan(JSON.stringify({ a: '[[[[{{{{' }), 1)).toBe(false);
    expect(nestsDeeperThan(JSON.stringify({ a: 'say \\"[[[["' }), 1)).toBe(false);
    // The string ends after an escaped backslash, so the brackets that follow are structure.
    expect(nestsDeeperThan(`{"a":"x\\\\","b":[[[1]]]}`, 3)).toBe(true);
  });
});
