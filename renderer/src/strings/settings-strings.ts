import { MAX_HOLD_SECONDS } from '../../../app/contract/views.ts';
/** The words of the Settings view (English). The no-app action's words come from the contract. */
export const SETTINGS = {
  title: 'Settings',
  waiting: 'Waiting for the engine…',
  subtitle: 'Changes apply immediately.',
  unanswered: "When you don't answer",
  defaultAction: 'Default action',
  defaultActionHint: 'Applied to a connection when its prompt times out, and while the engine cannot ask.',
  defaultActions: {
    block: 'Block (the app sees a refusal)',
    drop: 'Drop (the app sees a timeout)',
    allow: 'Allow',
  },
  holdTimeout: 'Hold timeout',
  holdTimeoutHint: `How long a new connection waits for your answer, at most ${String(MAX_HOLD_SECONDS)} seconds (the driver answers one held longer itself). 0 asks without holding (the default action applies at once).`,
  seconds: 'seconds',
  whileClosed: 'While ZenithFence is closed',
  noAppAction: 'Connections no rule covers',
  promptAndStartup: 'Prompt and startup',
  promptPosition: 'Prompt position',
  promptPositionHint: 'Where the prompt window appears on the display under the pointer.',
  promptPositions: {
    'near-tray': 'Near the tray icon',
    center: 'Centre of the screen',
  },
  startAtLogin: 'Start at login',
  startAtLoginHint: 'Open ZenithFence in the tray when you log in.',
  checkForUpdates: 'Check for updates',
  checkForUpdatesHint:
    'Once a day, ask the release feed whether a new version exists. Nothing is downloaded or installed until you click.',
  history: 'History',
  historyRetention: 'History retention',
  historyRetentionHint: 'Connections and bandwidth older than this are deleted from the history.',
  connectionLog: 'Connection log',
  connectionLogHint:
    'Also write every connection as JSON lines to connections.jsonl beside the database, for a log shipper (rotated at 10 MB, 5 files kept).',
  keepDnsHistory: 'Keep DNS history',
  keepDnsHistoryHint:
    'Record which app asked for which name and what it got (the DNS log). Only the Linux driver (zenithfenced) sees DNS. Turning this off deletes the DNS history kept so far.',
  dnsRetention: 'DNS history retention',
  dnsRetentionHint: 'Answers older than this are deleted from the DNS history.',
  /** The confirmation asked before the switch is turned off. */
  dnsOff: {
    question: 'Turn off DNS history and delete the DNS history kept so far?',
    confirm: 'Turn off and delete',
    cancel: 'Cancel',
  },
  days: 'days',
} as const;
