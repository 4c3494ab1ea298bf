import { describe, expect, it } from 'vitest';
import { encodeInfo, frameInfo } from '../../test-support/codec/info-encoder.ts';
import { decodeInfoBody } from './info-decoder.ts';
import { InfoReader } from './info-reader.ts';
import type { DecodeResult, NetworkFactsInfo } from './info-types.ts';

const text = (value: string): Uint8Array => new TextEncoder().encode(value);

// The body written out by hand from the table in driver/protocol/README.md (not by the encoder),
// so an offset the encoder and decoder got wrong the same way still fails here.
function handWrittenBody(): Uint8Array {
  const ifname = text('wlan0');
  const suffix = text('home.arpa');
  const ssid = text('Café');
  const body = new Uint8Array(35 + ifname.length + suffix.length + ssid.length);
  const view = new DataView(body.buffer);
  view.setUint32(0, 0x01020304, true);
  view.setUint8(4, 0b111);
  view.setUint8(5, 4);
  body.set([192, 168, 1, 1], 6);
  body.set([0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0x0f], 22);
  view.setUint32(28, 3, true);
  view.setUint8(32, ifname.length);
  view.setUint8(33, suffix.length);
  view.setUint8(34, ssid.length);
  body.set(ifname, 35);
  body.set(suffix, 35 + ifname.length);
  body.set(ssid, 35 + ifname.length + suffix.length);
  return body;
}

const OFFLINE: NetworkFactsInfo = {
  kind: 'networkFacts',
  epoch: 1,
  flags: 0,
  ipVersion: 0,
  gatewayIp: new Uint8Array(0),
  gatewayMac: new Uint8Array(6),
  interfaceIndex: 0,
  interfaceName: '',
  dnsSuffix: '',
  ssid: new Uint8Array(0),
};

function problem(reason: 'size-mismatch' | 'bad-value', bodyLength: number): DecodeResult {
  return { kind: 'problem', problem: reason, type: 137, bodyLength };
}

describe('NetworkFacts (137)', () => {
  it('reads every field at the offsets the protocol table gives', () => {
    expect(decodeInfoBody(137, handWrittenBody())).toEqual({
      kind: 'networkFacts',
      epoch: 0x01020304,
      flags: 7,
      ipVersion: 4,
      gatewayIp: Uint8Array.of(192, 168, 1, 1),
      gatewayMac: Uint8Array.of(0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0x0f),
      interfaceIndex: 3,
      interfaceName: 'wlan0',
      dnsSuffix: 'home.arpa',
      ssid: text('Café'),
    });
  });

  it('the test encoder writes the same bytes as the table', () => {
    const decoded = decodeInfoBody(137, handWrittenBody());
    if (decoded.kind !== 'networkFacts') throw new Error('not decoded');
    expect(encodeInfo(decoded).subarray(5)).toEqual(handWrittenBody());
  });

  it('reads an IPv6 gateway from all 16 bytes, and a machine without a route as ip_version 0', () => {
    const body = handWrittenBody();
    body[5] = 6;
    body.set([0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1], 6);
    expect(decodeInfoBody(137, body)).toMatchObject({
      ipVersion: 6,
      gatewayIp: Uint8Array.of(0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1),
    });
    const offline = encodeInfo(OFFLINE);
    expect(offline.length).toBe(5 + 35);
    expect(decodeInfoBody(137, offline.subarray(5))).toEqual(OFFLINE);
  });

  it('keeps the SSID as raw bytes (it need not be UTF-8), and names decoded with replacement', () => {
    const body = handWrittenBody();
    const ifnameAt = 35;
    const ssidAt = body.length - 5;
    body.set([0xff, 0xfe, 0x41, 0xc3, 0x28], ssidAt);
    body[ifnameAt] = 0xff;
    const decoded = decodeInfoBody(137, body);
    expect(decoded).toMatchObject({ interfaceName: '\ufffdlan0', ssid: Uint8Array.of(0xff, 0xfe, 0x41, 0xc3, 0x28) });
  });

  it('copies the address, MAC and SSID: reusing the chunk changes nothing decoded', () => {
    const chunk = frameInfo(137, handWrittenBody());
    const [decoded] = new InfoReader().push(chunk);
    chunk.fill(0);
    expect(decoded).toMatchObject({
      kind: 'networkFacts',
      gatewayIp: Uint8Array.of(192, 168, 1, 1),
      gatewayMac: Uint8Array.of(0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0x0f),
      ssid: text('Café'),
    });
  });

  it('a body whose lengths do not add up to its size is skipped, never read past', () => {
    const body = handWrittenBody();
    expect(decodeInfoBody(137, body.subarray(0, body.length - 1))).toEqual(problem('size-mismatch', body.length - 1));
    expect(decodeInfoBody(137, Uint8Array.of(...body, 0))).toEqual(problem('size-mismatch', body.length + 1));
    expect(decodeInfoBody(137, body.subarray(0, 34))).toEqual(problem('size-mismatch', 34));
    expect(decodeInfoBody(137, new Uint8Array(0))).toEqual(problem('size-mismatch', 0));
    for (const lengthField of [32, 33, 34]) {
      const longer = body.slice();
      longer[lengthField] = 0xff;
      expect(decodeInfoBody(137, longer), `length byte @${lengthField}`).toEqual(problem('size-mismatch', body.length));
    }
    // 35 + 3 × 255: the largest body the lengths can describe is still checked, not trusted.
    const largest = new Uint8Array(35 + 3 * 255);
    largest.set([255, 255, 255], 32);
    expect(decodeInfoBody(137, largest)).toMatchObject({ kind: 'networkFacts', ssid: new Uint8Array(255) });
    expect(decodeInfoBody(137, largest.subarray(0, largest.length - 1))).toEqual(
      problem('size-mismatch', largest.length - 1),
    );
  });

  it('an IP version other than 0, 4 or 6 is a bad value; unknown flag bits are kept', () => {
    const body = handWrittenBody();
    for (const version of [1, 5, 255]) {
      const bad = body.slice();
      bad[5] = version;
      expect(decodeInfoBody(137, bad), `ip_version ${version}`).toEqual(problem('bad-value', body.length));
    }
    const newer = body.slice();
    newer[4] = 0xff;
    expect(decodeInfoBody(137, newer)).toMatchObject({ kind: 'networkFacts', flags: 0xff });
  });

  it('a skipped NetworkFacts does not stop the reader: the next info comes', () => {
    const bad = handWrittenBody();
    bad[5] = 9;
    const stream = Uint8Array.of(...frameInfo(137, bad), ...encodeInfo(OFFLINE));
    expect(new InfoReader().push(stream)).toEqual([problem('bad-value', bad.length), OFFLINE]);
  });
});
