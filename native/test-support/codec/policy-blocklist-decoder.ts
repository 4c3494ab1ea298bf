// Decodes and checks a policy document's blocklist section (driver/protocol/README.md, "The policy
// document"), as the driver does: any flaw makes the whole document malformed. Counts are checked
// against the bytes left before anything is read or allocated for them.
import { addressAt } from '../../src/codec/addresses.ts';
import {
  BLOCKED_NETWORK_HEADER_LENGTH,
  BLOCKLIST_COUNTS_LENGTH,
  hostBitsClear,
  MAX_BLOCKED_NAMES,
  MAX_BLOCKED_NETWORKS,
} from '../../src/codec/policy-format.ts';
import type { BlockedNetwork, PolicyBlocklist } from '../../src/codec/policy-types.ts';
import { malformed, suffixName } from './policy-decode-common.ts';

/** The fewest bytes a name takes (its length byte and one byte) and a network (an IPv4 one). */
const MIN_NAME_LENGTH = 2;
const MIN_NETWORK_LENGTH = BLOCKED_NETWORK_HEADER_LENGTH + 4;

/**
 * The section at `at`, which must end by `end` (the checksum); returns it and the offset after it
 * (the caller refuses bytes left over). Malformed: counts over their limits, both 0, or more than
 * the bytes can hold; a name or network cut short; a name that is not 1..253 bytes of UTF-8, has an
 * ASCII capital or a trailing dot; a family other than 4 or 6, a prefix too long, host bits set.
 */
export function decodeBlocklistSection(
  bytes: Uint8Array,
  view: DataView,
  at: number,
  end: number,
): { blocklist: PolicyBlocklist; next: number } {
  if (end - at < BLOCKLIST_COUNTS_LENGTH) throw malformed(at, 'blocklist section cut short');
  const nameCount = view.getUint32(at, true);
  const networkCount = view.getUint32(at + 4, true);
  if (nameCount > MAX_BLOCKED_NAMES) {
    throw malformed(at, `${nameCount} blocked names, more than the limit of ${MAX_BLOCKED_NAMES}`);
  }
  if (networkCount > MAX_BLOCKED_NETWORKS) {
    throw malformed(at + 4, `${networkCount} blocked networks, more than the limit of ${MAX_BLOCKED_NETWORKS}`);
  }
  // The encoders write no section then: one way to say "no lists".
  if (nameCount === 0 && networkCount === 0) throw malformed(at, 'a blocklist section that lists nothing');
  let next = at + BLOCKLIST_COUNTS_LENGTH;
  if (nameCount * MIN_NAME_LENGTH + networkCount * MIN_NETWORK_LENGTH > end - next) {
    throw malformed(at, `${nameCount} names and ${networkCount} networks cannot fit in ${end - next} bytes`);
  }
  const names: string[] = [];
  for (let i = 0; i < nameCount; i++) {
    const length = bytes[next] ?? 0;
    if (end - next - 1 < length) throw malformed(next, 'blocked name cut short');
    names.push(suffixName(bytes, next, next + 1, length));
    next += 1 + length;
  }
  const networks: BlockedNetwork[] = [];
  for (let i = 0; i < networkCount; i++) {
    if (end - next < BLOCKED_NETWORK_HEADER_LENGTH) throw malformed(next, 'blocked network cut short');
    const family = view.getUint8(next);
    if (family !== 4 && family !== 6) throw malformed(next, `blocked network family ${family} is not 4 or 6`);
    const size = family === 4 ? 4 : 16;
    const prefix = view.getUint8(next + 1);
    if (prefix > 8 * size) throw malformed(next + 1, `prefix ${prefix} is too long for an IPv${family} network`);
    const addressAtOffset = next + BLOCKED_NETWORK_HEADER_LENGTH;
    if (end - addressAtOffset < size) throw malformed(next, 'blocked network cut short');
    if (!hostBitsClear(bytes.subarray(addressAtOffset, addressAtOffset + size), prefix)) {
      throw malformed(addressAtOffset, 'blocked network has host bits set');
    }
    networks.push({ ip: addressAt(bytes, addressAtOffset, family === 6), prefix });
    next = addressAtOffset + size;
  }
  return { blocklist: { names, networks }, next };
}
