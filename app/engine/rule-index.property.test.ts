import { describe, expect, it } from 'vitest';
import { formatIp, parseIp } from '../contract/ip-address.ts';
import type { Rule } from '../contract/rules.ts';
import { type CompiledRule, compileRule } from './compiled-rule.ts';
import { comparePrecedence } from './precedence.ts';
import { Random } from './random.ts';
import { RuleIndex } from './rule-index.ts';
import { type ConnectionFacts, matchesRule } from './rule-matcher.ts';
import { makeFacts, makeRule } from './testing.ts';

// Seeded; a failure names its seed, and ZF_TEST_SEED=<seed> repeats the run.
const SEED = Number(process.env['ZF_TEST_SEED'] ?? Math.floor(Math.random() * 2 ** 32));
console.log(`rule-index address property test: seed ${SEED} (ZF_TEST_SEED=${SEED} repeats it)`);

const APPS = ['/usr/bin/curl', '/usr/bin/firefox'];
/** Addresses the random ones are made near, so that networks of every length contain some. */
const BASES = [
  '10.0.0.0',
  '10.1.2.3',
  '192.168.1.5',
  '127.0.0.1',
  '93.184.216.34',
  '0.0.0.0',
  '255.255.255.255',
  '172.16.5.4',
  '169.254.1.1',
  '224.0.0.5',
  '100.64.0.1',
  '2001:db8::1',
  '2001:db8:1::7',
  'fe80::2',
  '::1',
  '::',
  'fc00::5',
  'ff02::1',
  'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff',
].map((text) => parseIp(text) as Uint8Array);
const OPTIONS = { caseInsensitivePaths: false };

/** A base address with every bit from a random position on randomized (sometimes a fresh one). */
function nearAddress(random: Random): Uint8Array {
  const base = random.next() < 0.1 ? randomBytes(random, random.next() < 0.5 ? 4 : 16) : random.pick(BASES);
  const out = base.slice();
  const from = random.int(out.length * 8 + 1);
  for (let bit = from; bit < out.length * 8; bit++) {
    const byte = bit >> 3;
    const flag = 0x80 >> (bit & 7);
    out[byte] = random.next() < 0.5 ? (out[byte] ?? 0) | flag : (out[byte] ?? 0) & ~flag;
  }
  return out;
}

function randomBytes(random: Random, width: number): Uint8Array {
  return Uint8Array.from({ length: width }, () => random.int(256));
}

function randomPrefix(random: Random, bits: number): number {
  const r = random.next();
  if (r < 0.1) return 0;
  if (r < 0.25) return bits;
  return random.int(bits + 1);
}

/** A cidr text: host bits often set (they are masked off), IPv4 sometimes in its IPv6-mapped form. */
function randomCidr(random: Random): string {
  const address = nearAddress(random);
  const prefix = randomPrefix(random, address.length * 8);
  if (address.length === 4 && random.next() < 0.1) return `::ffff:${formatIp(address)}/${96 + prefix}`;
  return `${formatIp(address)}/${prefix}`;
}

function randomDestination(random: Random): Rule['destination'] {
  const r = random.next();
  if (r < 0.6) return { kind: 'cidr', cidr: randomCidr(random) };
  if (r < 0.75) return { kind: 'ip', address: formatIp(nearAddress(random)) };
  if (r < 0.85) return { kind: 'lan' };
  if (r < 0.93) return { kind: 'localhost' };
  return { kind: 'any' };
}

function randomRule(random: Random, i: number): Rule {
  const ports: Rule['port'][] = [
    { kind: 'any' },
    { kind: 'port', port: random.pick([53, 80, 443]) },
    { kind: 'range', from: random.pick([0, 50, 400]), to: random.pick([443, 1000, 65535]) },
  ];
  return makeRule({
    id: `r${i}`,
    app: random.next() < 0.7 ? { kind: 'any' } : { kind: 'path', path: random.pick(APPS) },
    destination: randomDestination(random),
    port: random.pick(ports),
    protocol: random.pick(['any', 6, 17] as const),
    direction: random.pick(['any', 'outbound', 'inbound'] as const),
    action: random.pick(['allow', 'block', 'drop'] as const),
    enabled: random.next() < 0.9,
    expiresAt: random.next() < 0.1 ? 50 : null,
    updatedAt: random.int(5),
  });
}

function randomFacts(random: Random): ConnectionFacts {
  const address = nearAddress(random);
  return makeFacts({
    appKey: random.next() < 0.1 ? '' : random.pick(APPS),
    remoteIp: formatIp(address),
    remoteBytes: address,
    remotePort: random.pick([53, 80, 443, 8080]),
    protocol: random.pick([6, 17]),
    direction: random.pick(['outbound', 'inbound'] as const),
  });
}

/** The reference: scan every rule and sort the matches by precedence. */
function linearBest(rules: readonly CompiledRule[], facts: ConnectionFacts, now: number): string | undefined {
  return rules
    .filter((c) => matchesRule(c, facts, now))
    .sort((a, b) => comparePrecedence(a.rule, b.rule))
    .at(0)?.rule.id;
}

describe('RuleIndex over address rules', () => {
  it('picks the same rule as a brute-force scan, over random cidr/ip/lan/localhost/any rule sets', () => {
    const random = new Random(SEED);
    let matched = 0;
    for (let round = 0; round < 300; round++) {
      const compiled = Array.from({ length: 1 + random.int(random.next() < 0.2 ? 400 : 40) }, (_, i) =>
        compileRule(randomRule(random, i), OPTIONS),
      ).filter((c) => c !== null);
      const index = new RuleIndex(compiled);
      for (let j = 0; j < 60; j++) {
        const facts = randomFacts(random);
        const now = random.pick([0, 100]);
        const expected = linearBest(compiled, facts, now);
        if (expected !== undefined) matched++;
        expect(index.bestMatch(facts, now)?.rule.id, `seed ${SEED}, round ${round}: ${facts.remoteIp}`).toBe(expected);
      }
    }
    // The generator must make matches common, or the comparison proves little.
    expect(matched).toBeGreaterThan(300 * 60 * 0.3);
  });
});
