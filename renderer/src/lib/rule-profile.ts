import type { Rule } from '../../../app/contract/rules.ts';

/**
 * The Rules view's profile filter: every rule, the always-on ones (profile null), or the rules
 * of one profile. A select holds it as text: 'all', 'always' or 'profile:<id>' (a prefix, so no
 * profile id can be mistaken for the other two).
 */
export type ProfileFilter =
  { readonly kind: 'all' } | { readonly kind: 'always' } | { readonly kind: 'profile'; readonly id: string };

const PREFIX = 'profile:';

export function profileFilterValue(filter: ProfileFilter): string {
  return filter.kind === 'profile' ? `${PREFIX}${filter.id}` : filter.kind;
}

export function parseProfileFilter(value: string): ProfileFilter {
  if (value.startsWith(PREFIX) && value.length > PREFIX.length)
    return { kind: 'profile', id: value.slice(PREFIX.length) };
  return value === 'always' ? { kind: 'always' } : { kind: 'all' };
}

/** A rule's profile id; null (or absent, from an engine that predates profiles): always on. */
export function ruleProfile(rule: Pick<Rule, 'profile'>): string | null {
  return rule.profile ?? null;
}

/** Whether `rule` is one the filter shows (the rules of a profile, not the always-on ones beside them). */
export function ruleInProfileFilter(rule: Rule, filter: ProfileFilter): boolean {
  if (filter.kind === 'all') return true;
  const profile = ruleProfile(rule);
  if (filter.kind === 'always') return profile === null;
  return profile === filter.id;
}

/** How many rules belong to each profile, by id (the Profiles view's column, the delete question). */
export function rulesPerProfile(rules: readonly Rule[]): ReadonlyMap<string, number> {
  const counts = new Map<string, number>();
  for (const rule of rules) {
    const profile = ruleProfile(rule);
    if (profile !== null) counts.set(profile, (counts.get(profile) ?? 0) + 1);
  }
  return counts;
}
