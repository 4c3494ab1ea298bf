import type { ProposalGroup } from '../../../../app/contract/learning.ts';
import { AppAvatar } from '../../components/AppAvatar.tsx';
import type { ReviewDraft } from '../../lib/review-draft.ts';
import { visibleText } from '../../lib/visible-text.ts';
import { useAppStore } from '../../store/store.ts';
import { LEARNING } from '../../strings/learning-strings.ts';
import { ProposalRow } from './ProposalRow.tsx';

/** One app's learned destinations, with Keep all and Discard all. */
export function ProposalGroupCard({
  group,
  draft,
  now,
}: {
  readonly group: ProposalGroup;
  readonly draft: ReviewDraft;
  readonly now: number;
}): React.JSX.Element {
  const decideApp = useAppStore((s) => s.decideApp);
  const columns = LEARNING.columns;
  return (
    <section className="card card-flush proposal-group" aria-label={group.app}>
      <div className="card-header card-title-pad">
        <div className="proposal-app">
          <AppAvatar label={group.appPath} />
          <div>
            <h3>{visibleText(group.app)}</h3>
            <p className="muted small mono truncate">{visibleText(group.appPath)}</p>
          </div>
        </div>
        <div className="proposal-group-actions">
          <button type="button" className="button button-small" onClick={() => decideApp(group, 'keep')}>
            {LEARNING.keepAll}
          </button>
          <button
            type="button"
            className="button button-small button-danger-outline"
            onClick={() => decideApp(group, 'discard')}
          >
            {LEARNING.discardAll}
          </button>
        </div>
      </div>
      <table className="plain-table proposal-table" aria-label={LEARNING.learnedFor(group.app)}>
        <thead>
          <tr>
            <th scope="col">{columns.destination}</th>
            <th scope="col">{columns.port}</th>
            <th scope="col">{columns.protocol}</th>
            <th scope="col">{columns.direction}</th>
            <th scope="col" className="num">
              {columns.connections}
            </th>
            <th scope="col">{columns.firstSeen}</th>
            <th scope="col">{columns.lastSeen}</th>
            <th scope="col">{columns.decision}</th>
          </tr>
        </thead>
        <tbody>
          {group.proposals.map((proposal) => (
            <ProposalRow
              key={proposal.id}
              proposal={proposal}
              appPath={group.appPath}
              decision={draft.get(proposal.id)}
              now={now}
            />
          ))}
        </tbody>
      </table>
    </section>
  );
}
