// The store's public surface: the engine and the shell import from here, never the parts.
export type { PermissionNotice } from './data-files.ts';
export { prepareDataDir } from './data-files.ts';
export type { HistoryEntry, HistoryQuery, HistoryUpdate, PruneOptions, PruneResult } from './history-entry.ts';
export { historyEntrySchema, historyQuerySchema, pruneOptionsSchema } from './history-entry.ts';
export { moveDatabase } from './move-database.ts';
export type { OpenStoreOptions } from './open-store.ts';
export { openStore } from './open-store.ts';
export type { RescuedData } from './rescue-reader.ts';
export { rescueRulesAndSettings } from './rescue-reader.ts';
export type { RuleFileProblem } from './rule-file.ts';
export { exportRules, formatRuleFile, importRules, parseRuleFile, RuleFileError } from './rule-file.ts';
export type * from './store.ts';
export { StoreDataError, StoreVersionError } from './store-errors.ts';
export type { BackgroundCheckpointOptions, CheckpointMode } from './wal-checkpointer.ts';
