// Decodes and checks a whole policy document (driver/protocol/README.md, "The policy document"),
// as the driver does before it enforces one: a document with any flaw is refused whole. Every
// length is checked before the bytes it covers are read, so no input reads out of bounds.
import { addressAt } from '../../src/codec/addresses.ts';
import { crc32 } from '../../src/codec/crc32.ts';
import {
  DESTINATION_KINDS,
  DOCUMENT_FLAG_BLOCKLIST,
  DOCUMENT_FLAG_CASE_INSENSITIVE_PATHS,
  hostBitsClear,
  MAX_APP_PATH_LENGTH,
  MAX_POLICY_LENGTH,
  MAX_POLICY_RULES,
  MAX_POLICY_TIME,
  NO_APP_ACTION_CODE,
  POLICY_ACTIONS,
  POLICY_CHECKSUM_LENGTH,
  POLICY_DIRECTIONS,
  POLICY_FORMAT,
  POLICY_HEADER_LENGTH,
  POLICY_MAGIC,
  RULE_FIXED_LENGTH,
  RULE_FLAG_APP_DECIDES,
  RULE_MIN_LENGTH,
} from '../../src/codec/policy-format.ts';
import type { NoAppAction, PolicyDestination, PolicyDocument, PolicyRule } from '../../src/codec/policy-types.ts';
import { decodeBlocklistSection } from './policy-blocklist-decoder.ts';
import { malformed, name, PolicyDecodeError, suffixName, text } from './policy-decode-common.ts';

export type { PolicyDecodeReason } from './policy-decode-common.ts';
export { PolicyDecodeError } from './policy-decode-common.ts';

const NO_APP_ACTIONS = new Map<number, NoAppAction>(
  Object.entries(NO_APP_ACTION_CODE).map(([action, code]) => [code, action as NoAppAction]),
);

/**
 * Decodes a policy document and checks all of it, in the driver's order: size (over 16 MiB:
 * 'too-large'), magic and format, checksum ('checksum'), then every header field and rule
 * ('malformed': an undefined flag bit, generation 0, a no-app action other than 2/4/6, reserved
 * bytes not 0, more than 1 000 000 rules, an unknown action, direction, any_protocol or destination
 * kind, a port range that runs backwards, a path over 16384 bytes, a length past the end, text that
 * is not UTF-8, a name that is not 1..253 bytes or has an ASCII capital or a trailing dot, a prefix
 * too long or host bits set, a tag used twice, bytes after the last rule), then the blocklist
 * section when flag bit 1 is set (policy-blocklist-decoder.ts; the document gets `blocklist` only
 * then). A time past 2^53 − 1 ms
 * is malformed here too: the TypeScript types hold times as exact numbers. Throws only
 * {@link PolicyDecodeError}.
 */
