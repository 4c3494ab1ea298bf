// Encodes a policy document (driver/protocol/README.md, "The policy document") and cuts it into the
// PolicyPart commands that carry it to the driver. Every value is checked first: anything the format
// cannot carry is a RangeError naming the field, never a document the driver would refuse.
import { ByteWriter } from './byte-writer.ts';
import type { PolicyPartCommand } from './command-types.ts';
import { crc32 } from './crc32.ts';
import { checkBlocklist, writeBlocklist } from './policy-blocklist.ts';
import {
  DESTINATION_KINDS,
  DOCUMENT_FLAG_BLOCKLIST,
  DOCUMENT_FLAG_CASE_INSENSITIVE_PATHS,
  hostBitsClear,
  MAX_APP_PATH_LENGTH,
  MAX_POLICY_LENGTH,
  MAX_POLICY_NAME_LENGTH,
  MAX_POLICY_RULES,
  MAX_POLICY_TIME,
  NO_APP_ACTION_CODE,
  POLICY_ACTIONS,
  POLICY_CHECKSUM_LENGTH,
  POLICY_DIRECTIONS,
  POLICY_FORMAT,
  POLICY_HEADER_LENGTH,
  POLICY_MAGIC,
  RULE_FLAG_APP_DECIDES,
  RULE_MIN_LENGTH,
} from './policy-format.ts';
import type {
  PolicyBlocklist,
  PolicyDestination,
  PolicyDocumentToEncode,
  PolicyRule,
  PreparedBlocklist,
} from './policy-types.ts';
import { MAX_POLICY_PART_LENGTH } from './protocol-constants.ts';
import { checkU64, checkUint } from './range-checks.ts';
import { utf8Length } from './utf8-length.ts';

/** A string with its UTF-8 size, written straight into the document (no copy per string). */
interface Text {
  readonly text: string;
  readonly length: number;
}

const NO_TEXT: Text = { text: '', length: 0 };
const NO_BYTES = new Uint8Array(0);

/** A rule checked and turned into its wire values, ready to be written. */
interface CheckedRule {
  readonly rule: PolicyRule;
  readonly action: number;
  readonly direction: number;
  readonly app: Text;
  readonly destKind: number;
  /** Address bytes (ip, cidr) or a name (host, domain). */
  readonly dest: Uint8Array | Text;
}

/**
 * The bytes of `doc` as a policy document: header, rules in the order given, the blocklist
 * section when `doc.blocklist` lists something (flag bit 1; see policy-blocklist.ts for what it
 * refuses), CRC-32. Throws a
 * RangeError naming the field for anything the format cannot carry: a generation outside
 * 1..2^64-1, more than 1 000 000 rules, a tag outside u32 or used twice, a port outside u16 or a
 * range that runs backwards, a time that is not a whole number of milliseconds (an expiry of 0,
 * which means never), an empty app path or one over 16384 UTF-8 bytes, an address or network that
 * does not parse, a prefix too long for its family, a network with host bits set, a name of 0 or
 * over 253 bytes, with an ASCII capital or a trailing dot (a domain also with a leading '*.'), or a
 * document over 16 MiB.
 */
