import type { PluralText } from '../lib/locale-format.ts';

/** The words of the Logs view (English); times and counts in them come formatted. */
export const LOGS = {
  title: 'Logs',
  lines: { one: (n) => `${n} line`, other: (n) => `${n} lines` } satisfies PluralText,
  /** "60 lines from the driver"; `lines` is already "N line(s)". */
  subtitle: (lines: string) => `${lines} from the driver`,
  search: 'Search logs',
  searchPlaceholder: 'Search messages…',
  level: 'Level',
  levels: { all: 'All', warnings: 'Warnings', errors: 'Errors' },
  columns: { time: 'Time', severity: 'Severity', message: 'Message' },
  /** A severity as shown, by its key (lib/format.ts severityName). */
  severity: (key: string) => key,
  empty: 'The driver has logged nothing yet.',
} as const;
