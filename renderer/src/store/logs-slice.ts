import type { StateCreator } from 'zustand';
import type { LogView } from '../../../app/contract/views.ts';
import type { AppState } from './store.ts';

/** The most log lines kept; older ones go first. */
export const MAX_LOG_LINES = 5000;

export interface LogsSlice {
  readonly logs: readonly LogView[];
  setLogs(logs: readonly LogView[]): void;
  appendLogs(lines: readonly LogView[]): void;
}

/** Appends lines, keeping the newest `max`. */
export function appendCapped<T>(current: readonly T[], lines: readonly T[], max: number): readonly T[] {
  if (lines.length === 0) return current;
  const all = [...current, ...lines];
  return all.length > max ? all.slice(all.length - max) : all;
}

export const createLogsSlice: StateCreator<AppState, [], [], LogsSlice> = (set) => ({
  logs: [],
  setLogs: (logs) => set({ logs: appendCapped([], logs, MAX_LOG_LINES) }),
  appendLogs: (lines) => set((state) => ({ logs: appendCapped(state.logs, lines, MAX_LOG_LINES) })),
});
