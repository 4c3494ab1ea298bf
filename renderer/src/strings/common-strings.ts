import type { PluralText } from '../lib/locale-format.ts';

/** The language of every *-strings module's words: their plural forms follow its rules. */
export const STRINGS_LANGUAGE = 'en';

/**
 * Words every view shares (English; a translation adds its own copy of this module's shape).
 * Numbers, sizes and times inside them are formatted by the caller (lib/locale-format.ts).
 */
export const COMMON = {
  /** Stands for a value that is not there (no host, no end time, a nonsense size). */
  none: '—',
  never: 'never',
  justNow: 'just now',
  unknown: 'unknown',
  any: 'Any',
  outbound: 'Out',
  inbound: 'In',
  protocol: (number: number) => `Protocol ${number}`,
  nothingMatches: 'Nothing matches.',
  shown: (count: string) => `${count} shown`,
} as const;

/** Nouns counted in more than one view. */
export const COUNTED = {
  connection: { one: (n) => `${n} connection`, other: (n) => `${n} connections` },
  rule: { one: (n) => `${n} rule`, other: (n) => `${n} rules` },
} as const satisfies Readonly<Record<string, PluralText>>;
