import { describe, expect, it } from 'vitest';
import { decodeInfoBody } from '../../src/codec/info-decoder.ts';
import type { Info, NetworkFactsInfo, PolicyStateInfo, RuleDecidedInfo } from '../../src/codec/info-types.ts';
import { ipv4, ipv6 } from './address-bytes.ts';
import { encodeInfo, encodeInfos, frameInfo } from './info-encoder.ts';
import { RUST_INFO_FIXTURES } from './testdata-fixtures.ts';

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

const LOG: Info = { kind: 'log', severity: 3, text: 'hi' };

const STATE: PolicyStateInfo = {
  kind: 'policyState',
  generation: 1n,
  ruleCount: 0,
  noAppAction: 4,
  origin: 'client',
  problem: 'none',
  problemGeneration: 0n,
};

const DECIDED: RuleDecidedInfo = {
  kind: 'ruleDecided',
  ipVersion: 4,
  processId: 1n,
  direction: 0,
  protocol: 6,
  localIp: ipv4(10, 0, 0, 1),
  localPort: 1,
  remoteIp: ipv4(10, 0, 0, 2),
  remotePort: 2,
  verdict: 3,
  generation: 1n,
  ruleTag: 1,
};

const FACTS: NetworkFactsInfo = {
  kind: 'networkFacts',
  epoch: 1,
  flags: 1,
  ipVersion: 4,
  gatewayIp: ipv4(192, 0, 2, 1),
  gatewayMac: new Uint8Array(6),
  interfaceIndex: 2,
  interfaceName: 'eth0',
  dnsSuffix: '',
  ssid: new Uint8Array(0),
};

