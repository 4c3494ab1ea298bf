import type { ConnectionRow, StatusView } from '../../../app/contract/views.ts';
import {
  connect,
  getSettings,
  getStatus,
  listConnections,
  listLogs,
  listNetworks,
  listProfiles,
  listPrompts,
  listProposals,
  listRules,
  onPush,
  onTransportState,
} from '../bridge.ts';
import { ConnectionBuffer, type ConnectionDelta } from '../lib/connection-buffer.ts';
import { TOASTS } from '../strings/toast-strings.ts';
import { ProposalReader, proposalsStale } from './proposal-sync.ts';
import { useAppStore } from './store.ts';

/** Rows the connections table keeps (a ring: the oldest go first). */
export const CONNECTION_CAPACITY = 100_000;
/** How often queued connection batches reach the store (a fixed rate, not per event). */
export const CONNECTION_FLUSH_MS = 250;

const buffer = new ConnectionBuffer(CONNECTION_CAPACITY);

/** What the flush that gave the store `rows` changed, when it is the latest (see ConnectionView). */
export function connectionDelta(rows: readonly ConnectionRow[]): ConnectionDelta | undefined {
  return buffer.deltaOf(rows);
}

/** How many of the store's `rows` are live: kept by the buffer, counted only for an older array. */
export function liveConnectionCount(rows: readonly ConnectionRow[]): number {
  return buffer.liveOf(rows) ?? rows.reduce((n, r) => n + (r.endedAt === null ? 1 : 0), 0);
}

const proposals = new ProposalReader(async () => {
  const result = await listProposals();
  if (result.ok) useAppStore.getState().setProposalGroups(result.value);
});

/** Reads what learning proposes again (soon: reads are spaced, see ProposalReader). */
export function reloadProposals(): void {
  proposals.request();
}

/** A new status: the proposals are read again when it says they changed. */
function noteStatus(status: StatusView): void {
  if (proposalsStale(status.learning, useAppStore.getState().proposalGroups, Date.now())) proposals.request();
}

/** Loads everything the views show; runs at start and after every reconnect. */
export async function loadAll(): Promise<void> {
  const store = useAppStore.getState();
  buffer.dropQueued();
  const [status, prompts, connections, rules, settings, logs, profiles] = await Promise.all([
    getStatus(),
    listPrompts(),
    listConnections(CONNECTION_CAPACITY),
    listRules(),
    getSettings(),
    listLogs(),
    listProfiles(),
  ]);
  if (status.ok) {
    store.setStatus(status.value);
    noteStatus(status.value);
  }
  if (profiles.ok) store.setProfiles(profiles.value);
  if (prompts.ok) store.setPrompts(prompts.value);
  if (connections.ok) store.setConnectionRows(buffer.reset(connections.value));
  if (rules.ok) store.setRules(rules.value);
  if (settings.ok) store.setSettingsState(settings.value);
  if (logs.ok) store.setLogs(logs.value);
}

export async function reloadRules(): Promise<void> {
  const rules = await listRules();
  if (rules.ok) useAppStore.getState().setRules(rules.value);
}

export async function reloadProfiles(): Promise<void> {
  const profiles = await listProfiles();
  if (profiles.ok) useAppStore.getState().setProfiles(profiles.value);
}

/** The known networks: read when the Profiles view shows them, not kept up to date by pushes. */
export async function reloadNetworks(): Promise<void> {
  const networks = await listNetworks();
  if (networks.ok) useAppStore.getState().setNetworks(networks.value);
}

/** Connects the store to the engine: pushes, the flush timer, reloads on reconnect. */
export function startSync(): () => void {
  const store = useAppStore.getState();
  const stops = [
    onPush('status:changed', (status) => {
      const before = useAppStore.getState().status?.storage;
      useAppStore.getState().setStatus(status);
      noteStatus(status);
      // The banner goes away by itself; saying that saving works again is worth a line.
      if (before !== undefined && before !== 'ok' && status.storage === 'ok') {
        useAppStore.getState().addToast('info', TOASTS.savingWorksAgain);
      }
    }),
    onPush('prompts:changed', (groups) => useAppStore.getState().setPrompts(groups)),
    onPush('connections:batched', (changes) => buffer.enqueue(changes)),
    onPush('logs:appended', (lines) => useAppStore.getState().appendLogs(lines)),
    onTransportState((state) => {
      useAppStore.getState().setTransport(state);
      if (state === 'open') void loadAll();
    }),
  ];
  const timer = setInterval(() => {
    if (buffer.pending === 0) return;
    const rows = buffer.flush();
    if (rows !== useAppStore.getState().connectionRows) useAppStore.getState().setConnectionRows(rows);
  }, CONNECTION_FLUSH_MS);
  const state = connect();
  store.setTransport(state);
  if (state === 'open') void loadAll();
  return () => {
    clearInterval(timer);
    proposals.stop();
    for (const stop of stops) stop();
  };
}
