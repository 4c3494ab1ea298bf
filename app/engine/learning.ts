import {
  type LearningStart,
  type LearningStatus,
  MAX_LEARNING_MINUTES,
  MAX_PROPOSALS,
  type Proposal,
} from '../contract/learning.ts';
import type { RuleInput } from '../contract/rules.ts';
import { ruleInputForAnswer } from './prompt-scope.ts';
import type { ConnectionFacts } from './rule-matcher.ts';

/**
 * Learning (README.md, "Learning"). Pure: the engine asks `covers` for every connection that
 * would prompt; a covered one is allowed (a plain verdict: the rule it proposes is not made) and
 * recorded here as a proposal, one per (app, host or address, port, protocol, direction), the
 * same grouping as a prompt. Proposals wait for the user's review; none becomes a rule here.
 *
 * Not learned, so they prompt as usual: apps the user marked "always ask", connections of an
 * unknown app (its rule would be for every app), and any past MAX_PROPOSALS.
 */

/** A proposal and whose it is (`appKey`: the app as rules compare it; case-folded on Windows). */
export interface StoredProposal extends Proposal {
  readonly appKey: string;
  /** The grouping key (app, host or address, port, protocol, direction). */
  readonly key: string;
}

/** What is saved besides the proposals (the proposals go to their own table, in batches). */
export interface LearningSettings {
  readonly until: number | null;
  /** App keys learning until their app quits. */
  readonly apps: readonly string[];
  /** App keys that prompt even while learning. */
  readonly alwaysAsk: readonly string[];
}

export const NO_LEARNING: LearningSettings = { until: null, apps: [], alwaysAsk: [] };

export class Learning {
  #until: number | null;
  readonly #apps: Set<string>;
  readonly #alwaysAsk: Set<string>;
  readonly #proposals = new Map<string, StoredProposal>();
  readonly #byId = new Map<string, StoredProposal>();
  /** Proposals changed or removed since the last takeWrites() (ids). */
  readonly #changed = new Set<string>();
  readonly #removed = new Set<string>();
  #overflow = 0;
  #sequence = 0;

  constructor(settings: LearningSettings, proposals: readonly StoredProposal[] = []) {
    this.#until = settings.until;
    this.#apps = new Set(settings.apps);
    this.#alwaysAsk = new Set(settings.alwaysAsk);
    for (const proposal of proposals.slice(0, MAX_PROPOSALS)) {
      this.#proposals.set(proposal.key, proposal);
      this.#byId.set(proposal.id, proposal);
    }
  }

  /** Starts learning (for everyone for a while, or one app until it quits). `appKey`: the app as compared. */
  start(request: LearningStart, appKey: string | null, now: number): void {
    if (request.kind === 'minutes') this.#until = now + request.minutes * 60_000;
    else if (appKey !== null) this.#apps.add(appKey);
  }

  /** Stops all learning; the proposals stay for review. */
  stop(): void {
    this.#until = null;
    this.#apps.clear();
  }

  /** The app quit: its learning-until-quit ends. True when it was learning. */
  appQuit(appKey: string): boolean {
    return this.#apps.delete(appKey);
  }

  setAlwaysAsk(appKey: string, alwaysAsk: boolean): void {
    if (alwaysAsk) this.#alwaysAsk.add(appKey);
    else this.#alwaysAsk.delete(appKey);
  }

  /**
   * Keeps the window within MAX_LEARNING_MINUTES of `now`: a saved end far ahead (a damaged
   * value, or the clock set back after the start) must not leave every prompt allowed for good.
   */
  #bound(now: number): void {
    const latest = now + MAX_LEARNING_MINUTES * 60_000;
    if (this.#until !== null && this.#until > latest) this.#until = latest;
  }

  /** Ends a learning window that has run out; true when it did. */
  tick(now: number): boolean {
    this.#bound(now);
    if (this.#until === null || now < this.#until) return false;
    this.#until = null;
    return true;
  }

  /** Whether a connection of `appKey` that would prompt is learned instead. */
  covers(appKey: string | null, now: number): boolean {
    if (appKey === null || appKey === '' || this.#alwaysAsk.has(appKey)) return false;
    this.#bound(now);
    return (this.#until !== null && now < this.#until) || this.#apps.has(appKey);
  }

  /**
   * Records a learned connection; false (record nothing, the caller prompts) when the proposals
   * are full or no rule can be made of it.
   */
  record(facts: ConnectionFacts, appPath: string, now: number): boolean {
    const host = facts.hostNames[0] ?? null;
    const key = [facts.appKey, host ?? facts.remoteIp, facts.remotePort, facts.protocol, facts.direction].join(
      '\u0000',
    );
    const known = this.#proposals.get(key);
    if (known !== undefined) {
      this.#put({ ...known, connections: known.connections + 1, lastAt: now });
      return true;
    }
    if (this.#proposals.size >= MAX_PROPOSALS || facts.appKey === null) {
      this.#overflow++;
      return false;
    }
    const { direction, protocol, remoteIp, remotePort } = facts;
    const scoped = ruleInputForAnswer(
      { appPath, direction, protocol, remoteIp, remotePort, host },
      { action: 'allow', duration: { kind: 'forever' }, scope: { kind: 'exact' } },
    );
    if (!scoped.ok || scoped.input === null) return false;
    const rule: RuleInput = { ...scoped.input, notes: 'learned' };
    this.#put({
      id: `l${now.toString(36)}-${(++this.#sequence).toString(36)}`,
      key,
      appKey: facts.appKey,
      rule,
      connections: 1,
      firstAt: now,
      lastAt: now,
    });
    return true;
  }

  #put(proposal: StoredProposal): void {
    this.#proposals.set(proposal.key, proposal);
    this.#byId.set(proposal.id, proposal);
    this.#changed.add(proposal.id);
  }

  get(id: string): StoredProposal | undefined {
    return this.#byId.get(id);
  }

  /** Removes reviewed proposals (kept or discarded). */
  remove(ids: readonly string[]): void {
    for (const id of ids) {
      const proposal = this.#byId.get(id);
      if (proposal === undefined) continue;
      this.#byId.delete(id);
      this.#proposals.delete(proposal.key);
      this.#changed.delete(id);
      this.#removed.add(id);
    }
  }

  list(): StoredProposal[] {
    return [...this.#proposals.values()];
  }

  /** What changed since the last call, for the store: proposals to write and ids to delete. */
  takeWrites(): { readonly put: StoredProposal[]; readonly removed: string[] } {
    const put = [...this.#changed].flatMap((id) => this.#byId.get(id) ?? []);
    const removed = [...this.#removed];
    this.#changed.clear();
    this.#removed.clear();
    return { put, removed };
  }

  /** A write that failed: its proposals are written again next time. */
  rewrite(writes: { readonly put: readonly StoredProposal[]; readonly removed: readonly string[] }): void {
    for (const proposal of writes.put) if (this.#byId.has(proposal.id)) this.#changed.add(proposal.id);
    for (const id of writes.removed) if (!this.#byId.has(id)) this.#removed.add(id);
  }

  settings(): LearningSettings {
    return { until: this.#until, apps: [...this.#apps], alwaysAsk: [...this.#alwaysAsk] };
  }

  status(now: number): LearningStatus {
    this.#bound(now);
    const until = this.#until !== null && now < this.#until ? this.#until : null;
    return {
      until,
      apps: [...this.#apps],
      alwaysAsk: [...this.#alwaysAsk],
      proposals: this.#proposals.size,
      overflow: this.#overflow,
    };
  }
}
