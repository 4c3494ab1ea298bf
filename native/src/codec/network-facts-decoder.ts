// Decodes a NetworkFacts body (type 137, driver/protocol/README.md "Network facts"). Like
// info-decoder.ts: the length rule is checked once, up front, and no input makes this throw.
import { addressAt } from './addresses.ts';
import { skipped, utf8Text } from './decode-parts.ts';
import type { DecodeResult } from './info-types.ts';

/** The fixed part of a NetworkFacts body; the interface name, DNS suffix and SSID follow it. */
export const NETWORK_FACTS_HEADER_LENGTH = 35;

// Offsets in the body.
const FLAGS = 4;
const IP_VERSION = 5;
const GATEWAY_IP = 6;
const GATEWAY_MAC = 22;
const MAC_LENGTH = 6;
const IF_INDEX = 28;
const IFNAME_LENGTH = 32;
const SUFFIX_LENGTH = 33;
const SSID_LENGTH = 34;

/** A copy of `length` bytes at `start`: the binding reuses its read buffer, so never a view. */
function copyAt(bytes: Uint8Array, start: number, length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = bytes[start + i] ?? 0;
  return out;
}

/** Decodes a NetworkFacts body at `s` (length `length`) of `bytes`/`view` (the same bytes). */
export function decodeNetworkFacts(
  type: number,
  bytes: Uint8Array,
  view: DataView,
  s: number,
  length: number,
): DecodeResult {
  if (length < NETWORK_FACTS_HEADER_LENGTH) return skipped('size-mismatch', type, length);
  const ifnameLength = view.getUint8(s + IFNAME_LENGTH);
  const suffixLength = view.getUint8(s + SUFFIX_LENGTH);
  const ssidLength = view.getUint8(s + SSID_LENGTH);
  // Exact, so the three strings read below lie inside the body.
  if (length !== NETWORK_FACTS_HEADER_LENGTH + ifnameLength + suffixLength + ssidLength) {
    return skipped('size-mismatch', type, length);
  }
  const ipVersion = view.getUint8(s + IP_VERSION);
  // 0 is the machine without a default route; any other value says nothing of how to read the address.
  if (ipVersion !== 0 && ipVersion !== 4 && ipVersion !== 6) return skipped('bad-value', type, length);
  const ifnameStart = s + NETWORK_FACTS_HEADER_LENGTH;
  const suffixStart = ifnameStart + ifnameLength;
  const ssidStart = suffixStart + suffixLength;
  return {
    kind: 'networkFacts',
    epoch: view.getUint32(s, true),
    flags: view.getUint8(s + FLAGS),
    ipVersion,
    // An IPv4 address is the first 4 bytes of its 16-byte field; without a route there is none.
    gatewayIp: ipVersion === 0 ? new Uint8Array(0) : addressAt(bytes, s + GATEWAY_IP, ipVersion === 6),
    gatewayMac: copyAt(bytes, s + GATEWAY_MAC, MAC_LENGTH),
    interfaceIndex: view.getUint32(s + IF_INDEX, true),
    interfaceName: utf8Text(bytes, ifnameStart, suffixStart),
    dnsSuffix: utf8Text(bytes, suffixStart, ssidStart),
    // Raw: an SSID is any 0..32 bytes, and the app decides how to show one that is not UTF-8.
    ssid: copyAt(bytes, ssidStart, ssidLength),
  };
}
