import type { DnsLogEntry } from '../contract/dns-log.ts';
import type {
  ConnectionRequest,
  DnsExchangeReport,
  DriverEvent,
  DriverVerdict,
  ProcessInfo,
} from '../contract/driver-events.ts';
import type { RuleDecidedReport } from '../contract/driver-policy.ts';
import { formatIp, parseIp } from '../contract/ip-address.ts';
import { MAX_RULES, type Rule, type RuleAction, type RuleInput, type RulePatch } from '../contract/rules.ts';
import { answerAllOfApp, type AppAnswered } from './answer-app.ts';
import { type AppIdentity, ProcessDirectory } from './app-identity.ts';
import { type AppBucket, BandwidthAttribution } from './bandwidth-attribution.ts';
import { appKeyOf } from './compiled-rule.ts';
import {
  type ConnectionChanges,
  type ConnectionRow,
  ConnectionTable,
  type ConnectionTableOptions,
} from './connection-table.ts';
import { type BlocklistLookup, decide, modeAction, permanentVerdict, plainVerdict } from './decide.ts';
import { type ModeRequest, ModeState, type ModeStatus } from './modes.ts';
import { NameCache, type NameCacheOptions } from './name-cache.ts';
import { type CompiledPolicy, compilePolicy } from './policy-compiler.ts';
import { PolicyTags } from './policy-tags.ts';
import type { ReverseLookupPort, RuleRepository, VerdictPort } from './ports.ts';
import { type HeldConnection, PromptQueue, type PromptQueueOptions } from './prompt-queue.ts';
import { type PromptAnswer, ruleInputForAnswer, type ScopeError } from './prompt-scope.ts';
import type { PromptGroup } from './prompt-view.ts';
import {
  defaultRuleId,
  type ImportResult,
  type Persist,
  RuleBook,
  type RuleComparison,
  type RuleError,
  type RuleIdFactory,
  type RuleResult,
} from './rule-book.ts';
import type { ConnectionFacts } from './rule-matcher.ts';
import { patchedRuleInput } from './rule-patch.ts';
import { type RuleHit, RuleSet } from './rule-set.ts';

export interface EngineOptions {
  readonly verdicts: VerdictPort;
  readonly repository: RuleRepository;
  readonly reverseLookup?: ReverseLookupPort;
  readonly newRuleId?: RuleIdFactory;
  /** Windows: app paths compare case-insensitively. */
  readonly caseInsensitivePaths?: boolean;
  readonly prompts?: Partial<PromptQueueOptions>;
  readonly names?: Partial<NameCacheOptions>;
  readonly connections?: Partial<ConnectionTableOptions>;
  /** Told about an internal error; the engine has already answered the request it concerned. */
  readonly onError?: (error: unknown) => void;
  /**
   * ZenithFence's own process (the one that downloads blocklists): its outbound connections are
   * allowed where the user would be asked, so the firewall never prompts about itself. Rules,
   * lists and the mode still apply to it. Both the pid and the executable must match: a pid alone
   * could name another process (the app in a container of its own counts pids from 1 there).
   */
  readonly ownProcess?: { readonly pid: number; readonly path: string };
}

export type AnswerResult =
  | { readonly ok: true; readonly rule: Rule | null; readonly released: number }
  | { readonly ok: false; readonly error: 'unknown-prompt' | ScopeError | RuleError };

/** What answers our own process's connections where the user would be asked: allowed, this once. */
const OWN_CONNECTION = { kind: 'own', verdict: 'accept' } as const;

/** The most DNS answers kept between two takes (a second's worth of a busy resolver, many times over). */
const MAX_DNS_LOG_BACKLOG = 20_000;

/**
 * The decision engine: driver events in, verdicts out through the VerdictPort, exactly once
 * per request id. Pure: no timers and no I/O; the shell passes `now` (ms since the epoch) to
 * every call and calls tick(now) about once a second (README.md).
 */
export class Engine {
  readonly #verdicts: VerdictPort;
  readonly #reverse: ReverseLookupPort | undefined;
  readonly #onError: (error: unknown) => void;
  readonly #own: { readonly pid: number; readonly path: string } | null;
  readonly #paths: { readonly caseInsensitivePaths: boolean };
  readonly #rules: RuleSet;
  readonly #book: RuleBook;
  readonly #mode = new ModeState();
  readonly #processes = new ProcessDirectory();
  readonly #names: NameCache;
  /** The blocklists in force (decide.ts): consulted after the rules. */
  #blocklists: BlocklistLookup | null = null;
  readonly #table: ConnectionTable;
  readonly #bandwidth: BandwidthAttribution;
  readonly #queue: PromptQueue;
  readonly #policyTags = new PolicyTags();
  /** Answers for the DNS log since the last takeDnsLog (bounded: the oldest go first). */
  #dnsLog: DnsLogEntry[] = [];
  #dnsLogDropped = 0;

