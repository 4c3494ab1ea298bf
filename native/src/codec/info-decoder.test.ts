import { describe, expect, it } from 'vitest';
import { ipv4, ipv6 } from '../../test-support/codec/address-bytes.ts';
import { encodeInfo } from '../../test-support/codec/info-encoder.ts';
import { RUST_INFO_FIXTURES } from '../../test-support/codec/testdata-fixtures.ts';
import { decodeInfoBody } from './info-decoder.ts';
import type { DecodeResult, Info } from './info-types.ts';
import { INFO_TYPE } from './protocol-constants.ts';

// The body of an encoded info (its bytes after the 5-byte header).
function bodyOf(info: Info): Uint8Array {
  return encodeInfo(info).subarray(5);
}

function fixture<K extends Info['kind']>(kind: K): Extract<Info, { kind: K }> {
  const found = RUST_INFO_FIXTURES.find((info): info is Extract<Info, { kind: K }> => info.kind === kind);
  if (found === undefined) throw new Error(`no ${kind} fixture`);
  return found;
}

function mismatch(type: number, bodyLength: number): DecodeResult {
  return { kind: 'problem', problem: 'size-mismatch', type, bodyLength };
}

function withByte(bytes: Uint8Array, offset: number, value: number): Uint8Array {
  const copy = bytes.slice();
  copy[offset] = value;
  return copy;
}

