import type { Network, ParsedList, Pause } from './parse-list.ts';

/** Names put in the table between two pauses of BlockSet.build: some milliseconds of work. */
export const NAMES_PER_SLICE = 50_000;

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

  /**
   * `lists[i]` is list number i (what lookups return). At most 65 535 lists. `names`: the name
   * table BlockSet.build filled in slices; without it, it is filled here, at once.
   */
  constructor(lists: readonly ParsedList[], names?: NameTable) {
    if (lists.length > 0xffff) throw new RangeError('at most 65 535 lists');
    const table = names ?? NameTable.empty(lists);
    if (names === undefined) drain(table.fill(lists, Number.POSITIVE_INFINITY));
    this.#text = table.text;
    this.#table = table.slots;
    this.#mask = table.mask;
    const networks = (bytes: number) =>
      lists.flatMap((list, index) =>
        list.networks.filter((net) => net.bytes.length === bytes).map((net) => ({ net, index })),
      );
    this.#v4 = Ranges.of(networks(4));
    this.#v6 = Ranges.of(networks(16));
  }

  /**
   * The set of `lists`, its names put in the table `namesPerSlice` at a time with a `pause`
   * between slices: a million names take a second and more, during which the engine must keep
   * deciding connections. The networks (far fewer, one sort) are done at once.
   */
  static async build(lists: readonly ParsedList[], pause: Pause, namesPerSlice = NAMES_PER_SLICE): Promise<BlockSet> {
    if (lists.length > 0xffff) throw new RangeError('at most 65 535 lists');
    // The names' text too, a slice at a time (joining a million names at once took 0.17 s).
    const parts: string[] = [];
    for (const list of lists) {
      for (let at = 0; at < list.names.length; at += namesPerSlice) {
        parts.push(list.names.slice(at, at + namesPerSlice).join(''));
        await pause();
      }
    }
    const table = NameTable.empty(lists, parts.join(''));
    await pause();
    const slices = table.fill(lists, namesPerSlice);
    while (!slices.next().done) await pause();
    return new BlockSet(lists, table);
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
      if (table[at + 1] === h && sameText(table, at, this.#text, name, start, length))
        return (table[at + 2] ?? 0) & 0xffff;
      slot = (slot + 1) & mask;
    }
  }
}

/** The names of a BlockSet being built: their text and the open-addressing table (see BlockSet). */
class NameTable {
  readonly text: string;
  readonly slots: Int32Array;
  readonly mask: number;

  private constructor(text: string, slots: Int32Array, mask: number) {
    this.text = text;
    this.slots = slots;
    this.mask = mask;
  }

  /** `text`: every name of every list, in order, joined (made here when not given). */
  static empty(lists: readonly ParsedList[], text?: string): NameTable {
    const total = lists.reduce((n, list) => n + list.names.length, 0);
    // Load factor at most a half: probes stay short.
    let size = 16;
    while (size < total * 2) size *= 2;
    const names = text ?? lists.map((list) => list.names.join('')).join('');
    return new NameTable(names, new Int32Array(size * SLOT), size - 1);
  }

  /** Puts every name in, yielding after each `perSlice` names (a generator: the caller pauses). */
  *fill(lists: readonly ParsedList[], perSlice: number): Generator<void> {
    let at = 0;
    let inSlice = 0;
    for (let index = 0; index < lists.length; index++) {
      for (const name of lists[index]?.names ?? []) {
        this.#insert(at, name.length, index);
        at += name.length;
        if (++inSlice >= perSlice) {
          inSlice = 0;
          yield;
        }
      }
    }
  }

  #insert(start: number, length: number, list: number): void {
    const table = this.slots;
    const text = this.text;
    const h = hash(text, start, start + length);
    let slot = h & this.mask;
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
      if (table[at + 1] === h && sameText(table, at, text, text, start, length)) return;
      slot = (slot + 1) & this.mask;
    }
  }
}

/** Runs a generator to its end. */
function drain(steps: Generator<void>): void {
  while (!steps.next().done);
}

