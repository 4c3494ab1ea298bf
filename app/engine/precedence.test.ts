import { describe, expect, it } from 'vitest';
import type { Rule } from '../contract/rules.ts';
import { comparePrecedence } from './precedence.ts';
import { RuleSet } from './rule-set.ts';
import { makeFacts, makeRule } from './testing.ts';

type RuleFields = Omit<Partial<Rule>, 'id'>;
const CURL = { kind: 'path', path: '/usr/bin/curl' } as const;
const HOST = { kind: 'host', name: 'api.example.com' } as const;
const IP = { kind: 'ip', address: '93.184.216.34' } as const;
const facts = makeFacts({ appKey: '/usr/bin/curl', hostNames: ['api.example.com'], remoteIp: '93.184.216.34' });

// Each case: two or more matching rules named a, b, c…; the expected winner. Every rule here
// matches `facts`, so the case isolates precedence.
const CASES: Array<[title: string, rules: RuleFields[], winner: number]> = [
  ['app path beats any app', [{ app: CURL }, { destination: IP, action: 'block' }], 0],
  ['app path beats any app even with a wider destination', [{ destination: HOST }, { app: CURL }], 1],
  ['host beats domain', [{ destination: { kind: 'domain', pattern: '*.example.com' } }, { destination: HOST }], 1],
  ['ip beats cidr', [{ destination: { kind: 'cidr', cidr: '93.184.216.34/32' } }, { destination: IP }], 1],
  [
    'host and ip tie: block wins',
    [
      { destination: HOST, action: 'allow' },
      { destination: IP, action: 'block' },
    ],
    1,
  ],
  [
    'domain beats cidr',
    [
      { destination: { kind: 'cidr', cidr: '93.184.0.0/16' } },
      { destination: { kind: 'domain', pattern: '*.example.com' } },
    ],
    1,
  ],
  [
    'longer domain suffix wins',
    [
      { destination: { kind: 'domain', pattern: '*.com' } },
      { destination: { kind: 'domain', pattern: '*.example.com' } },
    ],
    1,
  ],
  [
    'longer cidr prefix wins',
    [{ destination: { kind: 'cidr', cidr: '93.0.0.0/8' } }, { destination: { kind: 'cidr', cidr: '93.184.216.0/24' } }],
    1,
  ],
  ['cidr beats any', [{ destination: { kind: 'any' } }, { destination: { kind: 'cidr', cidr: '0.0.0.0/0' } }], 1],
  ['port beats range', [{ port: { kind: 'range', from: 443, to: 444 } }, { port: { kind: 'port', port: 443 } }], 1],
  // A range of one port is that port, and the range of all ports is any port (the driver's
  // policy carries only bounds, and both must rank alike): the action decides the tie.
  [
    'a range of one port ranks as the port',
    [{ port: { kind: 'port', port: 443 } }, { port: { kind: 'range', from: 443, to: 443 }, action: 'block' }],
    1,
  ],
  [
    'the range 0-65535 ranks as any port',
    [{ port: { kind: 'range', from: 0, to: 65535 } }, { port: { kind: 'any' }, action: 'block' }],
    1,
  ],
  [
    'narrower range wins',
    [{ port: { kind: 'range', from: 1, to: 65535 } }, { port: { kind: 'range', from: 400, to: 500 } }],
    1,
  ],
  ['range beats any port', [{ port: { kind: 'any' } }, { port: { kind: 'range', from: 0, to: 65534 } }], 1],
  ['protocol beats any protocol', [{ protocol: 'any', action: 'block' }, { protocol: 6 }], 1],
  ['direction beats any direction', [{ direction: 'any', action: 'drop' }, { direction: 'outbound' }], 1],
  ['destination outranks port', [{ port: { kind: 'port', port: 443 } }, { destination: HOST }], 1],
  ['port outranks protocol', [{ protocol: 6 }, { port: { kind: 'port', port: 443 } }], 1],
  ['protocol outranks direction', [{ direction: 'outbound' }, { protocol: 6, direction: 'any' }], 1],
  ['equal specificity: block beats allow', [{ action: 'allow' }, { action: 'block' }], 1],
  ['equal specificity: drop beats allow', [{ action: 'drop' }, { action: 'allow' }], 0],
  ['equal specificity: drop beats block', [{ action: 'block' }, { action: 'drop' }], 1],
  ['same rule twice: the newer edit wins', [{ updatedAt: 5 }, { updatedAt: 9 }], 1],
  [
    'more specific allow beats wider block',
    [
      { app: CURL, action: 'block' },
      { app: CURL, destination: HOST, action: 'allow' },
    ],
    1,
  ],
  [
    'any-app specific block loses to app-wide allow',
    [
      { destination: IP, port: { kind: 'port', port: 443 }, protocol: 6, action: 'block' },
      { app: CURL, action: 'allow' },
    ],
    1,
  ],
  [
    'lan and localhost tie, below cidr',
    [{ destination: { kind: 'cidr', cidr: '10.0.0.0/8' } }, { destination: { kind: 'lan' }, action: 'block' }],
    0,
  ],
  [
    'three rules: the most specific of all',
    [
      { app: CURL },
      { app: CURL, destination: HOST },
      { app: CURL, destination: HOST, port: { kind: 'port', port: 443 } },
    ],
    2,
  ],
];

describe('precedence (table)', () => {
  const lanFacts = makeFacts({ appKey: '/usr/bin/curl', hostNames: ['api.example.com'], remoteIp: '10.1.2.3' });

  it.each(CASES)('%s', (title, fields, winner) => {
    const usesLan = title.startsWith('lan');
    const rules = fields.map((f, i) => makeRule({ id: String.fromCharCode(97 + i), ...f }));
    // The index's answer, whatever the order rules were added in…
    for (const order of [rules, [...rules].reverse()]) {
      const set = new RuleSet({ caseInsensitivePaths: false });
      for (const rule of order) expect(set.put(rule)).toBe(true);
      expect(set.bestMatch(usesLan ? lanFacts : facts, 0)?.rule.id).toBe(rules[winner]?.id);
    }
    // …agrees with sorting by the comparator.
    expect([...rules].sort((a, b) => comparePrecedence(a, b))[0]?.id).toBe(rules[winner]?.id);
  });

  it('has at least 20 cases', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(20);
  });
});
