import type { PluralText } from '../lib/locale-format.ts';

/** The words of the Settings view's blocklists card; counts and times in them come formatted. */
export const BLOCKLISTS = {
  title: 'Blocklists',
  intro:
    'Names and addresses on these lists are blocked unless one of your rules allows them. Hosts files, domain lists and address lists are read, from a file or a web address, and checked for a new version regularly.',
  name: 'List name',
  source: 'File path or web address',
  sourcePlaceholder: 'https://example.org/hosts.txt',
  interval: 'Check for a new version every',
  intervalOf: (name: string) => `Check ${name} every`,
  /** The offered intervals, in hours. */
  every: (hours: number) =>
    hours % 24 === 0
      ? hours === 24
        ? 'day'
        : hours === 168
          ? 'week'
          : `${String(hours / 24)} days`
      : `${String(hours)} hours`,
  add: 'Add blocklist',
  adding: 'Adding…',
  none: 'No blocklists yet.',
  enabled: (name: string) => `Use ${name}`,
  reload: (name: string) => `Check ${name} now`,
  remove: (name: string) => `Remove ${name}`,
  entries: { one: (n) => `${n} entry`, other: (n) => `${n} entries` } satisfies PluralText,
  hits: { one: (n) => `${n} blocked`, other: (n) => `${n} blocked` } satisfies PluralText,
  /** "12,034 entries · 3 blocked · updated 10:19:32 AM · checked 11:19:32 AM" */
  summary: (entries: string, hits: string, updated: string, checked: string) =>
    `${entries} · ${hits} · updated ${updated} · checked ${checked}`,
  failed: (reason: string) => `The blocklist was not added: ${reason}`,
  /** The driver holds only the first names of the lists (its policy document is full). */
  driverCut: (held: string, total: string) =>
    `While ZenithFence is closed, the driver applies ${held} of these ${total} names (its policy holds 16 MiB, filled in list order) and every address.`,
} as const;

/** The words of the Rules view's blocklist group. */
export const BLOCKLIST_GROUP = {
  title: 'Blocklists',
  precedence:
    'Checked after your rules: a rule that allows a listed name or address wins. Listed connections no rule matches are blocked without asking.',
  manage: 'Manage blocklists',
  none: 'No blocklists. Add one in Settings → Blocklists.',
  columns: { enabled: 'On', name: 'List', entries: 'Entries', hits: 'Blocked', updated: 'Updated' },
} as const;
