import { describe, expect, it } from 'vitest';
import { encodeInfo } from '../../test-support/codec/info-encoder.ts';
import { decodeInfoBody } from './info-decoder.ts';
import type { DnsExchangeInfo } from './info-types.ts';

// The body written out by hand from the table in driver/protocol/README.md (not by the encoder),
// so an offset the encoder and decoder got wrong the same way still fails here.
function handWrittenBody(): Uint8Array {
  const name = new TextEncoder().encode('a.example');
  const body = new Uint8Array(58 + name.length + 4 + 16);
  const view = new DataView(body.buffer);
  view.setBigUint64(0, 4242n, true);
  view.setUint16(8, 40000, true);
  view.setUint16(10, 53, true);
  view.setUint8(12, 4);
  body.set([10, 0, 0, 2], 13);
  body.set([10, 0, 0, 1], 29);
  view.setUint16(45, 28, true);
  view.setUint8(47, 0);
  view.setUint32(48, 300, true);
  view.setUint16(52, name.length, true);
  view.setUint16(54, 1, true);
  view.setUint16(56, 1, true);
  body.set(name, 58);
  body.set([192, 0, 2, 7], 58 + name.length);
  body.set([0x20, 0x01, 0x0d, 0xb8], 58 + name.length + 4);
  body[58 + name.length + 4 + 15] = 9;
  return body;
}

const NXDOMAIN: DnsExchangeInfo = {
  kind: 'dnsExchange',
  processId: 0n,
  ipVersion: 6,
  localIp: Uint8Array.of(0xfd, ...new Uint8Array(14), 2),
  localPort: 5353,
  resolverIp: Uint8Array.of(0xfd, ...new Uint8Array(14), 1),
  resolverPort: 53,
  qtype: 28,
  rcode: 3,
  ttlSeconds: 0,
  name: 'nope.example',
  v4Addresses: [],
  v6Addresses: [],
};

describe('DnsExchange (136)', () => {
  it('reads every field at the offsets the protocol table gives', () => {
    const v6 = new Uint8Array(16);
    v6.set([0x20, 0x01, 0x0d, 0xb8]);
    v6[15] = 9;
    expect(decodeInfoBody(136, handWrittenBody())).toEqual({
      kind: 'dnsExchange',
      processId: 4242n,
      ipVersion: 4,
      localIp: Uint8Array.of(10, 0, 0, 2),
      localPort: 40000,
      resolverIp: Uint8Array.of(10, 0, 0, 1),
      resolverPort: 53,
      qtype: 28,
      rcode: 0,
      ttlSeconds: 300,
      name: 'a.example',
      v4Addresses: [Uint8Array.of(192, 0, 2, 7)],
      v6Addresses: [v6],
    });
  });

  it('the test encoder writes the same bytes as the table', () => {
    const decoded = decodeInfoBody(136, handWrittenBody());
    if (decoded.kind !== 'dnsExchange') throw new Error('not decoded');
    expect(encodeInfo(decoded).subarray(5)).toEqual(handWrittenBody());
  });

  it('an answer with no addresses (NXDOMAIN) round-trips', () => {
    const bytes = encodeInfo(NXDOMAIN);
    expect(bytes.length).toBe(5 + 58 + 'nope.example'.length);
    expect(decodeInfoBody(136, bytes.subarray(5))).toEqual(NXDOMAIN);
  });

  it('a body whose counts do not add up to its length is skipped, never read past', () => {
    const body = handWrittenBody();
    const mismatch = (length: number): unknown => ({
      kind: 'problem',
      problem: 'size-mismatch',
      type: 136,
      bodyLength: length,
    });
    expect(decodeInfoBody(136, body.subarray(0, body.length - 1))).toEqual(mismatch(body.length - 1));
    expect(decodeInfoBody(136, Uint8Array.of(...body, 0))).toEqual(mismatch(body.length + 1));
    expect(decodeInfoBody(136, body.subarray(0, 57))).toEqual(mismatch(57));
    const moreV6 = body.slice();
    new DataView(moreV6.buffer).setUint16(56, 2, true);
    expect(decodeInfoBody(136, moreV6)).toEqual(mismatch(body.length));
    const hugeName = body.slice();
    new DataView(hugeName.buffer).setUint16(52, 0xffff, true);
    expect(decodeInfoBody(136, hugeName)).toEqual(mismatch(body.length));
  });

  it('an IP version other than 4 or 6, or an empty name, is a bad value', () => {
    const body = handWrittenBody();
    const badVersion = body.slice();
    badVersion[12] = 5;
    expect(decodeInfoBody(136, badVersion)).toEqual({
      kind: 'problem',
      problem: 'bad-value',
      type: 136,
      bodyLength: body.length,
    });
    const empty = encodeInfo({ ...NXDOMAIN, name: 'x' })
      .subarray(5)
      .slice(0, 58);
    new DataView(empty.buffer, empty.byteOffset).setUint16(52, 0, true);
    expect(decodeInfoBody(136, empty)).toEqual({ kind: 'problem', problem: 'bad-value', type: 136, bodyLength: 58 });
  });
});
