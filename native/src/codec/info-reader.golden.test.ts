// Upstream's rust_info_test.bin (Portmaster kext 2.1): a malformed first record, then 1000 infos.
// Read from the shared vectors folder, never copied into this repo; skipped where it is absent.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Random, randomChunks, testSeed } from '../../test-support/codec/test-random.ts';
import { InfoReader, type ReaderOutput } from './info-reader.ts';
import type { Info } from './info-types.ts';

const VECTORS = new URL('../../../../shared/vectors/portmaster-kext-2.1/', import.meta.url);
const FILE = new URL('rust_info_test.bin', VECTORS);
const missing = !existsSync(FILE);
if (missing) {
  console.warn(
    `Skipping the upstream info golden tests: ${fileURLToPath(FILE)} is absent (the vectors live outside the repo).`,
  );
}
const bytes = missing ? new Uint8Array(0) : new Uint8Array(readFileSync(FILE));

const range = (from: number, to: number): Uint8Array => Uint8Array.from({ length: to - from + 1 }, (_, i) => from + i);
// The upstream vectors' addresses: 1.2.3.4 and 2.3.4.5; for IPv6 the bytes 1..16 and 2..17.
const V4_LOCAL = range(1, 4);
const V4_REMOTE = range(2, 5);
const V6_LOCAL = range(1, 16);
const V6_REMOTE = range(2, 17);

function readAll(chunks: readonly Uint8Array[]): ReaderOutput {
  const reader = new InfoReader();
  const items = chunks.flatMap((chunk) => reader.push(chunk));
  expect(reader.pending).toBe(0);
  return items;
}

// Record boundaries of the file, found by walking the headers.
function recordStarts(): number[] {
  const starts: number[] = [];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let pos = 0; pos < bytes.length; pos += 5 + view.getUint32(pos + 1, true)) starts.push(pos);
  return starts;
}

function expectUpstreamValues(info: Info): void {
  const ips = (ipVersion: 4 | 6): object =>
    ipVersion === 4 ? { localIp: V4_LOCAL, remoteIp: V4_REMOTE } : { localIp: V6_LOCAL, remoteIp: V6_REMOTE };
  switch (info.kind) {
    case 'connection':
      expect(info).toEqual({
        kind: 'connection',
        ipVersion: info.ipVersion,
        id: 1n,
        processId: 2n,
        direction: 3,
        protocol: 4,
        ...ips(info.ipVersion),
        localPort: 5,
        remotePort: 6,
        payloadLayer: 7,
        payload: range(1, 10),
      });
      return;
    case 'connectionEnd':
      // Upstream's end infos use their own values: pid 1, direction 2, protocol 3, ports 4 and 5.
      expect(info).toEqual({
        kind: 'connectionEnd',
        ipVersion: info.ipVersion,
        processId: 1n,
        direction: 2,
        protocol: 3,
        ...ips(info.ipVersion),
        localPort: 4,
        remotePort: 5,
      });
      return;
    case 'bandwidthStats':
      expect(info).toEqual({
        kind: 'bandwidthStats',
        ipVersion: info.ipVersion,
        protocol: 1,
        entries: [
          { ...ips(info.ipVersion), localPort: 1, remotePort: 2, transmitted: 3n, received: 4n },
          { ...ips(info.ipVersion), localPort: 5, remotePort: 6, transmitted: 7n, received: 8n },
        ],
      });
      return;
    case 'log':
      expect(info).toEqual({ kind: 'log', severity: 1, text: 'prefix: test log' });
      return;
    default:
      throw new Error(`unexpected ${info.kind} info in upstream's file`);
  }
}

