// Sending a policy: a document cut into PolicyPart commands, written one per write (or back to back
// in a stream), and put together again as a driver does.
import { describe, expect, it } from 'vitest';
import { decodeCommand, splitCommandStream } from '../../test-support/codec/command-decoder.ts';
import { decodePolicyDocument } from '../../test-support/codec/policy-decoder.ts';
import { randomPolicyDocument } from '../../test-support/codec/policy-test-random.ts';
import { Random, testSeed } from '../../test-support/codec/test-random.ts';
import { encodeCommand } from './command-encoder.ts';
import type { PolicyPartCommand } from './command-types.ts';
import { encodePolicyDocument, policyPartCommands } from './policy-encoder.ts';

/** Reassembles parts as the README says a driver does; throws where a driver would drop the document. */
function reassemble(parts: readonly PolicyPartCommand[]): Uint8Array {
  const first = parts[0];
  if (first === undefined) throw new Error('no parts');
  const document = new Uint8Array(first.totalLength);
  let received = 0;
  for (const part of parts) {
    if (part.generation !== first.generation || part.totalLength !== first.totalLength) throw new Error('mixed parts');
    if (part.offset !== received) throw new Error(`part at ${part.offset}, expected ${received}`);
    if (received + part.data.length > document.length) throw new Error('part past the end');
    document.set(part.data, received);
    received += part.data.length;
  }
  if (received !== document.length) throw new Error(`${received} of ${document.length} bytes`);
  return document;
}

describe('policyPartCommands', () => {
  it('carries a 10 000-rule document in full parts of 8192 bytes, which reassemble to it', () => {
    const random = new Random(testSeed('policy parts'));
    const doc = randomPolicyDocument(random, 10_000);
    const bytes = encodePolicyDocument(doc);
    const parts = policyPartCommands(bytes, doc.generation);
    expect(parts).toHaveLength(Math.ceil(bytes.length / 8192));
    expect(parts.length).toBeGreaterThan(10);
    parts.forEach((part, i) => {
      expect(part).toMatchObject({ kind: 'policyPart', generation: doc.generation, totalLength: bytes.length });
      expect(part.offset).toBe(i * 8192);
      expect(part.data.length).toBe(i < parts.length - 1 ? 8192 : bytes.length - i * 8192);
    });
    // Each part as one write, decoded as a driver reads it. Bytes compare as Buffers: element-wise
    // equality of megabytes is slow.
    const written = parts.map((part) => encodeCommand(part));
    written.forEach((write, i) => expect(write.length).toBe(19 + (parts[i]?.data.length ?? 0)));
    const received = written.map((write) => decodeCommand(write));
    expect(received.map(({ kind }) => kind)).toEqual(parts.map(() => 'policyPart'));
    const document = reassemble(received as PolicyPartCommand[]);
    expect(Buffer.compare(document, bytes)).toBe(0);
    expect(decodePolicyDocument(document)).toEqual(doc);
    // The same writes back to back, split by their data_len.
    const stream = new Uint8Array(written.reduce((sum, write) => sum + write.length, 0));
    written.reduce((at, write) => (stream.set(write, at), at + write.length), 0);
    const split = [...splitCommandStream(stream)];
    expect(split.map((write) => write.length)).toEqual(written.map((write) => write.length));
    expect(Buffer.compare(reassemble(split.map((write) => decodeCommand(write)) as PolicyPartCommand[]), bytes)).toBe(
      0,
    );
  });

  it('cuts at maxPart, with a short last part only when the length is no multiple of it', () => {
    const bytes = Uint8Array.from({ length: 10 }, (_, i) => i);
    expect(policyPartCommands(bytes, 3n, 5).map((part) => [part.offset, [...part.data]])).toEqual([
      [0, [0, 1, 2, 3, 4]],
      [5, [5, 6, 7, 8, 9]],
    ]);
    expect(policyPartCommands(bytes, 3n, 4).map((part) => part.data.length)).toEqual([4, 4, 2]);
    expect(policyPartCommands(bytes, 3n, 1)).toHaveLength(10);
    expect(policyPartCommands(bytes, 3n)).toEqual([
      { kind: 'policyPart', generation: 3n, totalLength: 10, offset: 0, data: bytes },
    ]);
    expect(policyPartCommands(Uint8Array.of(9), 1n)).toHaveLength(1);
  });

  it('copies the data, so a buffer reused later does not change the parts', () => {
    const bytes = Uint8Array.of(1, 2, 3);
    const [part] = policyPartCommands(bytes, 1n);
    bytes.fill(0);
    expect(part?.data).toEqual(Uint8Array.of(1, 2, 3));
  });

  it.each<[string, () => unknown, RegExp]>([
    [
      'an empty document',
      () => policyPartCommands(new Uint8Array(0), 1n),
      /a policy document takes 1\.\.16777216 bytes, got 0/,
    ],
    [
      'a document over 16 MiB',
      () => policyPartCommands(new Uint8Array(16 * 1024 * 1024 + 1), 1n),
      /a policy document takes 1\.\.16777216 bytes, got 16777217/,
    ],
    ['no bytes at all', () => policyPartCommands([1, 2] as never, 1n), /must be a Uint8Array/],
    ['a generation over u64', () => policyPartCommands(Uint8Array.of(1), 1n << 64n), /policyPart\.generation/],
    ['maxPart 0', () => policyPartCommands(Uint8Array.of(1), 1n, 0), /maxPart must be an integer in 1\.\.8192, got 0/],
    ['maxPart 8193', () => policyPartCommands(Uint8Array.of(1), 1n, 8193), /maxPart must be an integer in 1\.\.8192/],
    ['maxPart 1.5', () => policyPartCommands(Uint8Array.of(1), 1n, 1.5), /maxPart/],
  ])('throws a RangeError for %s', (_name, call, message) => {
    expect(call).toThrow(RangeError);
    expect(call).toThrow(message);
  });
});
