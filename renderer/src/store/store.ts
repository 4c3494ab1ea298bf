import { create } from 'zustand';
import { type ConnectionsSlice, createConnectionsSlice } from './connections-slice.ts';
import { createLearningSlice, type LearningSlice } from './learning-slice.ts';
import { createLogsSlice, type LogsSlice } from './logs-slice.ts';
import { createProfilesSlice, type ProfilesSlice } from './profiles-slice.ts';
import { createPromptsSlice, type PromptsSlice } from './prompts-slice.ts';
import { createRulesSlice, type RulesSlice } from './rules-slice.ts';
import { createSettingsSlice, type SettingsSlice } from './settings-slice.ts';
import { createStatusSlice, type StatusSlice } from './status-slice.ts';
import { createUiSlice, type UiSlice } from './ui-slice.ts';

/** The renderer's one store, built from slices (zustand's slices pattern). */
export type AppState = StatusSlice &
  PromptsSlice &
  ConnectionsSlice &
  RulesSlice &
  ProfilesSlice &
  LearningSlice &
  SettingsSlice &
  LogsSlice &
  UiSlice;

export const useAppStore = create<AppState>()((...args) => ({
  ...createStatusSlice(...args),
  ...createPromptsSlice(...args),
  ...createConnectionsSlice(...args),
  ...createRulesSlice(...args),
  ...createProfilesSlice(...args),
  ...createLearningSlice(...args),
  ...createSettingsSlice(...args),
  ...createLogsSlice(...args),
  ...createUiSlice(...args),
}));
