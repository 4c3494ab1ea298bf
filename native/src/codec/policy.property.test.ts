// Property tests of the policy document: random documents round-trip, and damaged ones are refused
// with a PolicyDecodeError and nothing else. The seed is printed; CODEC_TEST_SEED replays a run.
import { describe, expect, it } from 'vitest';
import { decodePolicyDocument, PolicyDecodeError } from '../../test-support/codec/policy-decoder.ts';
import { randomPolicyDocument } from '../../test-support/codec/policy-test-random.ts';
import { Random, testSeed } from '../../test-support/codec/test-random.ts';
import { crc32 } from './crc32.ts';
import { encodePolicyDocument } from './policy-encoder.ts';

/** The CRC-32 recomputed for changed content, so the checks behind the checksum see the change. */
function resealed(bytes: Uint8Array): Uint8Array {
  const out = bytes.slice();
  new DataView(out.buffer).setUint32(out.length - 4, crc32(out.subarray(0, -4)), true);
  return out;
}

/** Decodes, or returns the error; anything thrown but a PolicyDecodeError fails the test. */
function attempt(bytes: Uint8Array): ReturnType<typeof decodePolicyDocument> | PolicyDecodeError {
  try {
    return decodePolicyDocument(bytes);
  } catch (error) {
    if (error instanceof PolicyDecodeError) return error;
    throw error;
  }
}

describe('policy document properties', () => {
  it('encode then decode gives the document back, and its bytes re-encode identically', () => {
    const random = new Random(testSeed('policy round trip'));
    for (let round = 0; round < 300; round++) {
      const doc = randomPolicyDocument(random, random.chance(0.1) ? 0 : 1 + random.int(20));
      const bytes = encodePolicyDocument(doc);
      const decoded = decodePolicyDocument(bytes);
      expect(decoded).toEqual(doc);
      expect(encodePolicyDocument(decoded)).toEqual(bytes);
    }
  });

  it('a changed byte, resealed or not, is refused or decodes to a document that encodes consistently', () => {
    const random = new Random(testSeed('policy mutations'));
    let refused = 0;
    let accepted = 0;
    for (let round = 0; round < 3000; round++) {
      const bytes = encodePolicyDocument(randomPolicyDocument(random, 1 + random.int(4)));
      const changed = bytes.slice();
      const at = random.int(bytes.length - 4);
      changed[at] = random.chance(0.5) ? (changed[at] ?? 0) ^ (1 << random.int(8)) : random.uint(8);
      if (changed[at] === bytes[at]) continue;
      // Without a new checksum, any change of the content is caught by it (or by magic and format).
      const unsealed = attempt(changed);
      expect(unsealed).toBeInstanceOf(PolicyDecodeError);
      if (at >= 10 && unsealed instanceof PolicyDecodeError) expect(unsealed.reason).toBe('checksum');
      const result = attempt(resealed(changed));
      if (result instanceof PolicyDecodeError) {
        expect(result.reason).toBe('malformed');
        refused += 1;
      } else {
        // What decodes is a valid document: it encodes, and that encoding decodes to it again.
        // (The bytes may differ: a protocol byte under any_protocol is ignored and written as 0.)
        expect(decodePolicyDocument(encodePolicyDocument(result))).toEqual(result);
        accepted += 1;
      }
    }
    // Both outcomes occur, so neither branch is dead.
    expect(refused).toBeGreaterThan(100);
    expect(accepted).toBeGreaterThan(100);
  });

  // Each prefix is checksummed and decoded: quadratic in a document's size (tens of KB with long
  // paths and a blocklist), so this takes seconds; the timeout is the CI config's, not Vitest's 5 s.
  it('every strict prefix of a document, resealed, is refused as malformed', { timeout: 20_000 }, () => {
    const random = new Random(testSeed('policy prefixes'));
    for (let round = 0; round < 20; round++) {
      const bytes = encodePolicyDocument(randomPolicyDocument(random, 1 + random.int(3)));
      for (let length = 4; length < bytes.length; length++) {
        const prefix = bytes.slice(0, length);
        if (length >= 32) new DataView(prefix.buffer).setUint32(length - 4, crc32(prefix.subarray(0, -4)), true);
        const result = attempt(prefix);
        expect(result, `prefix of ${length} of ${bytes.length} bytes`).toBeInstanceOf(PolicyDecodeError);
        if (result instanceof PolicyDecodeError) expect(result.reason).toBe('malformed');
      }
    }
  });

  it('random bytes behind a valid header are refused with a PolicyDecodeError, nothing else', () => {
    const random = new Random(testSeed('policy random bytes'));
    const header = encodePolicyDocument(randomPolicyDocument(random, 0)).subarray(0, 24);
    for (let round = 0; round < 5000; round++) {
      const body = random.bytes(random.int(200));
      const bytes = resealed(Uint8Array.of(...header, ...random.bytes(4), ...body, 0, 0, 0, 0));
      // A small rule count now and then, so rules are read from the random bytes.
      if (random.chance(0.7)) new DataView(bytes.buffer).setUint32(24, random.int(4), true);
      const result = attempt(resealed(bytes));
      if (!(result instanceof PolicyDecodeError))
        expect(decodePolicyDocument(encodePolicyDocument(result))).toEqual(result);
      // Pure noise of any length.
      expect(attempt(random.bytes(random.int(100)))).toBeInstanceOf(PolicyDecodeError);
    }
  });
});
