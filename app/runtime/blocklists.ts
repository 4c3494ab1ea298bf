import { z } from 'zod';
import { BlockSet } from '../blocklists/block-set.ts';
import { MAX_LIST_CHARS, type ParsedList, parseListInSlices, type Pause } from '../blocklists/parse-list.ts';
import type { BlocklistAdd, BlocklistView } from '../contract/blocklists.ts';
import { DEFAULT_BLOCKLIST_INTERVAL, MAX_BLOCKLISTS } from '../contract/blocklists.ts';
import type { DriverPolicyBlocklist, PolicyBlocklistSent } from '../contract/driver-policy.ts';
import type { BlocklistLookup } from '../engine/decide.ts';
import type { ConnectionFacts } from '../engine/rule-matcher.ts';
import type { Store } from '../store/index.ts';
import { fetchList, type ListFetchResult } from './blocklist-fetch.ts';
import { cachedListPath, fileStamp, readListFile, removeCachedList, writeCachedList } from './blocklist-files.ts';

/** Where the subscriptions are kept (the settings table, as JSON). */
const KEY = 'blocklists';
const HOUR_MS = 3_600_000;
/** A failed check is tried again after this, doubling up to the list's interval. */
const RETRY_MS = 15 * 60_000;
/** How often hit counts are written to the store (and at shutdown). */
const HITS_SAVE_MS = 60_000;
/** The whole download of one list, redirects included. */
const FETCH_TIMEOUT_MS = 60_000;

const subscriptionSchema = z
  .object({
    id: z.string().regex(/^[a-z0-9-]{1,64}$/),
    name: z.string().min(1).max(100),
    /** Exactly one of path (a local file) and url. */
    path: z.string().min(1).max(4096).optional(),
    url: z.string().min(1).max(2048).optional(),
    enabled: z.boolean(),
    intervalHours: z
      .number()
      .int()
      .min(1)
      .max(24 * 365)
      .default(DEFAULT_BLOCKLIST_INTERVAL),
    /** The validators of the fetched copy kept on disk (null: none, or no copy on disk). */
    etag: z.string().max(512).nullable().default(null),
    lastModified: z.string().max(512).nullable().default(null),
    /** When the copy on disk was fetched; null when there is none. */
    fetchedAt: z.number().nullable().default(null),
    hits: z.number().int().nonnegative().default(0),
  })
  .strict()
  .refine((s) => (s.path === undefined) !== (s.url === undefined), 'a path or a url');
type Subscription = z.output<typeof subscriptionSchema>;
const storedSchema = z.array(subscriptionSchema).max(MAX_BLOCKLISTS);

interface ListState {
  parsed: ParsedList | null;
  /** When the entries in force were read or fetched. */
  updatedAt: number | null;
  checkedAt: number | null;
  nextCheckAt: number;
  /** Why the last check failed (the entries before stay in force). */
  failure: string | null;
  /** Why fetched entries in force could not be kept on disk. */
  unsaved: string | null;
  failures: number;
  /** Files: the version of the file the entries came from. */
  stamp: string | null;
  hits: number;
  /** The check under way, which a reload waits for rather than starting a second. */
  running: Promise<void> | null;
}

/** Why a request about lists was refused, in the user's terms (the handler answers with it). */
export class BlocklistRefused extends Error {
  readonly code: 'bad-request' | 'not-found' | 'conflict';
  constructor(code: BlocklistRefused['code'], message: string) {
    super(message);
    this.code = code;
    this.name = 'BlocklistRefused';
  }
}

export interface BlocklistManagerOptions {
  readonly store: Store;
  readonly setLookup: (lookup: BlocklistLookup | null) => void;
  readonly clock: () => number;
  /** Where fetched lists are kept (the host: `<data dir>/blocklists`); null: nowhere, fetched at each start. */
  readonly cacheDir: string | null;
  /** Told when the entries in force change (the driver's policy carries them). */
  readonly changed?: () => void;
  /** Told about checks that failed in the background. */
  readonly log: (message: string) => void;
  /** Tests: trust a private CA for https lists. */
  readonly ca?: string;
  /** The most bytes a list may have (default: what a list may hold, MAX_LIST_CHARS). */
  readonly maxListBytes?: number;
  /**
   * Gives way to the event loop between slices of parsing and building (default: until its next
   * turn, setImmediate), so the engine keeps deciding connections while a big list is read.
   */
  readonly pause?: Pause;
}

