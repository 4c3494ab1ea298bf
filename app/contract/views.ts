import { z } from 'zod';
import type { Destination } from './destination.ts';
import type { DriverVerdict } from './driver-events.ts';
import type { LearningStatus } from './learning.ts';
import type { ProfileStatus } from './profiles.ts';
import { ACTIONS, durationSchema, type RuleAction, type RuleDuration } from './rules.ts';

/** What the UI shows. Plain JSON (numbers, strings): u64 byte counts fit doubles for years. */

// 'installing': the app is installing and starting the driver (Windows, first start).
export const DRIVER_STATES = ['connected', 'reconnecting', 'installing', 'disconnected', 'failed'] as const;
export type DriverState = (typeof DRIVER_STATES)[number];

/**
 * Whether the database takes writes. Filtering never depends on it: rules are in memory.
 * - 'ok': it does;
 * - 'full': the disk is full: connection history and bandwidth are not saved (what was dropped
 *   is counted), and rule changes fail with a clear error (a prompt's answer still applies, the
 *   rule lasts until restart). Writes are retried every few seconds and resume by themselves;
 * - 'failed': writes fail for another reason (an I/O error, a read-only file): as for 'full';
 * - 'unavailable': the database could not be opened at start: the app runs on the rules it
 *   could read from it, keeps no history, and keeps rule changes only until it restarts.
 */
export const STORAGE_STATES = ['ok', 'full', 'failed', 'unavailable'] as const;
export type StorageState = (typeof STORAGE_STATES)[number];

/**
 * Whether the driver enforces the rules as they are now (the policy the app sends it, so that
 * they hold while ZenithFence is closed):
 * - 'enforced': it enforces the latest rules;
 * - 'unsaved': it enforces them but could not store them: a driver restart loses them;
 * - 'sending': the latest rules are on their way, or the driver has not yet confirmed them;
 * - 'behind': it enforces older rules or none; `message` says why;
 * - 'unsupported': the driver has no policy support: the rules apply only while ZenithFence runs;
 * - 'unknown': no driver is connected.
 */
export const POLICY_STATES = ['enforced', 'unsaved', 'sending', 'behind', 'unsupported', 'unknown'] as const;
export type PolicyState = (typeof POLICY_STATES)[number];

export interface PolicyStatus {
  readonly state: PolicyState;
  /** What the state means, in one sentence for the user. */
  readonly message: string;
  /** The generation the driver said it enforces, as decimal text (JSON has no u64); null before it said. */
  readonly enforcedGeneration: string | null;
  /** The rules the driver said it enforces; null before it said. */
  readonly ruleCount: number | null;
}

export interface StatusView {
  readonly driver: DriverState;
  readonly driverMessage: string;
  /** Whether the driver enforces the latest rules by itself. */
  readonly policy: PolicyStatus;
  readonly mode: ModeStatus;
  /** The active profile, why, and a network waiting for the user to give it one. */
  readonly profile: ProfileStatus;
  /** Whether learning is on, until when, and how many proposals wait for review. */
  readonly learning: LearningStatus;
  readonly pendingPrompts: number;
  readonly storage: StorageState;
  /** What the storage state means for the user, in a sentence or two; '' when all is well. */
  readonly storageMessage: string;
}

export interface AppSummary {
  /** The app label: its path, 'unknown (uid N)' or 'unknown'. */
  readonly app: string;
  readonly connections: number;
  readonly sent: number;
  readonly received: number;
  readonly lastSeenAt: number;
}

export interface BandwidthSeries {
  readonly timestamps: readonly number[];
  readonly sent: readonly number[];
  readonly received: readonly number[];
}

export interface LogView {
  readonly at: number;
  readonly severity: number;
  readonly message: string;
}

/**
 * The longest the engine holds a connection for an answer, whatever the hold timeout setting
 * says: below zenithfenced's own hold timeout (60 s), which would answer it first. (Settings
 * saved by earlier releases may say up to 120 s; the engine holds at most this long.)
 */
export const MAX_HOLD_SECONDS = 55;

export const settingsSchema = z
  .object({
    defaultAction: z.enum(ACTIONS),
    /**
     * What the driver does with connections no rule covers while ZenithFence is not running
     * (no-app-action.ts has the sentence the UI shows). Part of the policy the driver enforces.
     */
    noAppAction: z.enum(ACTIONS),
    holdTimeoutSeconds: z.number().int().min(0).max(120),
    promptPosition: z.enum(['near-tray', 'center']),
    startAtLogin: z.boolean(),
    /** Whether the desktop app asks its release feed for updates (only a build with a feed has any). */
    checkForUpdates: z.boolean(),
    historyRetentionDays: z.number().int().min(1).max(3650),
    /**
     * Whether every connection is also logged, as JSON lines, to `connections.jsonl` in the data
     * directory, for log shippers (app/runtime/history-log.ts has the format and the rotation).
     * A switch, not a path: the UI is untrusted (ARCHITECTURE.md) and the app may run elevated,
     * so what the renderer sends never names a file the app writes.
     */
    connectionLog: z.boolean(),
    /** Whether the DNS log is kept at all; switching it off deletes what was kept (app/contract/dns-log.ts). */
    keepDnsHistory: z.boolean(),
    /** How long the DNS log keeps an answer. */
    dnsRetentionDays: z.number().int().min(1).max(3650),
  })
  .strict();
export type Settings = z.infer<typeof settingsSchema>;

export const BANDWIDTH_RANGES = ['5m', '1h', '24h', '7d', '30d'] as const;
export type BandwidthRange = (typeof BANDWIDTH_RANGES)[number];

