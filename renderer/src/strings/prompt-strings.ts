import type { PluralText } from '../lib/locale-format.ts';

/**
 * The words of the prompt (components/PromptDialog.tsx, lib/prompt-text.ts). English; counts,
 * times and durations in them come formatted (lib/locale-format.ts).
 */
export const PROMPT = {
  dialog: 'Connection request',
  incomingConnection: 'Incoming connection',
  outgoingConnection: 'Outgoing connection',
  /** "2 of 5"; both numbers come formatted. */
  position: (position: string, total: string) => `${position} of ${total}`,
  /** "curl wants to connect to example.org on TCP port 443"; `port` comes as typed (no grouping). */
  onPort: (protocol: string, port: string) => ` on ${protocol} port ${port}`,
  using: (protocol: string) => ` using ${protocol}`,
  wantsToAccept: (app: string, where: string, via: string) => `${app} wants to accept a connection from ${where}${via}`,
  wantsToConnect: (app: string, where: string, via: string) => `${app} wants to connect to ${where}${via}`,
  details: {
    executable: 'Executable',
    process: 'Process',
    user: 'User',
    direction: 'Direction',
    address: 'Address',
    host: 'Host',
    attempts: 'Attempts',
  },
  unknown: 'unknown',
  /** Process ids, joined: "PID 4242, 4243". */
  pids: (pids: readonly number[]) => `PID ${pids.join(', ')}`,
  root: 'root (uid 0)',
  uid: (uid: number) => `uid ${String(uid)}`,
  incoming: 'Incoming',
  outgoing: 'Outgoing',
  attempts: { one: (n) => `${n} connection`, other: (n) => `${n} connections` } satisfies PluralText,
  /** After the attempts: ", 3 waiting". */
  waiting: (count: string) => `, ${count} waiting`,
  /** The countdown; `action` is Allow, Block or Drop, times and seconds come formatted. */
  timedOut: (time: string, action: string) =>
    `Timed out at ${time}: ${action} was applied. Your answer decides the next connections.`,
  paused: (action: string, time: string) => `Countdown paused — take your time. (${action} at ${time} if unanswered)`,
  /** "Block in <strong>30 sec</strong> unless you answer": the three parts around the strong one. */
  runningBefore: (action: string) => `${action} in `,
  runningAfter: ' unless you answer',
  duration: 'Duration',
  scope: 'Scope',
  /** The rule belongs to the active profile only: "Only in Home". */
  onlyIn: (profile: string) => `Only in ${profile}`,
  onlyInHint: 'The rule applies only while this profile is active. Once makes no rule.',
  later: 'Later',
  laterTitle: 'Keep it pending and decide later',
  /** The keyboard hint: "A allow · B block" around the keys. */
  keyAllow: ' allow · ',
  keyBlock: ' block',
  allow: 'Allow',
  block: 'Block',
  pending: 'Pending prompts',
  pendingByApp: 'Pending by app',
  askedAbout: {
    one: (n) => `${n} connection asked about`,
    other: (n) => `${n} connections asked about`,
  } satisfies PluralText,
  destinations: { one: (n) => `${n} destination`, other: (n) => `${n} destinations` } satisfies PluralText,
  allowAll: 'Allow all',
  blockAll: 'Block all',
  durations: {
    once: 'Once',
    'until-app-quits': 'Until the app quits',
    hour: '1 hour',
    'until-restart': 'Until restart',
    forever: 'Forever',
  },
  unknownAppNote:
    'The program behind this connection is unknown, so you can only answer it once: a lasting rule would apply to every program.',
  scopes: {
    exact: (where: string, port: string) => `This host and port (${where}:${port})`,
    host: (where: string) => `This host (${where})`,
    domain: (suffix: string) => `*.${suffix}`,
    app: 'Any destination (the whole app)',
  },
  actions: { allow: 'Allow', block: 'Block', drop: 'Drop' },
} as const;
