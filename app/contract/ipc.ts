import { z } from 'zod';
import { blocklistAddSchema, blocklistIntervalSchema, type BlocklistView } from './blocklists.ts';
import type { DnsLogCount, DnsLogRow } from './dns-log.ts';
import { dnsLogFilterSchema, dnsLogPageRequestSchema } from './dns-log.ts';
import type { HistoryCount, HistoryExport, HistoryRow } from './history.ts';
import { historyExportRequestSchema, historyFilterSchema, historyPageRequestSchema } from './history.ts';
import { type ImportPreview, importPreviewRequestSchema } from './import-preview.ts';
import {
  alwaysAskSchema,
  learningStartSchema,
  type LearningStatus,
  type ProposalGroup,
  reviewSchema,
} from './learning.ts';
import {
  type KnownNetwork,
  networkAssignSchema,
  type Profile,
  profileActivateSchema,
  profileIdSchema,
  profileInputSchema,
  profilePatchSchema,
  type ProfileStatus,
} from './profiles.ts';
import { MAX_RULES, type Rule, ruleInputSchema, rulePatchSchema } from './rules.ts';
import {
  type AppSummary,
  BANDWIDTH_RANGES,
  type BandwidthSeries,
  type ConnectionChanges,
  type ConnectionRow,
  type LogView,
  promptAnswerSchema,
  type PromptGroup,
  type Settings,
  settingsSchema,
  type StatusView,
} from './views.ts';

/**
 * The one IPC contract: request channels (renderer asks, main answers with a Result) and push
 * channels (main tells the renderer). Electron IPC, the preload and the headless WebSocket all
 * use these names and schemas; every request is validated with its schema before a handler
 * sees it. Channel names are `domain:verb`; pushes are past-tense events.
 */

/**
 * The largest rule file the UI imports, in bytes of the file. The Rules view refuses a bigger
 * file before sending anything, and `rules:import` refuses longer text: a UTF-8 file of N bytes
 * decodes to at most N UTF-16 code units, so every file within the limit passes the schema. The
 * store's own ceiling (MAX_RULE_FILE_CHARS in app/store/rule-file.ts) is this number.
 */
export const MAX_RULE_FILE_BYTES = 32 * 1024 * 1024;

/**
 * The largest message headless mode's WebSocket takes (its maxPayload), above the largest
 * valid request: a `rules:import` of MAX_RULE_FILE_BYTES code units, each of which JSON may
 * write as six bytes (a control character becomes \u001f), plus the request's envelope.
 * Bigger messages close the connection with 1009 (message too big) and reach no handler.
 */
export const MAX_WIRE_REQUEST_BYTES = MAX_RULE_FILE_BYTES * 6 + 64 * 1024;

const none = z.undefined();
const id = z.string().min(1).max(64);

/** The schema of each request channel's payload. */
export const requestSchemas = {
  'status:get': none,
  'mode:set': z.discriminatedUnion('mode', [
    z.object({ mode: z.enum(['ask', 'allow-all', 'block-all']) }).strict(),
    z.object({ mode: z.literal('pause'), minutes: z.number().int().min(1).max(1440) }).strict(),
  ]),
  'prompts:list': none,
  'prompts:answer': promptAnswerSchema,
  'prompts:hold': z.object({ promptId: z.string().min(1).max(64) }).strict(),
  'prompts:answer-app': z.object({ appPath: z.string().max(4096), action: z.enum(['allow', 'block']) }).strict(),
  'connections:list': z.object({ limit: z.number().int().min(1).max(100_000) }).strict(),
  'apps:list': none,
  'apps:series': z.object({ appPath: z.string().max(4096).nullable(), range: z.enum(BANDWIDTH_RANGES) }).strict(),
  'rules:list': none,
  'rules:create': ruleInputSchema,
  'rules:update': z.object({ id, patch: rulePatchSchema }).strict(),
  'rules:delete': z.object({ id }).strict(),
  'rules:import': z.object({ text: z.string().max(MAX_RULE_FILE_BYTES) }).strict(),
  /** Another firewall's rules read into a preview; nothing is written (app/importers). */
  'rules:import-preview': importPreviewRequestSchema,
  /** The rules the user picked from a preview: added like a rule file's, all or nothing. */
  'rules:import-picked': z.object({ rules: z.array(ruleInputSchema).min(1).max(MAX_RULES) }).strict(),
  /** Rules removed together, all or none (undoing an import): an unknown id removes nothing. */
  'rules:delete-many': z.object({ ids: z.array(id).min(1).max(MAX_RULES) }).strict(),
  'rules:export': none,
  'settings:get': none,
  'settings:set': settingsSchema.partial(),
  'logs:list': none,
  /** One page of the stored history a filter selects (the History view). */
  'history:page': historyPageRequestSchema,
  /** How many stored connections a filter selects, for the scroll bar. */
  'history:count': historyFilterSchema,
  /** Writes what a filter selects to a file (CSV or JSON lines), streamed from the database. */
  'history:export': historyExportRequestSchema,
  /** One page of the DNS log a filter selects, newest first. */
  'dns:page': dnsLogPageRequestSchema,
  /** How many logged answers a filter selects. */
  'dns:count': dnsLogFilterSchema,
  'blocklists:list': none,
  /** Subscribes to a local file or a web address; refused when its first read finds no entry. */
  'blocklists:add': blocklistAddSchema,
  'blocklists:set-enabled': z.object({ id, enabled: z.boolean() }).strict(),
  'blocklists:remove': z.object({ id }).strict(),
  /** Checks the list for a new version now; a failed check keeps the entries in force. */
  'blocklists:reload': z.object({ id }).strict(),
  /** How often the list is checked for a new version. */
  'blocklists:set-interval': blocklistIntervalSchema,
  'profiles:list': none,
  'profiles:status': none,
  'profiles:create': profileInputSchema,
  'profiles:update': z.object({ id: profileIdSchema, patch: profilePatchSchema }).strict(),
  /** Deletes a profile the user added, with its rules; its networks are asked about again. */
  'profiles:delete': z.object({ id: profileIdSchema }).strict(),
  /** Switches by hand: until the network changes, or for good with `pin`. */
  'profiles:activate': profileActivateSchema,
  /** Follows the network again after a pinned or manual switch. */
  'profiles:unpin': none,
  'networks:list': none,
  /** Gives a network its profile (the answer to "You joined X"); applies at once when it is the current one. */
  'networks:assign': networkAssignSchema,
  'networks:forget': z.object({ key: z.string().min(1).max(512) }).strict(),
  'learning:status': none,
  /** Learns for a while (every app) or one app until it quits: what would prompt is allowed and proposed. */
  'learning:start': learningStartSchema,
  /** Stops all learning; the proposals stay for review. */
  'learning:stop': none,
  /** An app that prompts even while learning. */
  'learning:always-ask': alwaysAskSchema,
  'learning:proposals': none,
  /** Keeps (as rules) or discards proposals: all or nothing. */
  'learning:review': reviewSchema,
} as const;

