// IP addresses on the wire. The codec deals in address bytes only: decoded infos carry them, and
// commands and policy documents take them. Address text is the app's (app/contract/ip-address.ts,
// applied by app/driver-client), so there is one IP text module, not one per layer.

/** An IP version as the protocol's V4/V6 type pairs distinguish it. */
export type IpVersion = 4 | 6;

/** The wire size of an address of each IP version. */
export const ADDRESS_LENGTH = { 4: 4, 6: 16 } as const;

/**
 * A copy of the 4 (IPv4) or 16 (IPv6) address bytes at `offset` of `bytes`. A copy, not a view:
 * the binding reuses its read buffer, which would rewrite a view later. The caller has checked
 * that the bytes are there (the decoders check each body's length once, up front).
 */
export function addressAt(bytes: Uint8Array, offset: number, v6: boolean): Uint8Array {
  // One allocation and a byte loop: faster here than new Uint8Array(subarray()), which allocates
  // a view first (and on a Node Buffer, slice() would be a view, not a copy).
  const out = new Uint8Array(v6 ? 16 : 4);
  for (let i = 0; i < out.length; i++) out[i] = bytes[offset + i] ?? 0;
  return out;
}
