// Address bytes for test values, written as numbers: the codec has no address text (the app's
// app/contract/ip-address.ts does), and the test support may not import the app.

/** The 4 bytes of the IPv4 address `a.b.c.d`. */
export function ipv4(a: number, b: number, c: number, d: number): Uint8Array {
  return Uint8Array.of(a, b, c, d);
}

/** The 16 bytes of the IPv6 address of eight 16-bit `groups` (no `::`: write the zeros). */
export function ipv6(...groups: readonly number[]): Uint8Array {
  if (groups.length !== 8) throw new RangeError(`an IPv6 address has 8 groups, not ${groups.length}`);
  const bytes = new Uint8Array(16);
  groups.forEach((group, i) => {
    bytes[2 * i] = group >> 8;
    bytes[2 * i + 1] = group & 0xff;
  });
  return bytes;
}
