import type { Direction } from '../contract/driver-events.ts';
import { formatIp, parseIp } from '../contract/ip-address.ts';
import type { Rule } from '../contract/rules.ts';
import { type Network, parseCidr } from './address-match.ts';
import { domainSuffix, normalizeHost } from './host-name.ts';
import { precedenceRank } from './precedence.ts';

/**
 * A rule prepared for matching: text parsed once (addresses to bytes, names normalized, paths
 * case-folded on Windows) so that matching a connection does no parsing.
 */

export type CompiledDestination =
  | { readonly kind: 'any' | 'lan' | 'localhost' }
  | { readonly kind: 'host'; readonly name: string }
  | { readonly kind: 'domain'; readonly suffix: string }
  | { readonly kind: 'ip'; readonly address: string }
  | { readonly kind: 'cidr'; readonly network: Network };

export interface CompiledRule {
  readonly rule: Rule;
  /** The app path as compared (case-folded when paths are case-insensitive); null = any app. */
  readonly appKey: string | null;
  readonly destination: CompiledDestination;
  readonly portFrom: number;
  readonly portTo: number;
  /** null = any protocol. */
  readonly protocol: number | null;
  /** null = any direction. */
  readonly direction: Direction | null;
  /** The rule's precedence rank (precedence.ts); bigger wins. */
  readonly rank: number;
}

/** How app paths compare: exactly, or case-insensitively (Windows). */
export interface PathOptions {
  readonly caseInsensitivePaths: boolean;
}

/** The key an app path is compared and indexed by. */
export function appKeyOf(path: string, options: PathOptions): string {
  return options.caseInsensitivePaths ? path.toLowerCase() : path;
}

/** Compiles `rule`, or returns null when its destination text cannot be parsed. */
export function compileRule(rule: Rule, options: PathOptions): CompiledRule | null {
  const destination = compileDestination(rule.destination);
  if (destination === null) return null;
  const port = rule.port;
  return {
    rule,
    appKey: rule.app.kind === 'path' ? appKeyOf(rule.app.path, options) : null,
    destination,
    portFrom: port.kind === 'any' ? 0 : port.kind === 'port' ? port.port : port.from,
    portTo: port.kind === 'any' ? 65535 : port.kind === 'port' ? port.port : port.to,
    protocol: rule.protocol === 'any' ? null : rule.protocol,
    direction: rule.direction === 'any' ? null : rule.direction,
    rank: precedenceRank(rule),
  };
}

function compileDestination(destination: Rule['destination']): CompiledDestination | null {
  switch (destination.kind) {
    case 'any':
    case 'lan':
    case 'localhost':
      return { kind: destination.kind };
    case 'host':
      return { kind: 'host', name: normalizeHost(destination.name) };
    case 'domain': {
      const suffix = domainSuffix(destination.pattern);
      return suffix === null ? null : { kind: 'domain', suffix };
    }
    case 'ip': {
      const bytes = parseIp(destination.address);
      return bytes === null ? null : { kind: 'ip', address: formatIp(bytes) };
    }
    case 'cidr': {
      const network = parseCidr(destination.cidr);
      return network === null ? null : { kind: 'cidr', network };
    }
  }
}
