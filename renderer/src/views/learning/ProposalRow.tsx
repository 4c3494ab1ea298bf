import type { Proposal } from '../../../../app/contract/learning.ts';
import { directionLabel, formatCount, formatTime } from '../../lib/format.ts';
import { ruleLine } from '../../lib/learning-text.ts';
import { profileName } from '../../lib/profile-text.ts';
import type { Decision } from '../../lib/review-draft.ts';
import { describeDestination, describePort, describeProtocol, ruleToForm } from '../../lib/rule-form.ts';
import { useAppStore } from '../../store/store.ts';
import { LEARNING } from '../../strings/learning-strings.ts';

type Choice = 'keep' | 'narrow' | 'discard';

/** Which of Keep / Narrow / Discard the decision is (none while undecided). */
function chosen(decision: Decision | undefined): Choice | null {
  if (decision === undefined) return null;
  if (decision.action === 'discard') return 'discard';
  return decision.rule === undefined ? 'keep' : 'narrow';
}

/**
 * One learned destination: what was seen (host or address, port, protocol, direction, how many
 * connections, first and last) and the decision. Keep and Discard toggle (pressed again: no
 * decision); Narrow opens the rule editor with the proposed rule (or the narrowed one), and what
 * the editor keeps is the rule this proposal becomes.
 */
export function ProposalRow({
  proposal,
  appPath,
  decision,
  now,
}: {
  readonly proposal: Proposal;
  readonly appPath: string;
  readonly decision: Decision | undefined;
  readonly now: number;
}): React.JSX.Element {
  const { rule } = proposal;
  const choice = chosen(decision);
  const decideProposals = useAppStore((s) => s.decideProposals);
  const openRuleEditor = useAppStore((s) => s.openRuleEditor);
  const profiles = useAppStore((s) => s.profiles);
  const toggle = (action: 'keep' | 'discard'): void =>
    decideProposals([proposal.id], choice === action ? null : { action });
  const narrow = (): void => {
    const current = decision?.action === 'keep' ? (decision.rule ?? rule) : rule;
    openRuleEditor({ ruleId: null, form: ruleToForm(current), origin: 'proposal', proposalId: proposal.id });
  };
  return (
    <tr className={choice === null ? undefined : `decided is-${choice}`}>
      <th scope="row">
        <div className="proposal-destination">
          <span className="mono">{describeDestination(rule.destination)}</span>
          {decision?.action === 'keep' && decision.rule !== undefined ? (
            <span className="proposal-narrowed">
              {LEARNING.narrowedTo(ruleLine(decision.rule, appPath, (id) => profileName(profiles, id)))}
            </span>
          ) : null}
        </div>
      </th>
      <td className="mono">{describePort(rule.port)}</td>
      <td>{describeProtocol(rule.protocol)}</td>
      <td>{directionLabel(rule.direction)}</td>
      <td className="num">{formatCount(proposal.connections)}</td>
      <td className="muted">{formatTime(proposal.firstAt, now)}</td>
      <td className="muted">{formatTime(proposal.lastAt, now)}</td>
      <td>
        <div className="decision-buttons" role="group" aria-label={LEARNING.columns.decision}>
          <button
            type="button"
            className="button button-small"
            aria-pressed={choice === 'keep'}
            onClick={() => toggle('keep')}
          >
            {LEARNING.keep}
          </button>
          <button type="button" className="button button-small" aria-pressed={choice === 'narrow'} onClick={narrow}>
            {LEARNING.narrow}
          </button>
          <button
            type="button"
            className="button button-small button-danger-outline"
            aria-pressed={choice === 'discard'}
            onClick={() => toggle('discard')}
          >
            {LEARNING.discard}
          </button>
        </div>
      </td>
    </tr>
  );
}
