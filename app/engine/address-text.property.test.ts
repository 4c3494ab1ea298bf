import { describe, expect, it } from 'vitest';
import { formatIp } from '../contract/ip-address.ts';
import { type Destination, destinationSchema } from '../contract/rules.ts';
import { compileRule } from './compiled-rule.ts';
import { Random } from './random.ts';
import { matchesRule } from './rule-matcher.ts';
import { makeFacts, makeRule } from './testing.ts';

/**
 * The rule schema and the engine agree on address text: every RFC 4291 / dotted-quad spelling
 * of an address or network validates, compiles, and matches exactly the connections a bitwise
 * reference says it should; the spellings the schema refuses (zones, leading zeros, ...) the
 * engine cannot compile either. The texts are built here from bytes, without the parser under
 * test. Seeded; ZF_TEST_SEED=<seed> repeats a run.
 */
const SEED = Number(process.env['ZF_TEST_SEED'] ?? Math.floor(Math.random() * 2 ** 32));
console.log(`address text property test: seed ${SEED} (ZF_TEST_SEED=${SEED} repeats it)`);

const OPTIONS = { caseInsensitivePaths: false };
const RUNS = 3000;

/** 16 bytes from 8 groups. */
function fromGroups(groups: readonly number[]): Uint8Array {
  return Uint8Array.from(groups.flatMap((g) => [g >> 8, g & 0xff]));
}
const MAPPED_PREFIX = [0, 0, 0, 0, 0, 0xffff];
const BASES: readonly Uint8Array[] = [
  Uint8Array.of(10, 0, 0, 0),
  Uint8Array.of(192, 0, 2, 1),
  Uint8Array.of(0, 0, 0, 0),
  Uint8Array.of(255, 255, 255, 255),
  fromGroups([0x2001, 0xdb8, 0, 0, 0, 0, 0, 1]),
  fromGroups([0xfe80, 0, 0, 0, 0, 0, 0, 1]),
  fromGroups([0, 0, 0, 0, 0, 0, 0, 0]),
  fromGroups([0, 0, 0, 0, 0, 0, 0, 1]),
  fromGroups([...MAPPED_PREFIX, 0xc000, 0x201]),
  fromGroups([0, 0, 0, 0, 0, 0xfffe, 0, 0]),
  fromGroups([0x64, 0xff9b, 0, 0, 0, 0, 0xc000, 0x201]),
  fromGroups([0xffff, 0xffff, 0xffff, 0xffff, 0xffff, 0xffff, 0xffff, 0xffff]),
];

const isMapped = (b: Uint8Array): boolean =>
  b.length === 16 && b.subarray(0, 10).every((x) => x === 0) && b[10] === 0xff && b[11] === 0xff;
/** How the engine sees a connection's address: IPv4-mapped IPv6 is IPv4 (ip-address.ts). */
const engineView = (b: Uint8Array): Uint8Array => (isMapped(b) ? b.slice(12) : b);

/** A base with every bit from a random position on randomized (sometimes fresh random bytes). */
function nearAddress(random: Random, base = random.pick(BASES)): Uint8Array {
  const from = random.next() < 0.1 ? 0 : random.int(base.length * 8 + 1);
  const out = base.slice();
  for (let bit = from; bit < out.length * 8; bit++) {
    const flag = 0x80 >> (bit & 7);
    const byte = bit >> 3;
    out[byte] = random.next() < 0.5 ? (out[byte] ?? 0) | flag : (out[byte] ?? 0) & ~flag;
  }
  return out;
}

function hexGroup(value: number, random: Random): string {
  const digits = value.toString(16);
  const padded = digits.padStart(digits.length + random.int(5 - digits.length), '0');
  return random.next() < 0.3 ? padded.toUpperCase() : padded;
}

const dotted = (b: Uint8Array): string => `${b[0]}.${b[1]}.${b[2]}.${b[3]}`;

/** One RFC 4291 spelling of 16 bytes: any case and padding, any zero run as '::', maybe an IPv4 tail. */
function ipv6Text(bytes: Uint8Array, random: Random): string {
  const groups = Array.from({ length: 8 }, (_, i) => ((bytes[2 * i] ?? 0) << 8) | (bytes[2 * i + 1] ?? 0));
  const ipv4Tail = random.next() < 0.3;
  const hexCount = ipv4Tail ? 6 : 8;
  const items = groups.slice(0, hexCount).map((g) => hexGroup(g, random));
  const tail = ipv4Tail ? [dotted(bytes.subarray(12))] : [];
  const runs: [number, number][] = [];
  for (let i = 0; i < hexCount; i++) {
    for (let j = i + 1; j <= hexCount && groups[j - 1] === 0; j++) runs.push([i, j]);
  }
  if (runs.length === 0 || random.next() < 0.25) return [...items, ...tail].join(':');
  const [i, j] = random.pick(runs);
  return `${items.slice(0, i).join(':')}::${[...items.slice(j), ...tail].join(':')}`;
}

/** One valid spelling of an address: 4 bytes as a dotted quad or IPv4-mapped IPv6. */
function addressText(bytes: Uint8Array, random: Random): string {
  if (bytes.length === 16) return ipv6Text(bytes, random);
  return random.next() < 0.7 ? dotted(bytes) : ipv6Text(mappedOf(bytes), random);
}