export function decodePolicyDocument(bytes: Uint8Array): PolicyDocument {
  if (bytes.length > MAX_POLICY_LENGTH) {
    throw new PolicyDecodeError(
      'too-large',
      `policy of ${bytes.length} bytes is above the limit of ${MAX_POLICY_LENGTH}`,
    );
  }
  if (bytes.length < POLICY_HEADER_LENGTH + POLICY_CHECKSUM_LENGTH) {
    throw malformed(bytes.length, 'shorter than a header and a checksum');
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (POLICY_MAGIC.some((byte, i) => bytes[i] !== byte)) throw malformed(0, 'not a policy document (magic)');
  const format = view.getUint16(8, true);
  if (format !== POLICY_FORMAT) throw malformed(8, `unknown format revision ${format}`);
  // After magic and format, as in the driver: a file of another kind says so by its magic first.
  const end = bytes.length - POLICY_CHECKSUM_LENGTH;
  const stored = view.getUint32(end, true);
  const computed = crc32(bytes.subarray(0, end));
  if (computed !== stored) {
    throw new PolicyDecodeError(
      'checksum',
      `policy checksum ${hex(stored)} does not match its bytes (${hex(computed)})`,
    );
  }
  const flags = view.getUint16(10, true);
  if ((flags & ~(DOCUMENT_FLAG_CASE_INSENSITIVE_PATHS | DOCUMENT_FLAG_BLOCKLIST)) !== 0)
    throw malformed(10, `undefined document flag in ${hex(flags)}`);
  const generation = view.getBigUint64(12, true);
  if (generation === 0n) throw malformed(12, 'generation 0');
  const noAppAction = NO_APP_ACTIONS.get(view.getUint8(20));
  if (noAppAction === undefined) throw malformed(20, `no-app action ${view.getUint8(20)} is not 2, 4 or 6`);
  if (bytes[21] !== 0 || bytes[22] !== 0 || bytes[23] !== 0) throw malformed(21, 'reserved bytes are not zero');
  const count = view.getUint32(24, true);
  if (count > MAX_POLICY_RULES) throw malformed(24, `${count} rules, more than the limit of ${MAX_POLICY_RULES}`);
  // Each rule takes at least RULE_MIN_LENGTH bytes: a count the bytes cannot hold is refused before
  // anything is allocated for it.
  if (count > Math.floor((end - POLICY_HEADER_LENGTH) / RULE_MIN_LENGTH)) {
    throw malformed(24, `${count} rules cannot fit in ${bytes.length} bytes`);
  }
  const rules: PolicyRule[] = [];
  const tags = new Set<number>();
  let at = POLICY_HEADER_LENGTH;
  for (let i = 0; i < count; i++) {
    const { rule, next } = decodeRule(bytes, view, at, end);
    if (tags.has(rule.tag)) throw malformed(at, `two rules share the tag ${rule.tag}`);
    tags.add(rule.tag);
    rules.push(rule);
    at = next;
  }
  const doc: PolicyDocument = {
    generation,
    caseInsensitivePaths: (flags & DOCUMENT_FLAG_CASE_INSENSITIVE_PATHS) !== 0,
    noAppAction,
    rules,
  };
  if ((flags & DOCUMENT_FLAG_BLOCKLIST) === 0) {
    if (at !== end) throw malformed(at, `${end - at} bytes after the last rule`);
    return doc;
  }
  const { blocklist, next } = decodeBlocklistSection(bytes, view, at, end);
  if (next !== end) throw malformed(next, `${end - next} bytes after the blocklist`);
  return { ...doc, blocklist };
}

function hex(value: number): string {
  return `0x${value.toString(16).padStart(8, '0')}`;
}

/** Decodes the rule at `at`, which must end by `end`; returns it and the offset after it. */
function decodeRule(bytes: Uint8Array, view: DataView, at: number, end: number): { rule: PolicyRule; next: number } {
  if (end - at < RULE_FIXED_LENGTH) throw malformed(at, 'rule cut short');
  const action = POLICY_ACTIONS[view.getUint8(at + 4)];
  if (action === undefined) throw malformed(at + 4, `unknown rule action ${view.getUint8(at + 4)}`);
  const flags = view.getUint8(at + 5);
  if ((flags & ~RULE_FLAG_APP_DECIDES) !== 0) throw malformed(at + 5, `undefined rule flag in ${hex(flags)}`);
  const direction = POLICY_DIRECTIONS[view.getUint8(at + 6)];
  if (direction === undefined) throw malformed(at + 6, `unknown direction ${view.getUint8(at + 6)}`);
  const anyProtocol = view.getUint8(at + 8);
  if (anyProtocol > 1) throw malformed(at + 8, `any_protocol ${anyProtocol} is not 0 or 1`);
  const portFrom = view.getUint16(at + 9, true);
  const portTo = view.getUint16(at + 11, true);
  if (portFrom > portTo) throw malformed(at + 9, `port range ${portFrom}..${portTo} runs backwards`);
  const updatedAt = time(view, at + 13);
  const expiresAt = time(view, at + 21);
  const appLength = view.getUint16(at + 29, true);
  if (appLength > MAX_APP_PATH_LENGTH) {
    throw malformed(at + 29, `app path of ${appLength} bytes, longer than ${MAX_APP_PATH_LENGTH}`);
  }
  const appAt = at + RULE_FIXED_LENGTH;
  if (end - appAt < appLength) throw malformed(appAt, 'app path cut short');
  const kindAt = appAt + appLength;
  if (end - kindAt < 2) throw malformed(kindAt, 'destination cut short');
  const destLength = view.getUint8(kindAt + 1);
  const destAt = kindAt + 2;
  if (end - destAt < destLength) throw malformed(destAt, 'destination cut short');
  const rule: PolicyRule = {
    tag: view.getUint32(at, true),
    action,
    appDecides: (flags & RULE_FLAG_APP_DECIDES) !== 0,
    direction,
    // The protocol byte is ignored when any_protocol is set (the encoder writes 0 there).
    protocol: anyProtocol === 1 ? null : view.getUint8(at + 7),
    portFrom,
    portTo,
    updatedAt,
    expiresAt: expiresAt === 0 ? null : expiresAt,
    appPath: appLength === 0 ? null : text(bytes, appAt, kindAt),
    destination: decodeDestination(bytes, view, kindAt, destAt, destLength),
  };
  return { rule, next: destAt + destLength };
}

function time(view: DataView, at: number): number {
  const ms = view.getBigUint64(at, true);
  if (ms > BigInt(MAX_POLICY_TIME)) throw malformed(at, `time ${ms} ms is past ${MAX_POLICY_TIME}`);
  return Number(ms);
}

function decodeDestination(
  bytes: Uint8Array,
  view: DataView,
  kindAt: number,
  at: number,
  length: number,
): PolicyDestination {
  const kind = DESTINATION_KINDS[view.getUint8(kindAt)];
  switch (kind) {
    case 'any':
    case 'lan':
    case 'localhost':
      if (length !== 0) throw malformed(kindAt, `a ${kind} destination carries no bytes, this one ${length}`);
      return { kind };
    case 'ip':
      if (length === 4) return { kind, ip: addressAt(bytes, at, false) };
      if (length === 16) return { kind, ip: addressAt(bytes, at, true) };
      throw malformed(kindAt, `an ip is 4 or 16 bytes, not ${length}`);
    case 'cidr': {
      if (length !== 5 && length !== 17) throw malformed(kindAt, `a cidr is 1 + 4 or 1 + 16 bytes, not ${length}`);
      const prefix = view.getUint8(at);
      const bits = 8 * (length - 1);
      if (prefix > bits) throw malformed(kindAt, `prefix ${prefix} is too long for a ${bits}-bit network`);
      if (!hostBitsClear(bytes.subarray(at + 1, at + length), prefix))
        throw malformed(kindAt, 'cidr has host bits set');
      return { kind, ip: addressAt(bytes, at + 1, length !== 5), prefix };
    }
    case 'host':
      return { kind, name: name(bytes, kindAt, at, length) };
    case 'domain':
      return { kind, suffix: suffixName(bytes, kindAt, at, length) };
    default:
      throw malformed(kindAt, `unknown destination kind ${view.getUint8(kindAt)}`);
  }
}
