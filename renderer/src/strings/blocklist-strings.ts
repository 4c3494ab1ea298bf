import type { PluralText } from '../lib/locale-format.ts';

/** The words of the Settings view's blocklists card; counts and times in them come formatted. */
export const BLOCKLISTS = {
  title: 'Blocklists',
  intro:
    'Names and addresses in these files are blocked unless one of your rules allows them. Hosts files, domain lists and address lists are read.',
  name: 'List name',
  path: 'File path',
  pathPlaceholder: '/etc/zenithfence/blocklist.txt',
  add: 'Add blocklist',
  none: 'No blocklists yet.',
  enabled: (name: string) => `Use ${name}`,
  reload: (name: string) => `Reload ${name}`,
  remove: (name: string) => `Remove ${name}`,
  entries: { one: (n) => `${n} entry`, other: (n) => `${n} entries` } satisfies PluralText,
  hits: { one: (n) => `${n} blocked`, other: (n) => `${n} blocked` } satisfies PluralText,
  /** "12,034 entries · 3 blocked · read 10:19:32 AM" */
  summary: (entries: string, hits: string, read: string) => `${entries} · ${hits} · read ${read}`,
  problem: (reason: string) => `Last read failed, the entries before stay in force: ${reason}`,
  failed: (reason: string) => `The blocklist was not added: ${reason}`,
} as const;
