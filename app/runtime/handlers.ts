import { HandlerError, type Handlers } from '../contract/dispatch.ts';
import type { RuleInput } from '../contract/rules.ts';
import type { BandwidthRange } from '../contract/views.ts';
import { isScopeError, SCOPE_ERROR_TEXT } from '../engine/prompt-scope.ts';
import { previewImport } from '../importers/preview-import.ts';
import { exportRules, formatRuleFile, parseRuleFile, RuleFileError } from '../store/index.ts';
import { summarizeApps } from './app-summaries.ts';
import { BlocklistRefused } from './blocklists.ts';
import { exportHistory } from './history-export.ts';
import { createLearningHandlers } from './learning-handlers.ts';
import { createProfileHandlers } from './profile-handlers.ts';
import { atTheCap, tooManyToImport } from './rule-limit-text.ts';
import type { Runtime } from './runtime.ts';
import { saveSettings } from './settings.ts';
import { refusingStorageFaults } from './storage-refusal.ts';

const RANGE_MS: Readonly<Record<BandwidthRange, number>> = {
  '5m': 5 * 60_000,
  '1h': 3_600_000,
  '24h': 86_400_000,
  '7d': 7 * 86_400_000,
  '30d': 30 * 86_400_000,
};

/**
 * The contract's request handlers over a runtime; payloads arrive validated by dispatch(). They
 * stay thin: the engine decides, the handler turns its refusals into errors and pushes what
 * changed.
 */
/** What the handlers need of the host beyond the runtime. */
export interface HandlerOptions {
  /** Where history exports are written (the host gives `<data dir>/exports`); absent: none. */
  readonly exportDir?: string;
}

/** Runs a blocklist request, answering a refusal with its code and sentence. */
async function blocklistRequest<T>(work: () => T | Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof BlocklistRefused) throw new HandlerError(error.code, error.message);
    throw error;
  }
}

