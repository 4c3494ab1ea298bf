import { DEFAULT_NO_APP_ACTION } from '../contract/no-app-action.ts';
import { type Settings, settingsSchema } from '../contract/views.ts';
import type { Store } from '../store/index.ts';

const KEY = 'app-settings';

/** What a fresh installation uses. */
export const DEFAULT_SETTINGS: Settings = {
  defaultAction: 'block',
  noAppAction: DEFAULT_NO_APP_ACTION,
  holdTimeoutSeconds: 30,
  promptPosition: 'near-tray',
  startAtLogin: false,
  // Only a release build with a feed checks at all (app/main/update-checks.ts); its users can turn it off.
  checkForUpdates: true,
  historyRetentionDays: 30,
  connectionLog: false,
  keepDnsHistory: true,
  // Shorter than the connection history: names asked are the more private record.
  dnsRetentionDays: 7,
};

/**
 * The settings as stored: settings saved before a field existed read with its default, rather
 * than failing the schema and losing every other setting the user made. (Only here: a default
 * in the contract's schema would also fill in its `.partial()`, and every `settings:set` would
 * then reset the field.)
 */
const storedSettingsSchema = settingsSchema.extend({
  noAppAction: settingsSchema.shape.noAppAction.default(DEFAULT_SETTINGS.noAppAction),
  checkForUpdates: settingsSchema.shape.checkForUpdates.default(DEFAULT_SETTINGS.checkForUpdates),
  connectionLog: settingsSchema.shape.connectionLog.default(DEFAULT_SETTINGS.connectionLog),
  keepDnsHistory: settingsSchema.shape.keepDnsHistory.default(DEFAULT_SETTINGS.keepDnsHistory),
  dnsRetentionDays: settingsSchema.shape.dnsRetentionDays.default(DEFAULT_SETTINGS.dnsRetentionDays),
});

export function loadSettings(store: Store): Settings {
  return store.settings.get(KEY, storedSettingsSchema, DEFAULT_SETTINGS);
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
