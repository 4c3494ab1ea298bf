import { describe, expect, it } from 'vitest';
import type { DecodeResult, NetworkFactsInfo } from '../../native/src/index.ts';
import { driverEventOf, verdictCommand } from './event-mapper.ts';
import { ip } from './test-support/address-bytes.ts';

const connection = (id: bigint, pid: bigint): DecodeResult => ({
  kind: 'connection',
  ipVersion: 4,
  id,
  processId: pid,
  direction: 0,
  protocol: 6,
  localIp: ip('10.0.0.1'),
  localPort: 40000,
  remoteIp: ip('10.0.0.2'),
  remotePort: 443,
  payloadLayer: 3,
  payload: new Uint8Array(),
});

const process = (pid: bigint, path: string, uid = 1000): DecodeResult => ({
  kind: 'process',
  processId: pid,
  startTime: 7n,
  uid,
  path,
  commandLine: [path],
});

describe('driverEventOf', () => {
  it('hands a Process info on as a process event; a connection names only its pid', () => {
    // The engine's process directory is the one place that remembers processes.
    expect(driverEventOf(process(42n, '/usr/bin/curl'))).toEqual({
      kind: 'process',
      process: { pid: 42, startTime: 7n, uid: 1000, path: '/usr/bin/curl', commandLine: ['/usr/bin/curl'] },
    });
    expect(driverEventOf(connection(1n, 42n))).toMatchObject({
      kind: 'connection',
      requestId: 1n,
      direction: 'outbound',
      pid: 42,
      flow: { protocol: 6, remoteIp: '10.0.0.2', remotePort: 443 },
      process: null,
    });
  });

  it('maps an unknown uid to null and a pid-0 process as it came', () => {
    expect(driverEventOf(process(0n, '', 0xffffffff))).toMatchObject({ process: { pid: 0, uid: null, path: '' } });
    expect(driverEventOf(connection(1n, 0n))).toMatchObject({ pid: 0, process: null });
  });

  it('maps ends, DNS, bandwidth and logs, and ignores the rest', () => {
    expect(
      driverEventOf({ kind: 'dnsName', ipVersion: 4, ttlSeconds: 60, ip: ip('10.0.0.2'), name: 'a.test' }),
    ).toEqual({
      kind: 'dns',
      name: 'a.test',
      address: '10.0.0.2',
      ttlSeconds: 60,
    });
    expect(
      driverEventOf({
        kind: 'bandwidthStats',
        ipVersion: 4,
        protocol: 17,
        entries: [
          {
            localIp: ip('10.0.0.1'),
            localPort: 5,
            remoteIp: ip('10.0.0.2'),
            remotePort: 53,
            transmitted: 10n,
            received: 20n,
          },
        ],
      }),
    ).toEqual({
      kind: 'bandwidth',
      samples: [
        {
          flow: { protocol: 17, localIp: '10.0.0.1', localPort: 5, remoteIp: '10.0.0.2', remotePort: 53 },
          transmitted: 10n,
          received: 20n,
        },
      ],
    });
    expect(driverEventOf({ kind: 'counters', values: [1n] })).toBeNull();
    expect(driverEventOf({ kind: 'problem', problem: 'unknown-type', type: 99, bodyLength: 3 })).toBeNull();
  });

  it('maps a DNS exchange: addresses as text (IPv4 first), the query as a UDP flow to the resolver', () => {
    expect(
      driverEventOf({
        kind: 'dnsExchange',
        processId: 4242n,
        ipVersion: 6,
        localIp: ip('fd00::2'),
        localPort: 40000,
        resolverIp: ip('fd00::1'),
        resolverPort: 53,
        qtype: 28,
        rcode: 0,
        ttlSeconds: 60,
        name: 'Mixed.Example',
        v4Addresses: [ip('192.0.2.7')],
        v6Addresses: [ip('2001:db8::1'), ip('::ffff:10.0.0.9')],
      }),
    ).toEqual({
      kind: 'dns-exchange',
      pid: 4242,
      name: 'mixed.example',
      qtype: 28,
      rcode: 0,
      addresses: ['192.0.2.7', '2001:db8::1', '10.0.0.9'],
      ttlSeconds: 60,
      query: { protocol: 17, localIp: 'fd00::2', localPort: 40000, remoteIp: 'fd00::1', remotePort: 53 },
    });
  });

  it('encodes engine verdicts as protocol verdicts', () => {
    expect(verdictCommand(5n, 'permanent-accept')).toEqual({ kind: 'verdict', id: 5n, verdict: 3 });
    expect(verdictCommand(6n, 'drop')).toEqual({ kind: 'verdict', id: 6n, verdict: 6 });
  });
});

// A home Wi-Fi network, every flag set; MAC bytes under 0x10 too, which still take two digits each.
const FACTS: NetworkFactsInfo = {
  kind: 'networkFacts',
  epoch: 3,
  flags: 0b111,
  ipVersion: 4,
  gatewayIp: ip('192.168.1.1'),
  gatewayMac: Uint8Array.of(0xaa, 0xbb, 0xcc, 0x0d, 0xee, 0x0f),
  interfaceIndex: 2,
  interfaceName: 'wlan0',
  dnsSuffix: 'home.arpa',
  ssid: new TextEncoder().encode('Café'),
};

/** The facts of a NetworkReport, or a failure naming what came instead. */
function factsOf(info: NetworkFactsInfo): unknown {
  const event = driverEventOf(info);
  if (event?.kind !== 'network') throw new Error(`no network report: ${JSON.stringify(event)}`);
  return event.facts;
}