/** `::ffff:a.b.c.d` as 16 bytes. */
function mappedOf(ipv4: Uint8Array): Uint8Array {
  const mapped = fromGroups([...MAPPED_PREFIX, 0, 0]);
  mapped.set(ipv4, 12);
  return mapped;
}

/** Reference: `address` (as the engine sees it) lies in the network of `bytes`/`prefix` bits. */
function inReference(address: Uint8Array, bytes: Uint8Array, prefix: number): boolean {
  if (address.length !== bytes.length) return false;
  for (let bit = 0; bit < prefix; bit++) {
    const mask = 0x80 >> (bit & 7);
    if (((address[bit >> 3] ?? 0) & mask) !== ((bytes[bit >> 3] ?? 0) & mask)) return false;
  }
  return true;
}

function compile(destination: Destination) {
  return compileRule(makeRule({ id: 'r', destination }), OPTIONS);
}

/** Facts of a connection to `raw` as the engine builds them (canonical text, mapped as IPv4). */
function factsFor(raw: Uint8Array) {
  const bytes = engineView(raw);
  return makeFacts({ remoteIp: formatIp(bytes), remoteBytes: bytes });
}

describe('address text: the schema and the engine agree', () => {
  it('every spelling of an address validates, compiles and matches that address only', () => {
    const random = new Random(SEED);
    for (let run = 0; run < RUNS; run++) {
      const raw = nearAddress(random);
      const text = addressText(raw, random);
      const destination: Destination = { kind: 'ip', address: text };
      const parsed = destinationSchema.safeParse(destination);
      expect(parsed.success, `${text} (seed ${SEED})`).toBe(true);
      const compiled = compile(destination);
      expect(compiled, `${text} (seed ${SEED})`).not.toBeNull();
      if (compiled === null) continue;
      expect(matchesRule(compiled, factsFor(raw), 0), `${text} matches itself (seed ${SEED})`).toBe(true);
      const other = nearAddress(random, raw);
      const same = inReference(engineView(other), engineView(raw), engineView(raw).length * 8);
      expect(matchesRule(compiled, factsFor(other), 0), `${text} vs ${formatIp(other)} (seed ${SEED})`).toBe(same);
    }
  });

  it('every spelling of a network validates, compiles and matches what a bitwise reference says', () => {
    const random = new Random(SEED + 1);
    for (let run = 0; run < RUNS; run++) {
      const raw = nearAddress(random);
      const bits = raw.length * 8;
      const prefix = random.next() < 0.2 ? random.pick([0, bits, 95, 96, 97]) % (bits + 1) : random.int(bits + 1);
      let text = `${raw.length === 4 ? dotted(raw) : ipv6Text(raw, random)}/${prefix}`;
      let [refBytes, refPrefix] = [raw, prefix];
      // An IPv4 network spelled as IPv4-mapped IPv6: /96 plus its prefix.
      if (raw.length === 4 && random.next() < 0.3) text = `${ipv6Text(mappedOf(raw), random)}/${96 + prefix}`;
      // A mapped network of /96 or more is the IPv4 network it maps; shorter ones stay IPv6.
      if (isMapped(raw) && prefix >= 96) [refBytes, refPrefix] = [raw.slice(12), prefix - 96];
      const destination: Destination = { kind: 'cidr', cidr: text };
      expect(destinationSchema.safeParse(destination).success, `${text} (seed ${SEED})`).toBe(true);
      const compiled = compile(destination);
      expect(compiled, `${text} (seed ${SEED})`).not.toBeNull();
      if (compiled === null) continue;
      for (let probe = 0; probe < 4; probe++) {
        const address = probe === 0 ? raw : nearAddress(random, random.next() < 0.8 ? raw : random.pick(BASES));
        const expected = inReference(engineView(address), refBytes, refPrefix);
        expect(matchesRule(compiled, factsFor(address), 0), `${text} vs ${formatIp(address)} (seed ${SEED})`).toBe(
          expected,
        );
      }
    }
  });

  it('what the schema refuses the engine cannot compile, and the other way round', () => {
    const random = new Random(SEED + 2);
    const alphabet = '0123456789abcdefABCDEF.:%/-x ';
    for (let run = 0; run < RUNS * 5; run++) {
      // Valid texts with a damage, and short random strings.
      const raw = nearAddress(random);
      const valid = random.next() < 0.5 ? addressText(raw, random) : `${addressText(raw, random)}/${random.int(33)}`;
      const damaged =
        random.next() < 0.5
          ? random.pick([
              `${valid}%eth0`,
              `${valid}%`,
              `${valid}%%%`,
              valid.replace('/', '/0'),
              valid.replace('/', '/+'),
              `0${valid}`,
              `${valid}:`,
              `:${valid}`,
              `${valid} `,
            ])
          : Array.from({ length: 1 + random.int(12) }, () => alphabet[random.int(alphabet.length)]).join('');
      for (const destination of [
        { kind: 'ip', address: damaged },
        { kind: 'cidr', cidr: damaged },
      ] as const) {
        const accepted = destinationSchema.safeParse(destination).success;
        expect(compile(destination) !== null, `${JSON.stringify(destination)} (seed ${SEED})`).toBe(accepted);
        if (damaged.includes('%')) expect(accepted, `${damaged} has a zone`).toBe(false);
      }
    }
  });
});
