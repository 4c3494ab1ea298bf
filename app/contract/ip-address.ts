/**
 * IP address and network text, parsed and formatted without Node's `net` module (the contract
 * and the engine may not import Node built-ins). Addresses become byte arrays: 4 bytes for
 * IPv4, 16 for IPv6. One implementation for the rule schema (rules.ts) and the engine's
 * compile step, so that a rule the schema accepts is one the engine can use, and means the same.
 *
 * Why IPv4-mapped IPv6 (`::ffff:a.b.c.d`) becomes IPv4: dual-stack sockets report IPv4 peers
 * in that form on some systems, and a rule for `a.b.c.d` must match them too.
 *
 * Why no zone ids (`fe80::1%eth0`): the driver reports addresses without an interface and the
 * engine matches on address bytes only, so a zone would be silently ignored; a rule that
 * looks narrower than it acts is refused instead (addressProblem says so).
 */
/** Parses IPv4 dotted quad or IPv6 (RFC 4291 text, no zone), or returns null. */
export function parseIp(text: string): Uint8Array | null {
  const bytes = parseIpExact(text);
  return bytes === null ? null : unmapIpv4(bytes);
}

/** Like parseIp, but IPv4-mapped IPv6 stays 16 bytes (a network shorter than /96 needs them). */
function parseIpExact(text: string): Uint8Array | null {
  return text.includes(':') ? parseIpv6(text) : parseIpv4(text);
}

/** Why `text` is not an address, in one sentence for the user; null when it is one. */
export function addressProblem(text: string): string | null {
  if (parseIpExact(text) !== null) return null;
  if (text.includes('%')) {
    return 'zone ids (%eth0) are not supported: rules match the address on every interface, so write it without %';
  }
  if (text.includes(':')) {
    return 'not an IPv6 address: up to eight groups of 1-4 hex digits separated by ":", at most one "::", optionally ending in an IPv4 address';
  }
  return 'not an IPv4 address: four numbers 0-255 without leading zeros, separated by dots, like 192.0.2.1';
}

/** The canonical text of an address: dotted quad, or RFC 5952 for IPv6. Null when invalid. */
export function canonicalIp(text: string): string | null {
  const bytes = parseIp(text);
  return bytes === null ? null : formatIp(bytes);
}

/** Strict dotted quad: four decimal parts 0–255, no leading zeros (they read as octal elsewhere). */
export function parseIpv4(text: string): Uint8Array | null {
  const out = new Uint8Array(4);
  let part = 0;
  let value = 0;
  let digits = 0;
  for (let i = 0; i <= text.length; i++) {
    const c = i < text.length ? text.charCodeAt(i) : 46; // a final '.' closes the last part
    if (c === 46) {
      if (digits === 0 || part > 3) return null;
      out[part++] = value;
      value = 0;
      digits = 0;
    } else if (c >= 48 && c <= 57) {
      if (digits > 0 && value === 0) return null;
      value = value * 10 + (c - 48);
      digits++;
      if (value > 255) return null;
    } else {
      return null;
    }
  }
  return part === 4 ? out : null;
}

function parseIpv6(text: string): Uint8Array | null {
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const head = parseGroups(halves[0] ?? '', halves.length === 1);
  const tail = halves.length === 2 ? parseGroups(halves[1] ?? '', true) : [];
  if (head === null || tail === null) return null;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return null;
  const groups = [...head, ...new Array<number>(halves.length === 2 ? missing : 0).fill(0), ...tail];
  const out = new Uint8Array(16);
  groups.forEach((g, i) => {
    out[i * 2] = g >> 8;
    out[i * 2 + 1] = g & 0xff;
  });
  return out;
}

/** Hex groups of one side of `::`; an IPv4 tail (allowed only at the very end) gives two groups. */
function parseGroups(text: string, mayEndWithIpv4: boolean): number[] | null {
  if (text === '') return [];
  const parts = text.split(':');
  const groups: number[] = [];
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i] ?? '';
    if (i === parts.length - 1 && mayEndWithIpv4 && part.includes('.')) {
      const v4 = parseIpv4(part);
      if (v4 === null) return null;
      groups.push(((v4[0] ?? 0) << 8) | (v4[1] ?? 0), ((v4[2] ?? 0) << 8) | (v4[3] ?? 0));
    } else {
      if (!/^[0-9a-f]{1,4}$/i.test(part)) return null;
      groups.push(parseInt(part, 16));
    }
  }
  return groups;
}

