import type { ConnectionRow } from '../../../app/contract/views.ts';
import { CONNECTIONS } from '../strings/connections-strings.ts';

/**
 * Who decided a connection, for the Verdict column's tooltip: the driver by its policy (the
 * user's rules, enforced without a prompt or a round trip), the driver alone (the link was
 * lost), a rule in the app, or nobody yet. `ruleLabel` names a rule by its id ('' when unknown).
 */
export function verdictOrigin(row: ConnectionRow, ruleLabel: (ruleId: string) => string): string {
  const words = CONNECTIONS.origin;
  if (row.byPolicy) {
    return row.ruleId === null ? words.policyUnknownRule : words.policyRule(ruleLabel(row.ruleId));
  }
  if (row.verdict === 'pending') return words.waiting;
  if (row.verdict === 'driver') return words.driverAlone;
  return row.ruleId === null ? words.noRule : words.rule(ruleLabel(row.ruleId));
}
