import type { Destination, RuleAction, RuleDuration } from '../../../app/contract/rules.ts';
import type { PluralText } from '../lib/locale-format.ts';

/**
 * The words of the Rules view, the rule editor and the rule form's checks. English; counts,
 * sizes and times in them come formatted (lib/locale-format.ts).
 */
export const RULES = {
  title: 'Rules',
  /** "12 rules, 10 enabled"; `rules` is already "N rule(s)". */
  subtitle: (rules: string, enabled: string) => `${rules}, ${enabled} enabled`,
  import: 'Import',
  importRules: 'Import rules',
  importFailed: (reason: string) => `Import failed: ${reason}`,
  export: 'Export',
  exportFileName: 'zenithfence-rules.json',
  newRule: 'New rule',
  search: 'Search rules',
  /** The profile filter: every rule, the always-on ones, or one profile's. */
  profileFilter: 'Profile',
  allProfiles: 'All profiles',
  alwaysOn: 'Always on',
  profileRules: (profile: string) => `Only in ${profile}`,
  searchPlaceholder: 'Search app, destination, port, notes…',
  columns: {
    enabled: 'Enabled',
    app: 'App',
    destination: 'Destination',
    port: 'Port',
    protocol: 'Protocol',
    direction: 'Direction',
    action: 'Action',
    duration: 'Duration',
    hits: 'Hits',
    lastHit: 'Last hit',
    profile: 'Profile',
    actions: 'Actions',
  },
  enabled: 'Enabled',
  anyApp: 'Any app',
  /** The avatar of a rule for any app. */
  anyAppMark: '*',
  expired: 'Expired',
  edit: 'Edit',
  delete: 'Delete',
  confirmDelete: 'Confirm delete',
  clickAgainToDelete: 'Click again to delete',
  deleteArmed: 'Delete?',
  empty: 'No rules yet. Answer a prompt with a duration, or create one with New rule.',
  noMatch: 'No rule matches.',
  actions: { allow: 'Allow', block: 'Block', drop: 'Drop' } satisfies Readonly<Record<RuleAction, string>>,

  /** The import summary (lib/import-summary.ts); counts come formatted. */
  imported: {
    nothingInFile: 'The file holds no rules; nothing was imported.',
    theOneExisted: 'Nothing was imported: the rule already existed.',
    allExisted: (count: string) => `Nothing was imported: all ${count} rules already existed.`,
    /** `added` is "Imported N rule(s)". */
    added: { one: (n) => `Imported ${n} rule`, other: (n) => `Imported ${n} rules` } satisfies PluralText,
    addedOnly: (added: string) => `${added}.`,
    addedAndExisted: (added: string, skipped: string) => `${added}; ${skipped} already existed.`,
  },
  /** A rule file over the limit (lib/rule-file-size.ts); sizes come formatted. */
  fileTooBig: (size: string, limit: string) =>
    `This file is ${size}; a rule file can be at most ${limit}. Nothing was imported.`,

  editor: {
    edit: 'Edit rule',
    make: 'Make rule',
    create: 'New rule',
    intro: 'Rules decide connections without asking. The most specific rule wins; block beats allow on a tie.',
    appPath: 'App path',
    anyApp: 'Any app',
    destination: 'Destination',
    value: 'Value',
    port: 'Port',
    anyPort: 'Any port',
    protocol: 'Protocol',
    direction: 'Direction',
    directions: { outbound: 'Outgoing', inbound: 'Incoming', any: 'Both' },
    action: 'Action',
    actions: { allow: 'Allow', block: 'Block', drop: 'Drop silently' } satisfies Readonly<Record<RuleAction, string>>,
    duration: 'Duration',
    minutes: 'Minutes',
    notes: 'Notes',
    /** Where the rule applies: always, or only while one profile is active. */
    appliesIn: 'Applies in',
    always: 'Always (every profile)',
    onlyIn: (profile: string) => `Only in ${profile}`,
    enabled: 'Enabled',
    cancel: 'Cancel',
    save: 'Save rule',
    createButton: 'Create rule',
  },

  /** The rule form's choices and checks (lib/rule-form.ts). */
  destinationKinds: {
    any: 'Any destination',
    host: 'Host name',
    domain: 'Domain',
    ip: 'IP address',
    cidr: 'Network (CIDR)',
    lan: 'Local network',
    localhost: 'This computer',
  } satisfies Readonly<Record<Destination['kind'], string>>,
  durationKinds: {
    forever: 'Forever',
    'until-restart': 'Until restart',
    'until-app-quits': 'Until the app quits',
    minutes: 'For a number of minutes',
    once: 'Once',
  } satisfies Readonly<Record<RuleDuration['kind'], string>>,
  /** How a rule's duration reads in the list ("minutes" is a formatted span there). */
  durations: {
    once: 'Once',
    'until-app-quits': 'Until the app quits',
    'until-restart': 'Until restart',
    forever: 'Forever',
  } satisfies Readonly<Record<Exclude<RuleDuration['kind'], 'minutes'>, string>>,
  destinations: { any: 'Any', lan: 'Local network', localhost: 'This computer' },
  anyPort: 'Any',
  errors: {
    portNumber: 'A port is a number from 0 to 65535.',
    portRange: 'A port range runs from low to high, like 8000-8080.',
    port: 'Write a port (443) or a range (8000-8080), or leave it empty for any port.',
    host: 'Enter a host name.',
    domain: 'Enter a domain, like *.example.org.',
    ip: 'Enter an IP address.',
    cidr: 'Enter a network, like 192.0.2.0/24.',
    minutes: 'Minutes are a whole number from 1 to 525600.',
    invalid: 'invalid rule',
    /** A contract check's message, with the field it is about: "notes: too long". */
    field: (field: string, message: string) => `${field}: ${message}`,
  },
} as const;
