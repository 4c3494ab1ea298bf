import type { ResponseOf } from '../../../app/contract/ipc.ts';
import { plural } from './format.ts';

/**
 * What the Rules view says after an import: how many rules were added and how many were not,
 * because the same rule was already in force (or earlier in the file: the engine skips copies).
 */
export function importSummary({ imported, skipped }: ResponseOf<'rules:import'>): string {
  if (imported === 0 && skipped === 0) return 'The file holds no rules; nothing was imported.';
  if (imported === 0) {
    return skipped === 1
      ? 'Nothing was imported: the rule already existed.'
      : `Nothing was imported: all ${skipped.toLocaleString('en-US')} rules already existed.`;
  }
  const added = `Imported ${plural(imported, 'rule')}`;
  return skipped === 0 ? `${added}.` : `${added}; ${skipped.toLocaleString('en-US')} already existed.`;
}
