import type { PluralText } from '../lib/locale-format.ts';

/**
 * The words of learning: the status bar's learning menu, the inbox line, the Learning view with
 * its review, and the Apps view's learning card (English; times, spans and counts come
 * formatted, lib/locale-format.ts).
 */
export const LEARNING = {
  title: 'Learning',
  subtitle:
    'While learning, connections that would ask are allowed and noted. Nothing becomes a rule until you review what was learned.',

  /** The status bar's menu button and the menu itself. */
  menu: 'Learning',
  /** The button's text while nothing is learned. */
  off: 'Learn',
  /** "Learning until 14:32". */
  until: (clock: string) => `Learning until ${clock}`,
  /** One app learning until it quits, by name: "firefox until it quits". */
  appUntilQuits: (app: string) => `${app} until it quits`,
  /** More than one: "2 apps until they quit". */
  appsUntilQuit: {
    one: (n) => `${n} app until it quits`,
    other: (n) => `${n} apps until they quit`,
  } satisfies PluralText,
  apps: { one: (n) => `${n} app`, other: (n) => `${n} apps` } satisfies PluralText,
  /** "Learning curl until it quits" (only apps learn). */
  learningApps: (apps: string) => `Learning ${apps}`,
  /** "Learning until 14:32, curl until it quits" (every app, and apps until they quit). */
  untilAndApps: (clock: string, apps: string) => `Learning until ${clock}, ${apps}`,
  /** The badge: proposals waiting for review. */
  toReview: { one: (n) => `${n} to review`, other: (n) => `${n} to review` } satisfies PluralText,

  /** The tooltip, sentence by sentence. */
  summary: {
    off: 'Not learning.',
    until: (clock: string) => `Learning every app until ${clock}.`,
    apps: (names: string) => `Learning until they quit: ${names}.`,
    proposals: {
      one: (n) => `${n} learned destination waits for your review.`,
      other: (n) => `${n} learned destinations wait for your review.`,
    } satisfies PluralText,
    overflow: {
      one: (n) => `${n} connection asked instead: too many proposals wait.`,
      other: (n) => `${n} connections asked instead: too many proposals wait.`,
    } satisfies PluralText,
    alwaysAsk: (names: string) => `Always asking: ${names}.`,
  },

  /** The menu's items; `span` is formatted ("15 minutes", "1 hour"). */
  learnFor: (span: string, until: string) => `Learn for ${span} (until ${until})`,
  learnCustom: 'Learn for another time…',
  stop: 'Stop learning',
  review: { one: (n) => `Review ${n} proposal…`, other: (n) => `Review ${n} proposals…` } satisfies PluralText,

  /** The inbox line: "20 connections of 2 apps learned". */
  inbox: 'Learned connections',
  learned: (connections: string, apps: string) => `${connections} of ${apps} learned`,
  reviewButton: 'Review',
  reviewInWindow: 'Review them in the main window.',

  /** The Learning view's controls. */
  controls: 'Learn',
  minutes: 'Minutes',
  start: 'Start learning',
  minutesError: (max: string) => `Learn for 1 to ${max} minutes.`,
  started: (what: string) => `${what}.`,
  stopped: 'Learning stopped. What was learned waits for your review.',

  /** The review. */
  reviewTitle: 'Review',
  nothing: 'Nothing learned waits for review.',
  columns: {
    destination: 'Destination',
    port: 'Port',
    protocol: 'Protocol',
    direction: 'Direction',
    connections: 'Connections',
    firstSeen: 'First seen',
    lastSeen: 'Last seen',
    decision: 'Decision',
  },
  /** A group's table: "Learned for firefox". */
  learnedFor: (app: string) => `Learned for ${app}`,
  keep: 'Keep',
  narrow: 'Narrow',
  discard: 'Discard',
  keepAll: 'Keep all',
  discardAll: 'Discard all',
  /** A narrowed proposal's rule, under its destination: "Narrowed: allow *.mozilla.org, any port, TCP". */
  narrowedTo: (rule: string) => `Narrowed: ${rule}`,
  ruleLine: (action: string, destination: string, port: string, protocol: string) =>
    `${action} ${destination}, ${port}, ${protocol}`,
  anyPort: 'any port',
  port: (port: string) => `port ${port}`,
  anyProtocol: 'any protocol',
  /** Added when the narrowed rule is for another app than the one that learned it. */
  forApp: (app: string) => `, for ${app}`,
  /** Added when the narrowed rule applies in one profile only. */
  onlyIn: (profile: string) => `, only in ${profile}`,
  actions: { allow: 'allow', block: 'block', drop: 'drop' },
  /** The rule editor opened by Narrow. */
  narrowTitle: 'Narrow learned rule',
  narrowIntro: 'Make the learned rule as narrow as you want it. Nothing is saved until you apply the review.',
  narrowKeep: 'Keep narrowed rule',
  /** The review's tally: its counted parts, those that are not zero. */
  tally: (parts: readonly string[]) => `${parts.join(', ')}.`,
  nothingDecided: 'Nothing decided yet.',
  toKeep: { one: (n) => `${n} to keep`, other: (n) => `${n} to keep` } satisfies PluralText,
  narrowed: (n: string) => ` (${n} narrowed)`,
  toDiscard: { one: (n) => `${n} to discard`, other: (n) => `${n} to discard` } satisfies PluralText,
  undecided: {
    one: (n) => `${n} not decided (it stays for later)`,
    other: (n) => `${n} not decided (they stay for later)`,
  } satisfies PluralText,
  apply: { one: (n) => `Apply ${n} decision`, other: (n) => `Apply ${n} decisions` } satisfies PluralText,
  /** After the review: "Kept 4 rules; discarded 2 proposals." */
  applied: (kept: string, discarded: string) => `Kept ${kept}; discarded ${discarded}.`,
  proposal: { one: (n) => `${n} proposal`, other: (n) => `${n} proposals` } satisfies PluralText,

  /** The Apps view's card for the selected app. */
  app: {
    title: 'Learning',
    untilQuits: 'Learn until this app quits',
    learningUntilQuits: 'Learning until this app quits',
    alwaysAsk: 'Always ask',
    alwaysAskHint: 'Its new connections ask you even while learning.',
    notAnApp: 'Learning needs the program’s path; this app has none.',
  },
} as const;
