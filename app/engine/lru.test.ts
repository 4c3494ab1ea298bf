import { describe, expect, it } from 'vitest';
import { evictOldest } from './lru.ts';

describe('evictOldest', () => {
  it('removes the oldest entries, leaving room below the capacity', () => {
    const map = new Map(Array.from({ length: 40 }, (_, i) => [i, i]));
    evictOldest(map, 32);
    expect(map.size).toBe(30);
    expect([...map.keys()][0]).toBe(10);
  });

  it('evicts at least one entry for tiny capacities', () => {
    const map = new Map([
      ['a', 1],
      ['b', 2],
    ]);
    evictOldest(map, 2);
    expect([...map.keys()]).toEqual(['b']);
  });
});
