import type { LearningStatus } from '../../../app/contract/learning.ts';
import { LEARNING } from '../strings/learning-strings.ts';
import { formatClock, plural } from './format.ts';
import { isLearning } from './learning-text.ts';
import { type LocaleFormat, userFormat } from './locale-format.ts';

/** The learning windows the menus offer, in minutes (the Learning view takes any other). */
export const LEARN_SPANS = [15, 60] as const;

/** What the status bar's learning menu offers, as data (components/LearningMenu.tsx draws it). */
export type LearningChoice =
  | { readonly kind: 'start'; readonly label: string; readonly minutes: number }
  /** Another span: the Learning view's form. */
  | { readonly kind: 'custom'; readonly label: string }
  | { readonly kind: 'stop'; readonly label: string }
  /** The review, in the Learning view. */
  | { readonly kind: 'review'; readonly label: string };

/** "15 minutes", "1 hour". */
export function spanText(minutes: number, format: LocaleFormat = userFormat()): string {
  return minutes % 60 === 0
    ? format.duration(minutes / 60, 'hour', 'long')
    : format.duration(minutes, 'minute', 'long');
}

/**
 * "Learn for 15 minutes (until 14:47)", "Learn for 1 hour (until 15:32)", "Learn for another
 * time…"; then "Stop learning" while anything learns and "Review N proposals…" while any wait.
 * A new span replaces the running one (the engine starts the window again from now).
 */
export function learningChoices(
  status: LearningStatus,
  now: number,
  format: LocaleFormat = userFormat(),
): LearningChoice[] {
  const choices: LearningChoice[] = LEARN_SPANS.map((minutes) => ({
    kind: 'start',
    minutes,
    label: LEARNING.learnFor(spanText(minutes, format), formatClock(now + minutes * 60_000, format)),
  }));
  choices.push({ kind: 'custom', label: LEARNING.learnCustom });
  if (isLearning(status, now)) choices.push({ kind: 'stop', label: LEARNING.stop });
  if (status.proposals > 0) choices.push({ kind: 'review', label: plural(status.proposals, LEARNING.review, format) });
  return choices;
}

/** The Learning view's minutes field: a whole number of minutes the contract takes, or null. */
export function parseMinutes(text: string, max: number): number | null {
  const trimmed = text.trim();
  if (!/^\d{1,5}$/.test(trimmed)) return null;
  const minutes = Number(trimmed);
  return minutes >= 1 && minutes <= max ? minutes : null;
}
