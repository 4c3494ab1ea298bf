// Decodes a DnsExchange body (type 136, driver/protocol/README.md "DNS exchanges"). Like
// info-decoder.ts: the length rule is checked once, up front, and no input makes this throw.
import { addressAt } from './addresses.ts';
import { skipped, utf8Text } from './decode-parts.ts';
import type { DecodeResult } from './info-types.ts';

/** The fixed part of a DnsExchange body; the name and the addresses follow it. */
export const DNS_EXCHANGE_HEADER_LENGTH = 58;

// Offsets in the body.
const LOCAL_PORT = 8;
const RESOLVER_PORT = 10;
const IP_VERSION = 12;
const LOCAL_IP = 13;
const RESOLVER_IP = 29;
const QTYPE = 45;
const RCODE = 47;
const TTL = 48;
const NAME_LENGTH = 52;
const V4_COUNT = 54;
const V6_COUNT = 56;

/** Decodes a DnsExchange body at `s` (length `length`) of `bytes`/`view` (the same bytes). */
export function decodeDnsExchange(
  type: number,
  bytes: Uint8Array,
  view: DataView,
  s: number,
  length: number,
): DecodeResult {
  if (length < DNS_EXCHANGE_HEADER_LENGTH) return skipped('size-mismatch', type, length);
  const nameLength = view.getUint16(s + NAME_LENGTH, true);
  const v4Count = view.getUint16(s + V4_COUNT, true);
  const v6Count = view.getUint16(s + V6_COUNT, true);
  // Exact, so every address read below lies inside the body.
  if (length !== DNS_EXCHANGE_HEADER_LENGTH + nameLength + 4 * v4Count + 16 * v6Count) {
    return skipped('size-mismatch', type, length);
  }
  const ipVersion = view.getUint8(s + IP_VERSION);
  if ((ipVersion !== 4 && ipVersion !== 6) || nameLength === 0) return skipped('bad-value', type, length);
  const v6 = ipVersion === 6;
  const nameStart = s + DNS_EXCHANGE_HEADER_LENGTH;
  const v4Start = nameStart + nameLength;
  const v6Start = v4Start + 4 * v4Count;
  const v4Addresses: Uint8Array[] = [];
  for (let i = 0; i < v4Count; i++) v4Addresses.push(addressAt(bytes, v4Start + 4 * i, false));
  const v6Addresses: Uint8Array[] = [];
  for (let i = 0; i < v6Count; i++) v6Addresses.push(addressAt(bytes, v6Start + 16 * i, true));
  return {
    kind: 'dnsExchange',
    processId: view.getBigUint64(s, true),
    ipVersion,
    // An IPv4 address is the first 4 bytes of its 16-byte field.
    localIp: addressAt(bytes, s + LOCAL_IP, v6),
    localPort: view.getUint16(s + LOCAL_PORT, true),
    resolverIp: addressAt(bytes, s + RESOLVER_IP, v6),
    resolverPort: view.getUint16(s + RESOLVER_PORT, true),
    qtype: view.getUint16(s + QTYPE, true),
    rcode: view.getUint8(s + RCODE),
    ttlSeconds: view.getUint32(s + TTL, true),
    name: utf8Text(bytes, nameStart, v4Start),
    v4Addresses,
    v6Addresses,
  };
}
