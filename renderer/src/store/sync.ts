import type { ConnectionRow } from '../../../app/contract/views.ts';
import {
  connect,
  getSettings,
  getStatus,
  listConnections,
  listLogs,
  listPrompts,
  listRules,
  onPush,
  onTransportState,
} from '../bridge.ts';
import { ConnectionBuffer, type ConnectionDelta } from '../lib/connection-buffer.ts';
import { TOASTS } from '../strings/toast-strings.ts';
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

/** Loads everything the views show; runs at start and after every reconnect. */
export async function loadAll(): Promise<void> {
  const store = useAppStore.getState();
  buffer.dropQueued();
  const [status, prompts, connections, rules, settings, logs] = await Promise.all([
    getStatus(),
    listPrompts(),
    listConnections(CONNECTION_CAPACITY),
    listRules(),
    getSettings(),
    listLogs(),
  ]);
  if (status.ok) store.setStatus(status.value);
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

/** Connects the store to the engine: pushes, the flush timer, reloads on reconnect. */
export function startSync(): () => void {
  const store = useAppStore.getState();
  const stops = [
    onPush('status:changed', (status) => {
      const before = useAppStore.getState().status?.storage;
      useAppStore.getState().setStatus(status);
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
    for (const stop of stops) stop();
  };
}
