import { z } from 'zod';

/**
 * Blocklists the user subscribed to (app/blocklists reads them, app/runtime/blocklists.ts keeps
 * them): for now local files in hosts, domain-list or address-list form. A listed name or address
 * is blocked unless a rule of the user's allows it (app/blocklists/README.md, "Precedence").
 */

/** The most lists one installation keeps. */
export const MAX_BLOCKLISTS = 64;

export const blocklistAddSchema = z
  .object({
    name: z.string().trim().min(1).max(100),
    /** An absolute path of a file the app can read. */
    path: z
      .string()
      .max(4096)
      .refine((path) => !path.includes('\0') && /^(\/|[A-Za-z]:[\\/]|\\\\)/.test(path), 'an absolute path'),
  })
  .strict();
export type BlocklistAdd = z.infer<typeof blocklistAddSchema>;

/** One list as the UI shows it. */
export interface BlocklistView {
  readonly id: string;
  readonly name: string;
  readonly path: string;
  readonly enabled: boolean;
  /** Entries in force from the last good read: names (each with every name under it) and networks. */
  readonly names: number;
  readonly networks: number;
  /** Lines of that read that were neither entries nor comments. */
  readonly refused: number;
  /** Connections it blocked since the app started. */
  readonly hits: number;
  /** When the entries in force were read; null when never. */
  readonly updatedAt: number | null;
  /** Why the last read failed (the entries of the read before stay in force); null when it did not. */
  readonly problem: string | null;
}
