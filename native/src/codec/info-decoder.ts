// Decodes one info body. Each type's length rule is checked once, up front, so the field reads
// after it can never run past the body: no input makes this throw.
import { addressAt } from './addresses.ts';
import { decodeDnsExchange } from './dns-exchange-decoder.ts';
import type { BandwidthEntry, DecodeResult, InfoProblem } from './info-types.ts';
import { decodeNetworkFacts } from './network-facts-decoder.ts';
import { decodePolicyState, decodeRuleDecided, POLICY_INFO_BODY_SIZE } from './policy-info-decoder.ts';
import { INFO_TYPE } from './protocol-constants.ts';

/** Fixed body sizes and entry sizes of the info types (driver/protocol/README.md, "Infos"). */
export const INFO_BODY_SIZE = {
  connectionV4: 35,
  connectionV6: 59,
  connectionEndV4: 22,
  connectionEndV6: 46,
  bandwidthHeader: 5,
  bandwidthEntryV4: 28,
  bandwidthEntryV6: 52,
  helloReply: 11,
  processHeader: 22,
  dnsNameV4Header: 8,
  dnsNameV6Header: 20,
  ...POLICY_INFO_BODY_SIZE,
} as const;

// Non-fatal: invalid UTF-8 becomes U+FFFD (a damaged path is still useful). ignoreBOM keeps a
// leading U+FEFF as text instead of dropping it, so the string matches the bytes (as in Rust).
const utf8 = new TextDecoder('utf-8', { ignoreBOM: true });

function text(bytes: Uint8Array, start: number, end: number): string {
  return start === end ? '' : utf8.decode(bytes.subarray(start, end));
}

function mismatch(type: number, bodyLength: number): InfoProblem {
  return { kind: 'problem', problem: 'size-mismatch', type, bodyLength };
}

/**
 * Decodes the body of an info of `type` that lies at `start` (length `length`) in `bytes`; `view`
 * must be a DataView over exactly the same bytes as `bytes`. The reader's zero-copy entry point:
 * nothing is copied except a connection's payload and the address bytes.
 */
export function decodeInfoAt(
  type: number,
  bytes: Uint8Array,
  view: DataView,
  start: number,
  length: number,
): DecodeResult {
  switch (type) {
    case INFO_TYPE.logLine:
      if (length < 1) return mismatch(type, length);
      return { kind: 'log', severity: view.getUint8(start), text: text(bytes, start + 1, start + length) };
    case INFO_TYPE.connectionV4:
      return connection(type, bytes, view, start, length, false);
    case INFO_TYPE.connectionV6:
      return connection(type, bytes, view, start, length, true);
    case INFO_TYPE.connectionEndV4:
      return connectionEnd(type, bytes, view, start, length, false);
    case INFO_TYPE.connectionEndV6:
      return connectionEnd(type, bytes, view, start, length, true);
    case INFO_TYPE.bandwidthStatsV4:
      return bandwidthStats(type, bytes, view, start, length, false);
    case INFO_TYPE.bandwidthStatsV6:
      return bandwidthStats(type, bytes, view, start, length, true);
    case INFO_TYPE.helloReply:
      return helloReply(type, view, start, length);
    case INFO_TYPE.process:
      return processInfo(type, bytes, view, start, length);
    case INFO_TYPE.dnsNameV4:
      return dnsName(type, bytes, view, start, length, false);
    case INFO_TYPE.dnsNameV6:
      return dnsName(type, bytes, view, start, length, true);
    case INFO_TYPE.counters:
      return counters(type, view, start, length);
    case INFO_TYPE.policyState:
      return decodePolicyState(type, view, start, length);
    case INFO_TYPE.ruleDecidedV4:
      return decodeRuleDecided(type, bytes, view, start, length, false);
    case INFO_TYPE.ruleDecidedV6:
      return decodeRuleDecided(type, bytes, view, start, length, true);
    case INFO_TYPE.dnsExchange:
      return decodeDnsExchange(type, bytes, view, start, length);
    case INFO_TYPE.networkFacts:
      return decodeNetworkFacts(type, bytes, view, start, length);
    default:
      return { kind: 'problem', problem: 'unknown-type', type, bodyLength: length };
  }
}

/** Decodes one info body (the bytes after the 5-byte header). Never throws. */
export function decodeInfoBody(type: number, body: Uint8Array): DecodeResult {
  return decodeInfoAt(type, body, new DataView(body.buffer, body.byteOffset, body.byteLength), 0, body.length);
}

function connection(
  type: number,
  bytes: Uint8Array,
  view: DataView,
  s: number,
  length: number,
  v6: boolean,
): DecodeResult {
  const fixed = v6 ? INFO_BODY_SIZE.connectionV6 : INFO_BODY_SIZE.connectionV4;
  // payload_len (the last fixed field) must account for exactly the rest of the body.
  if (length < fixed || view.getUint32(s + fixed - 4, true) !== length - fixed) return mismatch(type, length);
  const ipLength = v6 ? 16 : 4;
  const ports = s + 18 + 2 * ipLength;
  return {
    kind: 'connection',
    ipVersion: v6 ? 6 : 4,
    id: view.getBigUint64(s, true),
    processId: view.getBigUint64(s + 8, true),
    direction: view.getUint8(s + 16),
    protocol: view.getUint8(s + 17),
    localIp: addressAt(bytes, s + 18, v6),
    localPort: view.getUint16(ports, true),
    remoteIp: addressAt(bytes, s + 18 + ipLength, v6),
    remotePort: view.getUint16(ports + 2, true),
    payloadLayer: view.getUint8(ports + 4),
    // A copy, not a view: the binding reuses its read buffer, which would rewrite a view later.
    // Not bytes.slice(): on a Node Buffer that is a view. The constructor copies into a plain array.
    payload: new Uint8Array(bytes.subarray(s + fixed, s + length)),
  };
}

