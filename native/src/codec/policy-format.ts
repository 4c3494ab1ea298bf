// The numbers of the policy document format (driver/protocol/README.md, "The policy document"),
// shared by policy-encoder.ts and the test side's decoder (native/test-support/codec/policy-decoder.ts).
// Keep in step with driver/protocol/src/policy.rs.
import type { NoAppAction, PolicyAction, PolicyDestination, PolicyDirection } from './policy-types.ts';

/** The first 8 bytes of every document: ASCII `ZFPOLICY`. */
export const POLICY_MAGIC = Uint8Array.of(0x5a, 0x46, 0x50, 0x4f, 0x4c, 0x49, 0x43, 0x59);

/** The format revision this codec reads and writes. */
export const POLICY_FORMAT = 1;

/** The largest document a driver takes (16 MiB), checksum included; also the largest `total_len`. */
export const MAX_POLICY_LENGTH = 16 * 1024 * 1024;

/** The most rules a document holds. */
export const MAX_POLICY_RULES = 1_000_000;

/** The longest app path, in UTF-8 bytes. */
export const MAX_APP_PATH_LENGTH = 16384;

/** The longest host or domain name, in UTF-8 bytes (DNS's 253 characters of text). */
export const MAX_POLICY_NAME_LENGTH = 253;

/** Header bytes: magic, format, flags, generation, no_app_action, reserved [3], rule_count. */
export const POLICY_HEADER_LENGTH = 28;

/** The CRC-32 after the rules. */
export const POLICY_CHECKSUM_LENGTH = 4;

/** A rule's bytes before its app path (tag … app_len). */
export const RULE_FIXED_LENGTH = 31;

/** The fewest bytes a rule takes: the fixed part, then dest_kind and dest_len. */
export const RULE_MIN_LENGTH = RULE_FIXED_LENGTH + 2;

/** Document flag bit 0: app paths compare case-insensitively. */
export const DOCUMENT_FLAG_CASE_INSENSITIVE_PATHS = 0x1;

/** Document flag bit 1: a blocklist section follows the rules (written only when it lists something). */
export const DOCUMENT_FLAG_BLOCKLIST = 0x2;

/** The most names a blocklist section holds. */
export const MAX_BLOCKED_NAMES = 4_000_000;

/** The most networks a blocklist section holds. */
export const MAX_BLOCKED_NETWORKS = 1_000_000;

/** A blocklist section's bytes before its names: name_count u32, network_count u32. */
export const BLOCKLIST_COUNTS_LENGTH = 8;

/** A blocked network's bytes before its address: family u8 (4 or 6), prefix u8. */
export const BLOCKED_NETWORK_HEADER_LENGTH = 2;

/** Rule flag bit 0: the app decides. No other bit is defined. */
export const RULE_FLAG_APP_DECIDES = 0x1;

/** The latest time a rule can carry: the TypeScript types hold milliseconds as exact numbers. */
export const MAX_POLICY_TIME = Number.MAX_SAFE_INTEGER;

/** `no_app_action` wire values: the verdicts Accept, Block and Drop. */
export const NO_APP_ACTION_CODE: Readonly<Record<NoAppAction, number>> = { accept: 2, block: 4, drop: 6 };

/** `action` names, indexed by wire value. */
export const POLICY_ACTIONS = ['allow', 'block', 'drop'] as const satisfies readonly PolicyAction[];

/** `direction` names, indexed by wire value. */
export const POLICY_DIRECTIONS = ['outbound', 'inbound', 'any'] as const satisfies readonly PolicyDirection[];

/** `dest_kind` names, indexed by wire value. */
export const DESTINATION_KINDS = [
  'any',
  'lan',
  'localhost',
  'ip',
  'cidr',
  'host',
  'domain',
] as const satisfies readonly PolicyDestination['kind'][];

/** True when every bit of `network` past the first `prefix` bits is zero (prefix within its length). */
export function hostBitsClear(network: Uint8Array, prefix: number): boolean {
  for (let i = 0; i < network.length; i++) {
    // The bits of byte i that belong to the prefix: 8, some, or none.
    const kept = Math.min(8, Math.max(0, prefix - 8 * i));
    const hostMask = 0xff >> kept;
    if (((network[i] ?? 0) & hostMask) !== 0) return false;
  }
  return true;
}
