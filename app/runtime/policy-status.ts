import type { PolicyProblem, PolicyStateReport } from '../contract/driver-policy.ts';
import type { PolicyStatus } from '../contract/views.ts';

/** The driver link as far as the policy is concerned. */
export type PolicyLink = 'down' | 'unsupported' | 'up';

/** The last policy sent on the current link. */
export type PolicyAttempt =
  | { readonly generation: bigint; readonly state: 'sending' | 'sent' }
  | { readonly generation: bigint; readonly state: 'failed'; readonly message: string };

const PROBLEM_TEXT: Readonly<Record<Exclude<PolicyProblem, 'not-saved'>, string>> = {
  malformed: 'the driver found them malformed',
  'bad-checksum': 'they arrived damaged (bad checksum)',
  'too-large': 'they are larger than the driver takes (16 MiB)',
  'out-of-order': 'their parts arrived out of order',
  unknown: 'the driver refused them for a reason this version does not know',
};

function plural(n: number, word: string): string {
  return `${String(n)} ${word}${n === 1 ? '' : 's'}`;
}

/**
 * What the UI says about the driver's policy: the generation the driver reports (PolicyState)
 * against the one last sent on this link. `attempt` null: nothing sent yet on this link, or a
 * change is due that is not sent yet (both 'sending': the driver does not have the rules as
 * they are).
 */
export function policyStatus(
  link: PolicyLink,
  attempt: PolicyAttempt | null,
  report: PolicyStateReport | null,
): PolicyStatus {
  const enforcedGeneration = report === null ? null : report.generation.toString();
  const ruleCount = report === null ? null : report.ruleCount;
  const status = (state: PolicyStatus['state'], message: string): PolicyStatus => ({
    state,
    message,
    enforcedGeneration,
    ruleCount,
  });
  if (link === 'down') {
    return status('unknown', 'No driver is connected: it enforces the rules it was last sent, if it can.');
  }
  if (link === 'unsupported') {
    return status('unsupported', 'The driver has no policy support: your rules apply only while ZenithFence runs.');
  }
  if (attempt === null || attempt.state === 'sending') {
    return status('sending', 'Sending your rules to the driver…');
  }
  if (attempt.state === 'failed') {
    return status('behind', `Driver is not enforcing your latest rules: they could not be sent (${attempt.message}).`);
  }
  if (report !== null && report.problemGeneration === attempt.generation && report.problem !== null) {
    if (report.problem !== 'not-saved') {
      return status('behind', `Driver is not enforcing your latest rules: ${PROBLEM_TEXT[report.problem]}.`);
    }
    if (report.generation === attempt.generation) {
      return status(
        'unsaved',
        'Driver enforces your rules, but could not save them: after a restart of the driver they are gone until ZenithFence sends them again.',
      );
    }
  }
  if (report !== null && report.generation === attempt.generation) {
    return status('enforced', `Driver enforces your rules (${plural(report.ruleCount, 'rule')}).`);
  }
  return status('sending', 'Waiting for the driver to confirm your rules…');
}
