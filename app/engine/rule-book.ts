import type { Rule, RuleInput } from '../contract/rules.ts';
import type { CompiledRule } from './compiled-rule.ts';
import type { RuleRepository } from './ports.ts';
import { ruleIdentity, ruleMatchKey } from './rule-identity.ts';
import { isPersistentDuration, type RuleSet } from './rule-set.ts';

export type RuleError =
  'unknown-rule' | 'invalid-destination' | 'once-is-not-a-rule' | 'too-many-rules' | 'unknown-profile';

export type RuleResult = { readonly ok: true; readonly rule: Rule } | { readonly ok: false; readonly error: RuleError };

/** The result of a batch: every rule, or the index of the first input refused (and nothing changed). */
export type RulesResult =
  | { readonly ok: true; readonly rules: readonly Rule[] }
  | { readonly ok: false; readonly index: number; readonly error: RuleError };

/**
 * The result of an import: the rules added and how many inputs were skipped as identical to a
 * rule in force or to an earlier input (rule-identity.ts); or the index of the first input
 * refused; or, when the new rules would pass the limit, how many there were and how many fit.
 * A refused import changed nothing.
 */
export type ImportResult =
  | { readonly ok: true; readonly rules: readonly Rule[]; readonly skipped: number }
  | { readonly ok: false; readonly index: number; readonly error: Exclude<RuleError, 'too-many-rules'> }
  | {
      readonly ok: false;
      readonly error: 'too-many-rules';
      /** New rules the import would have added (identical ones not counted). */
      readonly adding: number;
      /** How many more rules fit under the limit. */
      readonly room: number;
      readonly limit: number;
    };

/**
 * Runs a batch's repository writes: the caller's transaction, so that they commit together or
 * not at all. It throws when they did not commit; then nothing of the batch is put in force.
 */
export type Persist = (writes: () => void) => void;

/** An import candidate beside the rules in force (see RuleBook.compareAll). */
export interface RuleComparison {
  readonly duplicateOf?: string;
  readonly conflictsWith?: string;
}

const direct: Persist = (writes) => writes();

/** Makes rule ids; the default is unique enough for one machine (time, counter, random). */
export type RuleIdFactory = (now: number) => string;

let sequence = 0;
/** The default RuleIdFactory. */
export const defaultRuleId: RuleIdFactory = (now) =>
  `r-${now.toString(36)}-${(++sequence).toString(36)}-${Math.random().toString(36).slice(2, 8)}`;

/**
 * Rule CRUD: the in-memory rule set plus write-through to the repository for the rules that
 * outlive a restart. Bookkeeping fields (id, times, expiry, hits) are set here.
 *
 * Every change is checked first, written to the repository next, and put in force last: when
 * the repository throws (a full disk), the rules in force stay as they were, so memory never
 * holds what the store does not.
 */
export class RuleBook {
  readonly #rules: RuleSet;
  readonly #repository: RuleRepository;
  readonly #newId: RuleIdFactory;
  /** Whether a rule may name profile `id` (one that exists): a rule of no profile would never apply. */
  readonly #profileExists: (id: string) => boolean;

  constructor(
    rules: RuleSet,
    repository: RuleRepository,
    newId: RuleIdFactory,
    profileExists: (id: string) => boolean = () => false,
  ) {
    this.#rules = rules;
    this.#repository = repository;
    this.#newId = newId;
    this.#profileExists = profileExists;
  }

