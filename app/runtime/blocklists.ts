import { open } from 'node:fs/promises';
import { z } from 'zod';
import { BlockSet } from '../blocklists/block-set.ts';
import { MAX_LIST_CHARS, type ParsedList, parseList } from '../blocklists/parse-list.ts';
import type { BlocklistAdd, BlocklistView } from '../contract/blocklists.ts';
import { MAX_BLOCKLISTS } from '../contract/blocklists.ts';
import type { BlocklistLookup } from '../engine/decide.ts';
import type { ConnectionFacts } from '../engine/rule-matcher.ts';
import type { Store } from '../store/index.ts';

/**
 * A list file's text. Only a regular file is read (a device such as /dev/zero or a FIFO would
 * never end), and never more than a list may hold, whatever its size said when it was looked at.
 */
async function readListFile(path: string): Promise<string> {
  const file = await open(path, 'r');
  try {
    const info = await file.stat();
    if (!info.isFile()) throw new Error('not a regular file');
    if (info.size > MAX_LIST_CHARS) throw new Error(`the file holds ${String(info.size)} bytes, more than a list may`);
    const buffer = Buffer.alloc(Math.min(info.size, MAX_LIST_CHARS) + 1);
    const { bytesRead } = await file.read(buffer, 0, buffer.length, 0);
    if (bytesRead > MAX_LIST_CHARS) throw new Error('the file grew past what a list may hold while it was read');
    return buffer.subarray(0, bytesRead).toString('utf8');
  } finally {
    await file.close();
  }
}

/** Where the subscriptions are kept (the settings table, as JSON). */
const KEY = 'blocklists';

const subscriptionSchema = z
  .object({
    id: z.string().min(1).max(64),
    name: z.string().min(1).max(100),
    path: z.string().min(1).max(4096),
    enabled: z.boolean(),
  })
  .strict();
type Subscription = z.infer<typeof subscriptionSchema>;
const storedSchema = z.array(subscriptionSchema).max(MAX_BLOCKLISTS);

interface ListState {
  parsed: ParsedList | null;
  updatedAt: number | null;
  problem: string | null;
  hits: number;
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

/**
 * The user's blocklists (local files for now): kept in the store, read and parsed
 * (app/blocklists), and given to the engine as one BlockSet of the enabled lists, whose hits it
 * counts per list. A read that fails or finds no entry leaves the list's previous entries in force
 * and says why; a list is added only when its first read finds entries.
 *
 * Files are read asynchronously; parsing and building run on the engine's thread (about 1.3 s and
 * 0.9 s for a million names on the 2-core VM, `npm run bench:blocklist`): a very large list costs
 * that pause when it is added or reloaded. Moving that into a worker comes with URL subscriptions.
 */
export class BlocklistManager {
  readonly #store: Store;
  readonly #setLookup: (lookup: BlocklistLookup | null) => void;
  readonly #clock: () => number;
  #subscriptions: Subscription[];
  readonly #states = new Map<string, ListState>();

  constructor(store: Store, setLookup: (lookup: BlocklistLookup | null) => void, clock: () => number) {
    this.#store = store;
    this.#setLookup = setLookup;
    this.#clock = clock;
    this.#subscriptions = store.settings.get(KEY, storedSchema, []);
  }

