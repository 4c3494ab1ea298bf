// IP address text <-> wire bytes. Decoded infos carry addresses as canonical strings (dotted quad,
// RFC 5952 IPv6), so equal addresses compare equal as strings; the command encoder parses them back.

/** An IP version as the protocol's V4/V6 type pairs distinguish it. */
export type IpVersion = 4 | 6;

/** The wire size of an address of each IP version. */
export const ADDRESS_LENGTH = { 4: 4, 6: 16 } as const;

/** Formats the 4 bytes at `offset` of `view` as a dotted quad. The decoders' hot path. */
export function formatIpv4At(view: DataView, offset: number): string {
  return `${view.getUint8(offset)}.${view.getUint8(offset + 1)}.${view.getUint8(offset + 2)}.${view.getUint8(offset + 3)}`;
}

/**
 * Formats the 16 bytes at `offset` of `view` as canonical IPv6 text (RFC 5952): lowercase hex
 * without leading zeros, the longest run of two or more zero groups (the first on a tie) as `::`,
 * and IPv4-mapped addresses as `::ffff:a.b.c.d`. The decoders' hot path.
 */
export function formatIpv6At(view: DataView, offset: number): string {
  if (view.getUint32(offset) === 0 && view.getUint32(offset + 4) === 0 && view.getUint32(offset + 8) === 0xffff) {
    return `::ffff:${formatIpv4At(view, offset + 12)}`;
  }
  // Find the longest zero run; starting bestLength at 1 means a lone zero group is never compressed.
  let bestStart = -1;
  let bestLength = 1;
  let runStart = -1;
  for (let i = 0; i < 8; i++) {
    if (view.getUint16(offset + 2 * i) !== 0) {
      runStart = -1;
      continue;
    }
    if (runStart < 0) runStart = i;
    // Strictly longer only, so the first of two equal runs wins.
    if (i - runStart + 1 > bestLength) {
      bestLength = i - runStart + 1;
      bestStart = runStart;
    }
  }
  let text = '';
  for (let i = 0; i < 8; i++) {
    if (i === bestStart) {
      text += '::';
      i += bestLength - 1;
      continue;
    }
    // No separator at the start, nor right after '::' (which brings its own colon).
    if (i > 0 && i !== bestStart + bestLength) text += ':';
    text += view.getUint16(offset + 2 * i).toString(16);
  }
  return text;
}

function viewOf(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Formats a 4-byte (IPv4) or 16-byte (IPv6) address; throws a RangeError for any other length. */
export function formatIp(bytes: Uint8Array): string {
  if (bytes.length === 4) return formatIpv4At(viewOf(bytes), 0);
  if (bytes.length === 16) return formatIpv6At(viewOf(bytes), 0);
  throw new RangeError(`An IP address has 4 or 16 bytes, not ${bytes.length}`);
}

const DECIMAL_OCTET = /^(?:0|[1-9][0-9]{0,2})$/;
const HEX_GROUP = /^[0-9a-fA-F]{1,4}$/;

function invalid(version: IpVersion, text: string, why: string): Error {
  return new Error(`Invalid IPv${version} address ${JSON.stringify(text)}: ${why}`);
}

/**
 * Parses a dotted quad (`192.0.2.1`) into 4 bytes. Leading zeros are rejected because some parsers
 * read them as octal, so `010.0.0.1` would mean different addresses to different readers.
 */
export function parseIpv4(text: string): Uint8Array {
  const parts = text.split('.');
  if (parts.length !== 4) throw invalid(4, text, 'expected four decimal parts separated by dots');
  const bytes = new Uint8Array(4);
  parts.forEach((part, i) => {
    const value = Number(part);
    if (!DECIMAL_OCTET.test(part) || value > 255) throw invalid(4, text, `part ${JSON.stringify(part)} is not 0..255`);
    bytes[i] = value;
  });
  return bytes;
}

// Parses colon-separated hex groups (one side of '::') into 16-bit values; the last group may be a
// dotted quad when this side ends the address.
function parseGroups(text: string, side: string, mayEndWithIpv4: boolean): number[] {
  if (side === '') return [];
  const groups: number[] = [];
  const parts = side.split(':');
  parts.forEach((part, i) => {
    if (mayEndWithIpv4 && i === parts.length - 1 && part.includes('.')) {
      let quad: Uint8Array;
      try {
        quad = parseIpv4(part);
      } catch {
        throw invalid(6, text, `embedded IPv4 part ${JSON.stringify(part)} is invalid`);
      }
      groups.push(((quad[0] ?? 0) << 8) | (quad[1] ?? 0), ((quad[2] ?? 0) << 8) | (quad[3] ?? 0));
      return;
    }
    if (!HEX_GROUP.test(part)) throw invalid(6, text, `group ${JSON.stringify(part)} is not 1 to 4 hex digits`);
    groups.push(parseInt(part, 16));
  });
  return groups;
}

/**
 * Parses IPv6 text (RFC 4291 forms: any case, leading zeros, `::`, a trailing dotted quad) into 16
 * bytes. Zone ids (`%eth0`) and brackets are rejected: the wire has no room for them.
 */
export function parseIpv6(text: string): Uint8Array {
  const gap = text.indexOf('::');
  if (gap >= 0 && text.indexOf('::', gap + 1) >= 0) throw invalid(6, text, "'::' may appear only once");
  let head: number[];
  let tail: number[] = [];
  if (gap < 0) {
    head = parseGroups(text, text, true);
    if (head.length !== 8) throw invalid(6, text, 'expected eight groups (or a "::")');
  } else {
    head = parseGroups(text, text.slice(0, gap), false);
    tail = parseGroups(text, text.slice(gap + 2), true);
    // '::' stands for at least one zero group.
    if (head.length + tail.length > 7) throw invalid(6, text, 'too many groups around "::"');
  }
  const bytes = new Uint8Array(16);
  const view = viewOf(bytes);
  head.forEach((group, i) => view.setUint16(2 * i, group));
  tail.forEach((group, i) => view.setUint16(16 - 2 * (tail.length - i), group));
  return bytes;
}

/** Parses an address of the given IP version into its 4 or 16 wire bytes; throws an Error if invalid. */
export function parseIp(text: string, ipVersion: IpVersion): Uint8Array {
  return ipVersion === 4 ? parseIpv4(text) : parseIpv6(text);
}
