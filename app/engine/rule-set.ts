import { MAX_PROFILES } from '../contract/profiles.ts';
import type { Rule, RuleDuration } from '../contract/rules.ts';
import { appKeyOf, type CompiledRule, compileRule, type PathOptions } from './compiled-rule.ts';
import { RuleIndex } from './rule-index.ts';
import type { ConnectionFacts } from './rule-matcher.ts';

/**
 * A rule's hit totals (absolute, not deltas), for the store to write in one batch: the engine
 * counts hits, so a save() of the same rule in between can never count one twice.
 */
export interface RuleHit {
  readonly ruleId: string;
  readonly hitCount: number;
  readonly lastHitAt: number;
}

/** The rule indexes kept: one per profile there can be, and one for no profile. */
export const MAX_CACHED_INDEXES = MAX_PROFILES + 1;

/** True for durations that outlive a restart, i.e. rules the repository stores. */
export function isPersistentDuration(duration: RuleDuration): boolean {
  return duration.kind === 'forever' || duration.kind === 'minutes';
}

/**
 * The rules in force: stored ones and memory-only ones ('until-restart', 'until-app-quits').
 * 'once' never becomes a rule. The index is rebuilt lazily after a change (changes are rare,
 * lookups are per connection).
 */
export class RuleSet {
  readonly #rules = new Map<string, CompiledRule>();
  /** Hit totals of rules hit since they were put; merged into the rules they belong to. */
  readonly #hits = new Map<string, { hitCount: number; lastHitAt: number }>();
  readonly #dirtyHits = new Set<string>();
  /**
   * How many 'until-app-quits' rules each app key has: an app that quits without any (nearly
   * every time the process directory says so) costs a lookup, not a walk over every rule.
   */
  readonly #quitRules = new Map<string, number>();
  readonly #options: PathOptions;
  /** The active profile: its rules and the always-on ones are in force, other profiles' are not. */
  #profile: string | null = null;
  /** One index per profile used since the last rule change: switching back and forth builds nothing. */
  readonly #indexes = new Map<string | null, RuleIndex>();
  #indexBuilds = 0;
  #version = 0;

  constructor(options: PathOptions) {
    this.#options = options;
  }

  /** Adds or replaces `rule`; false (and no change) when its destination does not parse. */
  put(rule: Rule): boolean {
    const compiled = this.compile(rule);
    if (compiled === null) return false;
    this.putCompiled([compiled]);
    return true;
  }

