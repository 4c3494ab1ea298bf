import type { ConnectionRow } from '../../../app/contract/views.ts';

/**
 * Who decided a connection, for the Verdict column's tooltip: the driver by its policy (the
 * user's rules, enforced without a prompt or a round trip), the driver alone (the link was
 * lost), a rule in the app, or nobody yet. `ruleLabel` names a rule by its id ('' when unknown).
 */
export function verdictOrigin(row: ConnectionRow, ruleLabel: (ruleId: string) => string): string {
  if (row.byPolicy) {
    return row.ruleId === null
      ? 'Decided in the driver by its policy (by a rule this window does not know: one sent before ZenithFence last started)'
      : `Decided in the driver by your rule${labelled(ruleLabel(row.ruleId))}`;
  }
  if (row.verdict === 'pending') return 'Waiting for an answer';
  if (row.verdict === 'driver') return 'Answered by the driver alone: the link to it was lost while it waited';
  return row.ruleId === null
    ? 'Decided without a rule (an answer, the mode or a timeout)'
    : `Decided by your rule${labelled(ruleLabel(row.ruleId))}`;
}

function labelled(label: string): string {
  return label === '' ? '' : ` ${label}`;
}