function unmapIpv4(bytes: Uint8Array): Uint8Array {
  for (let i = 0; i < 10; i++) if (bytes[i] !== 0) return bytes;
  return bytes[10] === 0xff && bytes[11] === 0xff ? bytes.slice(12) : bytes;
}

/** Formats 4 or 16 bytes; IPv6 follows RFC 5952 (lowercase, longest zero run of 2+ groups as `::`). */
export function formatIp(bytes: Uint8Array): string {
  if (bytes.length === 4) return `${bytes[0]}.${bytes[1]}.${bytes[2]}.${bytes[3]}`;
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0));
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) [bestStart, bestLength] = [i, j - i];
    i = j;
  }
  const hex = (gs: number[]): string => gs.map((g) => g.toString(16)).join(':');
  if (bestStart < 0) return hex(groups);
  return `${hex(groups.slice(0, bestStart))}::${hex(groups.slice(bestStart + bestLength))}`;
}

/** A network: address bytes (4 or 16) and a prefix length in bits. */
export interface Network {
  readonly bytes: Uint8Array;
  readonly prefix: number;
}

/** A prefix length in canonical decimal: 0, or 1–3 digits without a leading zero. */
const PREFIX_TEXT = /^(0|[1-9][0-9]{0,2})$/;

/**
 * Parses `a.b.c.d/n` (prefix 0–32) or `x::y/n` (prefix 0–128), the prefix in canonical
 * decimal. An IPv4-mapped network of /96 or longer (`::ffff:10.0.0.0/104`) is the IPv4
 * network it maps (`10.0.0.0/8`), as IPv4-mapped addresses are IPv4 (see above); a shorter one
 * (`::ffff:0:0/95`) is an IPv6 network and, like every IPv6 network, matches IPv6 addresses
 * only (as in ip6tables: IPv4 traffic is matched by IPv4 networks). Host bits may be set: they
 * are masked off, as iptables and nftables do, so `10.1.2.3/8` means `10.0.0.0/8`. Null when
 * the text is not a network.
 */
export function parseNetwork(text: string): Network | null {
  const slash = text.lastIndexOf('/');
  if (slash < 0) return null;
  const bytes = parseIpExact(text.slice(0, slash));
  const prefixText = text.slice(slash + 1);
  if (bytes === null || !PREFIX_TEXT.test(prefixText)) return null;
  const prefix = Number(prefixText);
  if (prefix > bytes.length * 8) return null;
  const unmapped = unmapIpv4(bytes);
  if (unmapped.length === 4 && bytes.length === 16 && prefix >= 96) {
    return { bytes: maskBytes(unmapped, prefix - 96), prefix: prefix - 96 };
  }
  return { bytes: maskBytes(bytes, prefix), prefix };
}

/** Why `text` is not a network, in one sentence for the user; null when it is one. */
export function networkProblem(text: string): string | null {
  const slash = text.lastIndexOf('/');
  if (slash < 0) return 'a network is an address, "/" and a prefix length, like 10.0.0.0/8 or 2001:db8::/32';
  const address = text.slice(0, slash);
  const problem = addressProblem(address);
  if (problem !== null) return problem;
  const bits = address.includes(':') ? 128 : 32;
  const prefixText = text.slice(slash + 1);
  if (!PREFIX_TEXT.test(prefixText) || Number(prefixText) > bits) {
    return `the prefix length of an ${bits === 32 ? 'IPv4' : 'IPv6'} network is a number 0-${bits} without leading zeros`;
  }
  return null;
}

/** `bytes` with every bit after the first `prefix` cleared (a copy). */
export function maskBytes(bytes: Uint8Array, prefix: number): Uint8Array {
  const out = bytes.slice();
  for (let i = 0; i < out.length; i++) {
    const keep = Math.max(0, Math.min(8, prefix - i * 8));
    out[i] = (out[i] ?? 0) & ((0xff << (8 - keep)) & 0xff);
  }
  return out;
}
