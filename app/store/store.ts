import type { z } from 'zod';
import type {
  DnsLogCount,
  DnsLogEntry,
  DnsLogFilterInput,
  DnsLogPageRequestInput,
  DnsLogRow,
} from '../contract/dns-log.ts';
import type { HistoryCount, HistoryFilterInput, HistoryPageRequestInput } from '../contract/history.ts';
import type { Rule, RuleDuration, RuleInput } from '../contract/rules.ts';
import type { HistoryEntry, HistoryQuery, HistoryUpdate, PruneOptions, PruneResult } from './history-entry.ts';
import type { CheckpointMode } from './wal-checkpointer.ts';

/**
 * The storage the engine and the shell use; no SQL leaks through it. Everything is
 * synchronous (node:sqlite) and meant for one thread: the Store is the one writer.
 */
export interface Store {
  readonly rules: RuleStore;
  readonly history: HistoryStore;
  /** Which app asked for which name and what it got (app/contract/dns-log.ts). */
  readonly dnsLog: DnsLogStore;
  /** Proposals of learning, waiting for review (app/contract/learning.ts). */
  readonly learned: LearnedStore;
  readonly bandwidth: BandwidthStore;
  readonly settings: SettingsStore;
  /** Runs `work` in one transaction: all its writes commit together or none do. Nests. */
  transaction<T>(work: () => T): T;
  /** Who copies the WAL into the database file now (OpenStoreOptions.backgroundCheckpoints). */
  checkpointMode(): CheckpointMode;
  /** Flushes buffered bandwidth and closes the database. */
  close(): void;
}

/** Fields of a rule a user may change; bookkeeping fields (id, times, hits) are not among them. */
export type RulePatch = Partial<RuleInput>;

/** Hits counted by the engine since the last flush. */
export interface RuleHits {
  readonly count: number;
  readonly lastHitAt: number;
}

/** The rules that could be read, and the rows that could not (damaged, or from a newer schema). */
export interface ReadableRules {
  readonly rules: Rule[];
  readonly unreadable: ReadonlyArray<{ readonly id: string; readonly reason: string }>;
}

export interface RuleStore {
  /** All rules, oldest first (import order is kept); throws StoreDataError on a damaged row. */
  list(): Rule[];
  /**
   * The same, but a damaged row is left out and reported instead of failing the whole list:
   * what starts the firewall uses it, so that one bad row never takes every rule out of force.
   */
  listReadable(): ReadableRules;
  get(id: string): Rule | null;
  /** Inserts or replaces a complete rule by its id (rules the engine made from prompt answers). */
  put(rule: Rule): void;
  /** Stores a new rule with a random UUID; 'minutes' rules expire `minutes` after `now`. */
  create(input: RuleInput, now: number): Rule;
  /** Applies `patch`; a new duration restarts the clock. Returns null when there is no such rule. */
  update(id: string, patch: RulePatch, now: number): Rule | null;
  /** Returns whether a rule was deleted. */
  delete(id: string): boolean;
  /** Adds hit counts in one transaction; unknown ids (deleted meanwhile) are skipped. */
  recordHits(hits: ReadonlyMap<string, RuleHits>): void;
  /** Deletes rules whose 'minutes' duration has run out; returns their ids. */
  deleteExpired(now: number): string[];
  /** Deletes rules with these duration kinds (e.g. 'until-restart' at start-up); returns their ids. */
  deleteByDuration(kinds: readonly RuleDuration['kind'][]): string[];
}

/** Where an export page ends: its last row's start time and insertion order. */
export interface HistoryCursor {
  readonly startedAt: number;
  readonly seq: number;
}

export interface HistoryExportPage {
  readonly entries: HistoryEntry[];
  readonly next: HistoryCursor | null;
}

export interface HistoryStore {
  /** Inserts connections in one transaction. */
  insertBatch(rows: readonly HistoryEntry[]): void;
  /** Applies end times and byte totals in one transaction; unknown ids are skipped. */
  updateBatch(updates: readonly HistoryUpdate[]): void;
  /** Newest first. Throws on invalid options (they may come from the UI). */
  query(options: HistoryQuery): HistoryEntry[];
  /**
   * One page of the history a filter selects, in the order asked (the History view). Throws on
   * an invalid request (it comes from the UI).
   */
  search(request: HistoryPageRequestInput): HistoryEntry[];
  /**
   * Oldest first, the connections a filter selects after `after` (null: from the first), at most
   * `limit`, and where the next page starts (null: this was the last). An export reads the
   * history this way, page by page, in constant memory and time per page.
   */
  exportPage(filter: HistoryFilterInput, after: HistoryCursor | null, limit: number): HistoryExportPage;
  /** How many connections a filter selects, counted up to HISTORY_COUNT_CAP. */
  countMatching(filter: HistoryFilterInput): HistoryCount;
  /** Deletes connections older than maxAgeMs and beyond maxRows, oldest first, in short chunks. */
  prune(options: PruneOptions, now: number): PruneResult;
  count(): number;
}

