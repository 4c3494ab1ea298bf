import { canonicalIp, formatIp, type Network, parseIp, parseNetwork } from '../contract/ip-address.ts';

/**
 * The contract's canonical text of address bytes from the driver (app/contract/ip-address.ts,
 * the one IP module): dotted quad, RFC 5952 for IPv6, and an IPv4-mapped IPv6 address as the
 * IPv4 address it maps, as rules and views expect. Anything but 4 or 16 bytes is refused with a
 * RangeError: the codec never gives other lengths, so one would be a defect to report, not guess at.
 */
export function addressText(field: string, bytes: Uint8Array): string {
  if (bytes.length !== 4 && bytes.length !== 16) {
    throw new RangeError(`${field}: an IP address has 4 or 16 bytes, not ${bytes.length}`);
  }
  const text = formatIp(bytes);
  // Only a mapped address (::ffff:a.b.c.d formats as ::ffff:xxxx:xxxx) changes when canonicalized.
  return text.startsWith('::ffff:') ? (canonicalIp(text) ?? text) : text;
}

/**
 * The wire bytes of an address in the contract's text (a policy's `ip` destination); an
 * IPv4-mapped address is the IPv4 address it maps, as the engine matches it. A RangeError for
 * text that is not an address: the policy is not sent rather than sent with a guess.
 */
export function addressBytes(field: string, text: string): Uint8Array {
  const bytes = parseIp(text);
  if (bytes === null) throw new RangeError(`${field}: ${JSON.stringify(text)} is not an IP address`);
  return bytes;
}

/**
 * The wire bytes and prefix of a network in the contract's text (a policy's `cidr` destination),
 * as parseNetwork reads it: host bits masked, a mapped network of /96 or longer as IPv4.
 */
export function networkBytes(field: string, text: string, prefix: number): Network {
  const network = Number.isInteger(prefix) ? parseNetwork(`${text}/${prefix}`) : null;
  if (network === null) throw new RangeError(`${field}: ${JSON.stringify(`${text}/${prefix}`)} is not a network`);
  return network;
}
