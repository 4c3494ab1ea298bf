import { type RuleInput, ruleInputSchema } from '../contract/rules.ts';

/**
 * What an import from another firewall would do, shown before anything is written: the rules it
 * would create, each with where it came from and what changes in meaning, and what it cannot
 * express, each with the reason. Importers only read text; the user picks and confirms later.
 */
export interface ImportPreview {
  /** Which format was read (for the preview's title). */
  readonly format: string;
  readonly rules: readonly PreviewRule[];
  readonly skipped: readonly SkippedRule[];
}

/** A rule the import would create. */
export interface PreviewRule {
  /** Where it came from: the file and the rule's own name. */
  readonly source: string;
  readonly rule: RuleInput;
  /** What the imported rule does differently from the original, one sentence each. */
  readonly caveats: readonly string[];
}

/** A rule, or a whole file, the import leaves out. */
export interface SkippedRule {
  readonly source: string;
  readonly reason: string;
}

/** One input file: its name as the user picked it and its text. */
export interface ImportFile {
  readonly name: string;
  readonly text: string;
}

/** The most text one import reads (all files together): a rule export is far smaller. */
export const MAX_IMPORT_CHARS = 32 * 1024 * 1024;

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
