import type { Network, ParsedList } from './parse-list.ts';

/**
 * The entries of every enabled blocklist, built once per list change and looked up for each new
 * connection: by DNS name (the name itself or any name above it in a list: `ads.example.com`
 * is blocked by `example.com`) and by address (in any listed network).
 *
 * Sized for a million entries: names are kept in one string and an open-addressing hash table
 * of typed arrays (some 60 bytes a name, against well over 100 for a Set of strings), networks
 * as sorted disjoint ranges searched by bisection. A lookup allocates nothing. Each hit says
 * which list matched (for its hit count); where ranges of two lists overlap, the merged range
 * counts for the list that listed its start first.
 */
export class BlockSet {
  readonly #text: string;
  /**
   * Slots of three words: where the name starts in the text plus one (0: empty), its hash, and
   * its length and list (`length << 16 | list`). A lookup is bound by memory reads, not by
   * arithmetic: everything a probe needs is in one place, so a probe that meets another name
   * costs one read and a hit two (the slot, then the text to compare).
   */
  readonly #table: Int32Array;
  readonly #mask: number;
  readonly #v4: Ranges;
  readonly #v6: Ranges;

  /** `lists[i]` is list number i (what lookups return). At most 65 535 lists. */
  constructor(lists: readonly ParsedList[]) {
    if (lists.length > 0xffff) throw new RangeError('at most 65 535 lists');
    const total = lists.reduce((n, list) => n + list.names.length, 0);
    this.#text = lists.map((list) => list.names.join('')).join('');
    // Load factor at most a half: probes stay short.
    let size = 16;
    while (size < total * 2) size *= 2;
    this.#table = new Int32Array(size * SLOT);
    this.#mask = size - 1;
    let at = 0;
    lists.forEach((list, index) => {
      for (const name of list.names) {
        this.#insert(at, name.length, index);
        at += name.length;
      }
    });
    const networks = (bytes: number) =>
      lists.flatMap((list, index) =>
        list.networks.filter((net) => net.bytes.length === bytes).map((net) => ({ net, index })),
      );
    this.#v4 = Ranges.of(networks(4));
    this.#v6 = Ranges.of(networks(16));
  }

  /** The bytes of its own arrays and text (the text at one byte a character, as V8 keeps ASCII). */
  get byteSize(): number {
    return this.#text.length + this.#table.byteLength + this.#v4.byteSize + this.#v6.byteSize;
  }

  /** Names held (a name in two lists counts once). */
  get nameCount(): number {
    let n = 0;
    for (let slot = 0; slot < this.#table.length; slot += SLOT) if (this.#table[slot] !== 0) n += 1;
    return n;
  }

  /**
   * The list that blocks `name` or a name above it, or -1. `name` in lower case, no trailing
   * dot. The hash runs from the last character to the first, so one pass gives the hash of every
   * suffix: each label boundary is one probe, broadest name first (`com`, `example.com`, ...).
   */
  matchName(name: string): number {
    let h = FNV_BASIS;
    for (let i = name.length - 1; i >= 0; i--) {
      h = Math.imul(h ^ name.charCodeAt(i), FNV_PRIME);
      if (i === 0 || name.charCodeAt(i - 1) === DOT) {
        const found = this.#find(name, i, h);
        if (found >= 0) return found;
      }
    }
    return -1;
  }

  /** The list whose network holds `address` (4 or 16 bytes), or -1. */
  matchAddress(address: Uint8Array): number {
    return address.length === 4 ? this.#v4.find(address) : address.length === 16 ? this.#v6.find(address) : -1;
  }

  #insert(start: number, length: number, list: number): void {
    const table = this.#table;
    const h = hash(this.#text, start, start + length);
    let slot = h & this.#mask;
    for (;;) {
      const at = slot * SLOT;
      const held = table[at] ?? 0;
      if (held === 0) {
        table[at] = start + 1;
        table[at + 1] = h;
        table[at + 2] = (length << 16) | list;
        return;
      }
      // The same name from a later list: the first list keeps it.
      if (table[at + 1] === h && this.#holds(at, this.#text, start, length)) return;
      slot = (slot + 1) & this.#mask;
    }
  }

  /** The list of the name name[start..] (whose hash is `h`), or -1. */
  #find(name: string, start: number, h: number): number {
    const table = this.#table;
    const mask = this.#mask;
    const length = name.length - start;
    let slot = h & mask;
    for (;;) {
      const at = slot * SLOT;
      const held = table[at] ?? 0;
      if (held === 0) return -1;
      if (table[at + 1] === h && this.#holds(at, name, start, length)) return (table[at + 2] ?? 0) & 0xffff;
      slot = (slot + 1) & mask;
    }
  }

  /** Whether the slot at `at` holds text[start..start + length). */
  #holds(at: number, text: string, start: number, length: number): boolean {
    const table = this.#table;
    if ((table[at + 2] ?? 0) >>> 16 !== length) return false;
    const from = (table[at] ?? 0) - 1;
    const own = this.#text;
    for (let i = 0; i < length; i++) {
      if (own.charCodeAt(from + i) !== text.charCodeAt(start + i)) return false;
    }
    return true;
  }
}

/** Words per hash-table slot (see BlockSet's table). */
const SLOT = 3;
const FNV_BASIS = 0x811c9dc5;
const FNV_PRIME = 0x01000193;
const DOT = 0x2e;

/** FNV-1a over the UTF-16 code units of text[start..end), last to first (see matchName), as a signed 32-bit value (as the table keeps it). */
function hash(text: string, start: number, end: number): number {
  let h = FNV_BASIS;
  for (let i = end - 1; i >= start; i--) h = Math.imul(h ^ text.charCodeAt(i), FNV_PRIME);
  return h;
}

/**
 * Disjoint address ranges of one family, sorted, each with its list: the first and last address
 * as big-endian byte strings compared a word at a time (4 words for IPv6, 1 for IPv4).
 */
class Ranges {
  readonly #words: number;
  readonly #first: Uint32Array;
  readonly #last: Uint32Array;
  readonly #list: Uint16Array;
  readonly #count: number;
  /** The address being looked up, as words (reused: a lookup allocates nothing). */
  readonly #key: Uint32Array;

