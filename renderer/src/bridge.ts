import type { PushChannel, PushMap, RequestChannel, RequestOf, ResponseOf } from '../../app/contract/ipc.ts';
import type { LearningStart, Review } from '../../app/contract/learning.ts';
import type { ProfileInput, ProfilePatch } from '../../app/contract/profiles.ts';
import type { Result } from '../../app/contract/result.ts';
import type { RuleInput, RulePatch } from '../../app/contract/rules.ts';
import type { BandwidthRange, ModeRequest, Settings } from '../../app/contract/views.ts';

/**
 * The renderer's only door to the engine. Components call the named functions below (one per
 * contract channel) and subscribe to pushes with `onPush`; none of them knows the transport.
 *
 * Two transports:
 * - Electron: the preload exposes `window.zenithfence` (the `ZenithFenceApi` below);
 * - headless mode: a WebSocket to `ws://<host>/ws?token=<T>`, the token taken from the page's
 *   `#token=` fragment; `{id, channel, payload}` is answered by `{id, result}` and pushes arrive
 *   as `{push, payload}`. It reconnects with backoff; requests made while it is down fail at once
 *   with a Result (never a throw), and `onTransportState` tells the UI to reload after a reconnect.
 */

/** What the Electron preload exposes as `window.zenithfence` (contextBridge.exposeInMainWorld). */
export interface ZenithFenceApi {
  /** Sends a request on a contract channel; resolves with the channel's Result envelope. */
  invoke(channel: RequestChannel, payload: unknown): Promise<Result<unknown>>;
  /** Calls `listener` for every push; returns the unsubscribe function. */
  onPush(listener: (channel: PushChannel, payload: unknown) => void): () => void;
}

/** 'unavailable': no preload and no token in the address, so there is nothing to connect to. */
export type TransportState = 'connecting' | 'open' | 'closed' | 'unavailable';

interface Transport {
  invoke(channel: RequestChannel, payload: unknown): Promise<Result<unknown>>;
  readonly state: TransportState;
}

type PushListener = (channel: PushChannel, payload: unknown) => void;
type StateListener = (state: TransportState) => void;

const pushListeners = new Set<PushListener>();
const stateListeners = new Set<StateListener>();

function emitPush(channel: PushChannel, payload: unknown): void {
  for (const listener of pushListeners) listener(channel, payload);
}

function emitState(state: TransportState): void {
  for (const listener of stateListeners) listener(state);
}

function failure<T>(message: string): Result<T> {
  return { ok: false, error: { code: 'internal', message } };
}

function isApi(value: unknown): value is ZenithFenceApi {
  if (typeof value !== 'object' || value === null) return false;
  return typeof Reflect.get(value, 'invoke') === 'function' && typeof Reflect.get(value, 'onPush') === 'function';
}

class PreloadTransport implements Transport {
  readonly state: TransportState = 'open';
  readonly #api: ZenithFenceApi;

  constructor(api: ZenithFenceApi) {
    this.#api = api;
    api.onPush(emitPush);
  }

  async invoke(channel: RequestChannel, payload: unknown): Promise<Result<unknown>> {
    try {
      return await this.#api.invoke(channel, payload);
    } catch (error) {
      return failure(error instanceof Error ? error.message : String(error));
    }
  }
}

interface WireMessage {
  readonly id?: unknown;
  readonly result?: unknown;
  readonly push?: unknown;
  readonly payload?: unknown;
}

const MIN_BACKOFF_MS = 250;
const MAX_BACKOFF_MS = 5000;

class WebSocketTransport implements Transport {
  state: TransportState = 'connecting';
  readonly #url: string;
  readonly #pending = new Map<number, (result: Result<unknown>) => void>();
  #socket: WebSocket | null = null;
  #nextId = 1;
  #backoff = MIN_BACKOFF_MS;

  constructor(url: string) {
    this.#url = url;
    this.#connect();
  }

  invoke(channel: RequestChannel, payload: unknown): Promise<Result<unknown>> {
    const socket = this.#socket;
    if (this.state !== 'open' || socket === null) {
      return Promise.resolve(failure('Not connected to the ZenithFence engine.'));
    }
    const id = this.#nextId++;
    return new Promise((resolve) => {
      this.#pending.set(id, resolve);
      socket.send(JSON.stringify(payload === undefined ? { id, channel } : { id, channel, payload }));
    });
  }

  #setState(state: TransportState): void {
    if (this.state === state) return;
    this.state = state;
    emitState(state);
  }

  #connect(): void {
    this.#setState('connecting');
    let socket: WebSocket;
    try {
      socket = new WebSocket(this.#url);
    } catch {
      this.#retry();
      return;
    }
    this.#socket = socket;
    socket.addEventListener('open', () => {
      this.#backoff = MIN_BACKOFF_MS;
      this.#setState('open');
    });
    socket.addEventListener('message', (event: MessageEvent<unknown>) => {
      if (typeof event.data === 'string') this.#receive(event.data);
    });
    socket.addEventListener('close', () => {
      if (this.#socket !== socket) return;
      this.#socket = null;
      for (const resolve of this.#pending.values()) resolve(failure('The connection to the engine was lost.'));
      this.#pending.clear();
      this.#setState('closed');
      this.#retry();
    });
  }

  #retry(): void {
    const delay = this.#backoff;
    this.#backoff = Math.min(MAX_BACKOFF_MS, this.#backoff * 2);
    setTimeout(() => this.#connect(), delay);
  }

  #receive(text: string): void {
    let message: WireMessage;
    try {
      message = JSON.parse(text) as WireMessage;
    } catch {
      return;
    }
    if (typeof message.push === 'string') {
      emitPush(message.push as PushChannel, message.payload);
      return;
    }
    if (typeof message.id === 'number') {
      const resolve = this.#pending.get(message.id);
      this.#pending.delete(message.id);
      resolve?.(message.result as Result<unknown>);
    }
  }
}

