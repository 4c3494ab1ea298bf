import { describe, expect, it } from 'vitest';
import { MAX_CACHED_INDEXES, RuleSet } from './rule-set.ts';
import { makeFacts, makeRule } from './testing.ts';

describe('RuleSet: profiles', () => {
  it('keeps one index per profile used, switching back builds nothing', () => {
    const rules = new RuleSet({ caseInsensitivePaths: false });
    rules.put(makeRule({ id: 'always' }));
    rules.put(makeRule({ id: 'home-only', profile: 'home', action: 'block' }));
    rules.setProfile('home');
    expect(rules.bestMatch(makeFacts(), 0)?.rule.id).toBe('home-only');
    rules.setProfile('public');
    expect(rules.bestMatch(makeFacts(), 0)?.rule.id).toBe('always');
    rules.setProfile('home');
    rules.bestMatch(makeFacts(), 0);
    expect(rules.indexBuilds).toBe(2);
  });

  it('keeps no more indexes than there can be profiles, however many ids were active', () => {
    const rules = new RuleSet({ caseInsensitivePaths: false });
    rules.put(makeRule({ id: 'always' }));
    // Profiles made, switched to and deleted one after another (none has rules of its own, so
    // the rules never change and nothing clears the indexes).
    for (let n = 0; n < 500; n++) {
      rules.setProfile(`p-${String(n)}`);
      expect(rules.bestMatch(makeFacts(), 0)?.rule.id).toBe('always');
    }
    expect(rules.cachedIndexes).toBe(MAX_CACHED_INDEXES);
  });
});
