// The blocklist section of a policy document (driver/protocol/README.md, "The policy document"):
// the names and networks the driver blocks by itself while no app is connected. Checked like the
// rules: anything the format cannot carry is a RangeError naming the entry, never a document the
// driver would refuse.
import { ByteWriter } from './byte-writer.ts';
import {
  BLOCKED_NETWORK_HEADER_LENGTH,
  BLOCKLIST_COUNTS_LENGTH,
  hostBitsClear,
  MAX_BLOCKED_NAMES,
  MAX_BLOCKED_NETWORKS,
  MAX_POLICY_NAME_LENGTH,
} from './policy-format.ts';
import type { BlockedNetwork, PolicyBlocklist, PreparedBlocklist } from './policy-types.ts';
import { utf8Length } from './utf8-length.ts';

/** A blocklist checked for writing: each name's UTF-8 size, and the size of the whole section. */
export interface CheckedBlocklist {
  readonly names: readonly string[];
  /** The UTF-8 size of each name (1..253). */
  readonly nameLengths: Uint8Array;
  readonly networks: readonly BlockedNetwork[];
  /** The section's bytes. */
  readonly length: number;
}

/**
 * The bytes a blocklist section of `names` and `networks` takes in a policy document: 0 when both
 * are empty (no section is written), else the two counts, a length byte and the UTF-8 of each
 * name, and 2 + 4 or 2 + 16 bytes per network. With the size of the document without lists, it
 * tells whether the lists fit the driver's 16 MiB (MAX_POLICY_LENGTH). Checks only what a size
 * needs: a name that is no string or holds a lone surrogate, or a network whose `ip` is not 4 or
 * 16 bytes, is a RangeError (the encoder checks the rest).
 */
export function blocklistSectionSize(names: readonly string[], networks: readonly BlockedNetwork[]): number {
  if (names.length === 0 && networks.length === 0) return 0;
  let length = BLOCKLIST_COUNTS_LENGTH;
  for (let i = 0; i < names.length; i++) length += 1 + nameLength(i, names[i]);
  for (let i = 0; i < networks.length; i++) length += BLOCKED_NETWORK_HEADER_LENGTH + address(i, networks[i]).length;
  return length;
}

/**
 * Checks `list` for the encoder; null when there is nothing to write (absent, or both lists
 * empty). Throws a RangeError for lists that are no arrays, more than 4 000 000 names or 1 000 000
 * networks (before looking at any), a name of 0 or over 253 UTF-8 bytes, with an ASCII capital, a
 * trailing dot or a leading '*.', a network that is not 4 or 16 bytes, a prefix too long for its
 * family, or host bits set.
 */
export function checkBlocklist(list: PolicyBlocklist | undefined): CheckedBlocklist | null {
  if (list === undefined) return null;
  if (typeof list !== 'object' || list === null) {
    throw new RangeError('policy.blocklist must be an object with names and networks');
  }
  const { names, networks } = list;
  if (!Array.isArray(names)) throw new RangeError('policy.blocklist.names must be an array');
  if (!Array.isArray(networks)) throw new RangeError('policy.blocklist.networks must be an array');
  if (names.length > MAX_BLOCKED_NAMES) {
    throw new RangeError(
      `policy.blocklist.names holds ${names.length} names, at most ${MAX_BLOCKED_NAMES} fit a document`,
    );
  }
  if (networks.length > MAX_BLOCKED_NETWORKS) {
    const why = `holds ${networks.length} networks, at most ${MAX_BLOCKED_NETWORKS} fit a document`;
    throw new RangeError(`policy.blocklist.networks ${why}`);
  }
  if (names.length === 0 && networks.length === 0) return null;
  const nameLengths = new Uint8Array(names.length);
  let length = BLOCKLIST_COUNTS_LENGTH;
  // Index loops: a hole in a sparse array is a missing entry, not one to skip.
  for (let i = 0; i < names.length; i++) {
    const size = checkName(i, names[i]);
    nameLengths[i] = size;
    length += 1 + size;
  }
  for (let i = 0; i < networks.length; i++) length += BLOCKED_NETWORK_HEADER_LENGTH + checkNetwork(i, networks[i]);
  return { names, nameLengths, networks, length };
}

