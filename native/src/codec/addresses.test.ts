import { describe, expect, it } from 'vitest';
import { addressAt } from './addresses.ts';

describe('addressAt', () => {
  it('copies 4 bytes for IPv4 and 16 for IPv6 from the offset', () => {
    const backing = Uint8Array.from({ length: 24 }, (_, i) => i);
    expect(addressAt(backing, 2, false)).toEqual(Uint8Array.of(2, 3, 4, 5));
    expect(addressAt(backing, 3, true)).toEqual(Uint8Array.from({ length: 16 }, (_, i) => i + 3));
  });

  it('gives a copy that a later write to the read buffer does not change', () => {
    const buffer = Buffer.from([10, 0, 0, 1]);
    const address = addressAt(buffer, 0, false);
    buffer.fill(0);
    expect(address).toEqual(Uint8Array.of(10, 0, 0, 1));
    expect(Buffer.isBuffer(address)).toBe(false);
  });
});
