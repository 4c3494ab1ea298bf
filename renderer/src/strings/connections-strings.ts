import type { ConnectionRow } from '../../../app/contract/views.ts';
import type { VerdictFilter } from '../lib/connection-query.ts';

/**
 * The words of the Connections view and of the connections table (also in the Apps view).
 * English; counts, sizes and times in them come formatted (lib/locale-format.ts).
 */
export const CONNECTIONS = {
  title: 'Connections',
  /** "1,234 connections recorded, 12 live"; `recorded` is already "N connection(s)". */
  subtitle: (recorded: string, live: string) => `${recorded} recorded, ${live} live`,
  search: 'Search connections',
  searchPlaceholder: 'Search app, host, address, port…',
  show: 'Show',
  filters: {
    all: 'All',
    live: 'Live',
    allowed: 'Allowed',
    blocked: 'Blocked',
    pending: 'Waiting',
  } satisfies Readonly<Record<VerdictFilter, string>>,
  empty: 'No connections yet. They appear here as apps use the network.',
  columns: {
    app: 'App',
    direction: 'Direction',
    host: 'Remote host',
    remoteIp: 'Remote address',
    remotePort: 'Port',
    protocol: 'Protocol',
    verdict: 'Verdict',
    sent: 'Sent',
    received: 'Received',
    started: 'Started',
    ended: 'Ended',
    actions: 'Actions',
  },
  live: 'Live',
  /** After the end time of a connection whose end the driver never reported (`endUnseen`). */
  endUnseen: 'link lost',
  endUnseenTitle:
    'No end was reported: the connection was open when the link to the driver was lost and gave no sign of life once it was back. It ended then or later.',
  makeRule: 'Make rule',
  /** A rule as the Verdict tooltip names it: “curl → example.org”. */
  ruleName: (app: string, destination: string) => `“${app} → ${destination}”`,
  verdicts: {
    pending: 'Waiting',
    driver: 'By driver',
    accept: 'Allowed',
    'permanent-accept': 'Allowed',
    block: 'Blocked',
    'permanent-block': 'Blocked',
    drop: 'Dropped',
    'permanent-drop': 'Dropped',
  } satisfies Readonly<Record<ConnectionRow['verdict'], string>>,
  /** Who decided a connection (the Verdict tooltip); `rule` is a named rule or ''. */
  origin: {
    policyUnknownRule:
      'Decided in the driver by its policy (by a rule this window does not know: one sent before ZenithFence last started)',
    policyRule: (rule: string) => `Decided in the driver by your rule${rule === '' ? '' : ` ${rule}`}`,
    waiting: 'Waiting for an answer',
    driverAlone: 'Answered by the driver alone: the link to it was lost while it waited',
    noRule: 'Decided without a rule (an answer, the mode or a timeout)',
    rule: (rule: string) => `Decided by your rule${rule === '' ? '' : ` ${rule}`}`,
  },
} as const;
