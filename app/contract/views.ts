import { z } from 'zod';
import { ACTIONS, durationSchema } from './rules.ts';

/** What the UI shows. Plain JSON (numbers, strings): u64 byte counts fit doubles for years. */

export const MODES = ['ask', 'allow-all', 'block-all', 'pause'] as const;
export type Mode = (typeof MODES)[number];

export const DRIVER_STATES = ['connected', 'reconnecting', 'disconnected', 'failed'] as const;
export type DriverState = (typeof DRIVER_STATES)[number];

export interface StatusView {
  readonly driver: DriverState;
  readonly driverMessage: string;
  readonly mode: Mode;
  /** For pause: when filtering resumes (ms since the epoch). */
  readonly pausedUntil: number | null;
  readonly pendingPrompts: number;
}

export interface AppIdentity {
  /** Executable path; '' when unknown. */
  readonly path: string;
  /** A short name for headlines ("firefox"); "unknown (uid N)" when the process is unknown. */
  readonly name: string;
}

/** One prompt: connections of one app to one destination, held together. */
export interface PromptView {
  readonly id: string;
  readonly app: AppIdentity;
  readonly pid: number;
  readonly user: string;
  readonly direction: 'outbound' | 'inbound';
  readonly protocol: number;
  readonly remoteHost: string | null;
  readonly remoteIp: string;
  readonly remotePort: number;
  /** Connections waiting under this prompt. */
  readonly held: number;
  readonly firstSeenAt: number;
  /** When held connections get the default action; null once they did (inbox). */
  readonly deadlineAt: number | null;
  readonly defaultAction: (typeof ACTIONS)[number];
}

export interface ConnectionView {
  readonly id: string;
  readonly app: AppIdentity;
  readonly pid: number;
  readonly direction: 'outbound' | 'inbound';
  readonly protocol: number;
  readonly remoteHost: string | null;
  readonly remoteIp: string;
  readonly remotePort: number;
  readonly localPort: number;
  readonly verdict: 'pending' | 'allowed' | 'blocked' | 'dropped';
  readonly ruleId: string | null;
  readonly sent: number;
  readonly received: number;
  readonly startedAt: number;
  readonly endedAt: number | null;
}

export interface AppSummary {
  readonly app: AppIdentity;
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

export const SCOPES = ['host-and-port', 'host', 'domain', 'any-destination'] as const;
export type PromptScope = (typeof SCOPES)[number];

export const promptAnswerSchema = z
  .object({
    promptId: z.string().min(1).max(64),
    action: z.enum(['allow', 'block']),
    duration: durationSchema,
    scope: z.enum(SCOPES),
  })
  .strict();
export type PromptAnswer = z.infer<typeof promptAnswerSchema>;

export const settingsSchema = z
  .object({
    defaultAction: z.enum(ACTIONS),
    holdTimeoutSeconds: z.number().int().min(0).max(120),
    promptPosition: z.enum(['near-tray', 'center']),
    startAtLogin: z.boolean(),
    historyRetentionDays: z.number().int().min(1).max(3650),
  })
  .strict();
export type Settings = z.infer<typeof settingsSchema>;

export const BANDWIDTH_RANGES = ['5m', '1h', '24h', '7d', '30d'] as const;
export type BandwidthRange = (typeof BANDWIDTH_RANGES)[number];
