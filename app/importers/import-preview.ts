import type { PreviewRule, SkippedRule } from '../contract/import-preview.ts';
import { ruleInputSchema } from '../contract/rules.ts';

export type { ImportFile, ImportPreview, PreviewRule, SkippedRule } from '../contract/import-preview.ts';
export { MAX_IMPORT_CHARS } from '../contract/import-preview.ts';

/**
 * Checks a rule the importer built against the contract (the same schema the Rules view and our
 * own rule files use): a value the original allowed but ZenithFence does not (a relative program
 * path, a malformed address) becomes a skipped rule with the schema's sentence.
 */
export function checkedRule(
  source: string,
  candidate: unknown,
  caveats: readonly string[],
): { readonly rule: PreviewRule } | { readonly skipped: SkippedRule } {
  const parsed = ruleInputSchema.safeParse(candidate);
  if (parsed.success) return { rule: { source, rule: parsed.data, caveats } };
  const first = parsed.error.issues[0];
  const where = first === undefined || first.path.length === 0 ? '' : `${first.path.join('.')}: `;
  return { skipped: { source, reason: `${where}${first?.message ?? 'not a valid rule'}` } };
}
