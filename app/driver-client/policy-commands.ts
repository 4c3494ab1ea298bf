import type {
  NoAppAction,
  PolicyBlocklist,
  PolicyDestination,
  PolicyDocument,
  PolicyPartCommand,
} from '../../native/src/index.ts';
import {
  BLOCKLIST_COUNTS_LENGTH,
  blocklistSectionSize,
  encodePolicyDocument,
  MAX_BLOCKED_NAMES,
  MAX_BLOCKED_NETWORKS,
  MAX_POLICY_LENGTH,
  MAX_POLICY_NAME_LENGTH,
  policyPartCommands,
} from '../../native/src/index.ts';
import type { DriverPolicy, DriverPolicyBlocklist, DriverPolicyDestination } from '../contract/driver-policy.ts';
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
  const document = policyDocument(policy);
  const lists =
    policy.blocklist === undefined
      ? undefined
      : fittedBlocklist(policy.blocklist, encodePolicyDocument(document).length);
  return policyPartCommands(
    encodePolicyDocument(lists === undefined ? document : { ...document, blocklist: lists }),
    policy.generation,
  );
}

/**
 * The lists as far as they fit beside the rules in one document (MAX_POLICY_LENGTH): every
 * network (few and small), then names in list order until the budget is spent. A million names
 * of a real hosts list (about 21 MB) do not fit; the app still applies them all while it runs.
 */
export function fittedBlocklist(lists: DriverPolicyBlocklist, withoutLists: number): PolicyBlocklist | undefined {
  const networks = lists.networks.map((net) => ({ ip: net.bytes, prefix: net.prefix }));
  const names: string[] = [];
  // The section's counts and networks, then 1 + length for each name (blocklistSectionSize's
  // rule, summed here as names are added: the codec's sum is over a whole list).
  let size = withoutLists + Math.max(BLOCKLIST_COUNTS_LENGTH, blocklistSectionSize([], networks));
  if (size > MAX_POLICY_LENGTH || networks.length > MAX_BLOCKED_NETWORKS) return undefined;
  for (const name of lists.names) {
    if (names.length >= MAX_BLOCKED_NAMES) break;
    const length = Buffer.byteLength(name);
    if (length === 0 || length > MAX_POLICY_NAME_LENGTH || name.startsWith('*.')) continue;
    const cost = 1 + length;
    if (size + cost > MAX_POLICY_LENGTH) break;
    size += cost;
    names.push(name);
  }
  return names.length + networks.length === 0 ? undefined : { names, networks };
}
