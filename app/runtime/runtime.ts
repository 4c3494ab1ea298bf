import type { DnsLogEntry } from '../contract/dns-log.ts';
import type { DriverEvent, DriverVerdict } from '../contract/driver-events.ts';
import type { DriverPolicy, PolicyBlocklistSent } from '../contract/driver-policy.ts';
import type { PushChannel, PushMap } from '../contract/ipc.ts';
import type { RuleDuration } from '../contract/rules.ts';
import type { DriverState, LogView, PromptAnswer, Settings, StatusView } from '../contract/views.ts';
import { type AnswerResult, Engine } from '../engine/engine.ts';
import { type LearningSettings, NO_LEARNING } from '../engine/learning.ts';
import { defaultSnapshot, type ProfileSnapshot } from '../engine/profiles.ts';
import type { Store, StoredProposalRow } from '../store/index.ts';
import { BlocklistManager } from './blocklists.ts';
import { contained } from './guarded.ts';
import { HistoryLog } from './history-log.ts';
import { HistoryPartSize } from './history-part-size.ts';
import { HistoryWriter, newRunId } from './history-writer.ts';
import { HitDeltas } from './hit-deltas.ts';
import { loadLearningSettings, saveLearningSettings } from './learning-store.ts';
import { PendingWrite } from './pending-write.ts';
import { PolicyGenerations } from './policy-generation.ts';
import { PolicySync } from './policy-sync.ts';
import { attributeProcess } from './process-attribution.ts';
import { loadProfiles, saveProfiles } from './profile-store.ts';
import { RateLimitedLog } from './rate-limited-log.ts';
import { DEFAULT_SETTINGS, loadSettings } from './settings.ts';
import { storageErrorText } from './storage-errors.ts';
import { StorageGuard } from './storage-guard.ts';

/** What the runtime needs of the driver connection. */
export interface DriverPort {
  /** Answers a held request. */
  verdict(requestId: bigint, verdict: DriverVerdict): void;
  /** Asks the driver for the byte counts since the last request. */
  requestBandwidth(): void;
  /**
   * Writes a policy to the driver (all its parts, in order); rejects when the link cannot take
   * it. Absent: the driver cannot take one (the runtime then never sends).
   */
  sendPolicy?(policy: DriverPolicy): Promise<PolicyBlocklistSent | undefined>;
  /**
   * Tells the driver the network of a NetworkFacts epoch is in force (NetworkSeen); absent: the
   * link reports no network facts.
   */
  networkSeen?(epoch: number): Promise<void>;
  /**
   * What the driver's form of the policy depends on besides the rules and settings (Windows: the
   * drive map its NT paths are made with); a change makes the policy due again.
   */
  policyKey?(): string;
}

/** What the operating system says of a running process (the fallback for what the driver left out). */
export interface ProcessFacts {
  /** The executable's path as the user knows it; '' when it cannot be read. */
  readonly path: string;
  /** The owner's uid (Linux); null when unknown or not a number (Windows names a user, not a uid). */
  readonly uid: number | null;
  /** Opaque; differs between two processes that shared a pid; 0n when unknown. */
  readonly startTime: bigint;
}

/** What the runtime needs of the operating system (injected, so tests decide). */
export interface SystemPort {
  /** Whether a process with this pid still runs. */
  processAlive(pid: number): boolean;
  /**
   * The driver saw `pid` started at `startTime` (its own units; 0n unknown), so a later
   * `processAlive` can tell a reused pid from that process (Windows; absent on Linux, where
   * /proc is checked).
   */
  noteProcess?(pid: number, startTime: bigint): void;
  /** Host names of an address (PTR), for connections no DNS answer named. */
  reverseLookup(ip: string): Promise<readonly string[]>;
  /**
   * The process with this pid, for a connection the driver sent without a path
   * (process-attribution.ts); undefined when no such process can be read. Called on the event
   * path: it must answer from memory or a few system calls, never wait.
   */
  describeProcess?(pid: number): ProcessFacts | undefined;
  /** The path the user sees for a path the driver reported (Windows: NT device path → `C:\…`). Absent: as reported. */
  appPath?(driverPath: string): string;
}