/** Writes a checked section: the counts, the names, the networks. */
export function writeBlocklist(writer: ByteWriter, { names, nameLengths, networks }: CheckedBlocklist): void {
  writer.u32(names.length).u32(networks.length);
  for (let i = 0; i < names.length; i++) {
    const size = nameLengths[i] ?? 0;
    writer.u8(size).utf8(names[i] ?? '', size);
  }
  for (const { ip, prefix } of networks)
    writer
      .u8(ip.length === 4 ? 4 : 6)
      .u8(prefix)
      .raw(ip);
}

function nameLength(i: number, name: unknown): number {
  if (typeof name !== 'string') {
    throw new RangeError(`policy.blocklist.names[${i}] must be a string, got ${typeof name}`);
  }
  const length = utf8Length(name);
  if (length < 0) throw new RangeError(`policy.blocklist.names[${i}] holds a lone surrogate, which UTF-8 cannot carry`);
  return length;
}

function checkName(i: number, name: unknown): number {
  const length = nameLength(i, name);
  const field = `policy.blocklist.names[${i}]`;
  if (length === 0 || length > MAX_POLICY_NAME_LENGTH) {
    throw new RangeError(`${field} must take 1..${MAX_POLICY_NAME_LENGTH} UTF-8 bytes, got ${length}`);
  }
  const text = name as string;
  // The driver compares names as bytes, with the names of DNS answers it lowercases.
  if (/[A-Z]/.test(text) || text.endsWith('.')) {
    throw new RangeError(`${field} must be lowercase without a trailing dot, got ${JSON.stringify(text)}`);
  }
  // A listed name covers the names below it already; '*.' would be taken as a label.
  if (text.startsWith('*.')) throw new RangeError(`${field} lists the names below it: write ${text.slice(2)}`);
  return length;
}

function address(i: number, network: BlockedNetwork | undefined): Uint8Array {
  const ip: unknown = typeof network === 'object' && network !== null ? network.ip : undefined;
  // The family is in the length: 4 bytes for IPv4, 16 for IPv6.
  if (!(ip instanceof Uint8Array) || (ip.length !== 4 && ip.length !== 16)) {
    const got = ip instanceof Uint8Array ? `${ip.length} bytes` : typeof ip;
    throw new RangeError(`policy.blocklist.networks[${i}].ip must be 4 or 16 address bytes, got ${got}`);
  }
  return ip;
}

/** Checks the network at `i`; returns its address size. */
function checkNetwork(i: number, network: BlockedNetwork | undefined): number {
  const ip = address(i, network);
  const prefix: unknown = network?.prefix;
  const bits = 8 * ip.length;
  const field = `policy.blocklist.networks[${i}]`;
  if (typeof prefix !== 'number' || !Number.isInteger(prefix) || prefix < 0 || prefix > bits) {
    const family = bits === 32 ? 4 : 6;
    throw new RangeError(`${field}.prefix must be 0..${bits} for an IPv${family} network, got ${String(prefix)}`);
  }
  if (!hostBitsClear(ip, prefix)) throw new RangeError(`${field}: the network of prefix ${prefix} has host bits set`);
  return ip.length;
}

/**
 * Checks and encodes `list` once, as checkBlocklist and the encoder would (the same RangeErrors);
 * null when there is nothing to write. The result goes into documents as their `blocklist`.
 */
export function prepareBlocklist(list: PolicyBlocklist): PreparedBlocklist | null {
  const checked = checkBlocklist(list);
  if (checked === null) return null;
  const writer = new ByteWriter(checked.length);
  writeBlocklist(writer, checked);
  return {
    kind: 'prepared-blocklist',
    section: writer.finish(),
    nameCount: checked.names.length,
    networkCount: checked.networks.length,
  };
}
