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

/** Every cut this many bytes from a document's start or end is checked. */
const CUT_EDGE = 1024;
/** How many cuts between those edges are checked, at random places. */
const CUTS_INSIDE = 1000;

/**
 * The prefix lengths checked of a document of `size` bytes (from 4: shorter is no header): every
 * one of a small document; of a large one, every cut near its start (header, rules, paths) and
 * near its end (the last section and the checksum), and a random sample of the cuts between.
 */
function prefixLengths(random: Random, size: number): number[] {
  const lengths: number[] = [];
  for (let length = 4; length < size; length++) {
    if (length < CUT_EDGE || length >= size - CUT_EDGE) lengths.push(length);
  }
  const inside = size - 2 * CUT_EDGE;
  for (let cut = 0; cut < Math.min(CUTS_INSIDE, inside); cut++) lengths.push(CUT_EDGE + random.int(inside));
  return lengths;
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

  // Each prefix is checksummed and decoded, so checking every prefix is quadratic in a document's
  // size: with app paths of the longest length a document is 16–33 KB, and by seed the test took 2.5–11 s alone and
  // over 20 s beside other tests (session 29). Large documents get a bounded sample of cuts.
  it('every strict prefix of a document, resealed, is refused as malformed', () => {
    const random = new Random(testSeed('policy prefixes'));
    for (let round = 0; round < 20; round++) {
      const bytes = encodePolicyDocument(randomPolicyDocument(random, 1 + random.int(3)));
      for (const length of prefixLengths(random, bytes.length)) {
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
