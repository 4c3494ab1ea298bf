import type { ResponseOf } from '../../../app/contract/ipc.ts';
import { STRINGS_LANGUAGE } from '../strings/common-strings.ts';
import { RULES } from '../strings/rules-strings.ts';
import { type LocaleFormat, userFormat } from './locale-format.ts';

/**
 * What the Rules view says after an import: how many rules were added and how many were not,
 * because the same rule was already in force (or earlier in the file: the engine skips copies).
 */
export function importSummary(
  { imported, skipped }: ResponseOf<'rules:import'>,
  format: LocaleFormat = userFormat(),
): string {
  const words = RULES.imported;
  if (imported === 0 && skipped === 0) return words.nothingInFile;
  if (imported === 0) return skipped === 1 ? words.theOneExisted : words.allExisted(format.integer(skipped));
  const added = format.plural(imported, words.added, STRINGS_LANGUAGE);
  return skipped === 0 ? words.addedOnly(added) : words.addedAndExisted(added, format.integer(skipped));
}
