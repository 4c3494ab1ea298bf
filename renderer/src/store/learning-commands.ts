import type { LearningStart } from '../../../app/contract/learning.ts';
import * as bridge from '../bridge.ts';
import { plural } from '../lib/format.ts';
import { learningLabel } from '../lib/learning-text.ts';
import { reviewDecisions, withoutProposals } from '../lib/review-draft.ts';
import { COUNTED } from '../strings/common-strings.ts';
import { LEARNING } from '../strings/learning-strings.ts';
import { TOASTS } from '../strings/toast-strings.ts';
import { info, report } from './commands.ts';
import { useAppStore } from './store.ts';
import { reloadProposals, reloadRules } from './sync.ts';

/**
 * Learning actions. A start's or stop's reply is the learning status, put in the store at once;
 * the engine's `status:changed` push that comes with it says the same. Prompts that learning
 * took out of the inbox arrive as the engine's `prompts:changed` push, as after an answer.
 */

export async function startLearning(request: LearningStart): Promise<boolean> {
  const result = await bridge.startLearning(request);
  if (!report(result, TOASTS.startLearning)) return false;
  useAppStore.getState().setLearningStatus(result.value);
  info(LEARNING.started(learningLabel(result.value, Date.now())));
  return true;
}

export async function stopLearning(): Promise<void> {
  const result = await bridge.stopLearning();
  if (!report(result, TOASTS.stopLearning)) return;
  useAppStore.getState().setLearningStatus(result.value);
  info(LEARNING.stopped);
}

/** An app that asks even while learning (or no longer). */
export async function setAlwaysAsk(appPath: string, alwaysAsk: boolean): Promise<void> {
  const result = await bridge.setAlwaysAsk(appPath, alwaysAsk);
  if (report(result, TOASTS.alwaysAsk)) useAppStore.getState().setLearningStatus(result.value);
}

/**
 * Sends every decision of the review in one `learning:review` (the engine applies all or
 * nothing). After it, the reviewed proposals leave the list at once, and the rules the kept
 * ones made are read into the Rules view.
 */
export async function applyReview(): Promise<boolean> {
  const { reviewDraft, proposalGroups } = useAppStore.getState();
  const decisions = reviewDecisions(reviewDraft, proposalGroups);
  if (decisions.length === 0) return false;
  const result = await bridge.reviewLearning(decisions);
  if (!report(result, TOASTS.applyReview)) return false;
  const store = useAppStore.getState();
  const reviewed = new Set(decisions.map((d) => d.proposalId));
  store.setProposalGroups(withoutProposals(store.proposalGroups, reviewed));
  info(LEARNING.applied(plural(result.value.kept, COUNTED.rule), plural(result.value.discarded, LEARNING.proposal)));
  reloadProposals();
  await reloadRules();
  return true;
}
