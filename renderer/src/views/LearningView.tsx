import { useMemo } from 'react';
import { ViewHeader } from '../components/ViewHeader.tsx';
import { useNow } from '../hooks/use-now.ts';
import { tallyDraft } from '../lib/review-draft.ts';
import { useAppStore } from '../store/store.ts';
import { LEARNING } from '../strings/learning-strings.ts';
import { LearnCard } from './learning/LearnCard.tsx';
import { ProposalGroupCard } from './learning/ProposalGroupCard.tsx';
import { ReviewBar } from './learning/ReviewBar.tsx';

/**
 * Learning: start and stop it, and the review of what it learned, per app. Decisions are a
 * draft until Apply; proposals learned meanwhile join the list undecided.
 */
export function LearningView(): React.JSX.Element {
  const groups = useAppStore((s) => s.proposalGroups);
  const draft = useAppStore((s) => s.reviewDraft);
  const now = useNow(30_000);
  const tally = useMemo(() => tallyDraft(draft, groups), [draft, groups]);
  return (
    <section className="view" aria-label={LEARNING.title}>
      <ViewHeader title={LEARNING.title} subtitle={LEARNING.subtitle} />
      <LearnCard />
      <h3 className="review-title">{LEARNING.reviewTitle}</h3>
      {groups.length === 0 ? (
        <p className="muted">{LEARNING.nothing}</p>
      ) : (
        <>
          {groups.map((group) => (
            <ProposalGroupCard key={group.appPath} group={group} draft={draft} now={now} />
          ))}
          <ReviewBar tally={tally} />
        </>
      )}
    </section>
  );
}
