// The cross-language fixture lists. driver/protocol/testdata/ts_commands.bin is built from
// TS_COMMAND_FIXTURES (native/scripts/gen-testdata.ts) and read by the Rust tests;
// rust_infos.bin is written by the Rust side and must decode to RUST_INFO_FIXTURES (the policy
// documents are in policy-fixtures.ts).
// Changing a list means changing the other language's tests and running `npm run protocol:regen`.
import { encodeCommand } from '../../src/codec/command-encoder.ts';
import type { Command } from '../../src/codec/command-types.ts';
import type { Info } from '../../src/codec/info-types.ts';
import { ALL_FEATURES, VERDICT } from '../../src/codec/protocol-constants.ts';
import { ipv4, ipv6 } from './address-bytes.ts';

/** Repository-relative path of the TypeScript-written command fixture. */
export const TS_COMMANDS_PATH = 'driver/protocol/testdata/ts_commands.bin';

/** Repository-relative path of the Rust-written info fixture. */
export const RUST_INFOS_PATH = 'driver/protocol/testdata/rust_infos.bin';

const U64_MAX = (1n << 64n) - 1n;

// The fixtures' addresses (documentation ranges, RFC 5737 and RFC 3849).
const V4_LOCAL = ipv4(192, 0, 2, 10);
const V4_REMOTE = ipv4(198, 51, 100, 7);
const V4_REMOTE_2 = ipv4(198, 51, 100, 8);
const V6_LOCAL = ipv6(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1);
const V6_REMOTE = ipv6(0x2001, 0xdb8, 0, 1, 0, 0, 0, 2);

/** Every base and extension command, in the order of ts_commands.bin. */
export const TS_COMMAND_FIXTURES: readonly Command[] = [
  { kind: 'shutdown' },
  { kind: 'verdict', id: 1n, verdict: VERDICT.accept },
  { kind: 'verdict', id: U64_MAX, verdict: VERDICT.permanentDrop },
  {
    kind: 'update',
    ipVersion: 4,
    protocol: 6,
    localIp: V4_LOCAL,
    localPort: 51000,
    remoteIp: V4_REMOTE,
    remotePort: 443,
    verdict: VERDICT.permanentBlock,
  },
  {
    kind: 'update',
    ipVersion: 6,
    protocol: 17,
    localIp: V6_LOCAL,
    localPort: 53,
    remoteIp: V6_REMOTE,
    remotePort: 5353,
    verdict: VERDICT.permanentAccept,
  },
  { kind: 'clearCache' },
  { kind: 'getLogs' },
  { kind: 'getBandwidthStats' },
  { kind: 'printMemoryStats' },
  { kind: 'cleanEndedConnections' },
  { kind: 'hello', extVersion: 1, features: 7 },
  { kind: 'getCounters' },
  // The largest part (data_len 0x2000), its short successor, then every header field at its maximum.
  {
    kind: 'policyPart',
    generation: 99n,
    totalLength: 8195,
    offset: 0,
    data: Uint8Array.from({ length: 8192 }, (_, i) => i & 0xff),
  },
  { kind: 'policyPart', generation: 99n, totalLength: 8195, offset: 8192, data: Uint8Array.of(1, 2, 3) },
  { kind: 'policyPart', generation: U64_MAX, totalLength: 0xffffffff, offset: 0xfffffffe, data: Uint8Array.of(0xab) },
  { kind: 'networkSeen', epoch: 1 },
  { kind: 'networkSeen', epoch: 0xffffffff },
];

/** The bytes ts_commands.bin must hold: TS_COMMAND_FIXTURES encoded back to back. */
export function buildTsCommands(): Uint8Array {
  const parts = TS_COMMAND_FIXTURES.map(encodeCommand);
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let pos = 0;
  for (const part of parts) {
    out.set(part, pos);
    pos += part.length;
  }
  return out;
}