export function encodePolicyDocument(doc: PolicyDocumentToEncode): Uint8Array {
  const generation = checkU64('policy.generation', doc.generation);
  if (generation === 0n) throw new RangeError('policy.generation must be at least 1, got 0');
  if (typeof doc.caseInsensitivePaths !== 'boolean') {
    throw new RangeError(`policy.caseInsensitivePaths must be a boolean, got ${String(doc.caseInsensitivePaths)}`);
  }
  const noAppAction = Object.hasOwn(NO_APP_ACTION_CODE, doc.noAppAction) ? NO_APP_ACTION_CODE[doc.noAppAction] : -1;
  if (noAppAction < 0) {
    throw new RangeError(`policy.noAppAction must be accept, block or drop, got ${JSON.stringify(doc.noAppAction)}`);
  }
  if (!Array.isArray(doc.rules)) throw new RangeError('policy.rules must be an array');
  // Checked before any rule, so a huge array costs nothing.
  if (doc.rules.length > MAX_POLICY_RULES) {
    throw new RangeError(`policy.rules holds ${doc.rules.length} rules, at most ${MAX_POLICY_RULES} fit a document`);
  }
  const tags = new Set<number>();
  let length = POLICY_HEADER_LENGTH + POLICY_CHECKSUM_LENGTH;
  const checked: CheckedRule[] = [];
  // An index loop, not map(): a hole in a sparse array is a missing rule, not one to skip.
  for (let i = 0; i < doc.rules.length; i++) {
    const one = checkRule(i, doc.rules[i]);
    if (tags.has(one.rule.tag)) throw new RangeError(`${field(i, '.tag')} ${one.rule.tag} is used by an earlier rule`);
    tags.add(one.rule.tag);
    length += RULE_MIN_LENGTH + one.app.length + one.dest.length;
    checked.push(one);
  }
  const given = doc.blocklist;
  // A prepared section was checked when it was made; its bytes go in as they are.
  const prepared = isPrepared(given) ? given : null;
  const lists = prepared === null ? checkBlocklist(given as PolicyBlocklist | undefined) : null;
  const hasLists = prepared !== null || lists !== null;
  length += prepared?.section.length ?? lists?.length ?? 0;
  if (length > MAX_POLICY_LENGTH) {
    throw new RangeError(`the policy document would take ${length} bytes, a driver takes at most ${MAX_POLICY_LENGTH}`);
  }
  const writer = new ByteWriter(length)
    .raw(POLICY_MAGIC)
    .u16(POLICY_FORMAT)
    .u16(
      (doc.caseInsensitivePaths ? DOCUMENT_FLAG_CASE_INSENSITIVE_PATHS : 0) | (hasLists ? DOCUMENT_FLAG_BLOCKLIST : 0),
    )
    .u64(generation)
    .u8(noAppAction)
    .raw(new Uint8Array(3))
    .u32(checked.length);
  for (const one of checked) writeRule(writer, one);
  if (prepared !== null) writer.raw(prepared.section);
  else if (lists !== null) writeBlocklist(writer, lists);
  return writer.u32(crc32(writer.bytes.subarray(0, length - POLICY_CHECKSUM_LENGTH))).finish();
}

/** A section from prepareBlocklist (a hostile or broken value is no object: checkBlocklist refuses it). */
function isPrepared(given: unknown): given is PreparedBlocklist {
  return typeof given === 'object' && given !== null && (given as { kind?: unknown }).kind === 'prepared-blocklist';
}

function writeRule(writer: ByteWriter, { rule, action, direction, app, destKind, dest }: CheckedRule): void {
  writer
    .u32(rule.tag)
    .u8(action)
    .u8(rule.appDecides ? RULE_FLAG_APP_DECIDES : 0)
    .u8(direction)
    .u8(rule.protocol ?? 0)
    .u8(rule.protocol === null ? 1 : 0)
    .u16(rule.portFrom)
    .u16(rule.portTo)
    .u64(BigInt(rule.updatedAt))
    .u64(BigInt(rule.expiresAt ?? 0))
    .u16(app.length)
    .utf8(app.text, app.length)
    .u8(destKind)
    .u8(dest.length);
  if (dest instanceof Uint8Array) writer.raw(dest);
  else writer.utf8(dest.text, dest.length);
}

// Field names are built only for an error message: a valid rule costs no string building.
function field(i: number, suffix: string): string {
  return `policy.rules[${i}]${suffix}`;
}

function isUint(value: unknown, max: number): boolean {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= max;
}

// checkUint's message for a value isUint refused.
function notUint(i: number, suffix: string, value: number, bits: 8 | 16 | 32): never {
  checkUint(field(i, suffix), value, bits);
  throw new Error('unreachable: checkUint accepted a value isUint refused');
}