export interface RuntimeOptions {
  readonly store: Store;
  readonly driver: DriverPort;
  readonly system?: SystemPort;
  readonly push: <C extends PushChannel>(channel: C, payload: PushMap[C]) => void;
  readonly caseInsensitivePaths?: boolean;
  /** Told about the engine's internal errors (default: the log). */
  readonly onError?: (error: unknown) => void;
  /** Where contained faults go, rate-limited (default: stderr). Its lines also reach the Logs view. */
  readonly log?: RateLimitedLog;
  /** Why the database could not be opened; then `store` is a stand-in that keeps nothing. */
  readonly storageUnavailable?: string | null;
  /** How often writes are retried while the storage refuses them (default STORAGE_RETRY_MS). */
  readonly storageRetryMs?: number;
  /** The file the connection log goes to when the setting is on (the host: `<data dir>/connections.jsonl`). */
  readonly connectionLogPath?: string;
  /** Where fetched blocklists are kept (the host: `<data dir>/blocklists`); none: fetched at each start. */
  readonly blocklistCacheDir?: string;
  /** Tests: a private CA trusted for https blocklists, and a smaller size limit for downloaded lists. */
  readonly blocklistCa?: string;
  readonly blocklistMaxBytes?: number;
  /** This process (the host: its pid and executable): its own connections are never prompted about (Engine `ownProcess`). */
  readonly ownProcess?: { readonly pid: number; readonly path: string };
  /**
   * History rows (new ones and updates together) one store write takes; the rest wait for
   * `writeBacklog`, which the host calls on later turns of its event loop (default: all in the
   * tick's one write). Bounds how long a write holds the engine's thread. New rows beyond
   * HISTORY_BACKLOG_WRITES writes' worth are let go, oldest first, and logged.
   */
  readonly historyRowsPerWrite?: number;
  /**
   * With it, each store write takes as many history rows as about this many ms allow (at least
   * HISTORY_MIN_ROWS_PER_WRITE, at most `historyRowsPerWrite`), measured from the writes before
   * (history-part-size.ts). Without it, each write takes `historyRowsPerWrite`.
   */
  readonly historyWriteBudgetMs?: number;
  /** A monotonic clock in ms that times the store writes (default `performance.now`; tests). */
  readonly writeTimer?: () => number;
}

/** The result of a prompt answer, with what the user should know when not all of it took effect. */
export type RuntimeAnswerResult = AnswerResult | (Extract<AnswerResult, { ok: true }> & { readonly warning: string });

/**
 * Thrown by the rule repository when the store refused a rule write (the engine then changes
 * nothing). It keeps the store's message, which is what a request that failed answers with.
 */
export class RuleNotSavedError extends Error {
  constructor(cause: unknown) {
    super(cause instanceof Error ? cause.message : String(cause), { cause });
    this.name = 'RuleNotSavedError';
  }
}

const MAX_LOGS = 2000;
/** Retention and downsampling run every this many ticks (seconds). */
const HOUSEKEEPING_EVERY_TICKS = 60;
const DAY_MS = 86_400_000;
/**
 * DNS answers deleted by one housekeeping run (about 0.2 s here): a retention made much shorter
 * is caught up over the following minutes, not in one pause of seconds on the engine's thread.
 */
const DNS_PRUNE_ROWS_PER_RUN = 5_000;
/**
 * How many writes' worth of new history rows may wait (with `historyRowsPerWrite`): beyond it
 * the oldest are let go rather than held in memory without bound.
 */
const HISTORY_BACKLOG_WRITES = 50;
/** Rows a timed write takes at least (history-part-size.ts: a commit costs about what a row does here). */
const HISTORY_MIN_ROWS_PER_WRITE = 50;
/** The first timed write's guess, in ms per row (a new row cost 20–90 µs here, `history-part-size.ts`). */
const HISTORY_START_MS_PER_ROW = 0.04;
/** The Logs view's severity for the runtime's own lines (warning). */
const WARNING = 4;
/** Rules that never outlive a restart; they are not put in force at start. */
const RESTART_ENDS = new Set<RuleDuration['kind']>(['until-restart', 'until-app-quits', 'once']);

function plural(n: number, word: string): string {
  return `${String(n)} ${word}${n === 1 ? '' : 's'}`;
}

/**
 * The app between the driver and the screen, shared by headless mode and the Electron shell:
 * the engine, the store and the pushes. It owns no timers and no sockets: the host calls
 * `handleEvent` for each driver event, `flush(now)` about every 100 ms (UI pushes) and
 * `tick(now)` about every second (timeouts, byte counts, writes to the store).
 *
 * None of these throws: the firewall must keep deciding whatever else fails. A step that throws
 * is logged (rate-limited) and the rest of the tick runs; the store's failures (a full disk) go
 * through the StorageGuard, which pauses and retries the writes and says so in the status.
 */
