import type { StateCreator } from 'zustand';
import type { Settings } from '../../../app/contract/views.ts';
import type { AppState } from './store.ts';

export interface SettingsSlice {
  readonly settings: Settings | null;
  setSettingsState(settings: Settings): void;
}

export const createSettingsSlice: StateCreator<AppState, [], [], SettingsSlice> = (set) => ({
  settings: null,
  setSettingsState: (settings) => set({ settings }),
});
