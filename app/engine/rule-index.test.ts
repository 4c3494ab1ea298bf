import { describe, expect, it } from 'vitest';
import { parseIp } from '../contract/ip-address.ts';
import type { Rule } from '../contract/rules.ts';
import { type CompiledRule, compileRule } from './compiled-rule.ts';
import { comparePrecedence } from './precedence.ts';
import { Random } from './random.ts';
import { RuleIndex } from './rule-index.ts';
import { type ConnectionFacts, matchesRule } from './rule-matcher.ts';
import { makeFacts, makeRule } from './testing.ts';

const APPS = ['/usr/bin/curl', '/usr/bin/firefox', '/opt/app'];
const HOSTS = ['a.example.com', 'b.example.com', 'x.y.example.com', 'example.com', 'cdn.net'];
const IPS = ['10.0.0.1', '10.0.1.7', '192.168.1.5', '93.184.216.34', '127.0.0.1', '2001:db8::1', 'fe80::2'];
const OPTIONS = { caseInsensitivePaths: false };

function randomRule(random: Random, i: number): Rule {
  const destinations: Rule['destination'][] = [
    { kind: 'any' },
    { kind: 'host', name: random.pick(HOSTS) },
    { kind: 'domain', pattern: random.pick(['*.example.com', '*.y.example.com', '*.net', '*.com']) },
    { kind: 'ip', address: random.pick(IPS) },
    { kind: 'cidr', cidr: random.pick(['10.0.0.0/8', '10.0.0.0/24', '0.0.0.0/0', '2001:db8::/32', '::/0']) },
    { kind: 'lan' },
    { kind: 'localhost' },
  ];
  const ports: Rule['port'][] = [
    { kind: 'any' },
    { kind: 'port', port: random.pick([53, 80, 443]) },
    { kind: 'range', from: random.pick([0, 50, 400]), to: random.pick([443, 1000, 65535]) },
  ];
  return makeRule({
    id: `r${i}`,
    app: random.next() < 0.5 ? { kind: 'any' } : { kind: 'path', path: random.pick(APPS) },
    destination: random.pick(destinations),
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
  const names = random.next() < 0.3 ? [] : [random.pick(HOSTS), ...(random.next() < 0.3 ? [random.pick(HOSTS)] : [])];
  return makeFacts({
    appKey: random.next() < 0.1 ? '' : random.pick(APPS),
    remoteIp: random.pick(IPS),
    hostNames: names,
    remotePort: random.pick([53, 80, 443, 8080]),
    protocol: random.pick([6, 17]),
    direction: random.pick(['outbound', 'inbound'] as const),
  });
}

/** The reference: scan every rule and sort the matches by precedence. */
function linearBest(rules: CompiledRule[], facts: ConnectionFacts, now: number): string | undefined {
  return rules
    .filter((c) => matchesRule(c, facts, now))
    .sort((a, b) => comparePrecedence(a.rule, b.rule))
    .at(0)?.rule.id;
}

describe('RuleIndex', () => {
  it('picks the same rule as a linear scan, over random rule sets and connections', () => {
    const random = new Random(42);
    for (let round = 0; round < 200; round++) {
      const compiled = Array.from({ length: 1 + random.int(40) }, (_, i) =>
        compileRule(randomRule(random, i), OPTIONS),
      ).filter((c) => c !== null);
      const index = new RuleIndex(compiled);
      for (let j = 0; j < 50; j++) {
        const facts = randomFacts(random);
        const now = random.pick([0, 100]);
        expect(index.bestMatch(facts, now)?.rule.id, JSON.stringify(facts)).toBe(linearBest(compiled, facts, now));
      }
    }
  });

  it('looks at the networks containing the address only, not at every cidr rule', () => {
    // 10 000 any-app networks, none containing the address, and a catch-all below them.
    const rules = Array.from({ length: 10_000 }, (_, i) =>
      makeRule({ id: `c${i}`, destination: { kind: 'cidr', cidr: `10.${i >> 8}.${i & 255}.0/24` }, action: 'block' }),
    );
    rules.push(makeRule({ id: 'catch-all' }));
    const index = new RuleIndex(rules.map((rule) => compileRule(rule, OPTIONS)).filter((c) => c !== null));
    // Every rule a lookup examines reads the address; counting the reads counts the rules.
    let reads = 0;
    const base = makeFacts({ remoteIp: '203.0.113.9' });
    const facts: ConnectionFacts = {
      ...base,
      get remoteBytes() {
        reads++;
        return base.remoteBytes;
      },
    };
    expect(index.bestMatch(facts, 0)?.rule.id).toBe('catch-all');
    expect(reads).toBeLessThan(10); // a scan of the list read it 10 000 times
    expect(index.bestMatch({ ...facts, remoteIp: '10.3.7.1', remoteBytes: parseIp('10.3.7.1') }, 0)?.rule.id).toBe(
      'c775',
    );
  });
});
