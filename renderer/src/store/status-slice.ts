import type { StateCreator } from 'zustand';
import type { StatusView } from '../../../app/contract/views.ts';
import type { TransportState } from '../bridge.ts';
import type { AppState } from './store.ts';

/** The engine's status (driver, mode, pending count) and the state of our link to it. */
export interface StatusSlice {
  readonly status: StatusView | null;
  readonly transport: TransportState;
  setStatus(status: StatusView): void;
  setTransport(transport: TransportState): void;
}

export const createStatusSlice: StateCreator<AppState, [], [], StatusSlice> = (set) => ({
  status: null,
  transport: 'connecting',
  setStatus: (status) => set({ status }),
  setTransport: (transport) => set({ transport }),
});
