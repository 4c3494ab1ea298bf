import type { LearningStatus } from '../../../app/contract/learning.ts';
import { plural } from '../lib/format.ts';
import { type LearningChoice, learningChoices } from '../lib/learning-menu.ts';
import { isLearning, learningLabel, learningSummary } from '../lib/learning-text.ts';
import { startLearning, stopLearning } from '../store/learning-commands.ts';
import { useAppStore } from '../store/store.ts';
import { LEARNING } from '../strings/learning-strings.ts';
import { Icon } from './Icon.tsx';
import { Menu, type MenuItem } from './Menu.tsx';

function menuItem(choice: LearningChoice, index: number, all: readonly LearningChoice[]): MenuItem {
  const openView = (): void => useAppStore.getState().setView('learning');
  // A line between starting and what follows it (stop, review).
  const separated = choice.kind !== 'start' && choice.kind !== 'custom' && all[index - 1]?.kind === 'custom';
  switch (choice.kind) {
    case 'start':
      return { label: choice.label, onSelect: () => void startLearning({ kind: 'minutes', minutes: choice.minutes }) };
    case 'custom':
      return { label: choice.label, onSelect: openView };
    case 'stop':
      return { label: choice.label, separated, onSelect: () => void stopLearning() };
    case 'review':
      return { label: choice.label, separated, onSelect: openView };
  }
}

/**
 * The status bar's learning: whether it is on and until when (apps learning until they quit,
 * what always asks: the tooltip), how many proposals wait, and the menu that starts and stops it.
 */
export function LearningMenu({
  status,
  now,
}: {
  readonly status: LearningStatus;
  readonly now: number;
}): React.JSX.Element {
  const on = isLearning(status, now);
  return (
    <span className={`status-learning ${on ? 'is-learning' : ''}`} title={learningSummary(status, now)}>
      <Menu label={LEARNING.menu} items={learningChoices(status, now).map(menuItem)} className="learning-menu">
        <Icon name="learn" size={14} />
        <span>{on ? <strong>{learningLabel(status, now)}</strong> : learningLabel(status, now)}</span>
        {status.proposals > 0 ? (
          <span className="learning-badge">{plural(status.proposals, LEARNING.toReview)}</span>
        ) : null}
        <Icon name="chevronDown" size={12} />
      </Menu>
    </span>
  );
}
