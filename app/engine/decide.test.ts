import { describe, expect, it } from 'vitest';
import { decide } from './decide.ts';
import { RuleSet } from './rule-set.ts';
import { makeFacts, makeRule } from './testing.ts';

function rules(...list: Parameters<typeof makeRule>[0][]): RuleSet {
  const set = new RuleSet({ caseInsensitivePaths: false });
  for (const fields of list) set.put(makeRule(fields));
  return set;
}

describe('decide', () => {
  it.each([
    ['allow', 'permanent-accept'],
    ['block', 'permanent-block'],
    ['drop', 'permanent-drop'],
  ] as const)('a matching %s rule gives %s and records a hit', (action, verdict) => {
    const set = rules({ id: 'r1', action });
    expect(decide(makeFacts(), set, 'ask', 10)).toMatchObject({ kind: 'rule', verdict });
    expect(set.takeHits()).toEqual([{ ruleId: 'r1', hitCount: 1, lastHitAt: 10 }]);
  });

  it('rules apply in every mode', () => {
    const set = rules({ id: 'r1', action: 'block' });
    for (const mode of ['ask', 'allow-all', 'block-all', 'pause'] as const) {
      expect(decide(makeFacts(), set, mode, 0)).toMatchObject({ kind: 'rule', verdict: 'permanent-block' });
    }
  });

  it('an unmatched connection is asked about, or gets the mode default (not permanent)', () => {
    const set = rules({ id: 'r1', destination: { kind: 'lan' } });
    expect(decide(makeFacts(), set, 'ask', 0)).toEqual({ kind: 'ask' });
    expect(decide(makeFacts(), set, 'allow-all', 0)).toEqual({ kind: 'mode', mode: 'allow-all', verdict: 'accept' });
    expect(decide(makeFacts(), set, 'pause', 0)).toEqual({ kind: 'mode', mode: 'pause', verdict: 'accept' });
    expect(decide(makeFacts(), set, 'block-all', 0)).toEqual({ kind: 'mode', mode: 'block-all', verdict: 'block' });
    expect(set.takeHits()).toEqual([]);
  });

  it('a blocklist blocks what no rule decides, in every mode but a pause; a rule wins over it', () => {
    const listed = { match: () => 3 };
    for (const mode of ['ask', 'allow-all', 'block-all'] as const) {
      expect(decide(makeFacts(), rules(), mode, 0, listed)).toEqual({
        kind: 'list',
        list: 3,
        verdict: 'permanent-block',
      });
    }
    expect(decide(makeFacts(), rules(), 'pause', 0, listed)).toMatchObject({ kind: 'mode', verdict: 'accept' });
    expect(decide(makeFacts(), rules({ id: 'r1', action: 'allow' }), 'ask', 0, listed)).toMatchObject({
      kind: 'rule',
      verdict: 'permanent-accept',
    });
    expect(decide(makeFacts(), rules(), 'ask', 0, { match: () => -1 })).toEqual({ kind: 'ask' });
  });

  it('hit totals accumulate on the stored count', () => {
    const set = rules({ id: 'r1', hitCount: 7 });
    decide(makeFacts(), set, 'ask', 1);
    decide(makeFacts(), set, 'ask', 2);
    expect(set.takeHits()).toEqual([{ ruleId: 'r1', hitCount: 9, lastHitAt: 2 }]);
    expect(set.takeHits()).toEqual([]);
    expect(set.get('r1')).toMatchObject({ hitCount: 9, lastHitAt: 2 });
  });
});