  private constructor(words: number, first: Uint32Array, last: Uint32Array, list: Uint16Array, count: number) {
    this.#words = words;
    this.#first = first;
    this.#last = last;
    this.#list = list;
    this.#count = count;
    this.#key = new Uint32Array(words);
  }

  static of(entries: readonly { readonly net: Network; readonly index: number }[]): Ranges {
    const words = (entries[0]?.net.bytes.length ?? 4) / 4;
    const bounds = entries.map(({ net, index }) => ({ first: wordsOf(net, false), last: wordsOf(net, true), index }));
    bounds.sort((a, b) => compare(a.first, 0, b.first, 0, words));
    const first = new Uint32Array(bounds.length * words);
    const last = new Uint32Array(bounds.length * words);
    const list = new Uint16Array(bounds.length);
    let count = 0;
    for (const range of bounds) {
      const previous = count - 1;
      // Overlapping or adjacent to the range before: one range (the earlier start's list).
      if (previous >= 0 && !follows(range.first, last, previous * words, words)) {
        if (compare(range.last, 0, last, previous * words, words) > 0) last.set(range.last, previous * words);
        continue;
      }
      first.set(range.first, count * words);
      last.set(range.last, count * words);
      list[count] = range.index;
      count += 1;
    }
    return new Ranges(words, first, last, list, count);
  }

  get byteSize(): number {
    return this.#first.byteLength + this.#last.byteLength + this.#list.byteLength;
  }

  find(address: Uint8Array): number {
    const words = this.#words;
    const key = this.#key;
    for (let w = 0; w < words; w++) {
      key[w] =
        (((address[w * 4] ?? 0) << 24) |
          ((address[w * 4 + 1] ?? 0) << 16) |
          ((address[w * 4 + 2] ?? 0) << 8) |
          (address[w * 4 + 3] ?? 0)) >>>
        0;
    }
    // The last range that starts at or before the address.
    let low = 0;
    let high = this.#count - 1;
    let found = -1;
    while (low <= high) {
      const middle = (low + high) >>> 1;
      if (compare(this.#first, middle * words, key, 0, words) <= 0) {
        found = middle;
        low = middle + 1;
      } else high = middle - 1;
    }
    if (found < 0 || compare(key, 0, this.#last, found * words, words) > 0) return -1;
    return this.#list[found] ?? -1;
  }
}

/** The first (or last) address of a network, as big-endian 32-bit words. */
function wordsOf(net: Network, last: boolean): Uint32Array {
  const words = new Uint32Array(net.bytes.length / 4);
  for (let w = 0; w < words.length; w++) {
    let value = 0;
    for (let b = 0; b < 4; b++) {
      const i = w * 4 + b;
      const fixed = Math.max(0, Math.min(8, net.prefix - i * 8));
      const hostBits = last ? 0xff >> fixed : 0;
      value = (value << 8) | ((net.bytes[i] ?? 0) | hostBits);
    }
    words[w] = value >>> 0;
  }
  return words;
}

function compare(a: Uint32Array, at: number, b: Uint32Array, bt: number, words: number): number {
  for (let w = 0; w < words; w++) {
    const x = a[at + w] ?? 0;
    const y = b[bt + w] ?? 0;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

/** Whether `first` starts after the range ending at last[at..] plus one (a gap between them). */
function follows(first: Uint32Array, last: Uint32Array, at: number, words: number): boolean {
  // last + 1, carried from the low word; an all-ones last is followed by nothing.
  const next = new Uint32Array(words);
  let carry = 1;
  for (let w = words - 1; w >= 0; w--) {
    const sum = (last[at + w] ?? 0) + carry;
    next[w] = sum >>> 0;
    carry = sum > 0xffffffff ? 1 : 0;
  }
  if (carry === 1) return false;
  return compare(first, 0, next, 0, words) > 0;
}
