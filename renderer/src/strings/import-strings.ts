import type { ImportFormat } from '../../../app/contract/import-preview.ts';
import type { PluralText } from '../lib/locale-format.ts';

/** The words of the import dialog (rules from another firewall); counts in them come formatted. */
export const IMPORT = {
  open: 'Import from another firewall…',
  title: 'Import rules from another firewall',
  intro: 'Nothing is written until you confirm: first you see what the import would do.',
  format: 'Firewall',
  formats: {
    opensnitch: 'OpenSnitch (rule files, .json)',
    'little-snitch': 'Little Snitch (.lsrules)',
    simplewall: 'simplewall (profile.xml)',
    portmaster: 'Portmaster (profile export, JSON or YAML)',
  } satisfies Readonly<Record<ImportFormat, string>>,
  /** What each format wants picked. */
  hints: {
    opensnitch: 'Pick every rule file of /etc/opensnitchd/rules (several at once).',
    'little-snitch': 'Pick one .lsrules file.',
    simplewall:
      'Pick the plain profile.xml. The compressed or encrypted forms (profile.xml.bak, newer versions’ binary profile) are not read.',
    portmaster: 'Pick one exported profile.',
  } satisfies Readonly<Record<ImportFormat, string>>,
  files: 'Files',
  reading: 'Reading…',
  tooBig: (size: string, limit: string) => `The files hold ${size}; an import reads at most ${limit}.`,
  rulesHeading: 'Rules it would create',
  skippedHeading: 'What it cannot express',
  pick: (rule: string) => `Import ${rule}`,
  from: 'From',
  duplicate: 'Already in force: importing adds nothing.',
  conflict: 'A rule in force decides these connections otherwise.',
  noRules: 'Nothing in these files can be imported.',
  importPicked: { one: (n) => `Import ${n} rule`, other: (n) => `Import ${n} rules` } satisfies PluralText,
  imported: { one: (n) => `Imported ${n} rule.`, other: (n) => `Imported ${n} rules.` } satisfies PluralText,
  importedNone: 'Nothing new: every picked rule was in force already.',
  undo: 'Undo import',
  undone: {
    one: (n) => `Removed the ${n} imported rule.`,
    other: (n) => `Removed the ${n} imported rules.`,
  } satisfies PluralText,
  cancel: 'Cancel',
  close: 'Close',
  back: 'Back',
} as const;
