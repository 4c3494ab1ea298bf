import type { NoAppAction, PolicyDocument, PolicyPartCommand } from '../../native/src/index.ts';
import { encodePolicyDocument, policyPartCommands } from '../../native/src/index.ts';
import type { DriverPolicy } from '../contract/driver-policy.ts';
import type { RuleAction } from '../contract/rules.ts';

/** The wire's name of each action for connections no rule covers (the engine's are the rules' actions). */
const NO_APP_ACTION: Readonly<Record<RuleAction, NoAppAction>> = { allow: 'accept', block: 'block', drop: 'drop' };

/** The policy document of `policy` (the codec's values; its rules are the engine's as they are). */
export function policyDocument(policy: DriverPolicy): PolicyDocument {
  return {
    generation: policy.generation,
    caseInsensitivePaths: policy.caseInsensitivePaths,
    noAppAction: NO_APP_ACTION[policy.noAppAction],
    rules: policy.rules,
  };
}

/**
 * The PolicyPart commands that carry `policy` to the driver, in the order they must be written.
 * Throws a RangeError (from the codec) for what the document format cannot carry.
 */
export function policyCommands(policy: DriverPolicy): PolicyPartCommand[] {
  return policyPartCommands(encodePolicyDocument(policyDocument(policy)), policy.generation);
}