  /** Prepares `rule` for matching without putting it in force; null when its destination does not parse. */
  compile(rule: Rule): CompiledRule | null {
    return compileRule(rule, this.#options);
  }

  /**
   * Adds or replaces rules compiled by compile(): one index rebuild for the whole batch
   * (rebuilding per rule made a big import quadratic).
   */
  putCompiled(batch: readonly CompiledRule[]): void {
    for (const compiled of batch) {
      this.#countQuitRule(this.#rules.get(compiled.rule.id), -1);
      this.#rules.set(compiled.rule.id, compiled);
      this.#countQuitRule(compiled, 1);
      this.#hits.delete(compiled.rule.id);
    }
    if (batch.length > 0) this.#changed();
  }

  /** Removes a rule; returns it, or undefined when there was none. */
  remove(id: string): Rule | undefined {
    const compiled = this.#rules.get(id);
    if (compiled === undefined) return undefined;
    const rule = this.#withHits(compiled.rule);
    this.#rules.delete(id);
    this.#countQuitRule(compiled, -1);
    this.#hits.delete(id);
    this.#dirtyHits.delete(id);
    this.#changed();
    return rule;
  }

  get(id: string): Rule | undefined {
    const compiled = this.#rules.get(id);
    return compiled === undefined ? undefined : this.#withHits(compiled.rule);
  }

  /** Every rule, with its current hit totals. */
  list(): Rule[] {
    return [...this.#rules.values()].map((c) => this.#withHits(c.rule));
  }

  get size(): number {
    return this.#rules.size;
  }

  /** Every compiled rule, of every profile (to compare an import against them without compiling again). */
  compiled(): IterableIterator<CompiledRule> {
    return this.#rules.values();
  }

  /**
   * Grows with every change of the rules in force (not with hits): what was derived from them at
   * one version (the driver's policy) is stale once it differs.
   */
  get version(): number {
    return this.#version;
  }

  /** How often the index was built (each change invalidates it; the next lookup rebuilds it). */
  get indexBuilds(): number {
    return this.#indexBuilds;
  }

  /**
   * Puts the rules of profile `id` in force (with the always-on rules); those of other profiles
   * stay kept, listed and saved, but decide nothing. A change of the rules in force: the version grows.
   */
  setProfile(id: string | null): void {
    if (id === this.#profile) return;
    this.#profile = id;
    this.#version++;
  }

  get profile(): string | null {
    return this.#profile;
  }

  /** The compiled rules that decide now: always-on ones and the active profile's. */
  *inForce(): IterableIterator<CompiledRule> {
    for (const compiled of this.#rules.values()) if (this.#applies(compiled.rule)) yield compiled;
  }

  #applies(rule: Rule): boolean {
    const profile = rule.profile ?? null;
    return profile === null || profile === this.#profile;
  }

  /** How many rule indexes are kept (at most MAX_CACHED_INDEXES). */
  get cachedIndexes(): number {
    return this.#indexes.size;
  }

  /** The rule deciding the connection, or null. */
  bestMatch(facts: ConnectionFacts, now: number): CompiledRule | null {
    let index = this.#indexes.get(this.#profile);
    if (index === undefined) {
      // Each index holds every always-on rule: one per profile that can exist, no more. Ids of
      // deleted profiles (one without rules leaves the rules, and so the indexes, unchanged)
      // would otherwise pile up; the oldest built goes first.
      const oldest = this.#indexes.keys().next();
      if (this.#indexes.size >= MAX_CACHED_INDEXES && oldest.done !== true) this.#indexes.delete(oldest.value);
      index = new RuleIndex(this.inForce());
      this.#indexes.set(this.#profile, index);
      this.#indexBuilds++;
    }
    return index.bestMatch(facts, now);
  }

  /** Counts a hit; the totals leave through takeHits(). */
  recordHit(ruleId: string, now: number): void {
    const hit = this.#hits.get(ruleId);
    if (hit !== undefined) {
      hit.hitCount++;
      hit.lastHitAt = now;
    } else {
      const rule = this.#rules.get(ruleId)?.rule;
      if (rule === undefined) return;
      this.#hits.set(ruleId, { hitCount: rule.hitCount + 1, lastHitAt: now });
    }
    this.#dirtyHits.add(ruleId);
  }

  /** The totals of the rules hit since the last call. */
  takeHits(): RuleHit[] {
    const hits: RuleHit[] = [];
    for (const ruleId of this.#dirtyHits) {
      const hit = this.#hits.get(ruleId);
      if (hit !== undefined) hits.push({ ruleId, ...hit });
    }
    this.#dirtyHits.clear();
    return hits;
  }

  /** Removes and returns the rules whose expiresAt has passed. */
  removeExpired(now: number): Rule[] {
    return this.#removeWhere((c) => c.rule.expiresAt !== null && now >= c.rule.expiresAt);
  }

  /** Removes and returns the 'until-app-quits' rules of the app at `appPath`. */
  removeForQuitApp(appPath: string): Rule[] {
    const key = appKeyOf(appPath, this.#options);
    if (!this.#quitRules.has(key)) return [];
    return this.#removeWhere((c) => c.rule.duration.kind === 'until-app-quits' && c.appKey === key);
  }

  #removeWhere(predicate: (compiled: CompiledRule) => boolean): Rule[] {
    const doomed = [...this.#rules.values()].filter(predicate);
    return doomed.flatMap((c) => this.remove(c.rule.id) ?? []);
  }

  #countQuitRule(compiled: CompiledRule | undefined, delta: 1 | -1): void {
    if (compiled?.rule.duration.kind !== 'until-app-quits' || compiled.appKey === null) return;
    const count = (this.#quitRules.get(compiled.appKey) ?? 0) + delta;
    if (count > 0) this.#quitRules.set(compiled.appKey, count);
    else this.#quitRules.delete(compiled.appKey);
  }

  #changed(): void {
    this.#indexes.clear();
    this.#version++;
  }

  #withHits(rule: Rule): Rule {
    const hit = this.#hits.get(rule.id);
    return hit === undefined ? rule : { ...rule, ...hit };
  }
}
