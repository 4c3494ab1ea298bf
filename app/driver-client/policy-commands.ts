import type {
  NoAppAction,
  PolicyBlocklist,
  PolicyDestination,
  PolicyDocument,
  PolicyPartCommand,
} from '../../native/src/index.ts';
import {
  blocklistSectionSize,
  encodePolicyDocument,
  MAX_POLICY_LENGTH,
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

/** The bytes of a blocklist section's two counts (a one-letter name costs 2 more). */
const SECTION_COUNTS = blocklistSectionSize(['a'], []) - 2;
/** What one document's section may hold (driver/protocol/README.md). */
const MAX_NAMES = 4_000_000;
const MAX_NETWORKS = 1_000_000;

/**
 * The lists as far as they fit beside the rules in one document (MAX_POLICY_LENGTH): every
 * network (few and small), then names in list order until the budget is spent. A million names
 * of a real hosts list (about 21 MB) do not fit; the app still applies them all while it runs.
 */
export function fittedBlocklist(lists: DriverPolicyBlocklist, withoutLists: number): PolicyBlocklist | undefined {
  const networks = lists.networks.map((net) => ({ ip: net.bytes, prefix: net.prefix }));
  const names: string[] = [];
  // The section's counts, its networks, then 1 + length for each name (blocklistSectionSize's
  // rule, summed here as names are added: the codec's sum is over a whole list).
  let size =
    withoutLists + SECTION_COUNTS + blocklistSectionSize([], networks) - (networks.length > 0 ? SECTION_COUNTS : 0);
  if (size > MAX_POLICY_LENGTH || networks.length > MAX_NETWORKS) return undefined;
  for (const name of lists.names) {
    if (names.length >= MAX_NAMES) break;
    const cost = 1 + Buffer.byteLength(name);
    if (name.length === 0 || cost > 254 || name.startsWith('*.')) continue;
    if (size + cost > MAX_POLICY_LENGTH) break;
    size += cost;
    names.push(name);
  }
  return names.length + networks.length === 0 ? undefined : { names, networks };
}
