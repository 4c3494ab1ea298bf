import type {
  NoAppAction,
  PolicyBlocklist,
  PolicyDestination,
  PolicyDocument,
  PolicyPartCommand,
  PreparedBlocklist,
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
  prepareBlocklist,
} from '../../native/src/index.ts';
import type {
  DriverPolicy,
  DriverPolicyBlocklist,
  DriverPolicyDestination,
  PolicyBlocklistSent,
} from '../contract/driver-policy.ts';
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
  return policyParts(policy).commands;
}

/** policyCommands, and how much of the policy's blocklist the document carries. */
export function policyParts(policy: DriverPolicy): {
  readonly commands: PolicyPartCommand[];
  readonly blocklist: PolicyBlocklistSent;
} {
  const document = policyDocument(policy);
  const lists =
    policy.blocklist === undefined
      ? undefined
      : preparedBlocklist(policy.blocklist, encodePolicyDocument(document).length);
  const commands = policyPartCommands(
    encodePolicyDocument(lists === undefined ? document : { ...document, blocklist: lists }),
    policy.generation,
  );
  return { commands, blocklist: { names: lists?.nameCount ?? 0, networks: lists?.networkCount ?? 0 } };
}

/**
 * Room kept beside the rules when the lists are cut to fit: rules added later (a prompt answered
 * "forever") still fit beside the same prepared section, which is then not made again.
 */
export const RULES_SLACK = 256 * 1024;

/** The prepared section of each lists object (one per version of the lists in force), and whether it was cut. */
const prepared = new WeakMap<DriverPolicyBlocklist, { readonly section: PreparedBlocklist; readonly cut: boolean }>();

/**
 * The lists' section, checked and encoded once per lists object (BlocklistManager hands out the
 * same object until its entries change) and put into every document while it fits beside the
 * rules: a million names take some 0.3-0.7 s to fit, check and write, and the rules change far
 * more often than the lists. When they do not all fit, they are cut with RULES_SLACK to spare.
 */
export function preparedBlocklist(lists: DriverPolicyBlocklist, withoutLists: number): PreparedBlocklist | undefined {
  const cached = prepared.get(lists);
  // Kept while it fits; a cut one only while the room beside the rules has not grown past the
  // spare (rules were deleted: more names fit now).
  const room = MAX_POLICY_LENGTH - withoutLists;
  const size = cached?.section.section.length ?? 0;
  if (cached !== undefined && size <= room && (!cached.cut || room - size <= 2 * RULES_SLACK)) return cached.section;
  let fitted = fitBlocklist(lists, withoutLists);
  // With no room to spare at all, the cut without it (prepared again at the next change of the rules).
  if (fitted !== undefined && !fitted.complete) fitted = fitBlocklist(lists, withoutLists + RULES_SLACK) ?? fitted;
  if (fitted === undefined) return undefined;
  const section = prepareBlocklist(fitted.lists);
  if (section === null) return undefined;
  prepared.set(lists, { section, cut: !fitted.complete });
  return section;
}

/**
 * The lists as far as they fit beside the rules in one document (MAX_POLICY_LENGTH): every
 * network (few and small), then names in list order until the budget is spent. A million names
 * of a real hosts list (about 21 MB) do not fit; the app still applies them all while it runs.
 */
export function fittedBlocklist(lists: DriverPolicyBlocklist, withoutLists: number): PolicyBlocklist | undefined {
  return fitBlocklist(lists, withoutLists)?.lists;
}

/** fittedBlocklist, and whether every name that can go in a document went in (`complete`). */
function fitBlocklist(
  lists: DriverPolicyBlocklist,
  withoutLists: number,
): { readonly lists: PolicyBlocklist; readonly complete: boolean } | undefined {
  const networks = lists.networks.map((net) => ({ ip: net.bytes, prefix: net.prefix }));
  const names: string[] = [];
  // The section's counts and networks, then 1 + length for each name (blocklistSectionSize's
  // rule, summed here as names are added: the codec's sum is over a whole list).
  let size = withoutLists + Math.max(BLOCKLIST_COUNTS_LENGTH, blocklistSectionSize([], networks));
  if (size > MAX_POLICY_LENGTH || networks.length > MAX_BLOCKED_NETWORKS) return undefined;
  let complete = true;
  for (const name of lists.names) {
    const length = Buffer.byteLength(name);
    if (length === 0 || length > MAX_POLICY_NAME_LENGTH || name.startsWith('*.')) continue;
    const cost = 1 + length;
    if (names.length >= MAX_BLOCKED_NAMES || size + cost > MAX_POLICY_LENGTH) {
      complete = false;
      break;
    }
    size += cost;
    names.push(name);
  }
  return names.length + networks.length === 0 ? undefined : { lists: { names, networks }, complete };
}
