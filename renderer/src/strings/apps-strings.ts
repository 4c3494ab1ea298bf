import type { PluralText } from '../lib/locale-format.ts';

/**
 * The words of the Apps view and its bandwidth chart. English; counts, sizes, times and range
 * lengths in them come formatted (lib/locale-format.ts).
 */
export const APPS = {
  title: 'Apps',
  subtitle: 'What each app sent and received, and when.',
  columns: {
    app: 'App',
    connections: 'Connections',
    sent: 'Sent',
    received: 'Received',
    lastSeen: 'Last seen',
  },
  allApps: 'All apps',
  /** The avatar of the "All apps" row. */
  allAppsMark: '∑',
  everyApp: 'Every app together',
  empty: 'No app has used the network yet.',
  noRules: 'No rules for this app yet.',
  rulesOfApp: 'Rules of this app',
  hits: { one: (n) => `${n} hit`, other: (n) => `${n} hits` } satisfies PluralText,
  range: 'Range',
  receivedInRange: 'Received in range',
  sentInRange: 'Sent in range',
  received: 'Received',
  sent: 'Sent',
  rules: 'Rules',
  connections: 'Connections',
  /** "Bandwidth of curl over 5 min"; `range` comes formatted. */
  chart: (app: string, range: string) => `Bandwidth of ${app} over ${range}`,
  connectionsOf: (app: string) => `Connections of ${app}`,
  noConnections: 'No connections of this app are kept.',
  /** The chart's series. */
  time: 'Time',
} as const;