/** What rust_infos.bin must decode to, in order: every base and extension info type. */
export const RUST_INFO_FIXTURES: readonly Info[] = [
  { kind: 'log', severity: 3, text: 'zenithfenced: started ✓' },
  {
    kind: 'connection',
    ipVersion: 4,
    id: 1n,
    processId: 4242n,
    direction: 0,
    protocol: 6,
    localIp: V4_LOCAL,
    localPort: 51000,
    remoteIp: V4_REMOTE,
    remotePort: 443,
    payloadLayer: 4,
    payload: new Uint8Array(0),
  },
  {
    kind: 'connection',
    ipVersion: 6,
    id: U64_MAX,
    processId: 1n,
    direction: 1,
    protocol: 17,
    localIp: V6_LOCAL,
    localPort: 53,
    remoteIp: V6_REMOTE,
    remotePort: 5353,
    payloadLayer: 3,
    payload: Uint8Array.of(0xde, 0xad, 0xbe, 0xef),
  },
  {
    kind: 'connectionEnd',
    ipVersion: 4,
    processId: 4242n,
    direction: 0,
    protocol: 6,
    localIp: V4_LOCAL,
    localPort: 51000,
    remoteIp: V4_REMOTE,
    remotePort: 443,
  },
  {
    kind: 'connectionEnd',
    ipVersion: 6,
    processId: 1n,
    direction: 1,
    protocol: 17,
    localIp: V6_LOCAL,
    localPort: 53,
    remoteIp: V6_REMOTE,
    remotePort: 5353,
  },
  {
    kind: 'bandwidthStats',
    ipVersion: 4,
    protocol: 6,
    entries: [
      {
        localIp: V4_LOCAL,
        localPort: 51000,
        remoteIp: V4_REMOTE,
        remotePort: 443,
        transmitted: 1000n,
        received: 20000n,
      },
      {
        localIp: V4_LOCAL,
        localPort: 51001,
        remoteIp: V4_REMOTE_2,
        remotePort: 80,
        transmitted: U64_MAX,
        received: 0n,
      },
    ],
  },
  {
    kind: 'bandwidthStats',
    ipVersion: 6,
    protocol: 17,
    entries: [
      {
        localIp: V6_LOCAL,
        localPort: 53,
        remoteIp: V6_REMOTE,
        remotePort: 5353,
        transmitted: 512n,
        received: 1024n,
      },
    ],
  },
  { kind: 'bandwidthStats', ipVersion: 4, protocol: 17, entries: [] },
  { kind: 'helloReply', version: [2, 1, 0, 0], extVersion: 1, features: ALL_FEATURES, driverKind: 2 },
  {
    kind: 'process',
    processId: 4242n,
    startTime: 123456789n,
    uid: 1000,
    path: '/usr/bin/curl',
    commandLine: ['curl', '-s', 'https://example.org/'],
  },
  { kind: 'process', processId: 77n, startTime: 5n, uid: 4294967295, path: '', commandLine: [] },
  { kind: 'dnsName', ipVersion: 4, ttlSeconds: 300, ip: V4_REMOTE, name: 'example.org' },
  { kind: 'dnsName', ipVersion: 6, ttlSeconds: 60, ip: V6_REMOTE, name: 'ipv6.example.org' },
  { kind: 'counters', values: [1n, 2n, 3n, 4n, 5n, 6n, 7n, 8n] },
  {
    kind: 'policyState',
    generation: 1_764_850_000_123n,
    ruleCount: 10_000,
    noAppAction: VERDICT.block,
    origin: 'client',
    problem: 'not-saved',
    problemGeneration: 1_764_850_000_123n,
  },
  {
    kind: 'ruleDecided',
    ipVersion: 4,
    processId: 4242n,
    direction: 0,
    protocol: 6,
    localIp: V4_LOCAL,
    localPort: 51001,
    remoteIp: V4_REMOTE,
    remotePort: 443,
    verdict: VERDICT.permanentBlock,
    generation: 7n,
    ruleTag: 0xdeadbeef,
  },
  {
    kind: 'ruleDecided',
    ipVersion: 6,
    processId: 0n,
    direction: 1,
    protocol: 17,
    localIp: V6_LOCAL,
    localPort: 53,
    remoteIp: V6_REMOTE,
    remotePort: 40000,
    verdict: VERDICT.permanentAccept,
    generation: U64_MAX,
    ruleTag: 0,
  },
  {
    kind: 'dnsExchange',
    processId: 4242n,
    ipVersion: 4,
    localIp: new Uint8Array([10, 0, 0, 2]),
    localPort: 40000,
    resolverIp: new Uint8Array([10, 0, 0, 1]),
    resolverPort: 53,
    qtype: 1,
    rcode: 0,
    ttlSeconds: 60,
    name: 'example.com',
    v4Addresses: [new Uint8Array([93, 184, 216, 34]), new Uint8Array([10, 9, 8, 7])],
    v6Addresses: [new Uint8Array([0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1])],
  },
  {
    kind: 'dnsExchange',
    processId: 0n,
    ipVersion: 6,
    localIp: new Uint8Array([0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2]),
    localPort: 5353,
    resolverIp: new Uint8Array([0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]),
    resolverPort: 53,
    qtype: 28,
    rcode: 3,
    ttlSeconds: 0,
    name: 'nope.example',
    v4Addresses: [],
    v6Addresses: [],
  },
  // The three NetworkFacts of driver/protocol/examples/gen_testdata.rs: every flag with an SSID
  // that is not UTF-8, an IPv6 gateway without a MAC, and no default route at all.
  {
    kind: 'networkFacts',
    epoch: 1,
    flags: 7,
    ipVersion: 4,
    gatewayIp: new Uint8Array([192, 168, 1, 1]),
    gatewayMac: new Uint8Array([0x02, 0x11, 0x22, 0x33, 0x44, 0x55]),
    interfaceIndex: 3,
    interfaceName: 'wlp2s0',
    dnsSuffix: 'home.example',
    ssid: new Uint8Array([0x43, 0x61, 0x66, 0xe9]),
  },
  {
    kind: 'networkFacts',
    epoch: 2,
    flags: 1,
    ipVersion: 6,
    gatewayIp: new Uint8Array([0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]),
    gatewayMac: new Uint8Array(6),
    interfaceIndex: 0x01020304,
    interfaceName: 'eth0',
    dnsSuffix: '',
    ssid: new Uint8Array(0),
  },
  {
    kind: 'networkFacts',
    epoch: 0xffffffff,
    flags: 0,
    ipVersion: 0,
    gatewayIp: new Uint8Array(0),
    gatewayMac: new Uint8Array(6),
    interfaceIndex: 0,
    interfaceName: '',
    dnsSuffix: '',
    ssid: new Uint8Array(0),
  },
];