/** The headless WebSocket address for this page, or null when the page carries no token. */
export function headlessSocketUrl(location: Pick<Location, 'host' | 'hash' | 'protocol'>): string | null {
  const token = new URLSearchParams(location.hash.replace(/^#/, '')).get('token');
  if (token === null || token === '') return null;
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  return `${scheme}://${location.host}/ws?token=${encodeURIComponent(token)}`;
}

class NoTransport implements Transport {
  readonly state: TransportState = 'unavailable';
  invoke(): Promise<Result<unknown>> {
    return Promise.resolve(failure('This page was opened without an engine (no #token= in its address).'));
  }
}

let transport: Transport | null = null;

function getTransport(): Transport {
  if (transport !== null) return transport;
  const api: unknown = Reflect.get(globalThis, 'zenithfence');
  if (isApi(api)) transport = new PreloadTransport(api);
  else {
    const url = headlessSocketUrl(window.location);
    transport = url === null ? new NoTransport() : new WebSocketTransport(url);
  }
  return transport;
}

/** Starts the transport (idempotent); returns its state now. */
export function connect(): TransportState {
  return getTransport().state;
}

export function onTransportState(listener: StateListener): () => void {
  stateListeners.add(listener);
  return () => stateListeners.delete(listener);
}

/** Subscribes to one push channel. */
export function onPush<C extends PushChannel>(channel: C, listener: (payload: PushMap[C]) => void): () => void {
  const wrapped: PushListener = (pushed, payload) => {
    if (pushed === channel) listener(payload as PushMap[C]);
  };
  pushListeners.add(wrapped);
  return () => pushListeners.delete(wrapped);
}

async function call<C extends RequestChannel>(channel: C, payload: RequestOf<C>): Promise<Result<ResponseOf<C>>> {
  const result = await getTransport().invoke(channel, payload);
  return result as Result<ResponseOf<C>>;
}

export const getStatus = () => call('status:get', undefined);
export const setMode = (request: ModeRequest) => call('mode:set', request);
export const listPrompts = () => call('prompts:list', undefined);
export const answerPrompt = (answer: RequestOf<'prompts:answer'>) => call('prompts:answer', answer);
export const holdPrompt = (promptId: string) => call('prompts:hold', { promptId });
export const answerApp = (appPath: string, action: 'allow' | 'block') =>
  call('prompts:answer-app', { appPath, action });
export const listConnections = (limit: number) => call('connections:list', { limit });
export const listApps = () => call('apps:list', undefined);
export const appSeries = (appPath: string | null, range: BandwidthRange) => call('apps:series', { appPath, range });
export const listRules = () => call('rules:list', undefined);
export const createRule = (input: RuleInput) => call('rules:create', input);
export const updateRule = (id: string, patch: RulePatch) => call('rules:update', { id, patch });
export const deleteRule = (id: string) => call('rules:delete', { id });
export const importRules = (text: string) => call('rules:import', { text });
export const previewImport = (request: RequestOf<'rules:import-preview'>) => call('rules:import-preview', request);
export const importPicked = (rules: RequestOf<'rules:import-picked'>['rules']) =>
  call('rules:import-picked', { rules });
export const deleteRules = (ids: readonly string[]) => call('rules:delete-many', { ids: [...ids] });
export const exportRules = () => call('rules:export', undefined);
export const getSettings = () => call('settings:get', undefined);
export const setSettings = (patch: Partial<Settings>) => call('settings:set', patch);
export const listLogs = () => call('logs:list', undefined);
export const listBlocklists = () => call('blocklists:list', undefined);
export const addBlocklist = (request: RequestOf<'blocklists:add'>) => call('blocklists:add', request);
export const setBlocklistEnabled = (id: string, enabled: boolean) => call('blocklists:set-enabled', { id, enabled });
export const removeBlocklist = (id: string) => call('blocklists:remove', { id });
export const reloadBlocklist = (id: string) => call('blocklists:reload', { id });
export const setBlocklistInterval = (id: string, intervalHours: number) =>
  call('blocklists:set-interval', { id, intervalHours });
export const historyPage = (request: RequestOf<'history:page'>) => call('history:page', request);
export const historyCount = (filter: RequestOf<'history:count'>) => call('history:count', filter);
export const exportHistory = (request: RequestOf<'history:export'>) => call('history:export', request);
export const dnsPage = (request: RequestOf<'dns:page'>) => call('dns:page', request);
export const dnsCount = (filter: RequestOf<'dns:count'>) => call('dns:count', filter);
export const listProfiles = () => call('profiles:list', undefined);
export const createProfile = (input: ProfileInput) => call('profiles:create', input);
export const updateProfile = (id: string, patch: ProfilePatch) => call('profiles:update', { id, patch });
export const deleteProfile = (id: string) => call('profiles:delete', { id });
export const activateProfile = (id: string, pin: boolean) => call('profiles:activate', { id, pin });
export const unpinProfile = () => call('profiles:unpin', undefined);
export const listNetworks = () => call('networks:list', undefined);
export const assignNetwork = (key: string, profileId: string) => call('networks:assign', { key, profileId });
export const forgetNetwork = (key: string) => call('networks:forget', { key });
export const startLearning = (request: LearningStart) => call('learning:start', request);
export const stopLearning = () => call('learning:stop', undefined);
export const setAlwaysAsk = (appPath: string, alwaysAsk: boolean) =>
  call('learning:always-ask', { appPath, alwaysAsk });
export const listProposals = () => call('learning:proposals', undefined);
export const reviewLearning = (decisions: Review['decisions']) => call('learning:review', { decisions });