describe('upstream rust_info_test.bin', () => {
  it.skipIf(missing)('reports the malformed first record, then exactly 1000 upstream infos', () => {
    const [first, ...rest] = readAll([bytes]);
    // A v6 connection body labelled type 1: 69 bytes whose payload_len is not 69 - 35.
    expect(first).toEqual({ kind: 'problem', problem: 'size-mismatch', type: 1, bodyLength: 69 });
    expect(rest).toHaveLength(1000);
    const perKind = new Map<string, number>();
    for (const item of rest) {
      if (item.kind === 'problem') throw new Error(`unexpected problem ${JSON.stringify(item)}`);
      expectUpstreamValues(item);
      const key = 'ipVersion' in item ? `${item.kind}V${item.ipVersion}` : item.kind;
      perKind.set(key, (perKind.get(key) ?? 0) + 1);
    }
    expect([...perKind.keys()].sort()).toEqual([
      'bandwidthStatsV4',
      'bandwidthStatsV6',
      'connectionEndV4',
      'connectionEndV6',
      'connectionV4',
      'connectionV6',
      'log',
    ]);
    expect([...perKind.values()].reduce((a, b) => a + b)).toBe(1000);
  });

  it.skipIf(missing)('gives the same result when the file is split into two chunks at every offset', () => {
    const expected = readAll([bytes]);
    const starts = recordStarts();
    expect(starts).toHaveLength(expected.length);
    // Feeding the whole file once per offset would decode 58 million infos (~20 s), so each split
    // feeds the record it falls in and the next one to a fresh reader: between records a reader
    // holds no state, and the whole-file splits below cover the rest.
    for (let r = 0; r < starts.length; r++) {
      const from = starts[r] ?? 0;
      const to = starts[r + 2] ?? bytes.length;
      const want = expected.slice(r, r + 2);
      for (let split = from; split < (starts[r + 1] ?? bytes.length); split++) {
        const got = readAll([bytes.subarray(from, split), bytes.subarray(split, to)]);
        if (got.length !== want.length) expect({ split, got }).toEqual({ split, got: want });
        for (let i = 0; i < want.length; i++) {
          if (!sameItem(got[i], want[i])) expect({ split, got: got[i] }).toEqual({ split, got: want[i] });
        }
      }
    }
    // Whole-file splits: every offset of the first 2 KiB (the malformed record and every kind) and 300
    // evenly spread offsets.
    const offsets = new Set<number>();
    for (let split = 0; split <= 2048; split++) offsets.add(split);
    for (let k = 0; k <= 300; k++) offsets.add(Math.round((k * bytes.length) / 300));
    for (const split of offsets) {
      const got = readAll([bytes.subarray(0, split), bytes.subarray(split)]);
      if (!sameItem(got, expected)) expect({ split, got }).toEqual({ split, got: expected });
    }
  });

  it.skipIf(missing)('gives the same result fed 1 byte at a time', () => {
    const expected = readAll([bytes]);
    const reader = new InfoReader();
    const got: ReaderOutput = [];
    for (let i = 0; i < bytes.length; i++) got.push(...reader.push(bytes.subarray(i, i + 1)));
    expect(got).toEqual(expected);
    expect(reader.pending).toBe(0);
  });

  it.skipIf(missing)('gives the same result in random-sized chunks', () => {
    const expected = readAll([bytes]);
    const random = new Random(testSeed('upstream info chunks'));
    for (let round = 0; round < 50; round++) {
      expect(readAll(randomChunks(random, bytes, random.pick([7, 64, 300, 5000])))).toEqual(expected);
    }
  });
});

// A fast structural comparison for the split loop (toEqual per split would dominate the run time).
function sameItem(a: unknown, b: unknown): boolean {
  if (a instanceof Uint8Array && b instanceof Uint8Array) return a.length === b.length && a.every((x, i) => x === b[i]);
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => sameItem(x, b[i]));
  if (typeof a === 'object' && typeof b === 'object' && a !== null && b !== null) {
    const keys = Object.keys(a);
    return (
      keys.length === Object.keys(b).length &&
      keys.every((k) => sameItem((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]))
    );
  }
  return a === b;
}