function checkRule(i: number, rule: PolicyRule | undefined): CheckedRule {
  if (typeof rule !== 'object' || rule === null) throw new RangeError(`${field(i, '')} must be a rule object`);
  if (!isUint(rule.tag, 0xffffffff)) notUint(i, '.tag', rule.tag, 32);
  const action = POLICY_ACTIONS.indexOf(rule.action);
  if (action < 0) {
    throw new RangeError(`${field(i, '.action')} must be allow, block or drop, got ${JSON.stringify(rule.action)}`);
  }
  if (typeof rule.appDecides !== 'boolean') {
    throw new RangeError(`${field(i, '.appDecides')} must be a boolean, got ${String(rule.appDecides)}`);
  }
  const direction = POLICY_DIRECTIONS.indexOf(rule.direction);
  if (direction < 0) {
    const got = JSON.stringify(rule.direction);
    throw new RangeError(`${field(i, '.direction')} must be outbound, inbound or any, got ${got}`);
  }
  if (rule.protocol !== null && !isUint(rule.protocol, 0xff)) notUint(i, '.protocol', rule.protocol, 8);
  if (!isUint(rule.portFrom, 0xffff)) notUint(i, '.portFrom', rule.portFrom, 16);
  if (!isUint(rule.portTo, 0xffff)) notUint(i, '.portTo', rule.portTo, 16);
  if (rule.portFrom > rule.portTo) {
    throw new RangeError(`${field(i, '')}: portFrom ${rule.portFrom} is above portTo ${rule.portTo}`);
  }
  checkTime(i, '.updatedAt', rule.updatedAt, 0);
  // 0 on the wire means "never", so an expiry must be at least 1 ms after the epoch.
  if (rule.expiresAt !== null) checkTime(i, '.expiresAt', rule.expiresAt, 1);
  return { rule, action, direction, app: appText(i, rule.appPath), ...destination(i, rule) };
}

function checkTime(i: number, suffix: string, value: number, min: number): void {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > MAX_POLICY_TIME) {
    const range = `${min}..${MAX_POLICY_TIME}`;
    throw new RangeError(`${field(i, suffix)} must be whole milliseconds in ${range}, got ${String(value)}`);
  }
}

function text(i: number, suffix: string, value: unknown): Text {
  if (typeof value !== 'string') throw new RangeError(`${field(i, suffix)} must be a string, got ${typeof value}`);
  const length = utf8Length(value);
  // TextEncoder would write U+FFFD for it: a different path or name than the one given.
  if (length < 0) throw new RangeError(`${field(i, suffix)} holds a lone surrogate, which UTF-8 cannot carry`);
  return { text: value, length };
}

function appText(i: number, path: string | null): Text {
  if (path === null) return NO_TEXT;
  const checked = text(i, '.appPath', path);
  // An empty path would read back as "any app".
  if (checked.length === 0) throw new RangeError(`${field(i, '.appPath')} must not be empty (null means any app)`);
  if (checked.length > MAX_APP_PATH_LENGTH) {
    const why = `takes ${checked.length} UTF-8 bytes, at most ${MAX_APP_PATH_LENGTH} fit`;
    throw new RangeError(`${field(i, '.appPath')} ${why}`);
  }
  return checked;
}

