import { z } from 'zod';
import type { Destination } from './destination.ts';
import { DIRECTIONS } from './driver-events.ts';
import { canonicalIp } from './ip-address.ts';
import { ACTIONS, type RuleAction } from './rules.ts';

/**
 * Looking back over the stored connection history (the History view): which connections a page
 * shows (a filter), in what order, and which page. Every field crosses a trust boundary (the UI,
 * the headless WebSocket), so each is bounded here; the store turns a valid request into SQL with
 * parameters only (app/store/history-search.ts).
 */

const timestamp = z.number().int().nonnegative();

/** The longest free-text search: a search box, not a document. */
export const MAX_HISTORY_TEXT = 200;
/** The most rows one page returns. */
export const MAX_HISTORY_PAGE = 1_000;
/** Counting stops here: the scroll bar shows "this many or more" beyond it. */
export const HISTORY_COUNT_CAP = 100_000;

export const historyFilterSchema = z
  .object({
    /** Connections that started at or after this time (ms since the epoch)... */
    since: timestamp,
    /** ...and before this one. */
    until: timestamp,
    /** Exactly this executable ('' for connections of an unknown process). */
    appPath: z.string().max(4096).optional(),
    /** This DNS name or any name under it (`example.com` matches `cdn.example.com`). */
    host: z
      .string()
      .min(1)
      .max(253)
      .regex(/^[A-Za-z0-9_.*-]+$/, 'a DNS name')
      .transform((name) =>
        name
          .toLowerCase()
          .replace(/^\*?\.?/, '')
          .replace(/\.$/, ''),
      )
      .optional(),
    /** Exactly this remote address, in any valid form (stored addresses are canonical). */
    remoteIp: z
      .string()
      .max(64)
      .transform((text, context) => {
        const canonical = canonicalIp(text);
        if (canonical === null) {
          context.addIssue({ code: 'custom', message: 'an IPv4 or IPv6 address' });
          return z.NEVER;
        }
        return canonical;
      })
      .optional(),
    remotePort: z.number().int().min(0).max(65_535).optional(),
    /** Any of these verdicts (absent: all). */
    verdicts: z.array(z.enum(ACTIONS)).min(1).max(ACTIONS.length).optional(),
    direction: z.enum(DIRECTIONS).optional(),
    /** IANA protocol number. */
    protocol: z.number().int().min(0).max(255).optional(),
    /** Decided by this rule. */
    ruleId: z.string().min(1).max(64).optional(),
    /** Case-insensitive substring of the app's path, the host name or the remote address. */
    text: z.string().min(1).max(MAX_HISTORY_TEXT).optional(),
  })
  .strict()
  .refine((filter) => filter.since <= filter.until, { message: 'since must not be after until' });
export type HistoryFilter = z.output<typeof historyFilterSchema>;
export type HistoryFilterInput = z.input<typeof historyFilterSchema>;

/** What a page can be sorted by; ties go newest first. */
export const HISTORY_SORT_KEYS = ['startedAt', 'appPath', 'host', 'remotePort', 'bytes', 'duration'] as const;
export type HistorySortKey = (typeof HISTORY_SORT_KEYS)[number];

export const historySortSchema = z.object({ key: z.enum(HISTORY_SORT_KEYS), descending: z.boolean() }).strict();
export type HistorySort = z.infer<typeof historySortSchema>;

/** One page of the filtered, sorted history. */
export const historyPageRequestSchema = z
  .object({
    filter: historyFilterSchema,
    sort: historySortSchema.default({ key: 'startedAt', descending: true }),
    offset: z.number().int().nonnegative().max(10_000_000),
    limit: z.number().int().min(1).max(MAX_HISTORY_PAGE),
  })
  .strict();
export type HistoryPageRequest = z.output<typeof historyPageRequestSchema>;
export type HistoryPageRequestInput = z.input<typeof historyPageRequestSchema>;

/**
 * One stored connection as a History page shows it: its Destination, what the history keeps of
 * the process and the decision, and its byte totals. Times are ms since the epoch.
 */
export interface HistoryRow extends Destination {
  readonly id: string;
  readonly startedAt: number;
  /** null while the connection is open (or when its end was never seen). */
  readonly endedAt: number | null;
  readonly pid: number;
  /** Executable path; '' when unknown. */
  readonly appPath: string;
  readonly uid: number | null;
  readonly localIp: string;
  readonly localPort: number;
  readonly verdict: RuleAction;
  /** The rule that decided, when one did. */
  readonly ruleId: string | null;
  readonly bytesSent: number;
  readonly bytesReceived: number;
}

/** How many connections a filter selects; `capped`: more than `count` (HISTORY_COUNT_CAP). */
export interface HistoryCount {
  readonly count: number;
  readonly capped: boolean;
}

/** The formats an export is written in (app/runtime/history-export.ts lists the fields). */
export const HISTORY_EXPORT_FORMATS = ['csv', 'jsonl'] as const;
export type HistoryExportFormat = (typeof HISTORY_EXPORT_FORMATS)[number];

/** Everything a filter selects, written to a file in the data directory's `exports` folder. */
export const historyExportRequestSchema = z
  .object({ filter: historyFilterSchema, format: z.enum(HISTORY_EXPORT_FORMATS) })
  .strict();

/** Where the export was written and how many connections it holds. */
export interface HistoryExport {
  readonly path: string;
  readonly rows: number;
}
