import type { StateCreator } from 'zustand';
import type { LearningStatus, ProposalGroup } from '../../../app/contract/learning.ts';
import type { StatusView } from '../../../app/contract/views.ts';
import { decide, decideGroup, type Decision, EMPTY_DRAFT, pruneDraft, type ReviewDraft } from '../lib/review-draft.ts';
import type { AppState } from './store.ts';

/**
 * What was learned (the proposals per app, read from the engine when the status says they
 * changed: store/proposal-sync.ts) and the review the user is making of it. Whether learning is
 * on is not kept here: it is part of the status (`status.learning`), which every push replaces.
 */
export interface LearningSlice {
  readonly proposalGroups: readonly ProposalGroup[];
  readonly reviewDraft: ReviewDraft;
  /** The proposals as the engine lists them now; decisions of ones gone are dropped. */
  setProposalGroups(groups: readonly ProposalGroup[]): void;
  /** A decision for these proposals; null takes it back. */
  decideProposals(ids: readonly string[], decision: Decision | null): void;
  /** Keep all / Discard all of one app. */
  decideApp(group: ProposalGroup, action: Decision['action']): void;
  /** The learning part of the status, from a start or stop's reply (the push that follows says the rest). */
  setLearningStatus(learning: LearningStatus): void;
}

/** The status with another learning part; null stays null (nothing to show before the first status). */
export function withLearningStatus(status: StatusView | null, learning: LearningStatus): StatusView | null {
  return status === null ? null : { ...status, learning };
}

export const createLearningSlice: StateCreator<AppState, [], [], LearningSlice> = (set) => ({
  proposalGroups: [],
  reviewDraft: EMPTY_DRAFT,
  setProposalGroups: (groups) =>
    set((state) => ({ proposalGroups: groups, reviewDraft: pruneDraft(state.reviewDraft, groups) })),
  decideProposals: (ids, decision) => set((state) => ({ reviewDraft: decide(state.reviewDraft, ids, decision) })),
  decideApp: (group, action) => set((state) => ({ reviewDraft: decideGroup(state.reviewDraft, group, action) })),
  setLearningStatus: (learning) => set((state) => ({ status: withLearningStatus(state.status, learning) })),
});
