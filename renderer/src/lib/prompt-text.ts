import { ruleHostName } from '../../../app/contract/dns-name.ts';
import type { RuleDuration } from '../../../app/contract/rules.ts';
import type { PromptGroup, PromptScope, PromptView } from '../../../app/contract/views.ts';
import { PROMPT } from '../strings/prompt-strings.ts';
import { appName, formatEndpoint, protocolName } from './format.ts';

/** The words and choices of the prompt. Pure, so the sentences are unit-tested. */

/** "curl wants to connect to example.org on TCP port 443". */
export function promptHeadline(prompt: PromptView): string {
  const app = appName(prompt.app);
  const where = prompt.host ?? prompt.remoteIp;
  const protocol = protocolName(prompt.protocol);
  const hasPort = prompt.protocol === 6 || prompt.protocol === 17;
  const via = hasPort ? PROMPT.onPort(protocol, String(prompt.remotePort)) : PROMPT.using(protocol);
  if (prompt.direction === 'inbound') return PROMPT.wantsToAccept(app, where, via);
  return PROMPT.wantsToConnect(app, where, via);
}

/** "93.184.216.34:443" (IPv6 in brackets). */
export function promptAddress(prompt: PromptView): string {
  return formatEndpoint(prompt.remoteIp, prompt.remotePort);
}

export const DURATION_CHOICES = [
  { id: 'once', label: PROMPT.durations.once, duration: { kind: 'once' } },
  { id: 'until-app-quits', label: PROMPT.durations['until-app-quits'], duration: { kind: 'until-app-quits' } },
  { id: 'hour', label: PROMPT.durations.hour, duration: { kind: 'minutes', minutes: 60 } },
  { id: 'until-restart', label: PROMPT.durations['until-restart'], duration: { kind: 'until-restart' } },
  { id: 'forever', label: PROMPT.durations.forever, duration: { kind: 'forever' } },
] as const satisfies readonly { id: string; label: string; duration: RuleDuration }[];
export type DurationChoiceId = (typeof DURATION_CHOICES)[number]['id'];
export type DurationChoice = (typeof DURATION_CHOICES)[number];

/** True when the driver could not tell which program made the connection. */
export function isUnknownApp(prompt: PromptView): boolean {
  return prompt.appPath === '';
}

/**
 * The durations a prompt offers. An unknown app gets 'Once' only: a lasting answer would make a
 * rule for every app, which the engine refuses (app/engine/prompt-scope.ts).
 */
export function durationChoices(prompt: PromptView): readonly DurationChoice[] {
  return isUnknownApp(prompt) ? DURATION_CHOICES.filter((c) => c.id === 'once') : DURATION_CHOICES;
}

/** The duration selected when a prompt opens. */
export function defaultDurationId(prompt: PromptView): DurationChoiceId {
  return isUnknownApp(prompt) ? 'once' : 'forever';
}

/** The one sentence that says why an unknown app's prompt offers no lasting answer; null otherwise. */
export function unknownAppNote(prompt: PromptView): string | null {
  if (!isUnknownApp(prompt)) return null;
  return PROMPT.unknownAppNote;
}

export interface ScopeChoice {
  readonly id: string;
  readonly label: string;
  readonly scope: PromptScope;
}

/**
 * The scopes a prompt offers, narrowest first; one `*.domain` per domain choice. Not the whole
 * app for an unknown app: that would be every app.
 */
export function scopeChoices(prompt: PromptView): ScopeChoice[] {
  // The engine makes the rule by address when the name is no host name: say so.
  const where = ruleHostName(prompt.host) ?? prompt.remoteIp;
  const choices: ScopeChoice[] = [
    { id: 'exact', label: PROMPT.scopes.exact(where, String(prompt.remotePort)), scope: { kind: 'exact' } },
    { id: 'host', label: PROMPT.scopes.host(where), scope: { kind: 'host' } },
  ];
  for (const suffix of prompt.domainChoices) {
    choices.push({ id: `domain:${suffix}`, label: PROMPT.scopes.domain(suffix), scope: { kind: 'domain', suffix } });
  }
  if (!isUnknownApp(prompt)) {
    choices.push({ id: 'app', label: PROMPT.scopes.app, scope: { kind: 'app' } });
  }
  return choices;
}

/**
 * The prompts in the order the dialog walks them: connections still held first (soonest
 * deadline first), then the inbox (prompts whose hold timed out), newest first.
 */
export function orderPrompts(groups: readonly PromptGroup[]): PromptView[] {
  const all = groups.flatMap((group) => group.prompts);
  const held = all
    .filter((p) => p.held > 0)
    .sort((a, b) => (a.holdDeadline ?? Infinity) - (b.holdDeadline ?? Infinity) || a.firstSeenAt - b.firstSeenAt);
  const inbox = all.filter((p) => p.held === 0).sort((a, b) => b.lastSeenAt - a.lastSeenAt);
  return [...held, ...inbox];
}

/** Connections asked about over all groups (the status bar badge). */
export function pendingCount(groups: readonly PromptGroup[]): number {
  return groups.reduce((sum, group) => sum + group.prompts.length, 0);
}

/** Whether an answer with `duration` makes a rule ('once' answers the connections only). */
export function isLasting(duration: RuleDuration): boolean {
  return duration.kind !== 'once';
}

/**
 * The profile the rule of an answer belongs to: the active one when the user ticked "Only in
 * <profile>" and the answer makes a rule; otherwise none (the rule is always on).
 */
export function answerProfile(onlyInActive: boolean, duration: RuleDuration, activeId: string | null): string | null {
  return onlyInActive && isLasting(duration) && activeId !== null ? activeId : null;
}

/** "Block", "Allow" or "Drop" for a default action. */
export function actionLabel(action: 'allow' | 'block' | 'drop'): string {
  return PROMPT.actions[action];
}
