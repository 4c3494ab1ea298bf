import { describe, expect, it } from 'vitest';
import { parseIp } from '../contract/ip-address.ts';
import { BlockSet } from './block-set.ts';
import { ListTooBig, parseList, parseListInSlices } from './parse-list.ts';

const NAMES = Array.from({ length: 2_345 }, (_, i) => `host${String(i)}.example${String(i % 7)}.org`);
const TEXT = `# a list\n${NAMES.map((name, i) => (i % 3 === 0 ? `0.0.0.0 ${name}` : name)).join('\n')}\n10.0.0.0/8\nbroken line here\n2001:db8::/32\n`;

/** A pause that counts how often the work gave way. */
function countingPause(): { pause: () => Promise<void>; count: () => number } {
  let n = 0;
  return { pause: () => ((n += 1), Promise.resolve()), count: () => n };
}

describe('reading and building in slices', () => {
  it('parseListInSlices gives exactly what parseList gives, pausing once per slice of lines', async () => {
    const { pause, count } = countingPause();
    const sliced = await parseListInSlices(TEXT, pause, undefined, 100);
    expect(sliced).toEqual(parseList(TEXT));
    // 2 350 lines (the last one empty): 24 slices of 100, the last one partly filled, 23 pauses.
    expect(count()).toBe(23);
    expect(sliced.refused).toBe(1);
    expect(sliced.examples).toEqual([{ line: 2_348, text: 'broken line here' }]);
  });

  it('parseListInSlices refuses a list over the entry limit as parseList does', async () => {
    await expect(parseListInSlices(TEXT, () => Promise.resolve(), 1_000, 50)).rejects.toBeInstanceOf(ListTooBig);
  });

  it('BlockSet.build matches what the set built at once matches, pausing once per slice of names', async () => {
    const lists = [parseList(TEXT), parseList('other.example\nhost5.example5.org\n192.0.2.0/24\n')];
    const { pause, count } = countingPause();
    const sliced = await BlockSet.build(lists, pause, 500);
    const atOnce = new BlockSet(lists);
    // The names' text joined 500 at a time (5 slices for the first list, 1 for the second), the
    // table made (1), then filled 500 at a time (4 pauses for 2 347 names).
    expect(count()).toBe(5 + 1 + 1 + 4);
    expect(sliced.nameCount).toBe(atOnce.nameCount);
    for (const name of [...NAMES, 'other.example', 'a.other.example', 'example0.org', 'nope.example']) {
      expect(sliced.matchName(name)).toBe(atOnce.matchName(name));
    }
    // A name in both lists belongs to the first, as at once.
    expect(sliced.matchName('host5.example5.org')).toBe(0);
    for (const text of ['10.1.2.3', '192.0.2.9', '2001:db8::1', '203.0.113.1']) {
      const bytes = parseIp(text);
      if (bytes === null) throw new Error(text);
      expect(sliced.matchAddress(bytes)).toBe(atOnce.matchAddress(bytes));
    }
  });
});
