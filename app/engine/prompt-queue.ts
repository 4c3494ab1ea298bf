import type { ConnectionRequest, DriverVerdict } from '../contract/driver-events.ts';
import type { RuleAction } from '../contract/rules.ts';
import { MAX_HOLD_SECONDS } from '../contract/views.ts';
import type { AppIdentity } from './app-identity.ts';
import { plainVerdict } from './decide.ts';
import { groupPrompts, type PromptGroup, type PromptRecord } from './prompt-view.ts';
import type { ConnectionFacts } from './rule-matcher.ts';

/**
 * The prompt queue. Invariant: every connection handed to hold() is released exactly once,
 * through the `release` callback, and never with the default merely because another prompt is
 * open. Connections coalesce by (app, remote host-or-ip, port, protocol, direction) into one
 * prompt; a prompt outlives its held connections in the inbox (README.md, "Prompt queue").
 */

export interface PromptQueueOptions {
  /** How long a connection is held before it gets the default; 0 = ask without holding. */
  readonly holdTimeoutMs: number;
  /** How long an unanswered prompt stays in the inbox after its last connection. */
  readonly inboxTtlMs: number;
  /** What held connections get on timeout, process exit, or shutdown. */
  readonly defaultAction: RuleAction;
  /** At most this many connections are held at once; more get the default at once. */
  readonly maxHeld: number;
  /**
   * At most this many prompts wait in the inbox holding no connection; beyond it the oldest
   * leave, so a flood of distinct destinations cannot grow memory (nor the list the UI gets)
   * without bound. Prompts holding connections stay; they are at most `maxHeld`.
   */
  readonly maxInboxPrompts: number;
  /**
   * The longest a connection is held in all, however often the user pauses its countdown:
   * below the driver's own hold timeout (zenithfenced: 60 s), which would answer first.
   */
  readonly maxTotalHoldMs: number;
}

export const DEFAULT_PROMPT_OPTIONS: PromptQueueOptions = {
  holdTimeoutMs: 30_000,
  inboxTtlMs: 10 * 60_000,
  defaultAction: 'block',
  maxHeld: 10_000,
  maxInboxPrompts: 1_000,
  maxTotalHoldMs: MAX_HOLD_SECONDS * 1000,
};

/** A connection waiting for an answer. */
export interface HeldConnection {
  readonly request: ConnectionRequest;
  readonly facts: ConnectionFacts;
  readonly promptId: string;
  /** Its row in the connection table, if any. */
  readonly rowId: number | null;
  /** When the hold (re)started; the timeout counts from here. */
  readonly heldAt: number;
  /** When the connection was first held. */
  readonly firstHeldAt: number;
}

/** Sends a verdict for a released connection; called exactly once per connection. */
export type Release = (held: HeldConnection, verdict: DriverVerdict, ruleId: string | null, now: number) => void;

/** What a re-evaluation decides for one held connection (null = keep holding). */
export type Verdicts = (held: HeldConnection) => { verdict: DriverVerdict; ruleId: string | null } | null;

export class PromptQueue {
  readonly #held = new Map<bigint, HeldConnection>();
  readonly #prompts = new Map<string, PromptRecord>();
  readonly #byKey = new Map<string, PromptRecord>();
  readonly #release: Release;
  #options: PromptQueueOptions;
  /** How many prompts hold at least one connection (the others are the inbox). */
  #holding = 0;
  #sequence = 0;
  #changed = false;

  constructor(options: Partial<PromptQueueOptions>, release: Release) {
    this.#options = { ...DEFAULT_PROMPT_OPTIONS, ...options };
    this.#release = release;
  }

  get options(): PromptQueueOptions {
    return this.#options;
  }

  /** Changes options; a shorter hold timeout applies at the next tick. */
  configure(options: Partial<PromptQueueOptions>): void {
    this.#options = { ...this.#options, ...options };
  }

  get heldCount(): number {
    return this.#held.size;
  }

  isHeld(requestId: bigint): boolean {
    return this.#held.has(requestId);
  }

  get(promptId: string): PromptRecord | undefined {
    return this.#prompts.get(promptId);
  }