function connectionEnd(
  type: number,
  bytes: Uint8Array,
  view: DataView,
  s: number,
  length: number,
  v6: boolean,
): DecodeResult {
  if (length !== (v6 ? INFO_BODY_SIZE.connectionEndV6 : INFO_BODY_SIZE.connectionEndV4)) return mismatch(type, length);
  const ipLength = v6 ? 16 : 4;
  const ports = s + 10 + 2 * ipLength;
  return {
    kind: 'connectionEnd',
    ipVersion: v6 ? 6 : 4,
    processId: view.getBigUint64(s, true),
    direction: view.getUint8(s + 8),
    protocol: view.getUint8(s + 9),
    localIp: addressAt(bytes, s + 10, v6),
    localPort: view.getUint16(ports, true),
    remoteIp: addressAt(bytes, s + 10 + ipLength, v6),
    remotePort: view.getUint16(ports + 2, true),
  };
}

function bandwidthStats(
  type: number,
  bytes: Uint8Array,
  view: DataView,
  s: number,
  length: number,
  v6: boolean,
): DecodeResult {
  const header = INFO_BODY_SIZE.bandwidthHeader;
  const entrySize = v6 ? INFO_BODY_SIZE.bandwidthEntryV6 : INFO_BODY_SIZE.bandwidthEntryV4;
  if (length < header) return mismatch(type, length);
  const count = view.getUint32(s + 1, true);
  // count * entrySize stays far below 2^53, so this double arithmetic is exact.
  if (length !== header + entrySize * count) return mismatch(type, length);
  const ipLength = v6 ? 16 : 4;
  const entries: BandwidthEntry[] = [];
  for (let e = s + header; e < s + length; e += entrySize) {
    entries.push({
      localIp: addressAt(bytes, e, v6),
      localPort: view.getUint16(e + ipLength, true),
      remoteIp: addressAt(bytes, e + ipLength + 2, v6),
      remotePort: view.getUint16(e + 2 * ipLength + 2, true),
      transmitted: view.getBigUint64(e + 2 * ipLength + 4, true),
      received: view.getBigUint64(e + 2 * ipLength + 12, true),
    });
  }
  return { kind: 'bandwidthStats', ipVersion: v6 ? 6 : 4, protocol: view.getUint8(s), entries };
}

function helloReply(type: number, view: DataView, s: number, length: number): DecodeResult {
  // Longer bodies come from a newer ext_version that appended fields; they are ignored.
  if (length < INFO_BODY_SIZE.helloReply) return mismatch(type, length);
  return {
    kind: 'helloReply',
    version: [view.getUint8(s), view.getUint8(s + 1), view.getUint8(s + 2), view.getUint8(s + 3)],
    extVersion: view.getUint16(s + 4, true),
    features: view.getUint32(s + 6, true),
    driverKind: view.getUint8(s + 10),
  };
}

function processInfo(type: number, bytes: Uint8Array, view: DataView, s: number, length: number): DecodeResult {
  const header = INFO_BODY_SIZE.processHeader;
  if (length < header) return mismatch(type, length);
  const pathEnd = s + header + view.getUint16(s + 20, true);
  if (pathEnd > s + length) return mismatch(type, length);
  // Arguments are NUL-separated; a NUL after the last one (as in /proc/PID/cmdline) is allowed, so
  // one trailing empty piece is dropped. Decoding before splitting is safe: NUL is never part of a
  // multi-byte sequence, so a replacement character cannot swallow it.
  const commandLine = text(bytes, pathEnd, s + length).split('\0');
  if (commandLine[commandLine.length - 1] === '') commandLine.pop();
  return {
    kind: 'process',
    processId: view.getBigUint64(s, true),
    startTime: view.getBigUint64(s + 8, true),
    uid: view.getUint32(s + 16, true),
    path: text(bytes, s + header, pathEnd),
    commandLine,
  };
}

function dnsName(
  type: number,
  bytes: Uint8Array,
  view: DataView,
  s: number,
  length: number,
  v6: boolean,
): DecodeResult {
  const header = v6 ? INFO_BODY_SIZE.dnsNameV6Header : INFO_BODY_SIZE.dnsNameV4Header;
  // The name is at least one byte.
  if (length <= header) return mismatch(type, length);
  return {
    kind: 'dnsName',
    ipVersion: v6 ? 6 : 4,
    ttlSeconds: view.getUint32(s, true),
    ip: addressAt(bytes, s + 4, v6),
    name: text(bytes, s + header, s + length),
  };
}

function counters(type: number, view: DataView, s: number, length: number): DecodeResult {
  if (length < 1) return mismatch(type, length);
  const count = view.getUint8(s);
  // Longer bodies (fields appended by a newer ext_version) are fine; the extra bytes are ignored.
  if (1 + 8 * count > length) return mismatch(type, length);
  const values: bigint[] = [];
  for (let i = 0; i < count; i++) values.push(view.getBigUint64(s + 1 + 8 * i, true));
  return { kind: 'counters', values };
}
