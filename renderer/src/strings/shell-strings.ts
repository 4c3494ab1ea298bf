import type { ModeStatus, StatusView, StorageState } from '../../../app/contract/views.ts';
import type { PluralText } from '../lib/locale-format.ts';

/**
 * The shell's words: navigation, the status bar with the mode menu, the storage banner and the
 * toasts. English; times and counts in them come formatted (lib/locale-format.ts).
 */
export const SHELL = {
  navigation: 'Main',
  /** A badge's count in thousands: "12k" (the number comes formatted). */
  thousands: (count: string) => `${count}k`,
  links: {
    connections: 'Connections',
    apps: 'Apps',
    history: 'History',
    dns: 'DNS log',
    rules: 'Rules',
    learning: 'Learning',
    profiles: 'Profiles',
    settings: 'Settings',
    logs: 'Logs',
  },
  status: 'Status',
  connecting: 'Connecting to the engine…',
  noEngine: 'No engine: open the address headless mode prints',
  engineUnreachable: 'Engine unreachable — retrying',
  filteringMode: 'Filtering mode',
  /** Before the bold mode name: "Mode: Ask". */
  modePrefix: 'Mode:',
  modes: {
    ask: 'Ask',
    'allow-all': 'Allow all',
    'block-all': 'Block all',
  } satisfies Readonly<Record<Exclude<ModeStatus['mode'], 'pause'>, string>>,
  /** "Paused", "Paused until 14:35". */
  paused: (until: string | null) => (until === null ? 'Paused' : `Paused until ${until}`),
  askItem: 'Ask for new connections',
  /** "Pause for 5 minutes (until 14:35)"; `span` is formatted ("5 minutes", "1 hour"). */
  pauseFor: (span: string, until: string) => `Pause for ${span} (until ${until})`,
  resumeNow: (mode: string) => `Resume now (${mode})`,
  noPendingPrompts: 'No pending prompts',
  pendingPrompts: {
    one: (n) => `${n} pending prompt`,
    other: (n) => `${n} pending prompts`,
  } satisfies PluralText,
  storageTitles: {
    full: 'Disk full.',
    failed: 'Database error.',
    unavailable: 'No database.',
  } satisfies Readonly<Record<Exclude<StorageState, 'ok'>, string>>,
  storage: 'Storage',
  dismiss: 'Dismiss',
  drivers: {
    connected: 'Driver connected',
    reconnecting: 'Driver reconnecting',
    installing: 'Installing the driver…',
    disconnected: 'Driver disconnected',
    failed: 'Driver failed',
  } satisfies Readonly<Record<StatusView['driver'], string>>,
  driverFailed: (label: string, detail: string) => `${label}: ${detail}`,
  policy: {
    enforced: 'Driver enforces your rules',
    unsaved: 'Driver enforces your rules (not saved)',
    sending: 'Sending your rules to the driver',
    behind: 'Driver is not enforcing your latest rules',
    unsupported: 'Driver without policy support',
  },
} as const;
