import { describe, expect, it } from 'vitest';
import { ifMatchOf, noneMatchHit } from './conditional.js';

describe('If-Match (strong comparison)', () => {
  it('is absent, *, or the versions its strong tags name', () => {
    expect(ifMatchOf(undefined)).toBeUndefined();
    expect(ifMatchOf('*')).toBe('*');
    expect(ifMatchOf(' * ')).toBe('*');
    expect(ifMatchOf('"3"')).toEqual([3]);
    expect(ifMatchOf('"3", "4" ,"3"')).toEqual([3, 4]);
    // Several header lines are one list.
    expect(ifMatchOf(['"3"', '"5"'])).toEqual([3, 5]);
    // Empty list elements are allowed.
    expect(ifMatchOf('"3", , "4",')).toEqual([3, 4]);
  });

  it('lets weak tags and tags that are no version of ours match nothing', () => {
    expect(ifMatchOf('W/"3"')).toEqual([]);
    expect(ifMatchOf('"abc", "0", "03", "-1", ""')).toEqual([]);
    expect(ifMatchOf('W/"3", "7"')).toEqual([7]);
  });

  it('refuses what is not a list of entity-tags, or too long a list', () => {
    for (const value of ['3', '"3" "4"', '"3', 'W/3', '*, "3"', '']) {
      expect(() => ifMatchOf(value), value).toThrow(/If-Match/);
    }
    expect(() => ifMatchOf(Array.from({ length: 33 }, (_, i) => `"${i + 1}"`).join(','))).toThrow(/at most 32/);
  });
});

describe('If-None-Match (weak comparison)', () => {
  it('hits the current version, by any tag of the list, weak or strong, and * hits anything', () => {
    expect(noneMatchHit(undefined, 1)).toBe(false);
    expect(noneMatchHit('"1"', 1)).toBe(true);
    expect(noneMatchHit('W/"1"', 1)).toBe(true);
    expect(noneMatchHit('"2", "1"', 1)).toBe(true);
    expect(noneMatchHit('"2"', 1)).toBe(false);
    expect(noneMatchHit('*', 1)).toBe(true);
    // Not a list of entity-tags: no hit (the read answers as without it).
    expect(noneMatchHit('1', 1)).toBe(false);
  });
});