  #badProfile(input: RuleInput): boolean {
    return input.profile !== undefined && input.profile !== null && !this.#profileExists(input.profile);
  }

  /** Loads stored rules at start (not written back); returns the ids that could not be compiled. */
  attach(rules: readonly Rule[]): string[] {
    return rules.filter((rule) => !this.#rules.put(rule)).map((rule) => rule.id);
  }

  create(input: RuleInput, now: number): RuleResult {
    const made = this.createMany([input], now);
    return made.ok ? { ok: true, rule: made.rules[0] as Rule } : { ok: false, error: made.error };
  }

  /** Creates rules as one change: all are checked before anything is written or put in force. */
  createMany(inputs: readonly RuleInput[], now: number, persist: Persist = direct): RulesResult {
    const compiled = this.#compileAll(inputs, now);
    if (!compiled.ok) return compiled;
    this.#putAll(compiled.batch, persist);
    return { ok: true, rules: compiled.batch.map((c) => c.rule) };
  }

  /**
   * Imports rules as one change. Every input is checked first; then those identical to a rule
   * in force or to an earlier input are skipped (one pass with a set of keys, so a big import
   * stays linear); when the rest would bring the rules past `limit`, nothing is added at all.
   */
  importMany(inputs: readonly RuleInput[], now: number, persist: Persist, limit: number): ImportResult {
    const compiled = this.#compileAll(inputs, now);
    if (!compiled.ok) return compiled;
    const seen = new Set<string>();
    for (const existing of this.#rules.compiled()) seen.add(ruleIdentity(existing));
    const fresh = compiled.batch.filter((candidate) => {
      const key = ruleIdentity(candidate);
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
    const room = Math.max(0, limit - this.#rules.size);
    if (fresh.length > room) return { ok: false, error: 'too-many-rules', adding: fresh.length, room, limit };
    this.#putAll(fresh, persist);
    return { ok: true, rules: fresh.map((c) => c.rule), skipped: compiled.batch.length - fresh.length };
  }

  /**
   * How each input compares with the rules in force, for an import preview: the same rule
   * (`duplicateOf`), or one that decides the same connections otherwise (`conflictsWith`: another
   * action, duration or state), or neither. An input that does not compile compares with none.
   */
  compareAll(inputs: readonly RuleInput[], now: number): RuleComparison[] {
    const same = new Map<string, Rule>();
    const matching = new Map<string, Rule>();
    for (const existing of this.#rules.compiled()) {
      same.set(ruleIdentity(existing), existing.rule);
      if (!matching.has(ruleMatchKey(existing))) matching.set(ruleMatchKey(existing), existing.rule);
    }
    return inputs.map((input) => {
      if (input.duration.kind === 'once') return {};
      const compiled = this.#rules.compile({
        ...input,
        id: 'preview',
        createdAt: now,
        updatedAt: now,
        expiresAt: expiryOf(input, now),
        hitCount: 0,
        lastHitAt: null,
      });
      if (compiled === null) return {};
      const duplicate = same.get(ruleIdentity(compiled));
      if (duplicate !== undefined) return { duplicateOf: duplicate.id };
      const other = matching.get(ruleMatchKey(compiled));
      return other === undefined ? {} : { conflictsWith: other.id };
    });
  }

  /**
   * Removes every rule of `ids`, or none: an unknown id refuses the whole call before anything
   * changes, and the stored copies are deleted inside `persist` (one transaction) before the
   * rules leave memory, so a refused write leaves them all in force.
   */
  removeMany(ids: readonly string[], persist: Persist): { ok: true; removed: number } | { ok: false; unknown: string } {
    const rules: Rule[] = [];
    for (const id of new Set(ids)) {
      const rule = this.#rules.get(id);
      if (rule === undefined) return { ok: false, unknown: id };
      rules.push(rule);
    }
    persist(() => {
      for (const rule of rules) if (isPersistentDuration(rule.duration)) this.#repository.remove(rule.id);
    });
    for (const rule of rules) this.#rules.remove(rule.id);
    return { ok: true, removed: rules.length };
  }

  #compileAll(
    inputs: readonly RuleInput[],
    now: number,
  ):
    | { readonly ok: true; readonly batch: CompiledRule[] }
    | {
        readonly ok: false;
        readonly index: number;
        readonly error: 'invalid-destination' | 'once-is-not-a-rule' | 'unknown-profile';
      } {
    const batch: CompiledRule[] = [];
    for (const [index, input] of inputs.entries()) {
      if (input.duration.kind === 'once') return { ok: false, index, error: 'once-is-not-a-rule' };
      if (this.#badProfile(input)) return { ok: false, index, error: 'unknown-profile' };
      const compiled = this.#rules.compile({
        ...input,
        id: this.#newId(now),
        createdAt: now,
        updatedAt: now,
        expiresAt: expiryOf(input, now),
        hitCount: 0,
        lastHitAt: null,
      });
      if (compiled === null) return { ok: false, index, error: 'invalid-destination' };
      batch.push(compiled);
    }
    return { ok: true, batch };
  }

  /** Writes the batch's stored rules inside `persist`, then (only if that returned) puts them in force. */
  #putAll(batch: readonly CompiledRule[], persist: Persist): void {
    if (batch.length === 0) return; // nothing to write: the store is not even asked
    persist(() => {
      for (const { rule } of batch) if (isPersistentDuration(rule.duration)) this.#repository.save(rule);
    });
    this.#rules.putCompiled(batch);
  }

  /** Replaces a rule's user fields; the expiry restarts only when the duration changed. */
  update(id: string, input: RuleInput, now: number): RuleResult {
    const old = this.#rules.get(id);
    if (old === undefined) return { ok: false, error: 'unknown-rule' };
    if (input.duration.kind === 'once') return { ok: false, error: 'once-is-not-a-rule' };
    if (this.#badProfile(input)) return { ok: false, error: 'unknown-profile' };
    const sameDuration = JSON.stringify(old.duration) === JSON.stringify(input.duration);
    const compiled = this.#rules.compile({
      ...old,
      ...input,
      updatedAt: now,
      expiresAt: sameDuration ? old.expiresAt : expiryOf(input, now),
    });
    if (compiled === null) return { ok: false, error: 'invalid-destination' };
    if (isPersistentDuration(compiled.rule.duration)) this.#repository.save(compiled.rule);
    else if (isPersistentDuration(old.duration)) this.#repository.remove(id);
    this.#rules.putCompiled([compiled]);
    return { ok: true, rule: compiled.rule };
  }

  remove(id: string): boolean {
    const rule = this.#rules.get(id);
    if (rule === undefined) return false;
    if (isPersistentDuration(rule.duration)) this.#repository.remove(id);
    this.#rules.remove(id);
    return true;
  }

  /**
   * Removes expired rules (and their stored copies); returns them. Unlike the other changes,
   * memory goes first: an expired rule must stop deciding even when the store cannot delete it
   * (a full disk), and a stored copy left behind is skipped at the next start since its time is
   * up. A refused delete is reported through `onStoreError` and the other rules still expire.
   */
  expire(now: number, onStoreError: (error: unknown) => void): Rule[] {
    const expired = this.#rules.removeExpired(now);
    for (const rule of expired) {
      if (!isPersistentDuration(rule.duration)) continue;
      try {
        this.#repository.remove(rule.id);
      } catch (error) {
        onStoreError(error);
      }
    }
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
