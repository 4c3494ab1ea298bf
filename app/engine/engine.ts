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
import type { LearningStart, LearningStatus, ProposalGroup, Review } from '../contract/learning.ts';
import type { NetworkFacts } from '../contract/network.ts';
import type { KnownNetwork, Profile, ProfileInput, ProfilePatch, ProfileStatus } from '../contract/profiles.ts';
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
import { Learning, type LearningSettings, NO_LEARNING, type StoredProposal } from './learning.ts';
import { type ModeRequest, ModeState, type ModeStatus } from './modes.ts';
import { NameCache, type NameCacheOptions } from './name-cache.ts';
import { type CompiledPolicy, compilePolicy } from './policy-compiler.ts';
import { PolicyTags } from './policy-tags.ts';
import type { ReverseLookupPort, RuleRepository, VerdictPort } from './ports.ts';
import { defaultSnapshot, type ProfileError, type ProfileSnapshot, ProfileState } from './profiles.ts';
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
  /**
   * The profiles as saved, and where to save them after every change (profiles.ts). Without,
   * the built-ins and no known network.
   */
  readonly profiles?: { readonly snapshot: ProfileSnapshot; readonly save: (snapshot: ProfileSnapshot) => void };
  /**
   * Learning as saved: its settings (saved through `save` at every change) and the proposals
   * (the shell writes them in batches from takeLearningWrites()). Without: off, none.
   */
  readonly learning?: {
    readonly settings: LearningSettings;
    readonly proposals: readonly StoredProposal[];
    readonly save: (settings: LearningSettings) => void;
  };
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
/** How often networks' last-seen times alone are saved (profiles.ts: every other change at once). */
const PROFILE_TIMES_SAVE_MS = 60_000;

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
  readonly #profiles: ProfileState;
  readonly #saveProfiles: (snapshot: ProfileSnapshot) => void;
  /** The epoch of the last network facts handled and not yet taken (takeNetworkSeen). */
  #networkSeen: number | null = null;
  #profileChanged = false;
  /** Last-seen times changed since the last save (saved by tick, at most once a minute). */
  #profilesUnsaved = false;
  #lastProfileSave = 0;
  readonly #learning: Learning;
  readonly #saveLearning: (settings: LearningSettings) => void;
  #learningChanged = false;
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
    this.#profiles = new ProfileState(options.profiles?.snapshot ?? defaultSnapshot('block'));
    this.#saveProfiles = options.profiles?.save ?? (() => undefined);
    this.#learning = new Learning(options.learning?.settings ?? NO_LEARNING, options.learning?.proposals ?? []);
    this.#saveLearning = options.learning?.save ?? (() => undefined);
    this.#book = new RuleBook(this.#rules, options.repository, options.newRuleId ?? defaultRuleId, (id) =>
      this.#profiles.list().some((profile) => profile.id === id),
    );
    this.#names = new NameCache(options.names);
    this.#table = new ConnectionTable(options.connections);
    this.#bandwidth = new BandwidthAttribution(this.#table);
    this.#queue = new PromptQueue(options.prompts ?? {}, (held, verdict, ruleId, now) =>
      this.#released(held, verdict, ruleId, now),
    );
    const active = this.#profiles.active();
    this.#rules.setProfile(active.id);
    this.#mode.set({ mode: active.mode }, 0);
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
        case 'network':
          return this.#network(event.facts, now);
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
      const once = this.#table.answeredOnce(rowId)?.for(request, app.path) ?? null;
      const decided = decide(facts, this.#rules, this.#mode.current(now), now, this.#blocklists ?? undefined);
      const decision = decided.kind === 'ask' && this.#isOwn(request, app) ? OWN_CONNECTION : decided;
      if (decision.kind === 'ask' && once !== null) {
        // The same connection, answered "Once" by the user: answered so again, not asked about
        // again (a rule or a mode since decides above).
        answered = true;
        this.#verdicts.send(request.requestId, once);
        this.#table.setVerdict(rowId, once, null);
        this.#table.markAnsweredOnce(rowId, once);
        return;
      }
      if (decision.kind === 'ask' && this.#learn(facts, app, now)) {
        // Allowed with a plain verdict: the rule it proposes is not made, so the driver asks
        // again about a later new packet of the flow, and a rule the review keeps decides then.
        answered = true;
        this.#verdicts.send(request.requestId, plainVerdict('allow'));
        this.#table.setVerdict(rowId, plainVerdict('allow'), null);
        return;
      }
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
    const verdict = permanentVerdict(answer.action);
    // A "Once" answer stands for its connections should the driver ask about them again.
    const answeredOnce = rule === null ? this.#queue.heldBy(promptId) : [];
    let released = this.#queue.releasePrompt(promptId, verdict, rule?.id ?? null, now);
    for (const held of answeredOnce) if (held.rowId !== null) this.#table.markAnsweredOnce(held.rowId, verdict);
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
    if (this.#profilesUnsaved && now - this.#lastProfileSave >= PROFILE_TIMES_SAVE_MS) this.#persistProfiles(now);
    if (this.#learning.tick(now)) this.#learningSettingsChanged();
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
    // A mode chosen (not a pause) is the active profile's from now on.
    if (request.mode !== 'pause' && this.#profiles.active().mode !== request.mode) {
      this.#profiles.update(this.#profiles.active().id, { mode: request.mode });
      this.#profileChanged = true;
      this.#persistProfiles();
    }
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
    const compiled = compilePolicy(this.#rules.inForce(), {
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
    if (this.#learning.appQuit(appKeyOf(appPath, this.#paths))) this.#learningSettingsChanged();
  }

  /** A connection that would prompt, learned instead (learning.ts); false: it prompts. */
  #learn(facts: ConnectionFacts, app: AppIdentity, now: number): boolean {
    if (!this.#learning.covers(facts.appKey, now)) return false;
    if (!this.#learning.record(facts, app.path, now)) return false;
    this.#learningChanged = true;
    return true;
  }

  /**
   * Starts learning: for everyone for `minutes`, or one app until it quits. Connections held now
   * that it covers are learned (allowed) at once rather than left waiting for their prompt.
   */
  startLearning(request: LearningStart, now: number): LearningStatus {
    this.#learning.start(
      request,
      request.kind === 'until-app-quits' ? appKeyOf(request.appPath, this.#paths) : null,
      now,
    );
    this.#learningSettingsChanged();
    this.#queue.releaseWhere((held) => {
      if (!this.#learning.covers(held.facts.appKey, now)) return null;
      const appPath = this.#queue.get(held.promptId)?.subject.appPath ?? '';
      if (!this.#learning.record(held.facts, appPath, now)) return null;
      return { verdict: plainVerdict('allow'), ruleId: null };
    }, now);
    // Their prompts, holding nothing now, leave the inbox: the review shows what was learned.
    this.#queue.dropCovered((prompt) => this.#learning.covers(prompt.facts.appKey, now));
    return this.learningStatus(now);
  }

  /** Stops learning; the proposals stay for review. */
  stopLearning(now: number): LearningStatus {
    this.#learning.stop();
    this.#learningSettingsChanged();
    return this.learningStatus(now);
  }

  /** Marks an app "always ask": it prompts even while learning. */
  setAlwaysAsk(appPath: string, alwaysAsk: boolean, now: number): LearningStatus {
    this.#learning.setAlwaysAsk(appKeyOf(appPath, this.#paths), alwaysAsk);
    this.#learningSettingsChanged();
    return this.learningStatus(now);
  }

  learningStatus(now: number): LearningStatus {
    return this.#learning.status(now);
  }

  /** The proposals grouped per app (by app path), apps and destinations in the order first seen. */
  listProposals(): ProposalGroup[] {
    const groups = new Map<string, { appPath: string; app: string; proposals: StoredProposal[] }>();
    for (const proposal of this.#learning.list()) {
      const appPath = proposal.rule.app.kind === 'path' ? proposal.rule.app.path : '';
      let group = groups.get(proposal.appKey);
      if (group === undefined) {
        group = { appPath, app: appPath.split(/[\\/]/).pop() ?? appPath, proposals: [] };
        groups.set(proposal.appKey, group);
      }
      group.proposals.push(proposal);
    }
    return [...groups.values()].map((group) => ({
      ...group,
      proposals: group.proposals
        .sort((a, b) => a.firstAt - b.firstAt)
        .map(({ id, rule, connections, firstAt, lastAt }) => ({ id, rule, connections, firstAt, lastAt })),
    }));
  }

  /**
   * The user's review: kept proposals become rules (as proposed, or as narrowed in the editor),
   * all in one `persist` like a picked import, identical ones skipped; discarded ones go. An
   * unknown proposal or a refused rule changes nothing.
   */
  review(
    decisions: Review['decisions'],
    now: number,
    persist: Persist = (writes) => writes(),
  ): { ok: true; kept: number; discarded: number; ruleIds: string[] } | { ok: false; error: string } {
    const inputs: RuleInput[] = [];
    for (const decision of decisions) {
      const proposal = this.#learning.get(decision.proposalId);
      if (proposal === undefined) return { ok: false, error: `no proposal ${decision.proposalId}` };
      if (decision.action === 'keep') inputs.push(decision.rule ?? proposal.rule);
    }
    let ruleIds: string[] = [];
    if (inputs.length > 0) {
      const added = this.addRules(inputs, now, persist);
      if (!added.ok)
        return {
          ok: false,
          error: added.error === 'too-many-rules' ? added.error : `${added.error} (decision ${String(added.index)})`,
        };
      ruleIds = added.rules.map((rule) => rule.id);
    }
    this.#learning.remove(decisions.map((d) => d.proposalId));
    this.#learningChanged = true;
    return { ok: true, kept: inputs.length, discarded: decisions.length - inputs.length, ruleIds };
  }

  /** Proposals changed and removed since the last call, for the shell to write in one batch. */
  takeLearningWrites(): { readonly put: StoredProposal[]; readonly removed: string[] } {
    return this.#learning.takeWrites();
  }

  /** A batch the store refused: written again with the next one. */
  learningWriteFailed(writes: { readonly put: readonly StoredProposal[]; readonly removed: readonly string[] }): void {
    this.#learning.rewrite(writes);
  }

  /** True once after learning started, stopped or recorded something (the status shows it). */
  takeLearningChanged(): boolean {
    const changed = this.#learningChanged;
    this.#learningChanged = false;
    return changed;
  }

  #learningSettingsChanged(): void {
    this.#learningChanged = true;
    try {
      this.#saveLearning(this.#learning.settings());
    } catch (error) {
      this.#onError(error);
    }
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
   * The network changed (in stream order: the connections after it are on the new network). The
   * profile of the new network is put in force before the next event is decided; the runtime
   * then tells the driver it may decide by its policy again (takeNetworkSeen).
   */
  #network(facts: NetworkFacts, now: number): void {
    this.#networkSeen = facts.epoch;
    const { switched, remember } = this.#profiles.network(facts, now);
    this.#profileChanged = true;
    // Only a network's last-seen time changed: saved with the next tick past a minute, not per
    // event (a flapping route would otherwise write the whole snapshot at every change).
    if (remember) this.#persistProfiles(now);
    else this.#profilesUnsaved = true;
    if (switched) this.#applyProfile(now);
  }

  /** The active profile's rules and mode in force; held connections decided again by them. */
  #applyProfile(now: number): void {
    const profile = this.#profiles.active();
    this.#rules.setProfile(profile.id);
    this.#mode.setBase(profile.mode);
    const action = modeAction(this.#mode.current(now));
    if (action !== null) this.#queue.releaseAll(plainVerdict(action), now);
    else this.#rulesChanged(now);
    this.#profileChanged = true;
  }

  #persistProfiles(now: number = this.#lastProfileSave): void {
    this.#profilesUnsaved = false;
    this.#lastProfileSave = now;
    try {
      this.#saveProfiles(this.#profiles.snapshot());
    } catch (error) {
      // The profile applies all the same; the shell's store reports what it could not write.
      this.#onError(error);
    }
  }

  /** The epoch of the network facts handled since the last call (null: none). */
  takeNetworkSeen(): number | null {
    const epoch = this.#networkSeen;
    this.#networkSeen = null;
    return epoch;
  }

  /** True once after the active profile, its settings, the profiles or the networks changed. */
  takeProfileChanged(): boolean {
    const changed = this.#profileChanged;
    this.#profileChanged = false;
    return changed;
  }

  activeProfile(): Profile {
    return this.#profiles.active();
  }

  profileStatus(): ProfileStatus {
    return this.#profiles.status();
  }

  listProfiles(): Profile[] {
    return this.#profiles.list();
  }

  listNetworks(): KnownNetwork[] {
    return this.#profiles.networks();
  }

  createProfile(input: ProfileInput, now: number): { ok: true; profile: Profile } | { ok: false; error: ProfileError } {
    const made = this.#profiles.create(input, `p-${now.toString(36)}-${Math.random().toString(36).slice(2, 8)}`);
    if (!made.ok) return made;
    this.#changedProfiles(false, now);
    return { ok: true, profile: made.value };
  }

  updateProfile(
    id: string,
    patch: ProfilePatch,
    now: number,
  ): { ok: true; profile: Profile } | { ok: false; error: ProfileError } {
    const updated = this.#profiles.update(id, patch);
    if (!updated.ok) return updated;
    this.#changedProfiles(updated.value.changedActive && patch.mode !== undefined, now);
    return { ok: true, profile: updated.value.profile };
  }

  /**
   * Deletes a user's profile and its rules (inside `persist`, one transaction, before the profile
   * goes: a refused write deletes nothing). Networks given it are asked about again.
   */
  deleteProfile(
    id: string,
    now: number,
    persist: Persist = (writes) => writes(),
  ): { ok: true; rulesDeleted: number } | { ok: false; error: ProfileError } {
    const profile = this.#profiles.list().find((p) => p.id === id);
    if (profile === undefined) return { ok: false, error: 'unknown-profile' };
    if (profile.builtIn) return { ok: false, error: 'built-in' };
    const ids = this.#rules
      .list()
      .filter((rule) => rule.profile === id)
      .map((rule) => rule.id);
    const removed = ids.length === 0 ? { ok: true as const, removed: 0 } : this.#book.removeMany(ids, persist);
    const rulesDeleted = removed.ok ? removed.removed : 0;
    const deleted = this.#profiles.remove(id);
    if (!deleted.ok) return deleted;
    this.#changedProfiles(deleted.value, now);
    return { ok: true, rulesDeleted };
  }

  /** Switches by hand (pinned: for good; else until the network changes). */
  activateProfile(id: string, pin: boolean, now: number): { ok: true } | { ok: false; error: ProfileError } {
    const result = this.#profiles.activate(id, pin);
    if (!result.ok) return result;
    this.#changedProfiles(result.value, now);
    return { ok: true };
  }

  unpinProfile(now: number): void {
    this.#changedProfiles(this.#profiles.unpin(), now);
  }

  assignNetwork(key: string, profileId: string, now: number): { ok: true } | { ok: false; error: ProfileError } {
    const result = this.#profiles.assign(key, profileId);
    if (!result.ok) return result;
    this.#changedProfiles(result.value, now);
    return { ok: true };
  }

  forgetNetwork(key: string, now: number): boolean {
    const { forgotten, switched } = this.#profiles.forget(key);
    if (forgotten) this.#changedProfiles(switched, now);
    return forgotten;
  }

  /** After a change of the profiles: saved, and applied when the active one (or its mode) changed. */
  #changedProfiles(apply: boolean, now: number): void {
    this.#profileChanged = true;
    this.#persistProfiles();
    if (apply) this.#applyProfile(now);
  }

  /**
   * The link to the driver was lost (call it whenever the link leaves 'connected'). The driver
   * has answered every held connection itself, and the next link numbers its requests anew, so
   * a verdict for a held id would decide another connection: each held connection is forgotten
   * without a verdict, its row says the driver decided it, and its prompt stays in the inbox.
   * The live rows wait for a sign of life once the link is back (`ConnectionTable.linkLost`).
   * Returns how many were forgotten.
   */
  driverLost(now: number): number {
    // A pid-0 report describes the next connection of its link only.
    this.#processes.linkLost();
    this.#table.linkLost(now);
    const forgotten = this.#queue.forgetAll();
    for (const held of forgotten) if (held.rowId !== null) this.#table.driverDecided(held.rowId);
    return forgotten.length;
  }

  /** The link to the driver is up ('connected'): the rows live before it was lost have a grace to be seen. */
  driverConnected(now: number): void {
    this.#table.linkUp(now);
  }

  /**
   * Ends the rows not seen within the grace after the link's return (`ConnectionTable.endUnseen`);
   * returns how many. Call about once a second.
   */
  endUnseen(now: number): number {
    return this.#table.endUnseen(now);
  }

  /** Answers every held connection with the default action (before disconnecting). */
  shutdown(now: number): number {
    return this.#queue.releaseAll(plainVerdict(this.#queue.options.defaultAction), now);
  }
}