export type RequestChannel = keyof typeof requestSchemas;
export type RequestOf<C extends RequestChannel> = z.infer<(typeof requestSchemas)[C]>;

/** What each request channel answers (inside the Result envelope). */
export interface ResponseMap {
  'status:get': StatusView;
  'mode:set': StatusView;
  'prompts:list': readonly PromptGroup[];
  /**
   * `warning`: the answer applied to the held connections, but not all of it took effect: e.g.
   * the rule could not be saved (a full disk) and lasts only until restart, or not at all.
   */
  'prompts:answer': { readonly released: number; readonly rule: Rule | null; readonly warning?: string };
  /** The user is looking at the prompt: its countdown restarts (within the driver's limit). */
  'prompts:hold': { readonly holding: boolean };
  /** "Allow all" / "Block all": each of the app's prompts answered once (no rule). */
  'prompts:answer-app': { readonly released: number };
  'connections:list': readonly ConnectionRow[];
  'apps:list': readonly AppSummary[];
  'apps:series': BandwidthSeries;
  'rules:list': readonly Rule[];
  'rules:create': Rule;
  'rules:update': Rule;
  'rules:delete': { readonly deleted: boolean };
  /**
   * `imported`: rules added; `skipped`: rules of the file identical to a rule already in force
   * or to an earlier rule of the same file (app/engine/README.md, "Importing"), not added again.
   */
  'rules:import': { readonly imported: number; readonly skipped: number };
  'rules:import-preview': ImportPreview;
  /** As for `rules:import`, and the ids of the rules added (what an undo removes). */
  'rules:import-picked': { readonly imported: number; readonly skipped: number; readonly ids: readonly string[] };
  'rules:delete-many': { readonly deleted: number };
  'rules:export': { readonly text: string };
  'settings:get': Settings;
  'settings:set': Settings;
  'logs:list': readonly LogView[];
  'history:page': readonly HistoryRow[];
  'history:count': HistoryCount;
  'history:export': HistoryExport;
  'dns:page': readonly DnsLogRow[];
  'dns:count': DnsLogCount;
  'blocklists:list': readonly BlocklistView[];
  'blocklists:add': BlocklistView;
  'blocklists:set-enabled': BlocklistView;
  'blocklists:remove': { readonly removed: boolean };
  'blocklists:reload': BlocklistView;
  'blocklists:set-interval': BlocklistView;
  'profiles:list': readonly Profile[];
  'profiles:status': ProfileStatus;
  'profiles:create': Profile;
  'profiles:update': Profile;
  'profiles:delete': { readonly deleted: boolean; readonly rulesDeleted: number };
  'profiles:activate': ProfileStatus;
  'profiles:unpin': ProfileStatus;
  'networks:list': readonly KnownNetwork[];
  'networks:assign': ProfileStatus;
  'networks:forget': { readonly forgotten: boolean };
  'learning:status': LearningStatus;
  'learning:start': LearningStatus;
  'learning:stop': LearningStatus;
  'learning:always-ask': LearningStatus;
  'learning:proposals': readonly ProposalGroup[];
  /** `ruleIds`: the rules the kept proposals made (identical ones to rules in force are not made again). */
  'learning:review': { readonly kept: number; readonly discarded: number; readonly ruleIds: readonly string[] };
}

export type ResponseOf<C extends RequestChannel> = ResponseMap[C];

/** Push channels and their payloads. */
export interface PushMap {
  'status:changed': StatusView;
  /**
   * The whole prompt list, whenever it changed: at once for a new prompt and after a request
   * that changed it (one push per request, whatever number of prompts it answered, sent before
   * the request's reply), else with the next flush. The UI keeps its list from these pushes and
   * asks `prompts:list` only when it (re)connects.
   */
  'prompts:changed': readonly PromptGroup[];
  /** Connections added, changed or removed since the last batch (at most every 100 ms). */
  'connections:batched': ConnectionChanges;
  'logs:appended': readonly LogView[];
}

export type PushChannel = keyof PushMap;

export const REQUEST_CHANNELS = Object.keys(requestSchemas) as RequestChannel[];

/** A request as it travels over the headless WebSocket. */
export const wireRequestSchema = z
  .object({ id: z.number().int().nonnegative(), channel: z.string().max(64), payload: z.unknown().optional() })
  .strict();