/** One answer for the DNS log (defined by the contract: the engine makes them). */
export type { DnsLogEntry } from '../contract/dns-log.ts';

export interface DnsLogStore {
  /** Inserts answers (call inside the caller's transaction, or alone: it is one statement each). */
  insertBatch(entries: readonly DnsLogEntry[]): void;
  /** One page newest first. Throws on an invalid request (it comes from the UI). */
  page(request: DnsLogPageRequestInput): DnsLogRow[];
  /** How many answers a filter selects, counted up to DNS_LOG_COUNT_CAP. Throws on an invalid filter. */
  count(filter: DnsLogFilterInput): DnsLogCount;
  /**
   * Deletes answers logged before `now - maxAgeMs`, oldest first, in short chunks, at most
   * `maxRows` of them (default: all), so that a retention made much shorter is caught up over
   * several calls instead of one long pause of the engine's thread; returns how many.
   */
  prune(maxAgeMs: number, now: number, maxRows?: number): number;
  /**
   * Deletes every answer (the user turned the DNS log off); returns how many. The freed pages
   * are zeroed (secure_delete), not left in the database file.
   */
  clear(): number;
  /** Every answer kept. */
  size(): number;
}

export interface SeriesOptions {
  /** Bucket width in ms (a multiple of 1000), or 'auto' (default) to fit `maxPoints`. */
  readonly resolution?: number | 'auto';
  /** For 'auto': the most points wanted (default 1000). */
  readonly maxPoints?: number;
}

/** Columnar (what uPlot wants): ts[i] is a bucket start, tx[i]/rx[i] its byte sums. */
export interface BandwidthSeries {
  readonly resolutionMs: number;
  readonly ts: number[];
  readonly tx: number[];
  readonly rx: number[];
}

export interface DownsampleResult {
  /** 1 s buckets folded into 1 min buckets. */
  readonly secondBuckets: number;
  /** 1 min buckets folded into 1 h buckets. */
  readonly minuteBuckets: number;
}

export interface BandwidthStore {
  /**
   * Counts bytes for an app in the 1 s bucket holding `tsMs`. Buffered in memory and written
   * by `flush()` (call it every second or so); a crash loses at most the unflushed buckets.
   */
  add(appPath: string, tsMs: number, tx: number, rx: number): void;
  /** Writes buffered buckets in one transaction, adding to what is stored. */
  flush(): void;
  /**
   * Byte sums per bucket for one app (`null`: all apps together) over [from, to) ms, oldest
   * first; buckets without traffic are left out. Flushes first.
   */
  series(appPath: string | null, from: number, to: number, options?: SeriesOptions): BandwidthSeries;
  /** 1 s buckets older than 1 h become 1 min buckets; 1 min older than 30 days become 1 h. */
  downsample(now: number): DownsampleResult;
}

/** Any value JSON can hold. */
export type JsonValue = null | boolean | number | string | readonly JsonValue[] | { readonly [key: string]: JsonValue };

export interface SettingsStore {
  /** The stored value if present and valid for `schema`, otherwise `fallback`. */
  get<S extends z.ZodType>(key: string, schema: S, fallback: z.output<S>): z.output<S>;
  set(key: string, value: JsonValue): void;
  delete(key: string): boolean;
}

/** A proposal of learning as stored (app/engine/learning.ts's StoredProposal). */
export interface StoredProposalRow {
  readonly id: string;
  readonly key: string;
  readonly appKey: string;
  readonly rule: RuleInput;
  readonly connections: number;
  readonly firstAt: number;
  readonly lastAt: number;
}

export interface LearnedStore {
  /** Every proposal (at most MAX_PROPOSALS); damaged rows are left out and counted. */
  list(): { proposals: StoredProposalRow[]; unreadable: number };
  /** Writes changed proposals and deletes reviewed ones, in one transaction. */
  write(put: readonly StoredProposalRow[], removed: readonly string[]): void;
}
