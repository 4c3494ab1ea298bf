import type { PolicyProblem as WireProblem, PolicyStateInfo } from '../../native/src/index.ts';
import { VERDICT } from '../../native/src/index.ts';
import type { DriverVerdict } from '../contract/driver-events.ts';
import type { PolicyProblem, PolicyStateReport } from '../contract/driver-policy.ts';
import type { RuleAction } from '../contract/rules.ts';

/** The verdicts a RuleDecided info carries, as the engine names them. */
const RULE_VERDICT = new Map<number, DriverVerdict>([
  [VERDICT.accept, 'accept'],
  [VERDICT.permanentAccept, 'permanent-accept'],
  [VERDICT.block, 'block'],
  [VERDICT.permanentBlock, 'permanent-block'],
  [VERDICT.drop, 'drop'],
  [VERDICT.permanentDrop, 'permanent-drop'],
]);

/**
 * The engine's verdict for a RuleDecided info's verdict byte (a sound driver sends 3, 5 or 7);
 * null for one that is no decision the engine knows (a redirect, "failed").
 */
export function ruleVerdictOf(verdict: number): DriverVerdict | null {
  return RULE_VERDICT.get(verdict) ?? null;
}

const NO_APP_ACTION = new Map<number, RuleAction>([
  [VERDICT.accept, 'allow'],
  [VERDICT.block, 'block'],
  [VERDICT.drop, 'drop'],
]);

const PROBLEM: Readonly<Record<Exclude<WireProblem, 'none'>, PolicyProblem>> = {
  malformed: 'malformed',
  checksum: 'bad-checksum',
  'too-large': 'too-large',
  'out-of-order': 'out-of-order',
  'not-saved': 'not-saved',
  unknown: 'unknown',
};

/** What the engine learns from a PolicyState info. */
export function policyStateReport(info: PolicyStateInfo): PolicyStateReport {
  return {
    kind: 'policy-state',
    generation: info.generation,
    ruleCount: info.ruleCount,
    noAppAction: NO_APP_ACTION.get(info.noAppAction) ?? null,
    origin: info.origin,
    problem: info.problem === 'none' ? null : PROBLEM[info.problem],
    problemGeneration: info.problemGeneration,
  };
}
