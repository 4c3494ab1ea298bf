import type { Result } from '../../../app/contract/result.ts';
import type { RuleAction, RuleDuration, RuleInput, RulePatch } from '../../../app/contract/rules.ts';
import type { ModeRequest, PromptScope, Settings } from '../../../app/contract/views.ts';
import * as bridge from '../bridge.ts';
import { appName } from '../lib/format.ts';
import { importSummary } from '../lib/import-summary.ts';
import { TOASTS } from '../strings/toast-strings.ts';
import { useAppStore } from './store.ts';
import { reloadRules } from './sync.ts';

/** User actions: call the engine through the bridge, update the store, report failures. */

/** True when the engine did it; else a toast says what failed and why. */
export function report<T>(result: Result<T>, what: string): result is { ok: true; value: T } {
  if (!result.ok) useAppStore.getState().addToast('error', TOASTS.failed(what, result.error.message));
  return result.ok;
}

export function info(text: string): void {
  useAppStore.getState().addToast('info', text);
}

export async function answerPrompt(
  promptId: string,
  action: RuleAction,
  duration: RuleDuration,
  scope: PromptScope,
  /** The profile the rule it makes belongs to; null: always on. */
  profile: string | null = null,
): Promise<boolean> {
  // Sent only when set: the contract reads an absent profile as always on.
  const answer = { promptId, action, duration, scope };
  const result = await bridge.answerPrompt(profile === null ? answer : { ...answer, profile });
  if (!report(result, TOASTS.answerPrompt)) return false;
  if (result.value.rule !== null) useAppStore.getState().putRule(result.value.rule);
  // Answered, but not all of it took effect (the rule could not be saved): the user must know.
  if (result.value.warning !== undefined) useAppStore.getState().addToast('error', result.value.warning);
  // The prompt list is not asked for again: the engine pushes the new one (prompts:changed) as
  // soon as the answer changed it, ahead of this reply (sync.ts puts it in the store).
  return true;
}

export async function answerApp(appPath: string, action: 'allow' | 'block'): Promise<void> {
  // One answer for all of the app's prompts, made by the engine; its push updates the list.
  const result = await bridge.answerApp(appPath, action);
  report(result, TOASTS.answerApp(appName(appPath)));
}

export async function setMode(request: ModeRequest): Promise<void> {
  const result = await bridge.setMode(request);
  if (report(result, TOASTS.setMode)) useAppStore.getState().setStatus(result.value);
}

export async function createRule(input: RuleInput): Promise<boolean> {
  const result = await bridge.createRule(input);
  if (!report(result, TOASTS.createRule)) return false;
  useAppStore.getState().putRule(result.value);
  info(TOASTS.ruleCreated);
  return true;
}

export async function updateRule(id: string, patch: RulePatch): Promise<boolean> {
  // Sends only what changed: the engine merges it into the rule in force (app/engine/rule-patch.ts)
  // and the store shows the rule it answers with.
  const result = await bridge.updateRule(id, patch);
  if (!report(result, TOASTS.updateRule)) return false;
  useAppStore.getState().putRule(result.value);
  return true;
}

export async function deleteRule(id: string): Promise<void> {
  const result = await bridge.deleteRule(id);
  if (report(result, TOASTS.deleteRule)) useAppStore.getState().removeRule(id);
}

export async function importRules(text: string): Promise<void> {
  const result = await bridge.importRules(text);
  if (!report(result, TOASTS.importRules)) return;
  info(importSummary(result.value));
  await reloadRules();
}

/** The rule file's text, or null after reporting a failure. */
export async function exportRules(): Promise<string | null> {
  const result = await bridge.exportRules();
  return report(result, TOASTS.exportRules) ? result.value.text : null;
}

export async function saveSettings(patch: Partial<Settings>): Promise<boolean> {
  const result = await bridge.setSettings(patch);
  if (!report(result, TOASTS.saveSetting)) return false;
  useAppStore.getState().setSettingsState(result.value);
  return true;
}