export class Runtime {
  readonly engine: Engine;
  /** The user's blocklists, given to the engine (blocklists.ts). */
  readonly blocklists: BlocklistManager;
  readonly store: Store;
  readonly log: RateLimitedLog;
  readonly #driver: DriverPort;
  readonly #pushTo: RuntimeOptions['push'];
  readonly #history: HistoryWriter;
  readonly #historyRowsPerWrite: number;
  /** Sizes each write by the time rows take; null: every write takes `#historyRowsPerWrite`. */
  readonly #partSize: HistoryPartSize | null;
  readonly #writeTimer: () => number;
  /** The connection log for log shippers (settings: connectionLog; the file: connectionLogPath). */
  readonly #historyLog: HistoryLog;
  /** Where the connection log goes when it is on ('' : this host keeps none). */
  readonly #connectionLogPath: string;
  readonly #hits = new HitDeltas();
  readonly #storage: StorageGuard;
  readonly #logs: LogView[] = [];
  readonly #system: SystemPort | undefined;
  /** The driver's policy, kept in step with the rules (policy-sync.ts). */
  readonly #policy: PolicySync;
  readonly #generations: PolicyGenerations;
  #ticks = 0;
  #now = 0;
  #driverState: DriverState = 'disconnected';
  #driverMessage = 'not connected yet';
  #settings: Settings;
  #appendingLog = false;
  /** The profiles and learning's settings, saved whole at every change (pending-write.ts). */
  readonly #profiles: PendingWrite<ProfileSnapshot>;
  readonly #learning: PendingWrite<LearningSettings>;

