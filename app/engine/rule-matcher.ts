import type { Direction } from '../contract/driver-events.ts';
import { inNetwork, isLan, isLocalhost } from './address-match.ts';
import type { CompiledDestination, CompiledRule } from './compiled-rule.ts';
import { isBelowDomain } from './host-name.ts';

/** What a rule is matched against: one connection, with the names known for its remote address. */
export interface ConnectionFacts {
  /** appKeyOf(path); '' when the app is unknown (then only any-app rules match). */
  readonly appKey: string;
  readonly direction: Direction;
  readonly protocol: number;
  /** Canonical text (ip-address.ts formatIp). */
  readonly remoteIp: string;
  /** null when the driver sent an address that does not parse (then address rules never match). */
  readonly remoteBytes: Uint8Array | null;
  readonly remotePort: number;
  /** Normalized names learned from DNS answers for remoteIp (never reverse lookups). */
  readonly hostNames: readonly string[];
}

/**
 * True when `compiled` applies to the connection at `now`: enabled, not expired, and every
 * matcher (app, direction, protocol, port, destination) accepts it.
 */
export function matchesRule(compiled: CompiledRule, facts: ConnectionFacts, now: number): boolean {
  const rule = compiled.rule;
  if (!rule.enabled) return false;
  if (rule.expiresAt !== null && now >= rule.expiresAt) return false;
  if (compiled.appKey !== null && compiled.appKey !== facts.appKey) return false;
  if (compiled.direction !== null && compiled.direction !== facts.direction) return false;
  if (compiled.protocol !== null && compiled.protocol !== facts.protocol) return false;
  if (facts.remotePort < compiled.portFrom || facts.remotePort > compiled.portTo) return false;
  return matchesDestination(compiled.destination, facts);
}

/** The destination part alone (exported for the prompt queue's "does this rule cover it"). */
export function matchesDestination(destination: CompiledDestination, facts: ConnectionFacts): boolean {
  switch (destination.kind) {
    case 'any':
      return true;
    case 'host':
      return facts.hostNames.includes(destination.name);
    case 'domain':
      return facts.hostNames.some((name) => isBelowDomain(name, destination.suffix));
    case 'ip':
      return facts.remoteIp === destination.address;
    case 'cidr':
      return facts.remoteBytes !== null && inNetwork(facts.remoteBytes, destination.network);
    case 'lan':
      return facts.remoteBytes !== null && isLan(facts.remoteBytes);
    case 'localhost':
      return facts.remoteBytes !== null && isLocalhost(facts.remoteBytes);
  }
}
