import { parseIp } from '../../contract/ip-address.ts';

/** The wire bytes of address text, for test infos (IPv4-mapped text gives the 4 IPv4 bytes). */
export function ip(text: string): Uint8Array {
  const bytes = parseIp(text);
  if (bytes === null) throw new Error(`test address ${JSON.stringify(text)} is not an IP address`);
  return bytes;
}
