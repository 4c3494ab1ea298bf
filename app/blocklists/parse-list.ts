import { parseIp } from '../contract/ip-address.ts';

/**
 * Reads a blocklist's text: hosts files (`0.0.0.0 name`, `127.0.0.1 name`, `:: name`, several
 * names per line), plain domain lists (one name a line, `*.` or a leading dot allowed) and
 * address lists (an IPv4 or IPv6 address or CIDR a line), mixed freely. `#` and `!` start
 * comments. A line that is none of these is counted and a few are kept as examples, so that a
 * broken list can be told apart from a list with a few odd lines; the caller decides what to do
 * with it (a list with nothing usable is refused and the old version stays).
 */

/** The most entries one list may have (names and networks together). */
export const MAX_LIST_ENTRIES = 2_000_000;
/** The longest text read (a list is fetched or read into memory once). */
export const MAX_LIST_CHARS = 128 * 1024 * 1024;
/** How many refused lines are kept as examples. */
const EXAMPLES = 5;

/** An address range: `bytes` (4 or 16) with the first `prefix` bits fixed. */
export interface Network {
  readonly bytes: Uint8Array;
  readonly prefix: number;
}

export interface ParsedList {
  /** Lower-case DNS names, without a trailing dot; each blocks itself and every name under it. */
  readonly names: readonly string[];
  readonly networks: readonly Network[];
  /** Lines that were neither a comment nor an entry. */
  readonly refused: number;
  /** A few of them, with their line numbers, for the error message. */
  readonly examples: readonly { readonly line: number; readonly text: string }[];
}

export class ListTooBig extends Error {
  constructor(what: string) {
    super(`the list has ${what}`);
    this.name = 'ListTooBig';
  }
}

