import { type Network, parseNetwork } from '../contract/ip-address.ts';

export { maskBytes, type Network } from '../contract/ip-address.ts';

/** Parses a cidr rule's text (see parseNetwork: host bits are masked off). */
export const parseCidr = parseNetwork;

/**
 * Address classes and prefix matching on address bytes. The `lan` class is a product decision
 * documented in README.md ("What `lan` and `localhost` cover").
 */

/** True when `address` lies in `network` (same family; compares whole bytes, then the rest bits). */
export function inNetwork(address: Uint8Array, network: Network): boolean {
  if (address.length !== network.bytes.length) return false;
  const whole = network.prefix >> 3;
  for (let i = 0; i < whole; i++) if (address[i] !== network.bytes[i]) return false;
  const rest = network.prefix & 7;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return ((address[whole] ?? 0) & mask) === network.bytes[whole];
}

function networks(...cidrs: string[]): Network[] {
  return cidrs.map((c) => {
    const n = parseCidr(c);
    if (n === null) throw new Error(`bad built-in network ${c}`);
    return n;
  });
}

/** Loopback: 127.0.0.0/8 and ::1. */
const LOCALHOST = networks('127.0.0.0/8', '::1/128');

/**
 * The local network: RFC 1918 private ranges, link-local, IPv6 unique-local, multicast and the
 * limited broadcast. Not 100.64.0.0/10 (carrier-grade NAT is the ISP's side, and overlay VPNs
 * such as Tailscale use it: write a `cidr` rule for those).
 */
const LAN = networks(
  '10.0.0.0/8',
  '172.16.0.0/12',
  '192.168.0.0/16',
  '169.254.0.0/16',
  '224.0.0.0/4',
  '255.255.255.255/32',
  'fc00::/7',
  'fe80::/10',
  'ff00::/8',
);

/** True for loopback addresses. */
export function isLocalhost(address: Uint8Array): boolean {
  return LOCALHOST.some((n) => inNetwork(address, n));
}

/** True for addresses of the local network (see LAN above). */
export function isLan(address: Uint8Array): boolean {
  return LAN.some((n) => inNetwork(address, n));
}
