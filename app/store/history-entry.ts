import { z } from 'zod';
import { destinationSchema } from '../contract/destination.ts';
import { ACTIONS } from '../contract/rules.ts';

const timestamp = z.number().int().nonnegative();
const port = z.number().int().min(0).max(65535);

/**
 * The Destination of a stored row. Lenient where destinationSchema is strict: rows written by
 * earlier runs may hold the driver's raw address text (`::ffff:192.0.2.1`), which the store
 * canonicalises on read (history-store.ts), and a text that is no address at all (a damaged
 * or edited file) still reads back as it is rather than refusing the whole page.
 */
const storedDestinationShape = {
  ...destinationSchema.shape,
  remoteIp: z.string().max(64),
  host: z.string().max(253).nullable(),
};

/**
 * One connection in the history, as stored and as read back (rows from SQLite are validated
 * with this schema): its Destination (app/contract/destination.ts, the value prompts and
 * connection rows share) and what is the history's own. Times are milliseconds since the
 * epoch; `verdict` is what was done.
 */
export const historyEntrySchema = z
  .object({
    ...storedDestinationShape,
    /** Assigned by the engine when the connection is first seen; unique. */
    id: z.string().min(1).max(64),
    startedAt: timestamp,
    /** null while the connection is open. */
    endedAt: timestamp.nullable(),
    pid: z.number().int().nonnegative(),
    /** Executable path; '' when unknown. */
    appPath: z.string().max(4096),
    uid: z.number().int().nonnegative().nullable(),
    localIp: z.string().max(64),
    localPort: port,
    verdict: z.enum(ACTIONS),
    ruleId: z.string().max(64).nullable(),
    bytesSent: z.number().int().nonnegative(),
    bytesReceived: z.number().int().nonnegative(),
  })
  .strict();
export type HistoryEntry = z.infer<typeof historyEntrySchema>;

/** Later news about a connection: it ended, or its byte totals grew. Absent fields are kept. */
export interface HistoryUpdate {
  readonly id: string;
  readonly endedAt?: number | null;
  /** Totals so far (not increments). */
  readonly bytesSent?: number;
  readonly bytesReceived?: number;
}

/** A page of history; `since` inclusive, `until` exclusive, on `startedAt`; newest first. */
export const historyQuerySchema = z
  .object({
    since: timestamp,
    until: timestamp,
    appPath: z.string().max(4096).optional(),
    limit: z.number().int().min(1).max(10_000),
    offset: z.number().int().nonnegative().default(0),
  })
  .strict();
export type HistoryQuery = z.input<typeof historyQuerySchema>;

const DAY_MS = 86_400_000;

/** Retention limits; whichever removes more wins. Oldest connections go first. */
export const pruneOptionsSchema = z
  .object({
    maxAgeMs: z
      .number()
      .int()
      .nonnegative()
      .default(30 * DAY_MS),
    maxRows: z.number().int().nonnegative().default(1_000_000),
    /** Rows deleted per transaction, so the write lock is held only briefly. */
    chunkSize: z.number().int().min(1).max(1_000_000).default(5_000),
    /** Stop after this many chunks to spread a large prune over several ticks (default: no limit). */
    maxChunks: z.number().int().min(1).optional(),
  })
  .strict();
export type PruneOptions = z.input<typeof pruneOptionsSchema>;

export interface PruneResult {
  readonly deleted: number;
  /** false when maxChunks stopped it early; call again. */
  readonly done: boolean;
}