/** What hosts files point names at: these are the "block" addresses, not entries of their own. */
const SINK_ADDRESSES = new Set(['0.0.0.0', '127.0.0.1', '::', '::1', '0:0:0:0:0:0:0:0']);
/** Names hosts files carry for the machine itself: never entries. */
const LOCAL_NAMES = new Set([
  'localhost',
  'localhost.localdomain',
  'local',
  'broadcasthost',
  'ip6-localhost',
  'ip6-loopback',
  'ip6-localnet',
  'ip6-mcastprefix',
  'ip6-allnodes',
  'ip6-allrouters',
  'ip6-allhosts',
  '0.0.0.0',
]);
/** A DNS name: labels of letters, digits, hyphens and underscores, at most 253 characters. */
const NAME = /^(?=.{1,253}$)([a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?)(\.[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?)*$/;

/** A name as an entry, or null: lower case, `*.`/leading dot and trailing dot dropped. */
function nameEntry(word: string): string | null {
  const name = word
    .toLowerCase()
    .replace(/^\*?\./, '')
    .replace(/\.$/, '');
  if (!NAME.test(name) || LOCAL_NAMES.has(name)) return null;
  // A bare address is an address entry, not a name (hosts files never list one as a name).
  if (parseIp(name) !== null) return null;
  return name;
}

/** An address or CIDR as a network, or null. */
function networkEntry(word: string): Network | null {
  const slash = word.indexOf('/');
  const address = slash < 0 ? word : word.slice(0, slash);
  let bytes = parseIp(address);
  if (bytes === null) return null;
  // An IPv4-mapped IPv6 address comes back as IPv4 (as connections are matched), but its
  // prefix counts IPv6 bits: /120 of ::ffff:192.0.2.0 is 192.0.2.0/24.
  const mapped = bytes.length === 4 && address.includes(':');
  const bits = mapped ? 128 : bytes.length * 8;
  let prefix = bits;
  if (slash >= 0) {
    const text = word.slice(slash + 1);
    if (!/^\d{1,3}$/.test(text)) return null;
    prefix = Number(text);
    if (prefix > bits) return null;
  }
  if (mapped && prefix >= 96) prefix -= 96;
  // Wider than the mapped range: the IPv6 network it is.
  else if (mapped) bytes = Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, ...bytes);
  // The host bits of a CIDR are cleared: 10.1.2.3/8 is 10.0.0.0/8.
  const masked = new Uint8Array(bytes);
  for (let i = 0; i < masked.length; i++) {
    const keep = Math.max(0, Math.min(8, prefix - i * 8));
    masked[i] = (masked[i] ?? 0) & ((0xff << (8 - keep)) & 0xff);
  }
  return { bytes: masked, prefix };
}

/**
 * Gives way to the rest of the program for a moment (the host passes one that waits for the
 * event loop's next turn); pure code takes it as an argument and keeps no timers of its own.
 */
export type Pause = () => Promise<void>;

/** Lines read between two pauses of parseListInSlices: some milliseconds of work. */
export const LINES_PER_SLICE = 10_000;

export function parseList(text: string, maxEntries = MAX_LIST_ENTRIES): ParsedList {
  const parser = new ListParser(text, maxEntries);
  while (!parser.read(Number.POSITIVE_INFINITY));
  return parser.result();
}

/**
 * parseList in slices of `linesPerSlice` lines with a `pause` between them, so that a list of a
 * million names (a second and more of work) does not keep the engine from deciding connections
 * meanwhile. The same result, the same errors.
 */
export async function parseListInSlices(
  text: string,
  pause: Pause,
  maxEntries = MAX_LIST_ENTRIES,
  linesPerSlice = LINES_PER_SLICE,
): Promise<ParsedList> {
  const parser = new ListParser(text, maxEntries);
  while (!parser.read(linesPerSlice)) await pause();
  return parser.result();
}

/** The reading of one list's text, a number of lines at a time. */
class ListParser {
  readonly #text: string;
  readonly #maxEntries: number;
  readonly #names: string[] = [];
  readonly #networks: Network[] = [];
  readonly #examples: { line: number; text: string }[] = [];
  #refused = 0;
  #lineNumber = 0;
  #start = 0;

  constructor(text: string, maxEntries: number) {
    if (text.length > MAX_LIST_CHARS) throw new ListTooBig(`more than ${String(MAX_LIST_CHARS)} characters`);
    this.#text = text;
    this.#maxEntries = maxEntries;
  }

  result(): ParsedList {
    return { names: this.#names, networks: this.#networks, refused: this.#refused, examples: this.#examples };
  }

  /** Reads up to `lines` more lines; whether the text is done. Throws ListTooBig. */
  read(lines: number): boolean {
    const text = this.#text;
    const names = this.#names;
    const networks = this.#networks;
    for (let n = 0; n < lines; n++) {
      if (this.#start > text.length) return true;
      let end = text.indexOf('\n', this.#start);
      if (end < 0) end = text.length;
      this.#lineNumber += 1;
      const raw = text.slice(this.#start, end);
      this.#start = end + 1;
      const hash = raw.search(/[#!]/);
      const line = (hash < 0 ? raw : raw.slice(0, hash)).trim();
      if (line === '') continue;
      const words = line.split(/\s+/);
      const first = words[0] ?? '';
      if (words.length > 1) {
        // A hosts line: a sink address, then names.
        if (!SINK_ADDRESSES.has(first)) {
          this.#refuse(raw);
          continue;
        }
        for (const word of words.slice(1)) {
          const name = nameEntry(word);
          if (name !== null) names.push(name);
          else if (!LOCAL_NAMES.has(word.toLowerCase())) this.#refuse(raw);
        }
        this.#count();
        continue;
      }
      const network = networkEntry(first);
      if (network !== null) networks.push(network);
      else {
        const name = nameEntry(first);
        if (name !== null) names.push(name);
        else if (!LOCAL_NAMES.has(first.toLowerCase())) this.#refuse(raw);
      }
      this.#count();
    }
    return this.#start > text.length;
  }

  #refuse(line: string): void {
    this.#refused += 1;
    if (this.#examples.length < EXAMPLES) this.#examples.push({ line: this.#lineNumber, text: line.slice(0, 120) });
  }

  #count(): void {
    if (this.#names.length + this.#networks.length > this.#maxEntries) {
      throw new ListTooBig(`more than ${String(this.#maxEntries)} entries`);
    }
  }
}
