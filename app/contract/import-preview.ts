import { z } from 'zod';
import type { RuleInput } from './rules.ts';

/**
 * Importing rules from another firewall (app/importers): the formats read, the request that
 * carries the files, and the preview shown before anything is written.
 */
export const IMPORT_FORMATS = ['opensnitch', 'little-snitch', 'simplewall', 'portmaster'] as const;
export type ImportFormat = (typeof IMPORT_FORMATS)[number];

/** The most text one import reads (all files together): a rule export is far smaller. */
export const MAX_IMPORT_CHARS = 32 * 1024 * 1024;
/** The most files one import reads (an OpenSnitch rules directory holds one per rule). */
export const MAX_IMPORT_FILES = 20_000;

/** One input file: its name as the user picked it and its text. */
export const importFileSchema = z
  .object({ name: z.string().min(1).max(1024), text: z.string().max(MAX_IMPORT_CHARS) })
  .strict();
export type ImportFile = z.infer<typeof importFileSchema>;

export const importPreviewRequestSchema = z
  .object({
    format: z.enum(IMPORT_FORMATS),
    files: z
      .array(importFileSchema)
      .min(1)
      .max(MAX_IMPORT_FILES)
      .refine((files) => files.reduce((sum, f) => sum + f.text.length, 0) <= MAX_IMPORT_CHARS, {
        message: `the files hold more than ${String(MAX_IMPORT_CHARS)} characters together`,
      }),
  })
  .strict();

/**
 * What an import from another firewall would do, shown before anything is written: the rules it
 * would create, each with where it came from and what changes in meaning, and what it cannot
 * express, each with the reason.
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
  /** The id of a rule in force that is this very rule: importing it adds nothing. */
  readonly duplicateOf?: string;
  /** The id of a rule in force that decides the same connections otherwise (another action). */
  readonly conflictsWith?: string;
}

/** A rule, or a whole file, the import leaves out. */
export interface SkippedRule {
  readonly source: string;
  readonly reason: string;
}
