import type { Rule, RuleInput } from '../contract/rules.ts';
import type { RuleRepository } from './ports.ts';
import { isPersistentDuration, type RuleSet } from './rule-set.ts';

export type RuleError = 'unknown-rule' | 'invalid-destination' | 'once-is-not-a-rule';

export type RuleResult = { readonly ok: true; readonly rule: Rule } | { readonly ok: false; readonly error: RuleError };

/** Makes rule ids; the default is unique enough for one machine (time, counter, random). */
export type RuleIdFactory = (now: number) => string;

let sequence = 0;
/** The default RuleIdFactory. */
export const defaultRuleId: RuleIdFactory = (now) =>
  `r-${now.toString(36)}-${(++sequence).toString(36)}-${Math.random().toString(36).slice(2, 8)}`;

/**
 * Rule CRUD: the in-memory rule set plus write-through to the repository for the rules that
 * outlive a restart. Bookkeeping fields (id, times, expiry, hits) are set here.
 */
export class RuleBook {
  readonly #rules: RuleSet;
  readonly #repository: RuleRepository;
  readonly #newId: RuleIdFactory;

  constructor(rules: RuleSet, repository: RuleRepository, newId: RuleIdFactory) {
    this.#rules = rules;
    this.#repository = repository;
    this.#newId = newId;
  }

  /** Loads stored rules at start (not written back); returns the ids that could not be compiled. */
  attach(rules: readonly Rule[]): string[] {
    return rules.filter((rule) => !this.#rules.put(rule)).map((rule) => rule.id);
  }

  create(input: RuleInput, now: number): RuleResult {
    if (input.duration.kind === 'once') return { ok: false, error: 'once-is-not-a-rule' };
    const rule: Rule = {
      ...input,
      id: this.#newId(now),
      createdAt: now,
      updatedAt: now,
      expiresAt: expiryOf(input, now),
      hitCount: 0,
      lastHitAt: null,
    };
    if (!this.#rules.put(rule)) return { ok: false, error: 'invalid-destination' };
    if (isPersistentDuration(rule.duration)) this.#repository.save(rule);
    return { ok: true, rule };
  }

  /** Replaces a rule's user fields; the expiry restarts only when the duration changed. */
  update(id: string, input: RuleInput, now: number): RuleResult {
    const old = this.#rules.get(id);
    if (old === undefined) return { ok: false, error: 'unknown-rule' };
    if (input.duration.kind === 'once') return { ok: false, error: 'once-is-not-a-rule' };
    const sameDuration = JSON.stringify(old.duration) === JSON.stringify(input.duration);
    const rule: Rule = {
      ...old,
      ...input,
      updatedAt: now,
      expiresAt: sameDuration ? old.expiresAt : expiryOf(input, now),
    };
    if (!this.#rules.put(rule)) return { ok: false, error: 'invalid-destination' };
    if (isPersistentDuration(rule.duration)) this.#repository.save(rule);
    else if (isPersistentDuration(old.duration)) this.#repository.remove(id);
    return { ok: true, rule };
  }

  remove(id: string): boolean {
    const removed = this.#rules.remove(id);
    if (removed === undefined) return false;
    if (isPersistentDuration(removed.duration)) this.#repository.remove(id);
    return true;
  }

  /** Removes expired rules (and their stored copies); returns them. */
  expire(now: number): Rule[] {
    const expired = this.#rules.removeExpired(now);
    for (const rule of expired) if (isPersistentDuration(rule.duration)) this.#repository.remove(rule.id);
    return expired;
  }

  /** Removes the 'until-app-quits' rules of an app (memory-only, so nothing to unstore). */
  appQuit(appPath: string): Rule[] {
    return this.#rules.removeForQuitApp(appPath);
  }
}

function expiryOf(input: RuleInput, now: number): number | null {
  return input.duration.kind === 'minutes' ? now + input.duration.minutes * 60_000 : null;
}