  /** The connections a prompt holds now. */
  heldBy(promptId: string): HeldConnection[] {
    const prompt = this.#prompts.get(promptId);
    if (prompt === undefined) return [];
    return [...prompt.held].flatMap((requestId) => this.#held.get(requestId) ?? []);
  }

  /** Every prompt (for re-evaluation and views). */
  records(): Iterable<PromptRecord> {
    return this.#prompts.values();
  }

  /** True once after prompts changed (new, answered, expired, counts). */
  takeChanged(): boolean {
    const changed = this.#changed;
    this.#changed = false;
    return changed;
  }

  /**
   * Puts a connection in its prompt (creating it) and holds it, unless holding is off or full:
   * then it gets the default at once and the prompt stays. Returns the prompt's id.
   */
  hold(request: ConnectionRequest, facts: ConnectionFacts, app: AppIdentity, rowId: number | null, now: number) {
    const existing = this.#held.get(request.requestId);
    if (existing !== undefined) return existing.promptId;
    const host = facts.hostNames[0] ?? null;
    const who = app.path === '' ? `?${app.label}` : facts.appKey;
    const key = [who, host ?? facts.remoteIp, facts.remotePort, facts.protocol, facts.direction].join('\u0000');
    let prompt = this.#byKey.get(key);
    if (prompt === undefined) {
      const { direction, protocol, remoteIp, remotePort } = facts;
      const subject = { appPath: app.path, direction, protocol, remoteIp, remotePort, host };
      const id = `p${++this.#sequence}`;
      prompt = {
        id,
        key,
        subject,
        app,
        facts,
        pids: new Set(),
        held: new Set(),
        count: 0,
        firstSeenAt: now,
        lastSeenAt: now,
      };
      this.#prompts.set(id, prompt);
      this.#byKey.set(key, prompt);
    }
    prompt.count++;
    prompt.lastSeenAt = now;
    if (request.pid !== 0) prompt.pids.add(request.pid);
    this.#changed = true;
    const held: HeldConnection = { request, facts, promptId: prompt.id, rowId, heldAt: now, firstHeldAt: now };
    if (this.#options.holdTimeoutMs <= 0 || this.#held.size >= this.#options.maxHeld) {
      this.#release(held, this.#defaultVerdict(), null, now);
    } else {
      this.#held.set(request.requestId, held);
      if (prompt.held.size === 0) this.#holding++;
      prompt.held.add(request.requestId);
    }
    if (this.#prompts.size - this.#holding > this.#options.maxInboxPrompts) this.#trimInbox();
    return prompt.id;
  }

  /** Releases every connection held for one prompt with `verdict`; returns how many. */
  releasePrompt(promptId: string, verdict: DriverVerdict, ruleId: string | null, now: number): number {
    const prompt = this.#prompts.get(promptId);
    if (prompt === undefined) return 0;
    let released = 0;
    for (const requestId of [...prompt.held]) if (this.#releaseOne(requestId, verdict, ruleId, now)) released++;
    return released;
  }

  /** Releases the held connections `decide` has a verdict for (after rules changed). */
  releaseWhere(decide: Verdicts, now: number): number {
    let released = 0;
    for (const held of [...this.#held.values()]) {
      const answer = decide(held);
      if (answer !== null && this.#releaseOne(held.request.requestId, answer.verdict, answer.ruleId, now)) released++;
    }
    return released;
  }

  /** Releases every held connection with `verdict` (a mode change, shutdown). */
  releaseAll(verdict: DriverVerdict, now: number): number {
    return this.releaseWhere(() => ({ verdict, ruleId: null }), now);
  }

  /** Removes prompts holding nothing that `covered` says a rule now decides. */
  dropCovered(covered: (prompt: PromptRecord) => boolean): void {
    for (const prompt of [...this.#prompts.values()]) if (prompt.held.size === 0 && covered(prompt)) this.#drop(prompt);
  }

  /** Removes a prompt; whatever it still holds gets the default first (exactly once anyway). */
  remove(promptId: string, now: number): void {
    const prompt = this.#prompts.get(promptId);
    if (prompt === undefined) return;
    this.releasePrompt(promptId, this.#defaultVerdict(), null, now);
    this.#drop(prompt);
  }

  /**
   * The user is looking at the prompt (any interaction pauses its countdown): restart the hold
   * of its connections, but never past `maxTotalHoldMs` from their first hold. Returns whether
   * the prompt holds connections.
   */
  extendHold(promptId: string, now: number): boolean {
    const prompt = this.#prompts.get(promptId);
    if (prompt === undefined || prompt.held.size === 0) return false;
    const holdTimeoutMs = this.#holdTimeoutMs();
    const { maxTotalHoldMs } = this.#options;
    for (const requestId of prompt.held) {
      const held = this.#held.get(requestId);
      if (held === undefined) continue;
      const latestStart = held.firstHeldAt + Math.max(0, maxTotalHoldMs - holdTimeoutMs);
      const heldAt = Math.max(held.heldAt, Math.min(now, latestStart));
      if (heldAt !== held.heldAt) this.#held.set(requestId, { ...held, heldAt });
    }
    this.#changed = true;
    return true;
  }

  /** Applies hold timeouts (default action; the prompt stays) and expires old inbox prompts. */
  tick(now: number): void {
    const timeout = this.#holdTimeoutMs();
    this.releaseWhere(
      (held) => (now - held.heldAt >= timeout ? { verdict: this.#defaultVerdict(), ruleId: null } : null),
      now,
    );
    for (const prompt of [...this.#prompts.values()]) {
      if (prompt.held.size === 0 && now - prompt.lastSeenAt >= this.#options.inboxTtlMs) this.#drop(prompt);
    }
  }

  /**
   * The driver link was lost: the driver has answered every held connection itself (its
   * detached policy), and the ids it gave them mean other connections on the next link. So each
   * is forgotten without a verdict (a verdict now would reach whatever holds that id next), and
   * its prompt stays in the inbox as after a hold timeout, so that a late lasting answer still
   * makes the rule that decides the app's retry. Returns what was forgotten (the caller marks
   * their connection rows).
   */
  forgetAll(): HeldConnection[] {
    const forgotten = [...this.#held.values()];
    if (forgotten.length === 0) return forgotten;
    this.#held.clear();
    for (const prompt of this.#prompts.values()) prompt.held.clear();
    this.#holding = 0;
    this.#changed = true;
    if (this.#prompts.size > this.#options.maxInboxPrompts) this.#trimInbox();
    return forgotten;
  }

  /** A process exited: its held connections get the default; prompts left empty are dropped. */
  processExited(pid: number, now: number): void {
    if (pid === 0) return;
    const verdict = this.#defaultVerdict();
    this.releaseWhere((held) => (held.request.pid === pid ? { verdict, ruleId: null } : null), now);
    for (const prompt of [...this.#prompts.values()]) {
      if (prompt.pids.delete(pid) && prompt.pids.size === 0 && prompt.held.size === 0) this.#drop(prompt);
    }
  }

  /** Prompts grouped by app for the UI. */
  list(): PromptGroup[] {
    const { inboxTtlMs } = this.#options;
    return groupPrompts(this.#prompts.values(), {
      holdTimeoutMs: this.#holdTimeoutMs(),
      inboxTtlMs,
      heldAt: (requestId) => this.#held.get(requestId)?.heldAt,
    });
  }

  /**
   * The hold timeout in force: the setting, but never past the total limit, which is below the
   * driver's own. A longer setting (the Settings view allowed 120 s) had the driver answer the
   * connection first while the prompt still counted down, and the late answer found no request.
   */
  #holdTimeoutMs(): number {
    return Math.min(this.#options.holdTimeoutMs, this.#options.maxTotalHoldMs);
  }

  #releaseOne(requestId: bigint, verdict: DriverVerdict, ruleId: string | null, now: number): boolean {
    const held = this.#held.get(requestId);
    if (held === undefined) return false;
    this.#held.delete(requestId);
    const prompt = this.#prompts.get(held.promptId);
    if (prompt?.held.delete(requestId) === true && prompt.held.size === 0) this.#holding--;
    this.#changed = true;
    this.#release(held, verdict, ruleId, now);
    return true;
  }

  /**
   * Drops the oldest inbox prompts (holding nothing) down to the limit, and a sixteenth of it
   * more, so the walk past the prompts that hold connections is paid once per batch.
   */
  #trimInbox(): void {
    const limit = this.#options.maxInboxPrompts;
    let excess = this.#prompts.size - this.#holding - limit + Math.max(1, limit >> 4);
    for (const prompt of this.#prompts.values()) {
      if (excess <= 0) break;
      if (prompt.held.size > 0) continue;
      this.#drop(prompt);
      excess--;
    }
  }

  #drop(prompt: PromptRecord): void {
    this.#prompts.delete(prompt.id);
    this.#byKey.delete(prompt.key);
    this.#changed = true;
  }

  #defaultVerdict(): DriverVerdict {
    return plainVerdict(this.#options.defaultAction);
  }
}