describe('encodeInfo', () => {
  it('frames a body with its type and little-endian length', () => {
    expect(hex(frameInfo(200, Uint8Array.of(1, 2, 3)))).toBe('c803000000010203');
    expect(hex(encodeInfo(LOG))).toBe('0003000000036869');
  });

  it('writes the README layouts', () => {
    expect(
      hex(
        encodeInfo({
          kind: 'connectionEnd',
          ipVersion: 4,
          processId: 4242n,
          direction: 0,
          protocol: 6,
          localIp: ipv4(192, 0, 2, 10),
          localPort: 51000,
          remoteIp: ipv4(198, 51, 100, 7),
          remotePort: 443,
        }),
      ),
    ).toBe('0316000000' + '9210000000000000' + '00' + '06' + 'c000020a' + 'c6336407' + '38c7' + 'bb01');
    expect(
      hex(encodeInfo({ kind: 'helloReply', version: [2, 1, 0, 0], extVersion: 1, features: 7, driverKind: 2 })),
    ).toBe('800b000000' + '02010000' + '0100' + '07000000' + '02');
    // Each argument NUL-terminated, like /proc/PID/cmdline.
    expect(
      hex(encodeInfo({ kind: 'process', processId: 1n, startTime: 2n, uid: 3, path: '/a', commandLine: ['b', 'c'] })),
    ).toBe('811c000000' + '0100000000000000' + '0200000000000000' + '03000000' + '0200' + '2f61' + '62006300');
  });

  it('writes the policy info layouts', () => {
    expect(
      hex(
        encodeInfo({
          kind: 'policyState',
          generation: 0x0102n,
          ruleCount: 3,
          noAppAction: 6,
          origin: 'stored',
          problem: 'out-of-order',
          problemGeneration: 0x0304n,
        }),
      ),
    ).toBe('8517000000' + '0201000000000000' + '03000000' + '06' + '01' + '04' + '0403000000000000');
    expect(
      hex(
        encodeInfo({
          kind: 'ruleDecided',
          ipVersion: 4,
          processId: 4242n,
          direction: 0,
          protocol: 6,
          localIp: ipv4(192, 0, 2, 10),
          localPort: 51000,
          remoteIp: ipv4(198, 51, 100, 7),
          remotePort: 443,
          verdict: 7,
          generation: 9n,
          ruleTag: 0x01020304,
        }),
      ),
    ).toBe(
      '8623000000' +
        '9210000000000000' +
        '00' +
        '06' +
        'c000020a' +
        'c6336407' +
        '38c7' +
        'bb01' +
        '07' +
        '0900000000000000' +
        '04030201',
    );
  });

  it('round-trips every fixture through decodeInfoBody', () => {
    for (const info of RUST_INFO_FIXTURES) {
      const bytes = encodeInfo(info);
      expect(decodeInfoBody(bytes[0] ?? -1, bytes.subarray(5))).toEqual(info);
    }
    expect(encodeInfos(RUST_INFO_FIXTURES)).toHaveLength(
      RUST_INFO_FIXTURES.reduce((sum, info) => sum + encodeInfo(info).length, 0),
    );
  });

  it.each<[string, Info, RegExp]>([
    ['a severity over u8', { ...LOG, severity: 256 }, /log\.severity/],
    [
      'an empty DNS name',
      { kind: 'dnsName', ipVersion: 4, ttlSeconds: 1, ip: ipv4(1, 2, 3, 4), name: '' },
      /dnsName\.name/,
    ],
    [
      'a DNS address of the wrong family',
      { kind: 'dnsName', ipVersion: 6, ttlSeconds: 1, ip: ipv4(1, 2, 3, 4), name: 'a' },
      /dnsName\.ip/,
    ],
    [
      'a NUL inside an argument',
      { kind: 'process', processId: 1n, startTime: 1n, uid: 0, path: '', commandLine: ['a\0b'] },
      /commandLine\[0\]/,
    ],
    [
      'a path over 65535 bytes',
      { kind: 'process', processId: 1n, startTime: 1n, uid: 0, path: 'x'.repeat(65536), commandLine: [] },
      /process\.path/,
    ],
    ['256 counters', { kind: 'counters', values: Array.from({ length: 256 }, () => 0n) }, /counters\.values\.length/],
    ['a negative counter', { kind: 'counters', values: [-1n] }, /counters\.values\[0\]/],
    [
      'an unknown origin',
      { ...STATE, origin: 'unknown' },
      /policyState\.origin must be one of none, stored, client, got "unknown"/,
    ],
    ['an unknown problem', { ...STATE, problem: 'unknown' }, /policyState\.problem must be one of none, malformed/],
    ['a no-app verdict of 12', { ...STATE, noAppAction: 12 as never }, /policyState\.noAppAction must be a verdict/],
    ['a rule count over u32', { ...STATE, ruleCount: 2 ** 32 }, /policyState\.ruleCount/],
    ['a rule decided with verdict 12', { ...DECIDED, verdict: 12 as never }, /ruleDecided\.verdict must be a verdict/],
    ['a rule tag over u32', { ...DECIDED, ruleTag: -1 }, /ruleDecided\.ruleTag/],
    ['a network IP version of 5', { ...FACTS, ipVersion: 5 as never }, /networkFacts\.ipVersion must be 0, 4 or 6/],
    ['a gateway without a route', { ...FACTS, ipVersion: 0 }, /networkFacts\.gatewayIp must be empty/],
    ['a gateway of the wrong family', { ...FACTS, ipVersion: 6 }, /networkFacts\.gatewayIp must be 16 address bytes/],
    ['a MAC of 5 bytes', { ...FACTS, gatewayMac: new Uint8Array(5) }, /networkFacts\.gatewayMac must be 6 bytes/],
    ['an SSID of 256 bytes', { ...FACTS, ssid: new Uint8Array(256) }, /networkFacts\.ssid length/],
    ['an interface name of 256 bytes', { ...FACTS, interfaceName: 'x'.repeat(256) }, /networkFacts\.interfaceName/],
    ['an epoch over u32', { ...FACTS, epoch: 2 ** 32 }, /networkFacts\.epoch/],
    [
      'a decided address of the wrong family',
      { ...DECIDED, remoteIp: ipv6(0, 0, 0, 0, 0, 0, 0, 1) },
      /ruleDecided\.remoteIp/,
    ],
  ])('throws a RangeError for %s', (_name, info, message) => {
    expect(() => encodeInfo(info)).toThrow(RangeError);
    expect(() => encodeInfo(info)).toThrow(message);
  });
});
