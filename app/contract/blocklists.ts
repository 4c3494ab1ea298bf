import { z } from 'zod';

/**
 * Blocklists the user subscribed to (app/blocklists reads them, app/runtime/blocklists.ts keeps
 * them): local files or web addresses, in hosts, domain-list or address-list form, each checked
 * again on its own interval. A listed name or address is blocked unless a rule of the user's
 * allows it (app/blocklists/README.md, "Precedence").
 */

/** The most lists one installation keeps. */
export const MAX_BLOCKLISTS = 64;

/** How often a list may be checked for a new version, in hours. */
export const BLOCKLIST_INTERVALS = [6, 12, 24, 72, 168] as const;
export const DEFAULT_BLOCKLIST_INTERVAL = 24;
const interval = z
  .number()
  .int()
  .refine((hours) => (BLOCKLIST_INTERVALS as readonly number[]).includes(hours), 'one of the offered intervals');

const name = z.string().trim().min(1).max(100);

/** An absolute path of a file the app can read. */
const filePath = z
  .string()
  .max(4096)
  .refine((path) => !path.includes('\0') && /^(\/|[A-Za-z]:[\\/]|\\\\)/.test(path), 'an absolute path');

/**
 * An http(s) address without a user name or password (those would be stored and shown): the
 * scheme, an authority without `@`, then anything without white space. The runtime parses it
 * fully before fetching.
 */
const listUrl = z
  .string()
  .max(2048)
  .regex(/^https?:\/\/[^/?#@\s\\]+(?:[/?#]\S*)?$/i, 'an http:// or https:// address without a user name or password');

export const blocklistAddSchema = z.union([
  z.object({ name, path: filePath, intervalHours: interval.optional() }).strict(),
  z.object({ name, url: listUrl, intervalHours: interval.optional() }).strict(),
]);
export type BlocklistAdd = z.infer<typeof blocklistAddSchema>;

export const blocklistIntervalSchema = z.object({ id: z.string().min(1).max(64), intervalHours: interval }).strict();

/** One list as the UI shows it. */
export interface BlocklistView {
  readonly id: string;
  readonly name: string;
  /** A file is read from disk; a url is fetched (and its copy kept beside the database). */
  readonly kind: 'file' | 'url';
  /** The file's path or the web address. */
  readonly source: string;
  readonly enabled: boolean;
  readonly intervalHours: number;
  /** Entries in force from the last good read: names (each with every name under it) and networks. */
  readonly names: number;
  readonly networks: number;
  /** Lines of that read that were neither entries nor comments. */
  readonly refused: number;
  /** Connections it blocked since it was added. */
  readonly hits: number;
  /** When the entries in force were read or downloaded; null when never. */
  readonly updatedAt: number | null;
  /** When it was last checked for a new version (an unchanged answer counts); null when never. */
  readonly checkedAt: number | null;
  /** When it is checked next. */
  readonly nextCheckAt: number;
  /** What went wrong, as a sentence that says what stays in force; null when nothing did. */
  readonly problem: string | null;
  /**
   * How many of its names the driver holds, to apply while the app is closed: all of them, or
   * fewer when the lists do not fit a policy document (16 MiB; names go in list order). null
   * when not known: not sent to a driver (yet), switched off, or a driver that takes no policy.
   */
  readonly driverNames: number | null;
}