/** Whether the slot at `at` of `table` (over `own`) holds text[start..start + length). */
function sameText(table: Int32Array, at: number, own: string, text: string, start: number, length: number): boolean {
  if ((table[at + 2] ?? 0) >>> 16 !== length) return false;
  const from = (table[at] ?? 0) - 1;
  for (let i = 0; i < length; i++) {
    if (own.charCodeAt(from + i) !== text.charCodeAt(start + i)) return false;
  }
  return true;
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
    const n = entries.length;
    // Every bound in two flat arrays (no small array per network: 100 000 networks took 0.46 s
    // that way), then the networks' order by first address, earlier entries first on a tie.
    const starts = new Uint32Array(n * words);
    const ends = new Uint32Array(n * words);
    entries.forEach(({ net }, i) => {
      wordsInto(net, false, starts, i * words);
      wordsInto(net, true, ends, i * words);
    });
    const order = sortedOrder(starts, words, n);
    const first = new Uint32Array(n * words);
    const last = new Uint32Array(n * words);
    const list = new Uint16Array(n);
    const scratch = new Uint32Array(words);
    let count = 0;
    for (let k = 0; k < n; k++) {
      const i = order[k] ?? 0;
      const previous = count - 1;
      // Overlapping or adjacent to the range before: one range (the earlier start's list).
      if (previous >= 0 && !follows(starts, i * words, last, previous * words, words, scratch)) {
        if (compare(ends, i * words, last, previous * words, words) > 0) {
          last.set(ends.subarray(i * words, (i + 1) * words), previous * words);
        }
        continue;
      }
      first.set(starts.subarray(i * words, (i + 1) * words), count * words);
      last.set(ends.subarray(i * words, (i + 1) * words), count * words);
      list[count] = entries[i]?.index ?? 0;
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

/** Writes the first (or last) address of a network, as big-endian 32-bit words, to out[at..]. */
function wordsInto(net: Network, last: boolean, out: Uint32Array, at: number): void {
  const words = net.bytes.length / 4;
  for (let w = 0; w < words; w++) {
    let value = 0;
    for (let b = 0; b < 4; b++) {
      const i = w * 4 + b;
      const fixed = Math.max(0, Math.min(8, net.prefix - i * 8));
      const hostBits = last ? 0xff >> fixed : 0;
      value = (value << 8) | ((net.bytes[i] ?? 0) | hostBits);
    }
    out[at + w] = value >>> 0;
  }
}

/** Positions whose index part fits beside a 32-bit address in a double's 53 bits. */
const INDEX_BITS = 21;

/**
 * The entries' indices ordered by their first address (`words` words each in `starts`), a tie
 * by index (the earlier list, then the earlier line, first). IPv4: one native numeric sort of
 * `address * 2^21 + index`; IPv6 (words 4; lists hold few) a comparison sort of the indices.
 */
function sortedOrder(starts: Uint32Array, words: number, n: number): Uint32Array {
  if (words === 1 && n < 2 ** INDEX_BITS) {
    const keys = new Float64Array(n);
    for (let i = 0; i < n; i++) keys[i] = (starts[i] ?? 0) * 2 ** INDEX_BITS + i;
    keys.sort();
    const order = new Uint32Array(n);
    for (let k = 0; k < n; k++) order[k] = (keys[k] ?? 0) % 2 ** INDEX_BITS;
    return order;
  }
  const indices = Array.from({ length: n }, (_, i) => i);
  indices.sort((a, b) => compare(starts, a * words, starts, b * words, words) || a - b);
  return Uint32Array.from(indices);
}

function compare(a: Uint32Array, at: number, b: Uint32Array, bt: number, words: number): number {
  for (let w = 0; w < words; w++) {
    const x = a[at + w] ?? 0;
    const y = b[bt + w] ?? 0;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

/**
 * Whether the range starting at first[ft..] starts after the one ending at last[at..] plus one (a
 * gap between them). `next` is scratch space of `words` words (a lookup-free build allocates none).
 */
function follows(
  first: Uint32Array,
  ft: number,
  last: Uint32Array,
  at: number,
  words: number,
  next: Uint32Array,
): boolean {
  // last + 1, carried from the low word; an all-ones last is followed by nothing.
  let carry = 1;
  for (let w = words - 1; w >= 0; w--) {
    const sum = (last[at + w] ?? 0) + carry;
    next[w] = sum >>> 0;
    carry = sum > 0xffffffff ? 1 : 0;
  }
  if (carry === 1) return false;
  return compare(first, ft, next, 0, words) > 0;
}
