import { crc32 as zlibCrc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { Random, testSeed } from '../../test-support/codec/test-random.ts';
import { crc32 } from './crc32.ts';

const ascii = (text: string): Uint8Array => new TextEncoder().encode(text);

describe('crc32', () => {
  it('gives the published check values', () => {
    expect(crc32(new Uint8Array(0))).toBe(0);
    // The "check" value of CRC-32/ISO-HDLC in every CRC catalogue.
    expect(crc32(ascii('123456789'))).toBe(0xcbf43926);
    expect(crc32(ascii('The quick brown fox jumps over the lazy dog'))).toBe(0x414fa339);
    expect(crc32(Uint8Array.of(0))).toBe(0xd202ef8d);
    expect(crc32(new Uint8Array(32).fill(0xff))).toBe(0xff6cab0b);
  });

  it("agrees with Node's zlib.crc32 on random bytes, also read at the offset of a view", () => {
    const random = new Random(testSeed('crc32'));
    for (let round = 0; round < 200; round++) {
      const bytes = random.bytes(random.int(3000));
      expect(crc32(bytes)).toBe(zlibCrc32(bytes));
      const inner = Uint8Array.of(7, ...bytes, 7).subarray(1, bytes.length + 1);
      expect(crc32(inner)).toBe(zlibCrc32(bytes));
    }
  });
});