  constructor(options: RuntimeOptions, now: number) {
    this.store = options.store;
    this.#historyRowsPerWrite = options.historyRowsPerWrite ?? Number.POSITIVE_INFINITY;
    this.#partSize =
      options.historyWriteBudgetMs === undefined
        ? null
        : new HistoryPartSize({
            budgetMs: options.historyWriteBudgetMs,
            minRows: Math.min(HISTORY_MIN_ROWS_PER_WRITE, this.#historyRowsPerWrite),
            maxRows: this.#historyRowsPerWrite,
            startMsPerRow: HISTORY_START_MS_PER_ROW,
          });
    this.#writeTimer = options.writeTimer ?? (() => performance.now());
    this.#driver = options.driver;
    this.#pushTo = options.push;
    this.log =
      options.log ??
      new RateLimitedLog((line) => {
        console.error(`zenithfence: ${line}`);
        this.noteLog(line);
      });
    this.#now = now;
    // Before anything that may push a status (the storage guard below), since the status reads it.
    this.#generations = new PolicyGenerations(this.store);
    this.#policy = this.#policySync();
    this.#storage = new StorageGuard({
      log: this.log,
      onChange: () => this.#push('status:changed', this.status(this.#now)),
      unavailable: options.storageUnavailable ?? null,
      ...(options.storageRetryMs === undefined ? {} : { retryMs: options.storageRetryMs }),
    });
    this.#profiles = new PendingWrite('profiles', this.#storage, (snapshot) => saveProfiles(this.store, snapshot));
    this.#learning = new PendingWrite('learning', this.#storage, (settings) =>
      saveLearningSettings(this.store, settings),
    );
    // A row carries the uid of its process (the engine's process directory forgets exited ones).
    this.#history = new HistoryWriter(newRunId(now));
    this.#historyLog = new HistoryLog({ onProblem: (message) => this.log.line('connection-log', message) });
    this.#settings = contained('load settings', () => loadSettings(this.store), DEFAULT_SETTINGS, this.log);
    this.#connectionLogPath = options.connectionLogPath ?? '';
    this.#historyLog.setPath(this.#settings.connectionLog ? this.#connectionLogPath : '');
    this.#system = options.system;
    const system = options.system;
    this.engine = new Engine({
      ...(system === undefined ? {} : { reverseLookup: { lookup: (ip: string) => this.#reverseLookup(system, ip) } }),
      verdicts: { send: (id, verdict) => this.#driver.verdict(id, verdict) },
      repository: {
        save: (rule) => this.#ruleWrite('save a rule', () => this.store.rules.put(rule)),
        remove: (id) => this.#ruleWrite('delete a rule', () => void this.store.rules.delete(id)),
      },
      caseInsensitivePaths: options.caseInsensitivePaths ?? false,
      prompts: this.#promptOptions(this.#settings),
      onError: options.onError ?? ((error) => this.log.error('engine', error)),
      ...(options.ownProcess === undefined ? {} : { ownProcess: options.ownProcess }),
      profiles: {
        snapshot:
          contained(
            'read the profiles',
            () => loadProfiles(this.store, this.#settings.noAppAction),
            undefined,
            this.log,
          ) ?? defaultSnapshot(this.#settings.noAppAction),
        save: (snapshot) => this.#profiles.set(snapshot, this.#now),
      },
      learning: {
        settings: contained('read learning', () => loadLearningSettings(this.store), NO_LEARNING, this.log),
        proposals: this.#readProposals(),
        save: (settings) => this.#learning.set(settings, this.#now),
      },
    });
    this.#loadRules(now);
    this.blocklists = new BlocklistManager({
      store: this.store,
      setLookup: (lookup) => this.engine.setBlocklists(lookup),
      clock: () => this.#now,
      cacheDir: options.blocklistCacheDir ?? null,
      log: (message) => this.log.line('blocklists', message),
      changed: () => contained('policy send', () => this.#policy.changed(this.#now), undefined, this.log),
      ...(options.blocklistCa === undefined ? {} : { ca: options.blocklistCa }),
      ...(options.blocklistMaxBytes === undefined ? {} : { maxListBytes: options.blocklistMaxBytes }),
    });
    // In the background: connections before the lists are read are decided without them.
    void this.blocklists.load().catch((error: unknown) => this.log.error('blocklists', error));
  }

  #policySync(): PolicySync {
    return new PolicySync({
      // The driver's form of the policy also depends on the platform (Windows: the drive map).
      // The active profile's rules are in rulesVersion (a switch changes it); its no-app action is here.
      key: () =>
        `${String(this.engine.rulesVersion)}:${this.engine.activeProfile().noAppAction}:${this.#driver.policyKey?.() ?? ''}:${String(this.blocklists.version)}`,
      compile: (generation, now) => {
        const compiled = this.engine.compilePolicy(generation, this.engine.activeProfile().noAppAction, now);
        // The lists hold in the driver too, so they block while the app is closed.
        const blocklist = this.blocklists.driverLists();
        return blocklist === undefined ? compiled : { ...compiled, policy: { ...compiled.policy, blocklist } };
      },
      send: async (policy) => {
        const send = this.#driver.sendPolicy;
        if (send === undefined) throw new Error('this driver link takes no policy');
        const sent = await send.call(this.#driver, policy);
        // How much of the lists the driver holds while the app is closed (the lists' views say).
        if (sent !== undefined) this.blocklists.driverHolds(policy.blocklist, sent);
      },
      nextGeneration: (now) => this.#generations.next(now),
      persistGeneration: (generation) => this.#generations.persist(generation),
      changed: () => this.#push('status:changed', this.status(this.#now)),
      log: (key, message) => this.log.line(key, message),
      ...(this.#driver.networkSeen === undefined
        ? {}
        : { networkSeen: (epoch: number) => this.#driver.networkSeen?.(epoch) ?? Promise.resolve() }),
    });
  }

  /**
   * Puts the stored rules in force, without those that were to last only until a restart or
   * whose minutes ran out while we were away; then deletes those from the store. The choice is
   * made here, in memory, so that a store that cannot write (a full disk) changes nothing of it.
   */
  #loadRules(now: number): void {
    // A damaged row leaves that rule out, not all of them (block rules going would let traffic
    // through); what was left out is said, with the rule's id.
    const readable = contained(
      'read the rules',
      () => this.store.rules.listReadable(),
      { rules: [], unreadable: [] },
      this.log,
    );
    const stored = readable.rules;
    if (readable.unreadable.length > 0) {
      const shown = readable.unreadable.slice(0, 5).map(({ id, reason }) => `${id} (${reason})`);
      const more = readable.unreadable.length > 5 ? `, and ${String(readable.unreadable.length - 5)} more` : '';
      this.noteLog(
        `${plural(readable.unreadable.length, 'stored rule')} could not be read and ${readable.unreadable.length === 1 ? 'is' : 'are'} not in force: ${shown.join('; ')}${more}`,
      );
    }
    const kept = stored.filter(
      (rule) => !RESTART_ENDS.has(rule.duration.kind) && (rule.expiresAt === null || rule.expiresAt > now),
    );
    const { rejected } = this.engine.attachRules(kept);
    if (rejected.length > 0)
      this.noteLog(`${String(rejected.length)} stored rules could not be used: ${rejected.join(', ')}`);
    if (kept.length === stored.length || this.#storage.state === 'unavailable') return;
    try {
      this.store.transaction(() => {
        this.store.rules.deleteByDuration([...RESTART_ENDS]);
        this.store.rules.deleteExpired(now);
      });
    } catch (error) {
      this.#storage.failed(error, now, 'delete rules that ended');
    }
  }

  /** The proposals learning left for review; a damaged row loses that proposal, said in the log. */
  #readProposals(): StoredProposalRow[] {
    const read = contained(
      'read the proposals',
      () => this.store.learned.list(),
      { proposals: [], unreadable: 0 },
      this.log,
    );
    if (read.unreadable > 0)
      this.noteLog(`${plural(read.unreadable, 'learned proposal')} could not be read and will not be shown`);
    return read.proposals;
  }

  /** Runs a rule write for the engine; a refused one is noted and becomes a RuleNotSavedError. */
  #ruleWrite(what: string, work: () => void): void {
    try {
      work();
    } catch (error) {
      this.#storage.failed(error, this.#now, what);
      throw new RuleNotSavedError(error);
    }
  }

  #reverseLookup(system: SystemPort, ip: string): void {
    const answer = (names: readonly string[]): void =>
      contained('reverse lookup', () => this.engine.reverseLookupAnswered(ip, names, this.#now), undefined, this.log);
    try {
      system.reverseLookup(ip).then(answer, () => answer([]));
    } catch (error) {
      this.log.error('reverse lookup', error);
    }
  }

  #promptOptions(settings: Settings): { holdTimeoutMs: number; defaultAction: Settings['defaultAction'] } {
    return { holdTimeoutMs: settings.holdTimeoutSeconds * 1000, defaultAction: settings.defaultAction };
  }

  /** Pushes to the UI; a push that throws (a window gone, a payload it cannot send) is logged. */
  #push<C extends PushChannel>(channel: C, payload: PushMap[C]): void {
    try {
      this.#pushTo(channel, payload);
    } catch (error) {
      this.log.error(`push ${channel}`, error);
    }
  }

  get settings(): Settings {
    return this.#settings;
  }

  /** The settings as the UI shows them: the no-app action is the active profile's. */
  settingsView(): Settings {
    return { ...this.#settings, noAppAction: this.engine.activeProfile().noAppAction };
  }

  /**
   * Learning changed by a request (started, stopped, reviewed): kept proposals are rules the
   * driver gets; learned prompts left the inbox; the status says what learning does now.
   */
  learningChanged(now: number): void {
    this.#now = now;
    this.engine.takeLearningChanged();
    this.rulesChanged(now);
    this.pushPromptChanges(now);
    this.#push('status:changed', this.status(now));
  }

  /**
   * The profiles changed by a request (a switch, an edit, a network given a profile): the driver
   * gets the policy of the profile now active, the UI the status and the prompts it released.
   */
  profilesChanged(now: number): void {
    this.#now = now;
    this.engine.takeProfileChanged();
    this.rulesChanged(now);
    this.#push('status:changed', this.status(now));
  }

  applySettings(settings: Settings): void {
    const stopsDnsHistory = this.#settings.keepDnsHistory && !settings.keepDnsHistory;
    this.#settings = settings;
    // "Do not keep DNS history" means none: what was kept goes too, at once.
    if (stopsDnsHistory) contained('clear the DNS log', () => this.#clearDnsLog(), undefined, this.log);
    this.#historyLog.setPath(settings.connectionLog ? this.#connectionLogPath : '');
    this.engine.configurePrompts(this.#promptOptions(settings));
  }

  /**
   * Answers a prompt. When its rule cannot be saved (a full disk), the answer still applies to
   * the held connections: the rule then lasts until restart ('forever') or is not made at all
   * (a rule of minutes cannot be kept in memory alone), and the result says so in `warning`.
   */
  answerPrompt(promptId: string, answer: PromptAnswer, now: number): RuntimeAnswerResult {
    this.#now = now;
    try {
      return this.engine.answerPrompt(promptId, answer, now);
    } catch (error) {
      // The engine checks, then writes, then changes anything: a refused write left the prompt as it was.
      if (!(error instanceof RuleNotSavedError)) throw error;
      const lasting = answer.duration.kind === 'forever';
      const duration: RuleDuration = lasting ? { kind: 'until-restart' } : { kind: 'once' };
      const result = this.engine.answerPrompt(promptId, { ...answer, duration }, now);
      if (!result.ok) return result;
      const verb = answer.action === 'allow' ? 'allowed' : 'blocked';
      const outcome = lasting
        ? 'it applies until ZenithFence restarts'
        : 'no rule was made, so you will be asked again next time';
      const warning = `The waiting connections were ${verb}, but the rule could not be saved (${storageErrorText(error.cause)}): ${outcome}.`;
      this.noteLog(warning);
      return { ...result, warning };
    } finally {
      // A rule it made goes to the driver at once (a 'once' answer changes nothing there).
      this.rulesChanged(now);
    }
  }

  /**
   * The user changed the rules or the no-app action (a request): the driver gets the new policy
   * at once, not with the next flush (policy-sync.ts says when it waits).
   */
  rulesChanged(now: number): void {
    this.#now = now;
    contained('policy send', () => this.#policy.changed(now), undefined, this.log);
  }

  /** One event from the driver. */
  handleEvent(received: DriverEvent, now: number): void {
    this.#now = now;
    // No DNS history kept: an answer is not even buffered for the next write.
    if (received.kind === 'dns-exchange' && !this.#settings.keepDnsHistory) return;
    const system = this.#system;
    // A lookup that throws leaves the event as the driver sent it: it is still decided.
    const event =
      system === undefined
        ? received
        : contained(
            'attribute the process',
            () => attributeProcess(received, system, (pid) => this.engine.reportedProcess(pid)),
            received,
            this.log,
          );
    if (event.kind === 'log') this.#appendLog({ at: now, severity: event.severity, message: event.message });
    if (event.kind === 'policy-state') {
      contained('policy state', () => this.#policyReported(event), undefined, this.log);
    }
    // Never throws; answers or holds every connection request.
    this.engine.handle(event, now);
    if (event.kind === 'network') contained('network change', () => this.#networkChanged(now), undefined, this.log);
    // A new prompt is pushed at once rather than with the next 100 ms flush: it is what the
    // user waits for.
    if (event.kind === 'connection') this.pushPromptChanges(now);
  }

  /**
   * Pushes the prompt list (and the status, which counts it) when it changed since the last
   * push: once, whatever number of prompts changed. Request handlers call it right after a change
   * (an answer, a rule), so the UI needs no `prompts:list` of its own; flush() catches the rest.
   */
  pushPromptChanges(now: number): void {
    if (!this.engine.takePromptsChanged()) return;
    this.#push('prompts:changed', this.engine.listPrompts());
    this.#push('status:changed', this.status(now));
  }

  /** The engine put the new network's profile in force: the driver gets its policy, then NetworkSeen. */
  #networkChanged(now: number): void {
    const epoch = this.engine.takeNetworkSeen();
    if (epoch !== null) this.#policy.networkSeen(epoch, now);
    if (this.engine.takeProfileChanged()) this.#push('status:changed', this.status(now));
    this.pushPromptChanges(now);
  }

  #policyReported(report: Extract<DriverEvent, { kind: 'policy-state' }>): void {
    this.#generations.saw(report.generation);
    this.#generations.saw(report.problemGeneration);
    this.#policy.reported(report);
  }

  #appendLog(line: LogView): void {
    this.#logs.push(line);
    if (this.#logs.length > MAX_LOGS) this.#logs.splice(0, this.#logs.length - MAX_LOGS);
    this.#push('logs:appended', [line]);
  }

  /** A line of the host's own (a fault, a storage change) for the Logs view. */
  noteLog(message: string): void {
    // A push that fails is logged, and that log line comes back here: once is enough.
    if (this.#appendingLog) return;
    this.#appendingLog = true;
    try {
      this.#appendLog({ at: this.#now, severity: WARNING, message });
    } finally {
      this.#appendingLog = false;
    }
  }

  logs(): readonly LogView[] {
    return this.#logs;
  }

  /**
   * The driver connection changed state. Leaving 'connected' means the driver has answered the
   * held connections itself (its detached policy), and the next link numbers its requests from 1
   * again: the engine forgets them without a verdict, so that no answer, timeout or rule can
   * send one to the new link, where the same id is another connection.
   */
  driverStatus(state: DriverState, message: string, now: number): void {
    this.#now = now;
    this.#driverState = state;
    this.#driverMessage = message;
    if (state === 'connected') {
      contained('connections: link up', () => this.engine.driverConnected(now), undefined, this.log);
    } else {
      contained('policy: link down', () => this.#policy.linkDown(), undefined, this.log);
      const forgotten = contained('forget held connections', () => this.engine.driverLost(now), 0, this.log);
      if (forgotten > 0) {
        this.noteLog(
          `The link to the driver was lost (${message}): the driver answered the ${plural(forgotten, 'connection')} waiting for an answer itself (its detached policy); their prompts stay in the inbox.`,
        );
        this.flush(now);
      }
    }
    this.#push('status:changed', this.status(now));
  }

  /**
   * A driver link is up (call it before driverStatus('connected')); `policy`: its Hello granted
   * POLICY. The rules are then sent to it (policy-sync.ts).
   */
  driverLinked(policy: boolean, now: number): void {
    this.#now = now;
    contained('policy: link up', () => this.#policy.linkUp(policy, now), undefined, this.log);
  }

  status(now: number): StatusView {
    const pending = this.engine.listPrompts().reduce((n, group) => n + group.prompts.length, 0);
    return {
      driver: this.#driverState,
      driverMessage: this.#driverMessage,
      policy: this.#policy.status(),
      mode: this.engine.getMode(now),
      profile: this.engine.profileStatus(),
      learning: this.engine.learningStatus(now),
      pendingPrompts: pending,
      storage: this.#storage.state,
      storageMessage: this.#storage.message(),
    };
  }

  /** UI pushes: connection changes and prompt changes since the last flush. */
  flush(now: number): void {
    this.#now = now;
    // Rule changes reach the driver from here (coalesced; policy-sync.ts).
    contained('policy send', () => this.#policy.poll(now), undefined, this.log);
    const changes = this.engine.takeChanges();
    if (changes.upserted.length > 0 || changes.removed.length > 0) {
      this.#history.note(changes.upserted);
      this.#push('connections:batched', changes);
    }
    this.pushPromptChanges(now);
    // Learned connections (the proposal count) and a learning window that ended: at most one
    // status push per flush, not one per connection.
    if (this.engine.takeLearningChanged()) this.#push('status:changed', this.status(now));
  }

  /** Once a second: timeouts and expiries, byte counts, and the store's batched writes. */
  tick(now: number): void {
    this.#now = now;
    // Each step on its own: one that throws must not keep the others (timeouts above all) from running.
    contained('tick: engine', () => this.engine.tick(now), undefined, this.log);
    contained('tick: unseen connections', () => this.#endUnseen(now), undefined, this.log);
    contained('tick: process exits', () => this.#noticeExits(now), undefined, this.log);
    contained('tick: bandwidth request', () => this.#driver.requestBandwidth(), undefined, this.log);
    contained('tick: flush', () => this.flush(now), undefined, this.log);
    contained('tick: store writes', () => this.#writeStore(now, this.#rowsPerWrite()), undefined, this.log);
    contained('tick: blocklists', () => this.blocklists.tick(now), undefined, this.log);
    this.#ticks += 1;
    if (this.#ticks % HOUSEKEEPING_EVERY_TICKS === 0) {
      contained('tick: housekeeping', () => this.#housekeeping(now), undefined, this.log);
    }
  }

  /** Ends the connections not seen since the driver link came back, with a line in the Logs view. */
  #endUnseen(now: number): void {
    const ended = this.engine.endUnseen(now);
    if (ended === 0) return;
    this.noteLog(
      `${plural(ended, 'connection')} open when the link to the driver was lost gave no sign of life since it came back: shown as ended when the link was lost (one that moves a byte again is shown open again).`,
    );
  }

  /** History rows noted but not yet written (more than one write takes; see `historyRowsPerWrite`). */
  get historyBacklog(): number {
    return this.#history.backlog;
  }

  /**
   * Writes the next part of the history backlog, in a transaction of its own; true while more
   * is left. The host calls it on later turns of its event loop, so driver events are decided
   * between the parts instead of waiting behind one write of everything.
   */
  writeBacklog(now: number): boolean {
    if (this.#history.backlog === 0) return false;
    contained('store writes: backlog', () => this.#writeStore(now, this.#rowsPerWrite()), undefined, this.log);
    return this.#history.backlog > 0;
  }

  /** History rows the next write takes (see `historyWriteBudgetMs`). */
  #rowsPerWrite(): number {
    return this.#partSize?.rows ?? this.#historyRowsPerWrite;
  }

  /** History, bandwidth and rule hits, unless the storage refuses writes (then dropped and counted). */
  #writeStore(now: number, historyRows: number): void {
    // A backlog that keeps growing (connections faster than the store takes them, for long)
    // is bounded: the oldest new rows go, and the log says how many. The bound counts in the
    // largest writes, so a slow disk that makes the writes smaller does not also shrink what may
    // wait; the last write (shutdown) takes everything.
    const dropped = this.#history.trimInserts(
      historyRows === Number.POSITIVE_INFINITY ? historyRows : this.#historyRowsPerWrite * HISTORY_BACKLOG_WRITES,
    );
    if (dropped > 0) {
      this.log.line(
        'history-backlog',
        `history: ${plural(dropped, 'connection')} came faster than they could be saved and were not recorded`,
      );
    }
    const batch = this.#history.take(historyRows);
    // The log file for shippers gets every batch, whether the database takes it or not.
    contained('connection log', () => this.#historyLog.record(batch.inserts, batch.updates), undefined, this.log);
    const buckets = this.engine.takeAppBuckets();
    const hits = this.#hits.increments(this.engine.takeHits());
    const dns = this.#takeDnsLog();
    const learned = this.engine.takeLearningWrites();
    if (!this.#storage.mayWrite(now)) {
      // Proposals stay in the engine and are written with a later batch (nothing learned is lost).
      this.engine.learningWriteFailed(learned);
      // Hits stay in HitDeltas until a write commits; rows, buckets and DNS answers are let go.
      this.#storage.drop(batch.inserts.length, batch.updates.length, buckets.length, dns.length);
      return;
    }
    // An empty write commits even on a full disk: it would prove nothing, so a storage that
    // failed waits for one that carries data.
    const empty =
      batch.inserts.length +
        batch.updates.length +
        buckets.length +
        hits.size +
        dns.length +
        learned.put.length +
        learned.removed.length ===
      0;
    if (empty && this.#storage.state !== 'ok') return;
    try {
      const started = this.#writeTimer();
      this.store.transaction(() => {
        this.#history.write(this.store, batch);
        if (hits.size > 0) this.store.rules.recordHits(hits);
        if (dns.length > 0) this.store.dnsLog.insertBatch(dns);
        this.store.learned.write(learned.put, learned.removed);
      });
      // Every row of the transaction: a tick's DNS answers and hits take time too.
      const rows =
        batch.inserts.length +
        batch.updates.length +
        hits.size +
        dns.length +
        learned.put.length +
        learned.removed.length;
      this.#partSize?.took(rows, this.#writeTimer() - started);
    } catch (error) {
      this.engine.learningWriteFailed(learned);
      this.#storage.drop(batch.inserts.length, batch.updates.length, buckets.length, dns.length);
      this.#storage.failed(error, now, 'history');
      return;
    }
    this.#history.committed(batch);
    this.#hits.committed();
    this.#profiles.flush(now);
    this.#learning.flush(now);
    try {
      // Buffered in the store, which keeps them when its flush fails and writes them next time.
      for (const bucket of buckets) {
        this.store.bandwidth.add(bucket.app, bucket.second * 1000, bucket.transmitted, bucket.received);
      }
      this.store.bandwidth.flush();
    } catch (error) {
      this.#storage.failed(error, now, 'bandwidth');
      return;
    }
    this.#storage.succeeded();
  }

  /** The DNS log's new answers; none when the user keeps no DNS history (they are not kept anywhere). */
  #takeDnsLog(): DnsLogEntry[] {
    const { entries, dropped } = this.engine.takeDnsLog();
    if (!this.#settings.keepDnsHistory) return [];
    if (dropped > 0)
      this.log.line(
        'dns-log-backlog',
        `DNS log: ${String(dropped)} answers came faster than they could be saved and were not logged`,
      );
    return entries;
  }

  /**
   * Processes that exited: their pending prompts go, the engine's process directory forgets them,
   * and an app with no process left has quit (engine.processExited).
   */
  #noticeExits(now: number): void {
    const system = this.#system;
    if (system === undefined) return;
    const pids = new Set(this.engine.knownPids());
    for (const group of this.engine.listPrompts()) {
      for (const prompt of group.prompts) for (const pid of prompt.pids) pids.add(pid);
    }
    for (const pid of pids) if (!system.processAlive(pid)) this.engine.processExited(pid, now);
  }

  /** History retention (settings) and bandwidth downsampling, while the storage takes writes. */
  #housekeeping(now: number): void {
    if (this.#storage.state !== 'ok') return;
    try {
      this.store.history.prune({ maxAgeMs: this.#settings.historyRetentionDays * DAY_MS }, now);
      // Switched off: none kept (again here in case the clear at the switch failed, a full disk).
      if (this.#settings.keepDnsHistory) {
        this.store.dnsLog.prune(this.#settings.dnsRetentionDays * DAY_MS, now, DNS_PRUNE_ROWS_PER_RUN);
      } else this.store.dnsLog.clear();
      this.store.bandwidth.downsample(now);
    } catch (error) {
      this.#storage.failed(error, now, 'housekeeping');
    }
  }

  #clearDnsLog(): void {
    this.engine.takeDnsLog();
    const deleted = this.store.dnsLog.clear();
    this.log.line('dns-log-cleared', `DNS log: turned off, ${String(deleted)} answers deleted`);
  }

  /** Resolves once the connection log has written what was recorded (it never rejects). */
  drainConnectionLog(): Promise<void> {
    return this.#historyLog.drain();
  }

  /** Answers everything still held and writes what is pending; the host then closes the store. */
  shutdown(now: number): number {
    // First and on its own: whatever fails after it, no held connection is left unanswered.
    const answered = contained('shutdown: answer held connections', () => this.engine.shutdown(now), 0, this.log);
    contained('shutdown: blocklists', () => this.blocklists.stop(now), undefined, this.log);
    this.tick(now);
    // Nothing noted is left behind: the backlog goes in one last write.
    if (this.#history.backlog > 0) {
      contained('shutdown: store writes', () => this.#writeStore(now, Number.POSITIVE_INFINITY), undefined, this.log);
    }
    return answered;
  }
}
