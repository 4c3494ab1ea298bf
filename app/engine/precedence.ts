import type { Rule, RuleInput } from '../contract/rules.ts';
import { parseCidr } from './address-match.ts';
import { domainSuffix, labelCount } from './host-name.ts';

/**
 * Rule precedence: when several rules match a connection, the most specific one decides.
 * Specificity is compared lexicographically, in this order (README.md, "Precedence"):
 *
 * 1. app: a path beats any app;
 * 2. destination: host = ip > domain wildcard (more labels first) > cidr (longer prefix first)
 *    > lan = localhost > any;
 * 3. port: single port > range (narrower first) > any;
 * 4. protocol: a number beats any;
 * 5. direction: inbound/outbound beats any;
 * 6. action, at equal specificity: drop > block > allow (the most restrictive wins);
 * 7. then the most recently updated rule, then the smaller id (only so the order is total).
 */

/** The specificity components of a rule, each "bigger is more specific". */
export interface Specificity {
  readonly app: number;
  readonly destination: number;
  readonly port: number;
  readonly protocol: number;
  readonly direction: number;
  readonly action: number;
}

const DEST_TIER = { any: 0, lan: 1, localhost: 1, cidr: 2, domain: 3, host: 4, ip: 4 } as const;
/** A destination score is tier * 256 + a detail below 256 (labels or prefix bits). */
const DEST_RADIX = 5 * 256;
/** Port scores: any (or all 65 536 ports) 0, a range 2..65535 (narrower higher), a single port 65537. */
const PORT_RADIX = 65538;
const ACTION_RANK = { allow: 0, block: 1, drop: 2 } as const;

type Ranked = Pick<RuleInput, 'app' | 'destination' | 'port' | 'protocol' | 'direction' | 'action'>;

/** The specificity components of `rule` (see the module comment for their order). */
export function specificity(rule: Ranked): Specificity {
  return {
    app: rule.app.kind === 'path' ? 1 : 0,
    destination: DEST_TIER[rule.destination.kind] * 256 + destinationDetail(rule.destination),
    port: portScore(rule.port),
    protocol: rule.protocol === 'any' ? 0 : 1,
    direction: rule.direction === 'any' ? 0 : 1,
    action: ACTION_RANK[rule.action],
  };
}

/**
 * A range's score by the ports it covers, so that it ranks as what it means: a range of one port
 * is a single port, a range of all ports is any port. The driver's policy carries only the
 * bounds, and both sides must rank a rule alike (driver/protocol/README.md, "Precedence").
 */
function portScore(port: Ranked['port']): number {
  if (port.kind === 'any') return 0;
  if (port.kind === 'port') return 65537;
  if (port.from === port.to) return 65537;
  if (port.from === 0 && port.to === 65535) return 0;
  return 65536 - (port.to - port.from);
}

function destinationDetail(destination: Ranked['destination']): number {
  if (destination.kind === 'domain') return Math.min(255, labelCount(domainSuffix(destination.pattern) ?? ''));
  if (destination.kind !== 'cidr') return 0;
  const network = parseCidr(destination.cidr);
  if (network === null) return 0;
  // IPv4 prefixes are counted as their IPv4-mapped IPv6 prefix, so /32 (v4) ranks like /128.
  return network.bytes.length === 4 ? network.prefix + 96 : network.prefix;
}

/**
 * One number that orders rules like the lexicographic comparison of steps 1–6 (bigger wins).
 * The product of the radixes is about 2·10⁹, far below 2⁵³, so the number is exact.
 */
export function precedenceRank(rule: Ranked): number {
  const s = specificity(rule);
  let rank = s.app;
  rank = rank * DEST_RADIX + s.destination;
  rank = rank * PORT_RADIX + s.port;
  rank = rank * 2 + s.protocol;
  rank = rank * 2 + s.direction;
  return rank * 3 + s.action;
}

/** Sort comparator: negative when `a` takes precedence over `b`. */
export function comparePrecedence(a: Rule, b: Rule, rankA = precedenceRank(a), rankB = precedenceRank(b)): number {
  if (rankA !== rankB) return rankB - rankA;
  if (a.updatedAt !== b.updatedAt) return b.updatedAt - a.updatedAt;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}