// Modes (app/engine/modes.ts has the behaviour).
export const MODES = ['ask', 'allow-all', 'block-all', 'pause'] as const;
export type Mode = (typeof MODES)[number];

/** What setMode takes: a pause needs its length. */
export type ModeRequest =
  { readonly mode: 'ask' | 'allow-all' | 'block-all' } | { readonly mode: 'pause'; readonly minutes: number };

/** The mode as the UI shows it. */
export interface ModeStatus {
  readonly mode: Mode;
  /** When a pause ends (ms since the epoch); null unless paused. */
  readonly resumesAt: number | null;
  /** The mode a pause returns to; null unless paused. */
  readonly resumesTo: Exclude<Mode, 'pause'> | null;
}

// Prompts (app/engine/prompt-queue.ts has the behaviour).
/** One prompt as the UI shows it: an app, a destination, and where the prompt stands. */
export interface PromptView extends Destination {
  readonly id: string;
  readonly app: string;
  readonly appPath: string;
  readonly pids: readonly number[];
  /** The user the process runs as; null when unknown. */
  readonly uid: number | null;
  /** Connections coalesced into this prompt so far. */
  readonly count: number;
  /** Connections waiting for the answer now; 0 = the prompt is in the inbox. */
  readonly held: number;
  readonly firstSeenAt: number;
  readonly lastSeenAt: number;
  /** When the oldest held connection gets the default action; null when none is held. */
  readonly holdDeadline: number | null;
  /** When an unanswered prompt leaves the inbox. */
  readonly expiresAt: number;
  /** Suffixes a 'domain' scope may use. */
  readonly domainChoices: readonly string[];
}

/** The prompts of one app: the UI shows apps first, destinations second. */
export interface PromptGroup {
  readonly app: string;
  readonly appPath: string;
  /** Connections asked about, over all its prompts. */
  readonly count: number;
  readonly prompts: readonly PromptView[];
}

/**
 * How broad the rule made from a prompt answer is (README.md, "Prompt answers"):
 * - 'exact': this destination (host name if known, else ip), this port and protocol;
 * - 'host': this destination, any port, any protocol;
 * - 'domain': every host below `suffix` (`*.suffix`), any port, any protocol;
 * - 'app': any destination, any port, any protocol.
 * The direction is always the prompt's: allowing an app out never opens it to the inside.
 */
export type PromptScope =
  | { readonly kind: 'exact' }
  | { readonly kind: 'host' }
  | { readonly kind: 'domain'; readonly suffix: string }
  | { readonly kind: 'app' };

/** A user's answer to a prompt. Duration 'once' answers its connections without a rule. */
export interface PromptAnswer {
  readonly action: RuleAction;
  readonly duration: RuleDuration;
  readonly scope: PromptScope;
  /** The profile the rule it makes belongs to; null or absent: always on. */
  readonly profile?: string | null | undefined;
}

// Connections (app/engine/connection-table.ts has the behaviour).
/** One connection as the UI lists it. Byte counts are numbers (exact up to 8 PiB). */
export interface ConnectionRow extends Destination {
  /** Unique for the engine's lifetime (a reused five-tuple gets a new id). */
  readonly id: number;
  /** This machine's side of the connection (the Destination is the other side). */
  readonly localIp: string;
  readonly localPort: number;
  readonly pid: number;
  /** The user the process ran as when the row opened; null when unknown. */
  readonly uid: number | null;
  readonly appPath: string;
  /** The app label (appLabel): path, 'unknown (uid N)' or 'unknown'. */
  readonly app: string;
  /**
   * 'pending' while the connection waits for an answer; 'driver' when the driver answered it
   * itself because its link to the app was lost while it waited (zenithfenced's --detached
   * policy decides then, which the app does not know).
   */
  readonly verdict: DriverVerdict | 'pending' | 'driver';
  readonly ruleId: string | null;
  /**
   * True when the driver decided the connection by itself from the policy the app sent it (no
   * prompt, no round trip): `ruleId` names the rule, or is null when the driver's rule is not
   * known here (a policy stored by an earlier run, or one long replaced).
   */
  readonly byPolicy: boolean;
  readonly bytesSent: number;
  readonly bytesReceived: number;
  readonly startedAt: number;
  readonly endedAt: number | null;
  /**
   * True when no end was reported: the connection was open when the link to the driver was
   * lost and gave no sign of life within 30 s of the link's return, so `endedAt` is when the
   * link was lost (it ended then or later). A later sign of life opens the row again.
   */
  readonly endUnseen: boolean;
}

/** Rows changed or removed since the last takeChanges(). */
export interface ConnectionChanges {
  readonly upserted: readonly ConnectionRow[];
  readonly removed: readonly number[];
}

/** Bytes one app moved in one second (for the store's time series). */
export interface AppBucket {
  /** Seconds since the epoch. */
  readonly second: number;
  /** The app label: its path, 'unknown (uid N)' or 'unknown'. */
  readonly app: string;
  readonly transmitted: number;
  readonly received: number;
}

const scopeSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('exact') }).strict(),
  z.object({ kind: z.literal('host') }).strict(),
  z.object({ kind: z.literal('domain'), suffix: z.string().min(1).max(253) }).strict(),
  z.object({ kind: z.literal('app') }).strict(),
]);

/** A prompt answer as the UI sends it. */
export const promptAnswerSchema = z
  .object({
    promptId: z.string().min(1).max(64),
    action: z.enum(ACTIONS),
    duration: durationSchema,
    scope: scopeSchema,
    /** The profile the rule it makes belongs to; null or absent: always on. */
    profile: z.string().min(1).max(64).nullable().optional(),
  })
  .strict();
