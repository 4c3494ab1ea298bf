import type { ImportPreview } from '../../../app/contract/import-preview.ts';
import type { RuleInput } from '../../../app/contract/rules.ts';
import { type LocaleFormat, userFormat } from './locale-format.ts';

/**
 * Which rules of an import preview are picked: all but those already in force (importing them
 * adds nothing). A rule in conflict with one in force stays picked: it was asked for, and the
 * preview says what it collides with.
 */
export function initialPicks(preview: ImportPreview): ReadonlySet<number> {
  const picked = new Set<number>();
  preview.rules.forEach((rule, index) => {
    if (rule.duplicateOf === undefined) picked.add(index);
  });
  return picked;
}

/** `picks` with `index` turned on or off. */
export function togglePick(picks: ReadonlySet<number>, index: number): ReadonlySet<number> {
  const next = new Set(picks);
  if (next.has(index)) next.delete(index);
  else next.add(index);
  return next;
}

/** The rules to send, in the preview's order. */
export function pickedRules(preview: ImportPreview, picks: ReadonlySet<number>): RuleInput[] {
  return preview.rules.filter((_, index) => picks.has(index)).map((rule) => rule.rule);
}

/** The contract counts characters (`MAX_IMPORT_CHARS`); a file's size in bytes is at least that. */
export function importSizeProblem(
  sizes: readonly number[],
  limit: number,
  tooBig: (size: string, limit: string) => string,
  format: LocaleFormat = userFormat(),
): string | null {
  const total = sizes.reduce((sum, size) => sum + size, 0);
  // Bytes ≥ characters for UTF-8, so a total within the limit in bytes is within it in characters;
  // one over it may still fit (multi-byte text), and the contract has the last word then.
  return total <= limit * 4 ? null : tooBig(format.bytes(total), format.bytes(limit));
}
