import type { LearningStatus, ProposalGroup } from '../../../app/contract/learning.ts';
import type { RuleInput } from '../../../app/contract/rules.ts';
import { COUNTED } from '../strings/common-strings.ts';
import { LEARNING } from '../strings/learning-strings.ts';
import { appName, formatClock, plural } from './format.ts';
import { type LocaleFormat, userFormat } from './locale-format.ts';
import { describeApp, describeDestination, describePort, describeProtocol } from './rule-form.ts';

/** What the status bar, the inbox and the Learning view say about learning. Pure, unit-tested. */

/** When learning for every app ends, while it lasts; null when it is off or ran out. */
export function learningUntil(status: LearningStatus, now: number): number | null {
  return status.until !== null && status.until > now ? status.until : null;
}

/** Whether anything learns now: every app for a while, or apps until they quit. */
export function isLearning(status: LearningStatus, now: number): boolean {
  return learningUntil(status, now) !== null || status.apps.length > 0;
}

/**
 * The engine lists apps by the key rules compare them by: Windows paths case-folded. A path the
 * window shows names the same app when it is that key, or (a Windows path) it folded.
 */
export function sameApp(key: string, path: string): boolean {
  if (key === path) return true;
  const windows = /^[A-Za-z]:\\/.test(path) || path.startsWith('\\');
  return windows && key === path.toLowerCase();
}

export function appListed(list: readonly string[], path: string): boolean {
  return list.some((key) => sameApp(key, path));
}

/** "curl until it quits", "2 apps until they quit". */
function appsPhrase(apps: readonly string[], format: LocaleFormat): string {
  const [only] = apps;
  // One app by name; a list of names would not fit the status bar (the tooltip has them all).
  if (apps.length === 1 && only !== undefined) return LEARNING.appUntilQuits(appName(only));
  return plural(apps.length, LEARNING.appsUntilQuit, format);
}

/**
 * The status bar's words: "Learn" when off; "Learning until 14:32"; "Learning curl until it
 * quits"; "Learning until 14:32, 2 apps until they quit".
 */
export function learningLabel(status: LearningStatus, now: number, format: LocaleFormat = userFormat()): string {
  const until = learningUntil(status, now);
  const clock = until === null ? null : formatClock(until, format);
  if (status.apps.length === 0) return clock === null ? LEARNING.off : LEARNING.until(clock);
  const apps = appsPhrase(status.apps, format);
  return clock === null ? LEARNING.learningApps(apps) : LEARNING.untilAndApps(clock, apps);
}

/** The full story, for the tooltip: what learns until when, what waits, what always asks. */
export function learningSummary(status: LearningStatus, now: number, format: LocaleFormat = userFormat()): string {
  const words = LEARNING.summary;
  const until = learningUntil(status, now);
  const names = (list: readonly string[]): string => list.map(appName).join(', ');
  const parts: string[] = [];
  if (until !== null) parts.push(words.until(formatClock(until, format)));
  if (status.apps.length > 0) parts.push(words.apps(names(status.apps)));
  if (parts.length === 0) parts.push(words.off);
  if (status.proposals > 0) parts.push(plural(status.proposals, words.proposals, format));
  if (status.overflow > 0) parts.push(plural(status.overflow, words.overflow, format));
  if (status.alwaysAsk.length > 0) parts.push(words.alwaysAsk(names(status.alwaysAsk)));
  return parts.join(' ');
}

/** What was learned, in numbers: connections seen, apps, proposals. */
export function learnedTotals(groups: readonly ProposalGroup[]): {
  readonly connections: number;
  readonly apps: number;
  readonly proposals: number;
} {
  let connections = 0;
  let proposals = 0;
  for (const group of groups) {
    proposals += group.proposals.length;
    for (const proposal of group.proposals) connections += proposal.connections;
  }
  return { connections, apps: groups.length, proposals };
}

/** The inbox line: "20 connections of 2 apps learned"; null when nothing waits. */
export function learnedLine(groups: readonly ProposalGroup[], format: LocaleFormat = userFormat()): string | null {
  const totals = learnedTotals(groups);
  if (totals.proposals === 0) return null;
  return LEARNING.learned(
    plural(totals.connections, COUNTED.connection, format),
    plural(totals.apps, LEARNING.apps, format),
  );
}

/**
 * A narrowed proposal's rule in a line: "allow *.mozilla.org, any port, TCP"; then ", for Any
 * app" when it is no longer for the app that learned it (`appPath`), and ", only in Home" when
 * it applies in one profile (`profileName` names it).
 */
export function ruleLine(rule: RuleInput, appPath: string, profileName: (id: string) => string): string {
  const port = rule.port.kind === 'any' ? LEARNING.anyPort : LEARNING.port(describePort(rule.port));
  const protocol = rule.protocol === 'any' ? LEARNING.anyProtocol : describeProtocol(rule.protocol);
  let line = LEARNING.ruleLine(LEARNING.actions[rule.action], describeDestination(rule.destination), port, protocol);
  if (rule.app.kind !== 'path' || rule.app.path !== appPath) line += LEARNING.forApp(describeApp(rule.app));
  if (rule.profile != null) line += LEARNING.onlyIn(profileName(rule.profile));
  return line;
}