  constructor(options: EngineOptions) {
    this.#verdicts = options.verdicts;
    this.#reverse = options.reverseLookup;
    this.#onError = options.onError ?? (() => undefined);
    // pid 0 is "unknown" on the wire and '' an unknown path: never taken for ours.
    const own = options.ownProcess;
    this.#own = own === undefined || own.pid === 0 || own.path === '' ? null : own;
    this.#paths = { caseInsensitivePaths: options.caseInsensitivePaths ?? false };
    this.#rules = new RuleSet(this.#paths);
    this.#book = new RuleBook(this.#rules, options.repository, options.newRuleId ?? defaultRuleId);
    this.#names = new NameCache(options.names);
    this.#table = new ConnectionTable(options.connections);
    this.#bandwidth = new BandwidthAttribution(this.#table);
    this.#queue = new PromptQueue(options.prompts ?? {}, (held, verdict, ruleId, now) =>
      this.#released(held, verdict, ruleId, now),
    );
  }

  /** Loads the stored rules at start; returns the ids of rules that could not be used. */
  attachRules(rules: readonly Rule[]): { rejected: string[] } {
    return { rejected: this.#book.attach(rules) };
  }

  /** Consumes one driver event. Never throws; a connection request is always answered or held. */
  handle(event: DriverEvent, now: number): void {
    try {
      switch (event.kind) {
        case 'process':
          return this.#learnProcess(event.process);
        case 'connection':
          return this.#connection(event, now);
        case 'connection-ended':
          return this.#table.end(event.flow, now);
        case 'dns': {
          const learned = this.#names.addDns(event.name, event.address, event.ttlSeconds, now);
          if (learned !== null) this.#table.nameLearned(learned.ip, learned.host);
          return;
        }
        case 'dns-exchange':
          return this.#dnsExchange(event, now);
        case 'bandwidth':
          return this.#bandwidth.add(event, now);
        case 'rule-decided':
          return this.#ruleDecided(event, now);
        case 'policy-state':
          // Keeps the tag map of what the driver enforces, whatever was sent since.
          return this.#policyTags.enforced(event.generation);
        case 'log':
          return;
      }
    } catch (error) {
      this.#onError(error);
    }
  }

  #connection(request: ConnectionRequest, now: number): void {
    if (this.#queue.isHeld(request.requestId)) {
      // A duplicate: it is answered once, later. A pid-0 report sent for it is used up all the
      // same, so that it cannot describe another connection.
      this.#processes.identify(request);
      return;
    }
    let answered = false;
    try {
      const { app, facts, rowId } = this.#openRow(request, now);
      const decided = decide(facts, this.#rules, this.#mode.current(now), now, this.#blocklists ?? undefined);
      const decision = decided.kind === 'ask' && this.#isOwn(request, app) ? OWN_CONNECTION : decided;
      if (decision.kind === 'ask') {
        answered = true; // from here on the queue answers it, exactly once
        this.#queue.hold(request, facts, app, rowId, now);
        return;
      }
      answered = true;
      this.#verdicts.send(request.requestId, decision.verdict);
      this.#table.setVerdict(rowId, decision.verdict, decision.kind === 'rule' ? decision.rule.id : null);
    } catch (error) {
      if (!answered) this.#verdicts.send(request.requestId, plainVerdict(this.#queue.options.defaultAction));
      this.#onError(error);
    }
  }

  /** An outbound connection of ZenithFence's own process: its pid and its executable. */
  #isOwn(request: ConnectionRequest, app: AppIdentity): boolean {
    const own = this.#own;
    return own !== null && request.pid === own.pid && app.path === own.path && request.direction === 'outbound';
  }

  /** Identifies the app, names the remote address (asking for a reverse lookup if none) and opens the row. */
  #openRow(
    request: ConnectionRequest | RuleDecidedReport,
    now: number,
  ): { app: AppIdentity; facts: ConnectionFacts; rowId: number } {
    const quit = this.#processes.noteRequest(request);
    if (quit !== null) this.appQuit(quit);
    const app = this.#processes.identify(request);
    const facts = this.#facts(request, app, now);
    const host = this.#names.displayName(facts.remoteIp, now);
    if (host === null && this.#reverse !== undefined && this.#names.wantsReverse(facts.remoteIp, now)) {
      this.#reverse.lookup(facts.remoteIp);
    }
    const rowId = this.#table.open(request, app, { ip: facts.remoteIp, host }, now);
    return { app, facts, rowId };
  }

  /**
   * A connection the driver decided by its policy: it is listed (and so goes to the history and
   * gets its bytes) as one the engine decided by that rule, and the rule's hit is counted. Nothing
   * is answered: nothing was held.
   */
  #ruleDecided(report: RuleDecidedReport, now: number): void {
    const ruleId = this.#policyTags.ruleIdOf(report.generation, report.ruleTag);
    const { rowId } = this.#openRow(report, now);
    this.#table.policyDecided(rowId, report.verdict, ruleId);
    if (ruleId !== null) this.#rules.recordHit(ruleId, now);
  }

  /**
   * A DNS answer for the log, with its asker: the process the driver named if the directory knows
   * it, else the app of the query's own connection (a pid the driver could not find, or a
   * process it described before a restart of ours).
   */
  #dnsExchange(report: DnsExchangeReport, now: number): void {
    let pid = report.pid;
    let path = '';
    let uid: number | null = null;
    const known = this.#processes.known(pid);
    const row = known === null ? this.#table.liveRowForFlow(report.query) : undefined;
    if (known !== null) {
      ({ path, uid } = known);
    } else if (row !== undefined) {
      ({ appPath: path, uid } = row);
      if (pid === 0) pid = row.pid;
    }
    this.#dnsLog.push({
      at: now,
      pid,
      appPath: path,
      uid,
      name: report.name,
      qtype: report.qtype,
      rcode: report.rcode,
      addresses: report.addresses,
      ttlSeconds: report.ttlSeconds,
      resolver: report.query.remoteIp,
    });
    if (this.#dnsLog.length > MAX_DNS_LOG_BACKLOG) {
      this.#dnsLog.splice(0, this.#dnsLog.length - MAX_DNS_LOG_BACKLOG);
      this.#dnsLogDropped += 1;
    }
  }

  /**
   * The answers for the DNS log since the last call, oldest first, and how many were dropped
   * because nobody took them in time (the backlog is bounded).
   */
  takeDnsLog(): { readonly entries: DnsLogEntry[]; readonly dropped: number } {
    const taken = { entries: this.#dnsLog, dropped: this.#dnsLogDropped };
    this.#dnsLog = [];
    this.#dnsLogDropped = 0;
    return taken;
  }

  #facts(request: ConnectionRequest | RuleDecidedReport, app: AppIdentity, now: number): ConnectionFacts {
    const flow = request.flow;
    const bytes = parseIp(flow.remoteIp);
    // The driver sends canonical text; only an IPv4-mapped IPv6 address needs rewriting.
    const remoteIp =
      bytes !== null && bytes.length === 4 && flow.remoteIp.includes(':') ? formatIp(bytes) : flow.remoteIp;
    return {
      appKey: app.path === '' ? '' : appKeyOf(app.path, this.#paths),
      direction: request.direction,
      protocol: flow.protocol,
      remoteIp,
      remoteBytes: bytes,
      remotePort: flow.remotePort,
      hostNames: this.#names.namesFor(remoteIp, now),
    };
  }

  #released(held: HeldConnection, verdict: DriverVerdict, ruleId: string | null, now: number): void {
    this.#verdicts.send(held.request.requestId, verdict);
    if (held.rowId !== null) this.#table.setVerdict(held.rowId, verdict, ruleId);
    if (ruleId !== null) this.#rules.recordHit(ruleId, now);
  }

  /**
   * Answers a prompt: its held connections get the answer, the rule (unless 'once') is
   * created, and every other held connection a rule now decides is released too.
   */
  answerPrompt(promptId: string, answer: PromptAnswer, now: number): AnswerResult {
    const prompt = this.#queue.get(promptId);
    if (prompt === undefined) return { ok: false, error: 'unknown-prompt' };
    const scoped = ruleInputForAnswer(prompt.subject, answer);
    if (!scoped.ok) return scoped;
    let rule: Rule | null = null;
    if (scoped.input !== null) {
      const created = this.#book.create(scoped.input, now);
      if (!created.ok) return created;
      rule = created.rule;
    }
    let released = this.#queue.releasePrompt(promptId, permanentVerdict(answer.action), rule?.id ?? null, now);
    this.#queue.remove(promptId, now);
    if (rule !== null) released += this.#rulesChanged(now);
    return { ok: true, rule, released };
  }

  /**
   * "Allow all" / "Block all" for one app (answer-app.ts): each of its prompts, this time only.
   * The prompt list changes once for the caller: one takePromptsChanged() covers them all.
   */
  answerApp(appPath: string, action: RuleAction, now: number): AppAnswered {
    return answerAllOfApp(this.listPrompts(), appPath, action, (id, answer) => this.answerPrompt(id, answer, now));
  }

  /** Held connections that a rule now decides get its verdict; covered inbox prompts go. */
  #rulesChanged(now: number): number {
    const released = this.#queue.releaseWhere((held) => {
      const match = this.#rules.bestMatch(held.facts, now);
      return match === null ? null : { verdict: permanentVerdict(match.rule.action), ruleId: match.rule.id };
    }, now);
    this.#queue.dropCovered((prompt) => this.#rules.bestMatch(prompt.facts, now) !== null);
    return released;
  }

  /** Applies hold timeouts, ends a pause, expires rules, prompts and names. Call about once a second. */
  tick(now: number): void {
    this.#mode.tick(now);
    this.#queue.tick(now);
    this.#book.expire(now, this.#onError);
    this.#names.prune(now);
  }

  /** Pauses a prompt's countdown (its hold restarts, within the driver's limit). */
  extendPromptHold(promptId: string, now: number): boolean {
    return this.#queue.extendHold(promptId, now);
  }

  /** Switches mode; held connections get the new mode's verdict if it has one. */
  setMode(request: ModeRequest, now: number): void {
    this.#mode.set(request, now);
    const action = modeAction(this.#mode.current(now));
    if (action !== null) this.#queue.releaseAll(plainVerdict(action), now);
  }

  getMode(now: number): ModeStatus {
    return this.#mode.status(now);
  }

  /** Changes hold timeout, inbox lifetime, default action or the held limit. */
  configurePrompts(options: Partial<PromptQueueOptions>): void {
    this.#queue.configure(options);
  }

  listPrompts(): PromptGroup[] {
    return this.#queue.list();
  }

  /** True once after the prompt list changed (the shell then refreshes the prompt window). */
  takePromptsChanged(): boolean {
    return this.#queue.takeChanged();
  }

  listConnections(): ConnectionRow[] {
    return this.#table.list();
  }

  takeChanges(): ConnectionChanges {
    return this.#table.takeChanges();
  }

  takeAppBuckets(): AppBucket[] {
    return this.#bandwidth.takeAppBuckets();
  }

  takeHits(): RuleHit[] {
    return this.#rules.takeHits();
  }

  listRules(): Rule[] {
    return this.#rules.list();
  }

  /**
   * A rule the user creates; refused ('too-many-rules') once MAX_RULES rules are in force.
   * Prompt answers are not refused (answerPrompt): an answer must apply, and they come one
   * click at a time.
   */
  addRule(input: RuleInput, now: number): RuleResult {
    if (this.#rules.size >= MAX_RULES) return { ok: false, error: 'too-many-rules' };
    const result = this.#book.create(input, now);
    if (result.ok) this.#rulesChanged(now);
    return result;
  }

  /**
   * Adds many rules as one change (a rule file import). Every input is checked first; inputs
   * identical to a rule in force or to an earlier input are skipped (rule-identity.ts); when the
   * rest would bring the rules past MAX_RULES the import is refused whole. Then the new stored
   * ones are written inside `persist` (the caller's transaction) and only once that has returned
   * are the rules put in force, with one index build and one re-evaluation of the held
   * connections for the whole batch. A refused import, or a `persist` that throws, changes nothing.
   */
  addRules(inputs: readonly RuleInput[], now: number, persist: Persist = (writes) => writes()): ImportResult {
    const result = this.#book.importMany(inputs, now, persist, MAX_RULES);
    if (result.ok && result.rules.length > 0) this.#rulesChanged(now);
    return result;
  }

  /**
   * The policy for the driver from the rules in force now (policy-compiler.ts); its tags are
   * remembered, so that the driver's RuleDecided infos of this generation name their rules.
   */
  compilePolicy(generation: bigint, noAppAction: RuleAction, now: number): CompiledPolicy {
    const compiled = compilePolicy(this.#rules.compiled(), {
      generation,
      noAppAction,
      caseInsensitivePaths: this.#paths.caseInsensitivePaths,
      now,
    });
    this.#policyTags.remember(generation, compiled.ruleIds);
    return compiled;
  }

  /** Grows with every change of the rules in force: a policy compiled at another version is stale. */
  get rulesVersion(): number {
    return this.#rules.version;
  }

  /** How many rules are in force (stored and memory-only). */
  get ruleCount(): number {
    return this.#rules.size;
  }

  /** How often the rule index was built so far (a diagnostic for tests and benchmarks). */
  get ruleIndexBuilds(): number {
    return this.#rules.indexBuilds;
  }

  /** Changes the fields of a rule that `patch` names; the others keep their values (rule-patch.ts). */
  patchRule(id: string, patch: RulePatch, now: number): RuleResult {
    const current = this.#rules.get(id);
    if (current === undefined) return { ok: false, error: 'unknown-rule' };
    return this.updateRule(id, patchedRuleInput(current, patch), now);
  }

  updateRule(id: string, input: RuleInput, now: number): RuleResult {
    const result = this.#book.update(id, input, now);
    if (result.ok) this.#rulesChanged(now);
    return result;
  }

  /** The blocklists from now on (null: none); connections already decided keep their verdict. */
  setBlocklists(lists: BlocklistLookup | null): void {
    this.#blocklists = lists;
  }

  removeRule(id: string): boolean {
    return this.#book.remove(id);
  }

  /** How each import candidate compares with the rules in force (RuleBook.compareAll). */
  compareRules(inputs: readonly RuleInput[], now: number): RuleComparison[] {
    return this.#book.compareAll(inputs, now);
  }

  /**
   * Removes all the rules of `ids` in one `persist` (one transaction), or none when one is
   * unknown or the write fails (an import undone as one step).
   */
  removeRules(
    ids: readonly string[],
    persist: Persist = (writes) => writes(),
  ): { ok: true; removed: number } | { ok: false; unknown: string } {
    // As removeRule: fewer rules release nothing held (the policy sync sees the new list).
    return this.#book.removeMany(ids, persist);
  }

  /** The shell saw the last process of `appPath` exit: its 'until-app-quits' rules end. */
  appQuit(appPath: string): void {
    this.#book.appQuit(appPath);
  }

  /**
   * A process exited: its held connections get the default; its empty prompts go; the engine
   * forgets it, and when it was the last known process of its app, that app quit (appQuit).
   */
  processExited(pid: number, now: number): void {
    this.#queue.processExited(pid, now);
    const quit = this.#processes.forget(pid);
    if (quit !== null) this.appQuit(quit);
  }

  /** What the driver reported of `pid`, as the process directory keeps it (the runtime completes it). */
  reportedProcess(pid: number): ProcessInfo | undefined {
    return this.#processes.reportedOf(pid);
  }

  /** The pids the process directory remembers (the runtime asks the system which exited). */
  knownPids(): number[] {
    return this.#processes.pids();
  }

  /** Remembers a reported process; a pid now naming another program means its old app may have quit. */
  #learnProcess(process: ProcessInfo): void {
    const quit = this.#processes.learn(process);
    if (quit !== null) this.appQuit(quit);
  }

  /** The answer to a ReverseLookupPort.lookup(ip). */
  reverseLookupAnswered(ip: string, names: readonly string[], now: number): void {
    const host = this.#names.reverseAnswered(ip, names, now);
    if (host !== null) this.#table.nameLearned(ip, host);
  }

  /**
   * The link to the driver was lost (call it whenever the link leaves 'connected'). The driver
   * has answered every held connection itself, and the next link numbers its requests anew, so
   * a verdict for a held id would decide another connection: each held connection is forgotten
   * without a verdict, its row says the driver decided it, and its prompt stays in the inbox.
   * Returns how many were forgotten.
   */
  driverLost(): number {
    // A pid-0 report describes the next connection of its link only.
    this.#processes.linkLost();
    const forgotten = this.#queue.forgetAll();
    for (const held of forgotten) if (held.rowId !== null) this.#table.driverDecided(held.rowId);
    return forgotten.length;
  }

  /** Answers every held connection with the default action (before disconnecting). */
  shutdown(now: number): number {
    return this.#queue.releaseAll(plainVerdict(this.#queue.options.defaultAction), now);
  }
}
