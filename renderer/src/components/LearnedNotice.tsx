import { learnedLine } from '../lib/learning-text.ts';
import { useAppStore } from '../store/store.ts';
import { LEARNING } from '../strings/learning-strings.ts';
import { Icon } from './Icon.tsx';

/**
 * The inbox's line about learning: "20 connections of 2 apps learned — Review", while proposals
 * wait. `onReview` opens the review; null where there is none to open (the prompt window).
 */
export function LearnedNotice({ onReview }: { readonly onReview: (() => void) | null }): React.JSX.Element | null {
  const groups = useAppStore((s) => s.proposalGroups);
  const line = learnedLine(groups);
  if (line === null) return null;
  return (
    <section className="learned-notice" aria-label={LEARNING.inbox}>
      <Icon name="learn" size={15} />
      <span className="learned-notice-text">{line}</span>
      <span aria-hidden="true">—</span>
      {onReview === null ? (
        <span>{LEARNING.reviewInWindow}</span>
      ) : (
        <button type="button" className="button button-small" onClick={onReview}>
          {LEARNING.reviewButton}
        </button>
      )}
    </section>
  );
}

/** The line above the status bar, unless the review is what the window shows. */
export function LearnedBanner(): React.JSX.Element | null {
  const view = useAppStore((s) => s.view);
  const setView = useAppStore((s) => s.setView);
  if (view === 'learning') return null;
  return <LearnedNotice onReview={() => setView('learning')} />;
}
