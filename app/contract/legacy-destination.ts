import { parseIp, parseNetwork } from './ip-address.ts';

/**
 * Destination text that earlier versions saved and the strict schema now refuses. Rules are
 * read back from the store through the stored-rule schema, and one row it refuses would cost
 * the user that rule at start (a block rule lost lets traffic through), so a stored rule keeps
 * the meaning it had:
 * - a zone id (`fe80::1%eth0`, also `%` alone) was ignored by the engine: it is dropped;
 * - a prefix length with leading zeros (`10.0.0.0/008`) meant the number: it is written plainly;
 * - a host name or domain pattern with a label over 63 characters can match no DNS name: it is
 *   read as it is (LEGACY_NAME) and still matches nothing; editing the rule asks for a valid one.
 * New rules (input, patches, rule files) get the strict schema only.
 */

/** The name text earlier versions accepted: labels of any length, 253 characters in all. */
export const LEGACY_NAME = /^[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?)*\.?$/i;
export const LEGACY_NAME_MAX = 253;

/** What earlier versions let through as address and network text (before parsing it). */
const OLD_ADDRESS_TEXT = /^[0-9a-z.:%_-]{2,64}$/i;
const OLD_NETWORK_TEXT = /^[0-9a-z.:%_-]+\/\d{1,3}$/i;
const OLD_NETWORK_MAX = 68;

/**
 * `value` with an ip or cidr text that earlier versions accepted rewritten to the valid text of
 * the same meaning; anything else unchanged (for the strict schema to judge).
 */
export function upgradeLegacyDestination(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value;
  const record = value as Record<string, unknown>;
  const kind = record['kind'];
  if (kind === 'ip' && typeof record['address'] === 'string' && OLD_ADDRESS_TEXT.test(record['address'])) {
    const address = withoutZone(record['address']);
    return parseIp(address) === null ? value : { ...record, address };
  }
  const old = record['cidr'];
  if (kind === 'cidr' && typeof old === 'string' && old.length <= OLD_NETWORK_MAX && OLD_NETWORK_TEXT.test(old)) {
    const slash = old.lastIndexOf('/');
    const cidr = `${withoutZone(old.slice(0, slash))}/${String(Number(old.slice(slash + 1)))}`;
    return parseNetwork(cidr) === null ? value : { ...record, cidr };
  }
  return value;
}

function withoutZone(address: string): string {
  const zone = address.indexOf('%');
  return zone >= 0 && address.includes(':') ? address.slice(0, zone) : address;
}
