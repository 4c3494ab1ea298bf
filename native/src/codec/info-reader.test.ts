import { describe, expect, it } from 'vitest';
import { encodeInfos, frameInfo } from '../../test-support/codec/info-encoder.ts';
import { RUST_INFO_FIXTURES } from '../../test-support/codec/testdata-fixtures.ts';
import { InfoReader, type ReaderOutput } from './info-reader.ts';

const STREAM = encodeInfos(RUST_INFO_FIXTURES);

function readAll(reader: InfoReader, chunks: readonly Uint8Array[]): ReaderOutput {
  return chunks.flatMap((chunk) => reader.push(chunk));
}

describe('InfoReader', () => {
  it('decodes infos back to back', () => {
    const reader = new InfoReader();
    expect(reader.push(STREAM)).toEqual(RUST_INFO_FIXTURES);
    expect(reader.pending).toBe(0);
  });

  it('reassembles an info split at every byte, header included', () => {
    for (let split = 0; split <= STREAM.length; split++) {
      const reader = new InfoReader();
      expect(readAll(reader, [STREAM.subarray(0, split), STREAM.subarray(split)])).toEqual(RUST_INFO_FIXTURES);
      expect(reader.pending).toBe(0);
    }
  });

  it('reassembles from 1-byte chunks and counts pending bytes', () => {
    const reader = new InfoReader();
    const first = RUST_INFO_FIXTURES[0];
    const firstLength = (STREAM[1] ?? 0) + 5;
    for (let i = 0; i < firstLength - 1; i++) {
      expect(reader.push(STREAM.subarray(i, i + 1))).toEqual([]);
      expect(reader.pending).toBe(i + 1);
    }
    expect(reader.push(STREAM.subarray(firstLength - 1, firstLength))).toEqual([first]);
    expect(reader.pending).toBe(0);
  });

  it('accepts empty chunks anywhere', () => {
    const reader = new InfoReader();
    const empty = new Uint8Array(0);
    expect(readAll(reader, [empty, STREAM.subarray(0, 3), empty, STREAM.subarray(3), empty])).toEqual(
      RUST_INFO_FIXTURES,
    );
  });

  it('skips unknown types and size mismatches by their length, in stream order', () => {
    const log = RUST_INFO_FIXTURES[0];
    const stream = Uint8Array.of(
      ...frameInfo(200, Uint8Array.of(1, 2, 3)),
      ...STREAM.subarray(0, (STREAM[1] ?? 0) + 5),
      ...frameInfo(3, new Uint8Array(21)),
      ...frameInfo(0, new Uint8Array(0)),
    );
    expect(new InfoReader().push(stream)).toEqual([
      { kind: 'problem', problem: 'unknown-type', type: 200, bodyLength: 3 },
      log,
      { kind: 'problem', problem: 'size-mismatch', type: 3, bodyLength: 21 },
      { kind: 'problem', problem: 'size-mismatch', type: 0, bodyLength: 0 },
    ]);
  });

  it('reports an oversized info and discards its body without buffering it', () => {
    const reader = new InfoReader({ maxBodyLength: 100 });
    const header = Uint8Array.of(1, 0xe8, 0x03, 0, 0); // type 1, body_len 1000
    expect(reader.push(header.subarray(0, 2))).toEqual([]);
    expect(reader.push(Uint8Array.of(...header.subarray(2), ...new Uint8Array(10)))).toEqual([
      { kind: 'problem', problem: 'oversized', type: 1, bodyLength: 1000 },
    ]);
    expect(reader.skipping).toBe(990);
    expect(reader.pending).toBe(0);
    expect(reader.push(new Uint8Array(989))).toEqual([]);
    expect(reader.skipping).toBe(1);
    // The last skipped byte, then the stream goes on.
    expect(reader.push(Uint8Array.of(0, ...STREAM))).toEqual(RUST_INFO_FIXTURES);
    expect(reader.skipping).toBe(0);
  });

  it('treats the default limit as 16 MiB', () => {
    const header = (bodyLength: number): Uint8Array => {
      const bytes = new Uint8Array(5);
      new DataView(bytes.buffer).setUint32(1, bodyLength, true);
      return bytes;
    };
    expect(new InfoReader().push(header(16 * 1024 * 1024 + 1))).toEqual([
      { kind: 'problem', problem: 'oversized', type: 0, bodyLength: 16 * 1024 * 1024 + 1 },
    ]);
    const reader = new InfoReader();
    expect(reader.push(header(16 * 1024 * 1024))).toEqual([]);
    expect(reader.pending).toBe(5);
  });

  it('copies payloads, so reusing a chunk does not change decoded infos', () => {
    const chunk = new Uint8Array(STREAM);
    const infos = new InfoReader().push(chunk);
    chunk.fill(0xaa);
    expect(infos).toEqual(RUST_INFO_FIXTURES);
  });
});