export function createHandlers(runtime: Runtime, clock: () => number, options: HandlerOptions = {}): Handlers {
  const { engine, store } = runtime;
  /**
   * All or nothing, in the store and in memory alike: the engine checks every rule before
   * anything changes, skips those it already has, writes the rest in one transaction, and puts
   * them in force (one index build) only once it has committed; a failed write leaves the rules
   * in force as they were. A rule file and the rules picked from another firewall's preview both
   * come this way.
   */
  const addAll = (rules: readonly RuleInput[]): { imported: number; skipped: number; ids: string[] } => {
    const result = engine.addRules(rules, clock(), (writes) => store.transaction(writes));
    if (result.ok)
      return { imported: result.rules.length, skipped: result.skipped, ids: result.rules.map((r) => r.id) };
    if (result.error === 'too-many-rules') throw new HandlerError('conflict', tooManyToImport(result));
    throw new HandlerError('bad-request', `rules[${result.index}] (rule index ${result.index}): ${result.error}`);
  };
  /**
   * Runs a request that may change the prompts, then pushes the new list at once (one push for
   * the whole request, however many prompts it answered): the UI shows the pushes and never
   * asks `prompts:list` again after an answer.
   */
  const prompting =
    <P, R>(work: (payload: P) => R) =>
    (payload: P): R => {
      try {
        return work(payload);
      } finally {
        runtime.pushPromptChanges(clock());
      }
    };
  /**
   * Runs a change of the rules (or of the policy's settings), then sends the driver the new
   * policy and the UI the prompts it changed (a new rule releases the held connections it covers).
   */
  const changing =
    <P, R>(work: (payload: P) => R) =>
    (payload: P): R => {
      try {
        return work(payload);
      } finally {
        runtime.rulesChanged(clock());
        runtime.pushPromptChanges(clock());
      }
    };
  return {
    ...createProfileHandlers(runtime, clock),
    ...createLearningHandlers(runtime, clock),
    'status:get': () => runtime.status(clock()),
    'mode:set': prompting((request) => {
      engine.setMode(request, clock());
      return runtime.status(clock());
    }),
    'prompts:list': () => engine.listPrompts(),
    'prompts:answer': prompting(({ promptId, ...answer }) => {
      // Through the runtime: a rule the store cannot save (a full disk) still answers the prompt.
      const result = runtime.answerPrompt(promptId, answer, clock());
      if (!result.ok) {
        if (result.error === 'unknown-prompt') throw new HandlerError('not-found', result.error);
        // A scope the prompt cannot take is said in a sentence for the user, not as a code.
        throw new HandlerError(
          'bad-request',
          isScopeError(result.error) ? SCOPE_ERROR_TEXT[result.error] : result.error,
        );
      }
      return 'warning' in result
        ? { released: result.released, rule: result.rule, warning: result.warning }
        : { released: result.released, rule: result.rule };
    }),
    'prompts:hold': prompting(({ promptId }) => ({ holding: engine.extendPromptHold(promptId, clock()) })),
    'prompts:answer-app': prompting(({ appPath, action }) => ({
      released: engine.answerApp(appPath, action, clock()).released,
    })),
    'connections:list': ({ limit }) => engine.listConnections().slice(-limit),
    'apps:list': () => summarizeApps(engine.listConnections()),
    'apps:series': ({ appPath, range }) => {
      const now = clock();
      const series = store.bandwidth.series(appPath, now - RANGE_MS[range], now);
      return { timestamps: series.ts, sent: series.tx, received: series.rx };
    },
    'rules:list': () => engine.listRules(),
    'rules:create': refusingStorageFaults(
      'the rule was not created',
      changing((input) => {
        const result = engine.addRule(input, clock());
        if (!result.ok) {
          if (result.error === 'too-many-rules') throw new HandlerError('conflict', atTheCap(engine.ruleCount));
          throw new HandlerError('bad-request', result.error);
        }
        return result.rule;
      }),
    ),
    'rules:update': refusingStorageFaults(
      'the rule was not changed',
      changing(({ id, patch }) => {
        // The engine merges the patch into the rule in force (app/engine/rule-patch.ts).
        const result = engine.patchRule(id, patch, clock());
        if (result.ok) return result.rule;
        if (result.error === 'unknown-rule') throw new HandlerError('not-found', `no rule ${id}`);
        throw new HandlerError('bad-request', result.error);
      }),
    ),
    'rules:delete': refusingStorageFaults(
      'the rule was not deleted',
      changing(({ id }) => ({ deleted: engine.removeRule(id) })),
    ),
    'rules:import': refusingStorageFaults(
      'nothing was imported',
      changing(({ text }) => {
        let file;
        try {
          file = parseRuleFile(text);
        } catch (error) {
          if (error instanceof RuleFileError) throw new HandlerError('bad-request', error.message);
          throw error;
        }
        const { imported, skipped } = addAll(file.rules);
        return { imported, skipped };
      }),
    ),
    'rules:import-preview': ({ format, files }) => {
      const preview = previewImport(format, files);
      // Marked against the rules in force: the same rule (nothing to add), or another action
      // for the same connections (the user decides which stays).
      const compared = engine.compareRules(
        preview.rules.map((r) => r.rule),
        clock(),
      );
      return { ...preview, rules: preview.rules.map((r, i) => ({ ...r, ...compared[i] })) };
    },
    'rules:import-picked': refusingStorageFaults(
      'nothing was imported',
      changing(({ rules }) => addAll(rules)),
    ),
    'rules:delete-many': refusingStorageFaults(
      'no rule was deleted',
      changing(({ ids }) => {
        const result = engine.removeRules(ids, (writes) => store.transaction(writes));
        if (!result.ok) throw new HandlerError('not-found', `no rule ${result.unknown}: nothing was deleted`);
        return { deleted: result.removed };
      }),
    ),
    'rules:export': () => ({ text: formatRuleFile(exportRules(store)) }),
    'settings:get': () => runtime.settingsView(),
    'settings:set': refusingStorageFaults(
      'the setting was not saved',
      changing((patch) => {
        // Saved first, applied after: a refused write leaves the settings in force as they were.
        const settings = saveSettings(store, patch);
        runtime.applySettings(settings);
        // The no-app action is the active profile's (the Settings view edits that one).
        if (patch.noAppAction !== undefined)
          engine.updateProfile(engine.activeProfile().id, { noAppAction: patch.noAppAction }, clock());
        return runtime.settingsView();
      }),
    ),
    'logs:list': () => runtime.logs(),
    // The request was validated by dispatch; the store reads one page through its indexes.
    'history:page': (request) => store.history.search(request),
    'history:count': (filter) => store.history.countMatching(filter),
    'dns:page': (request) => store.dnsLog.page(request),
    'dns:count': (filter) => store.dnsLog.count(filter),
    'blocklists:list': () => runtime.blocklists.list(),
    'blocklists:add': (request) => blocklistRequest(() => runtime.blocklists.add(request)),
    'blocklists:set-enabled': ({ id, enabled }) => blocklistRequest(() => runtime.blocklists.setEnabled(id, enabled)),
    'blocklists:remove': ({ id }) => blocklistRequest(() => ({ removed: runtime.blocklists.remove(id) })),
    'blocklists:reload': ({ id }) => blocklistRequest(() => runtime.blocklists.reload(id)),
    'blocklists:set-interval': ({ id, intervalHours }) =>
      blocklistRequest(() => runtime.blocklists.setInterval(id, intervalHours)),
    'history:export': async ({ filter, format }) => {
      if (options.exportDir === undefined) throw new HandlerError('conflict', 'this host writes no exports');
      try {
        return await exportHistory(store, filter, format, options.exportDir, clock());
      } catch (error) {
        // A full disk or an unwritable folder: said in the user's terms, nothing left behind.
        throw new HandlerError(
          'storage',
          `the export could not be written: ${error instanceof Error ? error.message : String(error)}`,
        );
      }
    },
  };
}