describe('driverEventOf: NetworkFacts', () => {
  it('maps every field: flags to booleans, the gateway as text, the MAC as lowercase pairs', () => {
    expect(driverEventOf(FACTS)).toEqual({
      kind: 'network',
      facts: {
        epoch: 3,
        hasDefaultRoute: true,
        interfaceName: 'wlan0',
        interfaceIndex: 2,
        gatewayIp: '192.168.1.1',
        gatewayMac: 'aa:bb:cc:0d:ee:0f',
        dnsSuffix: 'home.arpa',
        ssid: 'Café',
        vpnUp: true,
      },
    });
  });

  it('reads each flag bit on its own: no MAC unless bit 1 says it is known', () => {
    expect(factsOf({ ...FACTS, flags: 0b001 })).toMatchObject({
      hasDefaultRoute: true,
      gatewayMac: null,
      vpnUp: false,
    });
    expect(factsOf({ ...FACTS, flags: 0b010 })).toMatchObject({
      hasDefaultRoute: false,
      gatewayMac: 'aa:bb:cc:0d:ee:0f',
      vpnUp: false,
    });
    expect(factsOf({ ...FACTS, flags: 0b100 })).toMatchObject({
      hasDefaultRoute: false,
      gatewayMac: null,
      vpnUp: true,
    });
    expect(factsOf({ ...FACTS, flags: 0b1001 })).toMatchObject({ gatewayMac: null, gatewayMacPending: true });
    expect(factsOf({ ...FACTS, flags: 0b0001 })).not.toHaveProperty('gatewayMacPending');
    // Bits a newer driver may set mean nothing here.
    expect(factsOf({ ...FACTS, flags: 0b1111_0000 })).toEqual(factsOf({ ...FACTS, flags: 0 }));
  });

  it('gives no gateway without a route or for an all-zero address; IPv6 in canonical text', () => {
    expect(factsOf({ ...FACTS, ipVersion: 0, gatewayIp: new Uint8Array(0) })).toMatchObject({ gatewayIp: null });
    expect(factsOf({ ...FACTS, gatewayIp: new Uint8Array(4) })).toMatchObject({ gatewayIp: null });
    expect(factsOf({ ...FACTS, ipVersion: 6, gatewayIp: new Uint8Array(16) })).toMatchObject({ gatewayIp: null });
    expect(factsOf({ ...FACTS, ipVersion: 6, gatewayIp: ip('FE80:0:0:0:0:0:0:1') })).toMatchObject({
      gatewayIp: 'fe80::1',
    });
    expect(factsOf({ ...FACTS, ipVersion: 6, gatewayIp: ip('2001:db8:0:0:1:0:0:1') })).toMatchObject({
      gatewayIp: '2001:db8::1:0:0:1',
    });
  });

  it('decodes an SSID that is not UTF-8 with replacement characters', () => {
    expect(factsOf({ ...FACTS, ssid: Uint8Array.of(0x48, 0xff, 0x69, 0xc3) })).toMatchObject({
      ssid: 'H\ufffdi\ufffd',
    });
    expect(factsOf({ ...FACTS, ssid: new Uint8Array(0) })).toMatchObject({ ssid: '' });
  });

  it('writes the DNS suffix as DNS compares it: lowercase, without the trailing dot', () => {
    expect(factsOf({ ...FACTS, dnsSuffix: 'Corp.Example.' })).toMatchObject({ dnsSuffix: 'corp.example' });
  });

  it('cuts what the wire allows past the contract limits, never inside a surrogate pair', () => {
    const facts = factsOf({
      ...FACTS,
      // 255 bytes each, the most the wire's u8 lengths allow.
      interfaceName: 'i'.repeat(255),
      dnsSuffix: 'd'.repeat(255),
      ssid: new Uint8Array(255).fill(0xff),
    });
    expect(facts).toMatchObject({
      interfaceName: 'i'.repeat(64),
      dnsSuffix: 'd'.repeat(253),
      ssid: '\ufffd'.repeat(64),
    });
    // 63 units, then a pair that would end past 64: the pair goes whole.
    expect(factsOf({ ...FACTS, interfaceName: `${'a'.repeat(63)}😀b` })).toMatchObject({
      interfaceName: 'a'.repeat(63),
    });
    expect(factsOf({ ...FACTS, interfaceName: `${'a'.repeat(62)}😀b` })).toMatchObject({
      interfaceName: `${'a'.repeat(62)}😀`,
    });
  });

  it('drops a report the contract refuses and says why, without throwing', () => {
    const dropped: string[] = [];
    const report = (where: string, error: Error): void => {
      dropped.push(`${where}: ${error.message}`);
    };
    // Values the codec never gives, as a defect would.
    expect(driverEventOf({ ...FACTS, epoch: -1 }, report)).toBeNull();
    expect(driverEventOf({ ...FACTS, interfaceIndex: 1.5 }, report)).toBeNull();
    expect(driverEventOf({ ...FACTS, gatewayMac: Uint8Array.of(1, 2, 3, 4, 5) }, report)).toBeNull();
    expect(dropped).toHaveLength(3);
    expect(dropped[0]).toMatch(/^network facts: NetworkFacts epoch -1 was dropped: epoch: /);
    expect(dropped[1]).toMatch(/^network facts: NetworkFacts epoch 3 was dropped: interfaceIndex: /);
    expect(dropped[2]).toMatch(/^network facts: NetworkFacts epoch 3 was dropped: gatewayMac: /);
    // With nobody to tell, still dropped, not thrown.
    expect(driverEventOf({ ...FACTS, epoch: -1 })).toBeNull();
  });
});
