import type { NoAppAction, PolicyDestination, PolicyDocument, PolicyPartCommand } from '../../native/src/index.ts';
import { encodePolicyDocument, policyPartCommands } from '../../native/src/index.ts';
import type { DriverPolicy, DriverPolicyDestination } from '../contract/driver-policy.ts';
import type { RuleAction } from '../contract/rules.ts';
import { addressBytes, networkBytes } from './address-text.ts';

/** The wire's name of each action for connections no rule covers (the engine's are the rules' actions). */
const NO_APP_ACTION: Readonly<Record<RuleAction, NoAppAction>> = { allow: 'accept', block: 'block', drop: 'drop' };

/**
 * The policy document of `policy` (the codec's values): the engine's rules as they are, but for
 * the addresses, which the codec takes as bytes. Throws a RangeError for an address that is not one.
 */
export function policyDocument(policy: DriverPolicy): PolicyDocument {
  return {
    generation: policy.generation,
    caseInsensitivePaths: policy.caseInsensitivePaths,
    noAppAction: NO_APP_ACTION[policy.noAppAction],
    rules: policy.rules.map((rule, i) => ({ ...rule, destination: wireDestination(`rules[${i}]`, rule.destination) })),
  };
}

function wireDestination(field: string, destination: DriverPolicyDestination): PolicyDestination {
  switch (destination.kind) {
    case 'ip':
      return { kind: 'ip', ip: addressBytes(`${field}.destination.ip`, destination.ip) };
    case 'cidr': {
      const network = networkBytes(`${field}.destination`, destination.ip, destination.prefix);
      return { kind: 'cidr', ip: network.bytes, prefix: network.prefix };
    }
    default:
      return destination;
  }
}

/**
 * The PolicyPart commands that carry `policy` to the driver, in the order they must be written.
 * Throws a RangeError (from the codec) for what the document format cannot carry.
 */
export function policyCommands(policy: DriverPolicy): PolicyPartCommand[] {
  return policyPartCommands(encodePolicyDocument(policyDocument(policy)), policy.generation);
}