/**
 * The user's blocklists: kept in the store, read (files) or fetched (web addresses, conditionally:
 * an unchanged list costs a 304), checked again on each list's interval from `tick()`, parsed
 * (app/blocklists) and given to the engine as one BlockSet of the enabled lists, whose hits it
 * counts per list and keeps. A check that fails or finds no entry leaves the entries in force and
 * says why; a list is added only when its first read finds entries. One check runs at a time.
 *
 * Parsing and building run on the engine's thread (about 1.6 s and 1.1 s for a million names on
 * the 2-core VM, `npm run bench:blocklist`), in slices of some milliseconds with the event loop
 * served between them (`pause`): a big list that changes delays no connection by more than a
 * slice. Meanwhile the entries in force stay in force; a list set built for entries that changed
 * again before it was done is never put in force (the newest build wins).
 */
export class BlocklistManager {
  readonly #options: BlocklistManagerOptions;
  #subscriptions: Subscription[];
  readonly #states = new Map<string, ListState>();
  readonly #abort = new AbortController();
  /** A background check is under way (tick starts at most one). */
  #checking = false;
  #hitsSavedAt = 0;
  #hitsDirty = false;
  /** Counts changes of the entries in force (the driver's policy is sent again when it moves). */
  #version = 0;
  /** What driverLists() handed out, for the version of the entries it was made for. */
  #driverLists: { readonly version: number; readonly lists: DriverPolicyBlocklist | undefined } | null = null;
  /** How much of the lists object `lists` the driver was last sent (driverHolds). */
  #driverHeld: { readonly lists: DriverPolicyBlocklist; readonly sent: PolicyBlocklistSent } | null = null;
  /**
   * The first read at start (load): done at once, not in slices. Until the lists are in force
   * the engine would decide without them (and let listed connections through in allow-all
   * mode): at start, connections wait for them instead (the driver holds them meanwhile).
   */
  #atOnce = false;
  /** Counts set builds: only the newest one's set is put in force. */
  #builds = 0;
  readonly #pause: Pause;