function destination(i: number, rule: PolicyRule): { destKind: number; dest: Uint8Array | Text } {
  const destination: PolicyDestination = rule.destination;
  if (typeof destination !== 'object' || destination === null) {
    throw new RangeError(`${field(i, '.destination')} must be a destination object`);
  }
  const destKind = DESTINATION_KINDS.indexOf(destination.kind);
  switch (destination.kind) {
    case 'any':
    case 'lan':
    case 'localhost':
      return { destKind, dest: NO_BYTES };
    case 'ip':
      return { destKind, dest: address(i, destination.ip) };
    case 'cidr': {
      const network = address(i, destination.ip);
      const bits = 8 * network.length;
      const { prefix } = destination;
      if (!isUint(prefix, 0xff)) notUint(i, '.destination.prefix', prefix, 8);
      if (prefix > bits) {
        const why = `must be 0..${bits} for an IPv${bits === 32 ? 4 : 6} network, got ${prefix}`;
        throw new RangeError(`${field(i, '.destination.prefix')} ${why}`);
      }
      if (!hostBitsClear(network, prefix)) {
        throw new RangeError(`${field(i, '.destination')}: the network of prefix ${prefix} has host bits set`);
      }
      const dest = new Uint8Array(1 + network.length);
      dest[0] = prefix;
      dest.set(network, 1);
      return { destKind, dest };
    }
    case 'host':
      return { destKind, dest: name(i, '.destination.name', destination.name) };
    case 'domain':
      if (typeof destination.suffix === 'string' && destination.suffix.startsWith('*.')) {
        const bare = destination.suffix.slice(2);
        throw new RangeError(`${field(i, '.destination.suffix')} is the name below '*.': write ${bare}`);
      }
      return { destKind, dest: name(i, '.destination.suffix', destination.suffix) };
    default: {
      // Unreachable for typed callers; plain JavaScript can still pass anything.
      const kind = JSON.stringify((destination as { kind?: unknown }).kind);
      throw new RangeError(
        `${field(i, '.destination.kind')} must be one of ${DESTINATION_KINDS.join(', ')}, got ${kind}`,
      );
    }
  }
}

function address(i: number, value: Uint8Array): Uint8Array {
  // The family is in the length: 4 bytes for IPv4, 16 for IPv6.
  if (!(value instanceof Uint8Array) || (value.length !== 4 && value.length !== 16)) {
    const got = value instanceof Uint8Array ? `${value.length} bytes` : typeof value;
    throw new RangeError(`${field(i, '.destination.ip')} must be 4 or 16 address bytes, got ${got}`);
  }
  return value;
}

function name(i: number, suffix: string, value: string): Text {
  const checked = text(i, suffix, value);
  if (checked.length === 0 || checked.length > MAX_POLICY_NAME_LENGTH) {
    const why = `must take 1..${MAX_POLICY_NAME_LENGTH} UTF-8 bytes, got ${checked.length}`;
    throw new RangeError(`${field(i, suffix)} ${why}`);
  }
  // The driver compares names as bytes, with the names of DNS answers it lowercases.
  if (/[A-Z]/.test(value) || value.endsWith('.')) {
    throw new RangeError(`${field(i, suffix)} must be lowercase without a trailing dot, got ${JSON.stringify(value)}`);
  }
  return checked;
}

/**
 * Cuts an encoded policy document into the PolicyPart commands that send it, in order: parts of
 * `maxPart` bytes (1..8192) but the last, each with `generation` and the document's length, and
 * `offset` = the bytes before it. Each part's data is a copy. Throws a RangeError for an empty
 * document, one over 16 MiB (a driver drops it), a generation outside u64 or a bad `maxPart`.
 */
export function policyPartCommands(
  document: Uint8Array,
  generation: bigint,
  maxPart: number = MAX_POLICY_PART_LENGTH,
): PolicyPartCommand[] {
  if (!(document instanceof Uint8Array)) throw new RangeError('the policy document must be a Uint8Array');
  if (document.length < 1 || document.length > MAX_POLICY_LENGTH) {
    throw new RangeError(`a policy document takes 1..${MAX_POLICY_LENGTH} bytes, got ${document.length}`);
  }
  checkU64('policyPart.generation', generation);
  if (!Number.isInteger(maxPart) || maxPart < 1 || maxPart > MAX_POLICY_PART_LENGTH) {
    throw new RangeError(`maxPart must be an integer in 1..${MAX_POLICY_PART_LENGTH}, got ${String(maxPart)}`);
  }
  const parts: PolicyPartCommand[] = [];
  for (let offset = 0; offset < document.length; offset += maxPart) {
    parts.push({
      kind: 'policyPart',
      generation,
      totalLength: document.length,
      offset,
      // A copy: the parts may be written later, while the caller reuses its buffer.
      data: new Uint8Array(document.subarray(offset, offset + maxPart)),
    });
  }
  return parts;
}
