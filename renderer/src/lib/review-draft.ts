import type { ProposalGroup, Review } from '../../../app/contract/learning.ts';
import type { RuleInput } from '../../../app/contract/rules.ts';
import { LEARNING } from '../strings/learning-strings.ts';
import { formatCount, plural } from './format.ts';
import { type LocaleFormat, userFormat } from './locale-format.ts';

/**
 * The review as the user makes it, before Apply: a decision per proposal (by id). Pure,
 * unit-tested; the store keeps one draft (store/learning-slice.ts).
 */

/** Kept as proposed, kept as narrowed in the rule editor (`rule`), or discarded. */
export type Decision = { readonly action: 'keep'; readonly rule?: RuleInput } | { readonly action: 'discard' };

export type ReviewDraft = ReadonlyMap<string, Decision>;

export const EMPTY_DRAFT: ReviewDraft = new Map();

/** `draft` with `decision` for each of `ids`; null takes their decisions back. */
export function decide(draft: ReviewDraft, ids: readonly string[], decision: Decision | null): ReviewDraft {
  const next = new Map(draft);
  for (const id of ids) {
    if (decision === null) next.delete(id);
    else next.set(id, decision);
  }
  return next;
}

/**
 * Keep all / Discard all of one app. Keep all leaves a narrowed proposal narrowed: the user
 * edited that rule on purpose, and "keep" is what narrowing already said.
 */
export function decideGroup(draft: ReviewDraft, group: ProposalGroup, action: Decision['action']): ReviewDraft {
  const next = new Map(draft);
  for (const { id } of group.proposals) {
    const current = draft.get(id);
    if (action === 'keep' && current?.action === 'keep') continue;
    next.set(id, { action });
  }
  return next;
}

/**
 * The decisions of proposals still listed: a proposal the engine no longer has (reviewed
 * elsewhere, in another window) drops out. The same draft when nothing dropped.
 */
export function pruneDraft(draft: ReviewDraft, groups: readonly ProposalGroup[]): ReviewDraft {
  const listed = new Set(groups.flatMap((group) => group.proposals.map((p) => p.id)));
  const kept = [...draft].filter(([id]) => listed.has(id));
  return kept.length === draft.size ? draft : new Map(kept);
}

/** The `learning:review` request: every decision made, in the order the proposals are listed. */
export function reviewDecisions(draft: ReviewDraft, groups: readonly ProposalGroup[]): Review['decisions'] {
  const decisions: Review['decisions'] = [];
  for (const group of groups) {
    for (const { id } of group.proposals) {
      const decision = draft.get(id);
      if (decision === undefined) continue;
      if (decision.action === 'discard') decisions.push({ proposalId: id, action: 'discard' });
      else if (decision.rule === undefined) decisions.push({ proposalId: id, action: 'keep' });
      else decisions.push({ proposalId: id, action: 'keep', rule: decision.rule });
    }
  }
  return decisions;
}

export interface DraftTally {
  readonly keep: number;
  /** Of those kept, how many narrowed. */
  readonly narrowed: number;
  readonly discard: number;
  readonly undecided: number;
}

/** How many proposals of `groups` the draft keeps (narrowed or not), discards, and leaves open. */
export function tallyDraft(draft: ReviewDraft, groups: readonly ProposalGroup[]): DraftTally {
  let keep = 0;
  let narrowed = 0;
  let discard = 0;
  let undecided = 0;
  for (const group of groups) {
    for (const { id } of group.proposals) {
      const decision = draft.get(id);
      if (decision === undefined) undecided += 1;
      else if (decision.action === 'discard') discard += 1;
      else {
        keep += 1;
        if (decision.rule !== undefined) narrowed += 1;
      }
    }
  }
  return { keep, narrowed, discard, undecided };
}

/** The groups without the proposals `ids` (reviewed): an app left with none goes. */
export function withoutProposals(groups: readonly ProposalGroup[], ids: ReadonlySet<string>): ProposalGroup[] {
  return groups
    .map((group) => ({ ...group, proposals: group.proposals.filter((p) => !ids.has(p.id)) }))
    .filter((group) => group.proposals.length > 0);
}

/** "3 to keep (1 narrowed), 2 to discard, 1 not decided (it stays for later)."; the parts that are not zero. */
export function tallyText(tally: DraftTally, format: LocaleFormat = userFormat()): string {
  const parts: string[] = [];
  if (tally.keep > 0) {
    const narrowed = tally.narrowed > 0 ? LEARNING.narrowed(formatCount(tally.narrowed, format)) : '';
    parts.push(plural(tally.keep, LEARNING.toKeep, format) + narrowed);
  }
  if (tally.discard > 0) parts.push(plural(tally.discard, LEARNING.toDiscard, format));
  if (tally.keep + tally.discard === 0) return LEARNING.nothingDecided;
  if (tally.undecided > 0) parts.push(plural(tally.undecided, LEARNING.undecided, format));
  return LEARNING.tally(parts);
}
