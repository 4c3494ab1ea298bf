import type { StateCreator } from 'zustand';
import type { ConnectionRow } from '../../../app/contract/views.ts';
import type { AppState } from './store.ts';

/**
 * The live connection rows as an immutable array, replaced at a fixed rate by the sync layer
 * (store/sync.ts keeps the ConnectionBuffer that merges `connections:batched`).
 */
export interface ConnectionsSlice {
  readonly connectionRows: readonly ConnectionRow[];
  setConnectionRows(rows: readonly ConnectionRow[]): void;
}

export const createConnectionsSlice: StateCreator<AppState, [], [], ConnectionsSlice> = (set) => ({
  connectionRows: [],
  setConnectionRows: (connectionRows) => set({ connectionRows }),
});