describe('decodeInfoBody', () => {
  it('decodes every fixture type', () => {
    for (const info of RUST_INFO_FIXTURES) {
      const bytes = encodeInfo(info);
      expect(decodeInfoBody(bytes[0] ?? -1, bytes.subarray(5))).toEqual(info);
    }
  });

  it('reports unknown types with their length', () => {
    for (const type of [7, 100, 127, 138, 255]) {
      expect(decodeInfoBody(type, new Uint8Array(3))).toEqual({
        kind: 'problem',
        problem: 'unknown-type',
        type,
        bodyLength: 3,
      });
    }
  });

  it('LogLine needs the severity byte; the text may be empty', () => {
    expect(decodeInfoBody(INFO_TYPE.logLine, new Uint8Array(0))).toEqual(mismatch(0, 0));
    expect(decodeInfoBody(INFO_TYPE.logLine, Uint8Array.of(6))).toEqual({ kind: 'log', severity: 6, text: '' });
  });

  it('replaces invalid UTF-8 and keeps a leading BOM', () => {
    const body = Uint8Array.of(1, 0xef, 0xbb, 0xbf, 0x61, 0xff, 0x62, 0xe2, 0x82);
    expect(decodeInfoBody(INFO_TYPE.logLine, body)).toEqual({ kind: 'log', severity: 1, text: '\ufeffa\ufffdb\ufffd' });
  });

  it.each([
    ['v4', 1, 35],
    ['v6', 2, 59],
  ] as const)('Connection%s (type %i): payload_len must be body_len - %i', (_name, type, fixed) => {
    const info = fixture('connection');
    const body = bodyOf({
      ...info,
      ipVersion: type === 1 ? 4 : 6,
      localIp: type === 1 ? ipv4(1, 2, 3, 4) : ipv6(0, 0, 0, 0, 0, 0, 0, 1),
      remoteIp: type === 1 ? ipv4(5, 6, 7, 8) : ipv6(0, 0, 0, 0, 0, 0, 0, 2),
      payload: Uint8Array.of(1, 2, 3),
    });
    expect(body.length).toBe(fixed + 3);
    expect(decodeInfoBody(type, body)).toMatchObject({ kind: 'connection', payload: Uint8Array.of(1, 2, 3) });
    // payload_len one too big or too small, a body one byte short or long, a body below the fixed part.
    expect(decodeInfoBody(type, withByte(body, fixed - 4, 4))).toEqual(mismatch(type, fixed + 3));
    expect(decodeInfoBody(type, withByte(body, fixed - 4, 2))).toEqual(mismatch(type, fixed + 3));
    expect(decodeInfoBody(type, body.subarray(0, fixed + 2))).toEqual(mismatch(type, fixed + 2));
    expect(decodeInfoBody(type, Uint8Array.of(...body, 0))).toEqual(mismatch(type, fixed + 4));
    expect(decodeInfoBody(type, body.subarray(0, fixed - 1))).toEqual(mismatch(type, fixed - 1));
    // A payload_len that would overflow a 32-bit sum must not matter either.
    expect(decodeInfoBody(type, withByte(withByte(body, fixed - 1, 0xff), fixed - 4, 0xfd))).toEqual(
      mismatch(type, fixed + 3),
    );
  });

  it('Connection payload is a plain copy, even from a Node Buffer', () => {
    const bytes = Buffer.from(encodeInfo({ ...fixture('connection'), payload: Uint8Array.of(7) }));
    const info = decodeInfoBody(bytes[0] ?? -1, bytes.subarray(5));
    if (info.kind !== 'connection') throw new Error(info.kind);
    bytes[bytes.length - 1] = 8;
    expect(info.payload).toEqual(Uint8Array.of(7));
    expect(Object.getPrototypeOf(info.payload)).toBe(Uint8Array.prototype);
  });

  it.each([
    [3, 22],
    [4, 46],
  ])('ConnectionEnd type %i is exactly %i bytes', (type, size) => {
    expect(decodeInfoBody(type, new Uint8Array(size))).toMatchObject({ kind: 'connectionEnd' });
    expect(decodeInfoBody(type, new Uint8Array(size - 1))).toEqual(mismatch(type, size - 1));
    expect(decodeInfoBody(type, new Uint8Array(size + 1))).toEqual(mismatch(type, size + 1));
  });

  it.each([
    [5, 28],
    [6, 52],
  ])('BandwidthStats type %i is exactly 5 + %i * count', (type, entry) => {
    const body = (count: number, length: number): Uint8Array => {
      const bytes = new Uint8Array(length);
      new DataView(bytes.buffer).setUint32(1, count, true);
      return bytes;
    };
    expect(decodeInfoBody(type, body(0, 5))).toMatchObject({ kind: 'bandwidthStats', entries: [] });
    expect(decodeInfoBody(type, body(2, 5 + 2 * entry))).toMatchObject({ entries: [{}, {}] });
    expect(decodeInfoBody(type, body(2, 5 + 2 * entry - 1))).toEqual(mismatch(type, 5 + 2 * entry - 1));
    expect(decodeInfoBody(type, body(2, 5 + 2 * entry + 1))).toEqual(mismatch(type, 5 + 2 * entry + 1));
    expect(decodeInfoBody(type, body(0xffffffff, 5 + entry))).toEqual(mismatch(type, 5 + entry));
    expect(decodeInfoBody(type, new Uint8Array(4))).toEqual(mismatch(type, 4));
  });

  it('HelloReply needs 11 bytes and ignores appended fields', () => {
    const body = bodyOf(fixture('helloReply'));
    expect(decodeInfoBody(128, body.subarray(0, 10))).toEqual(mismatch(128, 10));
    expect(decodeInfoBody(128, Uint8Array.of(...body, 9, 9, 9))).toEqual(fixture('helloReply'));
  });

  it('Process needs 22 bytes and its path inside the body', () => {
    const info = fixture('process');
    const body = bodyOf({ ...info, commandLine: [] });
    expect(decodeInfoBody(129, body)).toEqual({ ...info, commandLine: [] });
    expect(decodeInfoBody(129, body.subarray(0, 21))).toEqual(mismatch(129, 21));
    // path_len one past the body's end.
    expect(decodeInfoBody(129, body.subarray(0, body.length - 1))).toEqual(mismatch(129, body.length - 1));
  });

  it('Process splits the command line on NUL, dropping one trailing empty piece', () => {
    const header = bodyOf({ ...fixture('process'), path: '', commandLine: [] });
    const decode = (tail: string): readonly string[] => {
      const result = decodeInfoBody(129, Uint8Array.of(...header, ...new TextEncoder().encode(tail)));
      if (result.kind !== 'process') throw new Error(result.kind);
      return result.commandLine;
    };
    expect(decode('')).toEqual([]);
    expect(decode('curl')).toEqual(['curl']);
    expect(decode('curl\0-s')).toEqual(['curl', '-s']);
    expect(decode('curl\0-s\0')).toEqual(['curl', '-s']);
    expect(decode('a\0\0')).toEqual(['a', '']);
    expect(decode('\0')).toEqual(['']);
  });

  it.each([
    [130, 8],
    [131, 20],
  ])('DnsName type %i needs more than %i bytes', (type, header) => {
    expect(decodeInfoBody(type, new Uint8Array(header))).toEqual(mismatch(type, header));
    expect(decodeInfoBody(type, Uint8Array.of(...new Uint8Array(header), 0x61))).toMatchObject({ name: 'a' });
  });

  it('Counters needs count * 8 bytes after the count and ignores the rest', () => {
    expect(decodeInfoBody(132, new Uint8Array(0))).toEqual(mismatch(132, 0));
    expect(decodeInfoBody(132, Uint8Array.of(0))).toEqual({ kind: 'counters', values: [] });
    expect(decodeInfoBody(132, Uint8Array.of(2, ...new Uint8Array(15)))).toEqual(mismatch(132, 16));
    expect(decodeInfoBody(132, Uint8Array.of(1, 5, 0, 0, 0, 0, 0, 0, 0, 1, 2))).toEqual({
      kind: 'counters',
      values: [5n],
    });
  });

  it('PolicyState needs 23 bytes and ignores appended fields', () => {
    const info = fixture('policyState');
    const body = bodyOf(info);
    expect(body).toHaveLength(23);
    expect(decodeInfoBody(133, body)).toEqual(info);
    expect(decodeInfoBody(133, body.subarray(0, 22))).toEqual(mismatch(133, 22));
    expect(decodeInfoBody(133, new Uint8Array(0))).toEqual(mismatch(133, 0));
    expect(decodeInfoBody(133, Uint8Array.of(...body, 9, 9))).toEqual(info);
  });

  it('PolicyState names every origin and problem, and an unknown byte as unknown', () => {
    const body = bodyOf(fixture('policyState'));
    const decode = (offset: number, value: number): unknown => decodeInfoBody(133, withByte(body, offset, value));
    expect([0, 1, 2, 3, 255].map((code) => decode(13, code))).toMatchObject(
      ['none', 'stored', 'client', 'unknown', 'unknown'].map((origin) => ({ kind: 'policyState', origin })),
    );
    expect([0, 1, 2, 3, 4, 5, 6, 200].map((code) => decode(14, code))).toMatchObject(
      ['none', 'malformed', 'checksum', 'too-large', 'out-of-order', 'not-saved', 'unknown', 'unknown'].map(
        (problem) => ({ kind: 'policyState', problem }),
      ),
    );
  });

  it('PolicyState and RuleDecided with a verdict byte outside 0..11 are skipped as bad values', () => {
    const state = bodyOf(fixture('policyState'));
    expect(decodeInfoBody(133, withByte(state, 12, 11))).toMatchObject({ kind: 'policyState', noAppAction: 11 });
    expect(decodeInfoBody(133, withByte(state, 12, 12))).toEqual({
      kind: 'problem',
      problem: 'bad-value',
      type: 133,
      bodyLength: 23,
    });
    for (const info of RUST_INFO_FIXTURES.filter((i) => i.kind === 'ruleDecided')) {
      const type = info.ipVersion === 4 ? 134 : 135;
      const at = info.ipVersion === 4 ? 22 : 46;
      const body = bodyOf(info);
      expect(decodeInfoBody(type, withByte(body, at, 0))).toMatchObject({ kind: 'ruleDecided', verdict: 0 });
      expect(decodeInfoBody(type, withByte(body, at, 255))).toEqual({
        kind: 'problem',
        problem: 'bad-value',
        type,
        bodyLength: body.length,
      });
    }
  });

  it.each([
    [134, 35, 4],
    [135, 59, 6],
  ] as const)('RuleDecided type %i is exactly %i bytes', (type, size, ipVersion) => {
    const info = RUST_INFO_FIXTURES.find((i) => i.kind === 'ruleDecided' && i.ipVersion === ipVersion);
    if (info === undefined) throw new Error('no fixture');
    const body = bodyOf(info);
    expect(body).toHaveLength(size);
    expect(decodeInfoBody(type, body)).toEqual(info);
    expect(decodeInfoBody(type, body.subarray(0, size - 1))).toEqual(mismatch(type, size - 1));
    expect(decodeInfoBody(type, Uint8Array.of(...body, 0))).toEqual(mismatch(type, size + 1));
  });

  it('RuleDecided starts with the bytes of the ConnectionEnd of its connection', () => {
    for (const info of RUST_INFO_FIXTURES.filter((i) => i.kind === 'ruleDecided')) {
      const { ipVersion, processId, direction, protocol, localIp, localPort, remoteIp, remotePort } = info;
      const end = bodyOf({
        kind: 'connectionEnd',
        ...{ ipVersion, processId, direction, protocol, localIp, localPort, remoteIp, remotePort },
      });
      expect(bodyOf(info).subarray(0, end.length)).toEqual(end);
    }
  });
});
