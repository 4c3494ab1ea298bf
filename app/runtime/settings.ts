import { settingsSchema, type Settings } from '../contract/views.ts';
import type { Store } from '../store/index.ts';

const KEY = 'app-settings';

/** What a fresh installation uses. */
export const DEFAULT_SETTINGS: Settings = {
  defaultAction: 'block',
  holdTimeoutSeconds: 30,
  promptPosition: 'near-tray',
  startAtLogin: false,
  historyRetentionDays: 30,
};

export function loadSettings(store: Store): Settings {
  return store.settings.get(KEY, settingsSchema, DEFAULT_SETTINGS);
}

/** Merges a validated partial update and stores the result. */
export function saveSettings(
  store: Store,
  patch: { readonly [K in keyof Settings]?: Settings[K] | undefined },
): Settings {
  // Absent fields keep their stored values.
  const defined = Object.fromEntries(Object.entries(patch).filter(([, value]) => value !== undefined));
  const next = settingsSchema.parse({ ...loadSettings(store), ...defined });
  store.settings.set(KEY, next);
  return next;
}
