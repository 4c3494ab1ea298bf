import type { StateCreator } from 'zustand';
import type { StatusView } from '../../../app/contract/views.ts';
import type { TransportState } from '../bridge.ts';
import { putProfileIn } from './profiles-slice.ts';
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
  // The active profile as the engine has it now: a change made elsewhere (a mode chosen, the
  // tray, another window) shows in the profile lists too, without asking for them again.
  setStatus: (status) => set((state) => ({ status, profiles: putProfileIn(state.profiles, status.profile.active) })),
  setTransport: (transport) => set({ transport }),
});
