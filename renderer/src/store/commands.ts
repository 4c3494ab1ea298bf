import type { Result } from '../../../app/contract/result.ts';
import type { Rule, RuleInput } from '../../../app/contract/rules.ts';
import type { ModeRequest, PromptScope, Settings } from '../../../app/contract/views.ts';
import type { RuleDuration, RuleAction } from '../../../app/contract/rules.ts';
import * as bridge from '../bridge.ts';
import { appName } from '../lib/format.ts';
import { importSummary } from '../lib/import-summary.ts';
import { reloadRules } from './sync.ts';
import { useAppStore } from './store.ts';

/** User actions: call the engine through the bridge, update the store, report failures. */

function report<T>(result: Result<T>, what: string): result is { ok: true; value: T } {
  if (!result.ok) useAppStore.getState().addToast('error', `${what}: ${result.error.message}`);
  return result.ok;
}

function info(text: string): void {
  useAppStore.getState().addToast('info', text);
}

export async function answerPrompt(
  promptId: string,
  action: RuleAction,
  duration: RuleDuration,
  scope: PromptScope,
): Promise<boolean> {
  const result = await bridge.answerPrompt({ promptId, action, duration, scope });
  if (!report(result, 'Could not answer the prompt')) return false;
  if (result.value.rule !== null) useAppStore.getState().putRule(result.value.rule);
  // Answered, but not all of it took effect (the rule could not be saved): the user must know.
  if (result.value.warning !== undefined) useAppStore.getState().addToast('error', result.value.warning);
  // The push follows within 100 ms; asking now makes the dialog move on at once.
  const prompts = await bridge.listPrompts();
  if (prompts.ok) useAppStore.getState().setPrompts(prompts.value);
  return true;
}

export async function answerApp(appPath: string, action: 'allow' | 'block'): Promise<void> {
  const result = await bridge.answerApp(appPath, action);
  if (!report(result, `Could not answer ${appName(appPath)}`)) return;
  const prompts = await bridge.listPrompts();
  if (prompts.ok) useAppStore.getState().setPrompts(prompts.value);
}

export async function setMode(request: ModeRequest): Promise<void> {
  const result = await bridge.setMode(request);
  if (report(result, 'Could not change the mode')) useAppStore.getState().setStatus(result.value);
}

export async function createRule(input: RuleInput): Promise<boolean> {
  const result = await bridge.createRule(input);
  if (!report(result, 'Could not create the rule')) return false;
  useAppStore.getState().putRule(result.value);
  info('Rule created.');
  return true;
}

/** The editable fields of a stored rule. */
function inputOf(rule: Rule): RuleInput {
  const { app, destination, port, protocol, direction, action, duration, enabled, notes } = rule;
  return { app, destination, port, protocol, direction, action, duration, enabled, notes };
}

export async function updateRule(id: string, patch: Partial<RuleInput>): Promise<boolean> {
  // Sends every field, patched: the contract's partial schema fills omitted fields with their
  // defaults (port any, protocol any, …), so a bare {enabled} would widen the rule.
  const current = useAppStore.getState().rules.find((rule) => rule.id === id);
  const full = current === undefined ? patch : { ...inputOf(current), ...patch };
  const result = await bridge.updateRule(id, full);
  if (!report(result, 'Could not change the rule')) return false;
  useAppStore.getState().putRule(result.value);
  return true;
}

export async function deleteRule(id: string): Promise<void> {
  const result = await bridge.deleteRule(id);
  if (report(result, 'Could not delete the rule')) useAppStore.getState().removeRule(id);
}

export async function importRules(text: string): Promise<void> {
  const result = await bridge.importRules(text);
  if (!report(result, 'Import failed')) return;
  info(importSummary(result.value));
  await reloadRules();
}

/** The rule file's text, or null after reporting a failure. */
export async function exportRules(): Promise<string | null> {
  const result = await bridge.exportRules();
  return report(result, 'Export failed') ? result.value.text : null;
}

export async function saveSettings(patch: Partial<Settings>): Promise<boolean> {
  const result = await bridge.setSettings(patch);
  if (!report(result, 'Could not save the setting')) return false;
  useAppStore.getState().setSettingsState(result.value);
  return true;
}