  /** Reads every list (at start). Never rejects: a list that cannot be read says so in its view. */
  async load(): Promise<void> {
    for (const subscription of this.#subscriptions) await this.#read(subscription);
    this.#rebuild();
  }

  list(): BlocklistView[] {
    return this.#subscriptions.map((s) => this.#view(s));
  }

  async add(request: BlocklistAdd): Promise<BlocklistView> {
    if (this.#subscriptions.length >= MAX_BLOCKLISTS) {
      throw new BlocklistRefused('conflict', `at most ${String(MAX_BLOCKLISTS)} blocklists`);
    }
    if (this.#subscriptions.some((s) => s.path === request.path)) {
      throw new BlocklistRefused('conflict', `${request.path} is a blocklist already`);
    }
    const subscription: Subscription = {
      id: `bl-${this.#clock().toString(36)}-${Math.random().toString(36).slice(2, 8)}`,
      name: request.name,
      path: request.path,
      enabled: true,
    };
    await this.#read(subscription);
    const state = this.#states.get(subscription.id);
    if (state?.parsed === null || state === undefined) {
      this.#states.delete(subscription.id);
      throw new BlocklistRefused('bad-request', state?.problem ?? 'the list could not be read');
    }
    this.#save([...this.#subscriptions, subscription]);
    this.#rebuild();
    return this.#view(subscription);
  }

  setEnabled(id: string, enabled: boolean): BlocklistView {
    const found = this.#find(id);
    const next = { ...found, enabled };
    this.#save(this.#subscriptions.map((s) => (s.id === id ? next : s)));
    this.#rebuild();
    return this.#view(next);
  }

  remove(id: string): boolean {
    if (!this.#subscriptions.some((s) => s.id === id)) return false;
    this.#save(this.#subscriptions.filter((s) => s.id !== id));
    this.#states.delete(id);
    this.#rebuild();
    return true;
  }

  /** Reads the file again; a failed read keeps the entries in force and says why. */
  async reload(id: string): Promise<BlocklistView> {
    const found = this.#find(id);
    await this.#read(found);
    this.#rebuild();
    return this.#view(found);
  }

  #find(id: string): Subscription {
    const found = this.#subscriptions.find((s) => s.id === id);
    if (found === undefined) throw new BlocklistRefused('not-found', `no blocklist ${id}`);
    return found;
  }

  /** Stored first, in force after: a refused write (a full disk) changes nothing. */
  #save(next: Subscription[]): void {
    this.#store.settings.set(KEY, next);
    this.#subscriptions = next;
  }

  async #read(subscription: Subscription): Promise<void> {
    const state = this.#states.get(subscription.id) ?? { parsed: null, updatedAt: null, problem: null, hits: 0 };
    this.#states.set(subscription.id, state);
    try {
      const parsed = parseList(await readListFile(subscription.path));
      if (parsed.names.length + parsed.networks.length === 0) {
        throw new Error(`no entries in it (${String(parsed.refused)} lines were neither entries nor comments)`);
      }
      state.parsed = parsed;
      state.updatedAt = this.#clock();
      state.problem = null;
    } catch (error) {
      state.problem = error instanceof Error ? error.message : String(error);
    }
  }

  /** Gives the engine the enabled lists with entries, as one set (or none). */
  #rebuild(): void {
    const ids: string[] = [];
    const lists: ParsedList[] = [];
    for (const subscription of this.#subscriptions) {
      const parsed = this.#states.get(subscription.id)?.parsed;
      if (!subscription.enabled || parsed === null || parsed === undefined) continue;
      ids.push(subscription.id);
      lists.push(parsed);
    }
    if (lists.length === 0) {
      this.#setLookup(null);
      return;
    }
    const set = new BlockSet(lists);
    const states = this.#states;
    this.#setLookup({
      match(facts: ConnectionFacts): number {
        let list = -1;
        for (const name of facts.hostNames) {
          list = set.matchName(name);
          if (list >= 0) break;
        }
        if (list < 0 && facts.remoteBytes !== null) list = set.matchAddress(facts.remoteBytes);
        if (list >= 0) {
          const state = states.get(ids[list] ?? '');
          if (state !== undefined) state.hits += 1;
        }
        return list;
      },
    });
  }

  #view(subscription: Subscription): BlocklistView {
    const state = this.#states.get(subscription.id);
    return {
      id: subscription.id,
      name: subscription.name,
      path: subscription.path,
      enabled: subscription.enabled,
      names: state?.parsed?.names.length ?? 0,
      networks: state?.parsed?.networks.length ?? 0,
      refused: state?.parsed?.refused ?? 0,
      hits: state?.hits ?? 0,
      updatedAt: state?.updatedAt ?? null,
      problem: state?.problem ?? null,
    };
  }
}
