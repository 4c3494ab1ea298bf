import { describe, expect, it } from 'vitest';
import type { Rule } from '../../../app/contract/rules.ts';
import {
  parseProfileFilter,
  profileFilterValue,
  ruleInProfileFilter,
  ruleProfile,
  rulesPerProfile,
} from './rule-profile.ts';

const rule = (id: string, profile: string | null | undefined): Rule => ({
  id,
  app: { kind: 'any' },
  destination: { kind: 'any' },
  port: { kind: 'any' },
  protocol: 'any',
  direction: 'outbound',
  action: 'allow',
  duration: { kind: 'forever' },
  enabled: true,
  notes: '',
  profile,
  createdAt: 0,
  updatedAt: 0,
  expiresAt: null,
  hitCount: 0,
  lastHitAt: null,
});

const rules = [rule('a', null), rule('b', 'work'), rule('c', 'home'), rule('d', 'work'), rule('e', undefined)];

describe('the profile filter', () => {
  it('shows every rule, the always-on ones, or one profile’s', () => {
    const shown = (value: string) =>
      rules.filter((r) => ruleInProfileFilter(r, parseProfileFilter(value))).map((r) => r.id);
    expect(shown('all')).toEqual(['a', 'b', 'c', 'd', 'e']);
    // A rule without the field (an engine before profiles) is always on.
    expect(shown('always')).toEqual(['a', 'e']);
    expect(shown('profile:work')).toEqual(['b', 'd']);
  });

  it('round-trips through the select’s text, whatever the profile id', () => {
    for (const filter of [
      { kind: 'all' },
      { kind: 'always' },
      { kind: 'profile', id: 'work' },
      { kind: 'profile', id: 'always' },
      { kind: 'profile', id: 'profile:x' },
    ] as const) {
      expect(parseProfileFilter(profileFilterValue(filter))).toEqual(filter);
    }
    expect(parseProfileFilter('profile:')).toEqual({ kind: 'all' });
  });
});

describe('rulesPerProfile', () => {
  it('counts the rules of each profile, not the always-on ones', () => {
    expect([...rulesPerProfile(rules)]).toEqual([
      ['work', 2],
      ['home', 1],
    ]);
    expect(ruleProfile(rules[4] ?? rule('x', 'y'))).toBeNull();
  });
});