  constructor(options: BlocklistManagerOptions) {
    this.#options = options;
    const pause = options.pause ?? (() => new Promise<void>((resolve) => setImmediate(resolve)));
    // At start (#atOnce) a pause gives no turn to the event loop: the lists are read at once.
    this.#pause = () => (this.#atOnce ? Promise.resolve() : pause());
    this.#subscriptions = options.store.settings.get(KEY, storedSchema, []);
    const now = options.clock();
    for (const s of this.#subscriptions) this.#states.set(s.id, newState(s.hits, now));
  }

  /**
   * Puts every list in force that can be had without the network (files, and fetched copies on
   * disk); lists without a copy, or whose copy is due, are fetched by the next ticks.
   * Never rejects: a list that cannot be read says so in its view.
   */
  async load(): Promise<void> {
    // Ticks start no check while the lists are first read.
    this.#checking = true;
    this.#atOnce = true;
    try {
      for (const subscription of this.#subscriptions) {
        const state = this.#states.get(subscription.id);
        if (state === undefined) continue;
        if (subscription.path !== undefined) await this.#check(subscription, state);
        else await this.#loadCachedCopy(subscription, state);
      }
      await this.#rebuild();
    } finally {
      this.#checking = false;
      this.#atOnce = false;
    }
  }

  /** About every second: starts the next due check, and saves hit counts now and then. */
  tick(now: number): void {
    if (this.#hitsDirty && now - this.#hitsSavedAt >= HITS_SAVE_MS) this.saveHits(now);
    if (this.#checking || this.#abort.signal.aborted) return;
    const due = this.#subscriptions.find((s) => {
      const state = this.#states.get(s.id);
      return state !== undefined && state.running === null && state.nextCheckAt <= now;
    });
    if (due === undefined) return;
    this.#checking = true;
    void this.#checkAndApply(due)
      .catch((error: unknown) => this.#options.log(`blocklist ${due.name}: ${messageOf(error)}`))
      .finally(() => {
        this.#checking = false;
      });
  }

  /** Writes the hit counts (every minute from tick, and at shutdown). Never throws. */
  saveHits(now: number): void {
    this.#hitsSavedAt = now;
    if (!this.#hitsDirty) return;
    try {
      this.#save(this.#subscriptions.map((s) => ({ ...s, hits: this.#states.get(s.id)?.hits ?? s.hits })));
      this.#hitsDirty = false;
    } catch (error) {
      this.#options.log(`blocklist hit counts not saved: ${messageOf(error)}`);
    }
  }

  /** Stops downloads under way (shutdown); their lists keep what is in force. */
  stop(now: number): void {
    this.#abort.abort();
    this.saveHits(now);
  }

  /** Moves whenever the entries in force change. */
  get version(): number {
    return this.#version;
  }

  /** The entries in force of the enabled lists, for the driver's policy (DriverPolicy.blocklist). */
  driverLists(): DriverPolicyBlocklist | undefined {
    // The same object until the entries in force change: the driver client prepares its section
    // once per object (app/driver-client/policy-commands.ts), not once per change of the rules.
    if (this.#driverLists?.version !== this.#version) {
      this.#driverLists = { version: this.#version, lists: this.#collectDriverLists() };
    }
    return this.#driverLists.lists;
  }

  /**
   * The driver was sent `lists` (what driverLists() gave), `sent` of it: the names it holds come
   * first in list order, so each list's share follows (its view's `driverNames`).
   */
  driverHolds(lists: DriverPolicyBlocklist | undefined, sent: PolicyBlocklistSent): void {
    this.#driverHeld = lists === undefined ? null : { lists, sent };
  }

  /** The names of `subscription` the driver holds; null when not known for the lists in force. */
  #driverNamesOf(subscription: Subscription): number | null {
    const held = this.#driverHeld;
    const current = this.#driverLists;
    if (held === null || !subscription.enabled || current?.version !== this.#version || held.lists !== current.lists) {
      return null;
    }
    // driverLists() put the enabled lists' names one after another in subscription order.
    let before = 0;
    for (const other of this.#subscriptions) {
      const names = this.#states.get(other.id)?.parsed?.names.length ?? 0;
      if (other.id === subscription.id) return Math.max(0, Math.min(names, held.sent.names - before));
      if (other.enabled) before += names;
    }
    return null;
  }

  #collectDriverLists(): DriverPolicyBlocklist | undefined {
    const names: string[] = [];
    const networks: { bytes: Uint8Array; prefix: number }[] = [];
    for (const subscription of this.#subscriptions) {
      const parsed = this.#states.get(subscription.id)?.parsed;
      if (!subscription.enabled || parsed === null || parsed === undefined) continue;
      for (const name of parsed.names) names.push(name);
      for (const network of parsed.networks) networks.push(network);
    }
    return names.length + networks.length === 0 ? undefined : { names, networks };
  }

  list(): BlocklistView[] {
    return this.#subscriptions.map((s) => this.#view(s));
  }

  async add(request: BlocklistAdd): Promise<BlocklistView> {
    if (this.#subscriptions.length >= MAX_BLOCKLISTS) {
      throw new BlocklistRefused('conflict', `at most ${String(MAX_BLOCKLISTS)} blocklists`);
    }
    const source = 'path' in request ? request.path : request.url;
    if (this.#subscriptions.some((s) => (s.path ?? s.url) === source)) {
      throw new BlocklistRefused('conflict', `${source} is a blocklist already`);
    }
    const now = this.#options.clock();
    const subscription: Subscription = {
      id: `bl-${now.toString(36)}-${Math.random().toString(36).slice(2, 8)}`,
      name: request.name,
      ...('path' in request ? { path: request.path } : { url: request.url }),
      enabled: true,
      intervalHours: request.intervalHours ?? DEFAULT_BLOCKLIST_INTERVAL,
      etag: null,
      lastModified: null,
      fetchedAt: null,
      hits: 0,
    };
    const state = newState(0, now);
    this.#states.set(subscription.id, state);
    let kept: Subscription;
    try {
      kept = await this.#check(subscription, state);
      if (state.parsed === null)
        throw new BlocklistRefused('bad-request', state.failure ?? 'the list could not be read');
      if (
        this.#subscriptions.length >= MAX_BLOCKLISTS ||
        this.#subscriptions.some((s) => (s.path ?? s.url) === source)
      ) {
        throw new BlocklistRefused('conflict', `${source} is a blocklist already`);
      }
      this.#save([...this.#subscriptions, kept]);
    } catch (error) {
      this.#states.delete(subscription.id);
      if (this.#options.cacheDir !== null)
        await removeCachedList(this.#options.cacheDir, subscription.id).catch(() => undefined);
      throw error;
    }
    await this.#rebuild();
    return this.#view(kept);
  }

  setEnabled(id: string, enabled: boolean): BlocklistView {
    const next = { ...this.#find(id), enabled };
    this.#replace(next);
    void this.#rebuild();
    return this.#view(next);
  }

  setInterval(id: string, intervalHours: number): BlocklistView {
    const next = { ...this.#find(id), intervalHours };
    this.#replace(next);
    const state = this.#states.get(id);
    // A list waiting to retry a failed check keeps its retry time, and one with nothing in force
    // (due for its first download) stays due: counting the interval from now would leave it
    // blocking nothing for hours with no problem shown.
    if (state !== undefined && state.failure === null && state.parsed !== null) {
      state.nextCheckAt = (state.checkedAt ?? this.#options.clock()) + intervalHours * HOUR_MS;
    }
    return this.#view(next);
  }

  remove(id: string): boolean {
    if (!this.#subscriptions.some((s) => s.id === id)) return false;
    this.#save(this.#subscriptions.filter((s) => s.id !== id));
    this.#states.delete(id);
    void this.#rebuild();
    const dir = this.#options.cacheDir;
    if (dir !== null) {
      removeCachedList(dir, id).catch((error: unknown) =>
        this.#options.log(`the copy of a removed blocklist stays on disk: ${messageOf(error)}`),
      );
    }
    return true;
  }

  /** Checks the list now (conditionally, for a web address); a failed check keeps the entries in force. */
  async reload(id: string): Promise<BlocklistView> {
    await this.#checkAndApply(this.#find(id));
    return this.#view(this.#find(id));
  }

  #find(id: string): Subscription {
    const found = this.#subscriptions.find((s) => s.id === id);
    if (found === undefined) throw new BlocklistRefused('not-found', `no blocklist ${id}`);
    return found;
  }

  /** Stored first, in force after: a refused write (a full disk) changes nothing. */
  #save(next: Subscription[]): void {
    this.#options.store.settings.set(KEY, next.map(storedForm));
    this.#subscriptions = next;
  }

  #replace(next: Subscription): void {
    this.#save(
      this.#subscriptions.map((s) =>
        s.id === next.id ? { ...next, hits: this.#states.get(s.id)?.hits ?? s.hits } : s,
      ),
    );
  }

  /**
   * A check of a list that is kept: its outcome is stored and put in force. A list has one check
   * at a time; asking again while one runs waits for that one.
   */
  #checkAndApply(subscription: Subscription): Promise<void> {
    const state = this.#states.get(subscription.id);
    if (state === undefined) return Promise.resolve();
    if (state.running !== null) return state.running;
    const run = (async (): Promise<void> => {
      const before = state.parsed;
      const kept = await this.#check(subscription, state);
      // Removed while it ran: what the check found is for a list no longer there, and the copy
      // it may have written after remove() deleted the old one goes too.
      const current = this.#subscriptions.find((s) => s.id === subscription.id);
      if (current === undefined) {
        const dir = this.#options.cacheDir;
        if (kept.fetchedAt !== subscription.fetchedAt && dir !== null) await removeCachedList(dir, subscription.id);
        return;
      }
      try {
        if (kept !== subscription) {
          const { etag, lastModified, fetchedAt } = kept;
          this.#replace({ ...current, etag, lastModified, fetchedAt });
        }
      } finally {
        // In force even when its validators could not be stored (the view already shows it).
        if (state.parsed !== before) await this.#rebuild();
      }
    })().finally(() => {
      state.running = null;
    });
    state.running = run;
    return run;
  }

  /**
   * Reads or fetches the list and records the outcome in `state`; answers the subscription with
   * what the check learned about the copy on disk (the same object when nothing). Never rejects.
   */
  async #check(subscription: Subscription, state: ListState): Promise<Subscription> {
    // The interval as it is when the check ends: one set while the check ran is not undone.
    const intervalMs = (): number =>
      (this.#subscriptions.find((s) => s.id === subscription.id)?.intervalHours ?? subscription.intervalHours) *
      HOUR_MS;
    try {
      let kept = subscription;
      if (subscription.path !== undefined) await this.#readFile(subscription.path, state);
      else kept = await this.#fetch(subscription, state);
      const now = this.#options.clock();
      state.checkedAt = now;
      state.failure = null;
      state.failures = 0;
      state.nextCheckAt = now + intervalMs();
      return kept;
    } catch (error) {
      const now = this.#options.clock();
      state.failure = messageOf(error);
      state.failures += 1;
      state.nextCheckAt = now + Math.min(intervalMs(), RETRY_MS * 2 ** (state.failures - 1));
      return subscription;
    }
  }

  /** A file is read again only when it changed since the entries in force were read. */
  async #readFile(file: string, state: ListState): Promise<void> {
    const stamp = await fileStamp(file);
    if (stamp === state.stamp && state.parsed !== null) return;
    state.parsed = withEntries(await parseListInSlices(await readListFile(file), this.#pause));
    state.updatedAt = this.#options.clock();
    state.stamp = stamp;
  }

  async #fetch(subscription: Subscription, state: ListState): Promise<Subscription> {
    // Validators only with entries in force: an unchanged answer must have something to keep.
    const haveEntries = state.parsed !== null;
    const answer: ListFetchResult = await fetchList({
      url: subscription.url ?? '',
      etag: haveEntries ? subscription.etag : null,
      lastModified: haveEntries ? subscription.lastModified : null,
      maxBytes: this.#options.maxListBytes ?? MAX_LIST_CHARS,
      timeoutMs: FETCH_TIMEOUT_MS,
      signal: this.#abort.signal,
      ...(this.#options.ca === undefined ? {} : { ca: this.#options.ca }),
    });
    if (answer.kind === 'not-modified') {
      // Asked for the whole list (nothing in force to keep): a 304 would leave the list empty
      // with no problem shown until its next interval.
      if (!haveEntries) throw new Error('the server answered 304 Not Modified to a request for the whole list');
      return subscription;
    }
    const parsed = withEntries(await parseListInSlices(answer.text, this.#pause));
    const now = this.#options.clock();
    state.parsed = parsed;
    state.updatedAt = now;
    const dir = this.#options.cacheDir;
    if (dir === null) return { ...subscription, etag: answer.etag, lastModified: answer.lastModified, fetchedAt: now };
    try {
      await writeCachedList(dir, subscription.id, answer.text);
      state.unsaved = null;
      return { ...subscription, etag: answer.etag, lastModified: answer.lastModified, fetchedAt: now };
    } catch (error) {
      // In force, but without a copy on disk its validators must not be kept (a 304 at the next
      // start would leave nothing to put in force).
      state.unsaved = messageOf(error);
      return { ...subscription, etag: null, lastModified: null, fetchedAt: null };
    }
  }

  /** Start: a fetched list's copy on disk, when there is one; due at once when there is none. */
  async #loadCachedCopy(subscription: Subscription, state: ListState): Promise<void> {
    const dir = this.#options.cacheDir;
    if (dir === null || subscription.fetchedAt === null) return;
    try {
      state.parsed = withEntries(
        await parseListInSlices(await readListFile(cachedListPath(dir, subscription.id)), this.#pause),
      );
      state.updatedAt = subscription.fetchedAt;
      state.nextCheckAt = subscription.fetchedAt + subscription.intervalHours * HOUR_MS;
    } catch (error) {
      state.failure = `the copy kept on disk could not be read (${messageOf(error)}); it is downloaded again`;
    }
  }

  /**
   * Gives the engine the enabled lists with entries, as one set (or none). A set of few names is
   * built at once; a big one in slices (`BlockSet.build`), the entries in force staying until it
   * is done. Resolves once this set is in force, or once a newer rebuild replaced it. Never rejects.
   */
  #rebuild(): Promise<void> {
    this.#version += 1;
    this.#options.changed?.();
    const build = ++this.#builds;
    const ids: string[] = [];
    const lists: ParsedList[] = [];
    let names = 0;
    for (const subscription of this.#subscriptions) {
      const parsed = this.#states.get(subscription.id)?.parsed;
      if (!subscription.enabled || parsed === null || parsed === undefined) continue;
      ids.push(subscription.id);
      lists.push(parsed);
      names += parsed.names.length;
    }
    if (lists.length === 0) {
      this.#options.setLookup(null);
      return Promise.resolve();
    }
    if (names <= BUILD_AT_ONCE_NAMES || this.#atOnce) {
      this.#inForce(new BlockSet(lists), ids);
      return Promise.resolve();
    }
    return BlockSet.build(lists, this.#pause).then(
      (set) => {
        if (build === this.#builds) this.#inForce(set, ids);
      },
      (error: unknown) => this.#options.log(`the blocklists could not be put in force: ${messageOf(error)}`),
    );
  }

  /** Puts `set` in force; its list number i is the list `ids[i]` (for the hit counts). */
  #inForce(set: BlockSet, ids: readonly string[]): void {
    const states = ids.map((id) => this.#states.get(id));
    this.#options.setLookup({
      match: (facts: ConnectionFacts): number => {
        let list = -1;
        for (const name of facts.hostNames) {
          list = set.matchName(name);
          if (list >= 0) break;
        }
        if (list < 0 && facts.remoteBytes !== null) list = set.matchAddress(facts.remoteBytes);
        const state = list >= 0 ? states[list] : undefined;
        if (state !== undefined) {
          state.hits += 1;
          this.#hitsDirty = true;
        }
        return list;
      },
    });
  }

  #view(subscription: Subscription): BlocklistView {
    const state = this.#states.get(subscription.id);
    const parsed = state?.parsed ?? null;
    return {
      id: subscription.id,
      name: subscription.name,
      kind: subscription.url === undefined ? 'file' : 'url',
      source: subscription.path ?? subscription.url ?? '',
      enabled: subscription.enabled,
      intervalHours: subscription.intervalHours,
      names: parsed?.names.length ?? 0,
      networks: parsed?.networks.length ?? 0,
      refused: parsed?.refused ?? 0,
      hits: state?.hits ?? subscription.hits,
      updatedAt: state?.updatedAt ?? null,
      checkedAt: state?.checkedAt ?? null,
      nextCheckAt: state?.nextCheckAt ?? 0,
      problem: problemText(state, parsed !== null),
      driverNames: this.#driverNamesOf(subscription),
    };
  }
}

function newState(hits: number, now: number): ListState {
  return {
    parsed: null,
    updatedAt: null,
    checkedAt: null,
    nextCheckAt: now,
    failure: null,
    unsaved: null,
    failures: 0,
    stamp: null,
    hits,
    running: null,
  };
}

/** A list that has entries, or an error saying it has none. */
/** Up to this many names a set is built at once (some tens of milliseconds); beyond, in slices. */
const BUILD_AT_ONCE_NAMES = 50_000;

function withEntries(parsed: ParsedList): ParsedList {
  if (parsed.names.length + parsed.networks.length === 0) {
    throw new Error(`no entries in it (${String(parsed.refused)} lines were neither entries nor comments)`);
  }
  return parsed;
}

function problemText(state: ListState | undefined, inForce: boolean): string | null {
  if (state?.failure !== null && state?.failure !== undefined) {
    return inForce
      ? `The last check failed: ${state.failure}. The entries from before stay in force.`
      : `The list could not be read: ${state.failure}. None of its entries are in force.`;
  }
  if (state?.unsaved !== null && state?.unsaved !== undefined) {
    return `In force, but the copy on disk could not be written (${state.unsaved}): it is downloaded again at the next start.`;
  }
  return null;
}

/** The subscription as stored: JSON without undefined fields. */
function storedForm(s: Subscription): Record<string, string | number | boolean | null> {
  const { path, url, ...rest } = s;
  return { ...rest, ...(path === undefined ? {} : { path }), ...(url === undefined ? {} : { url }) };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
