import { describe, expect, it } from 'vitest';
import { ipv4, ipv6 } from '../../test-support/codec/address-bytes.ts';
import { encodeCommand } from './command-encoder.ts';
import type { Command } from './command-types.ts';
import { COMMAND_SIZE } from './protocol-constants.ts';

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

const UPDATE_V4: Command = {
  kind: 'update',
  ipVersion: 4,
  protocol: 6,
  localIp: ipv4(192, 0, 2, 10),
  localPort: 51000,
  remoteIp: ipv4(198, 51, 100, 7),
  remotePort: 443,
  verdict: 5,
};

const PART: Command = { kind: 'policyPart', generation: 1n, totalLength: 1, offset: 0, data: Uint8Array.of(1) };

describe('encodeCommand', () => {
  it('writes the README layouts, little-endian', () => {
    expect(hex(encodeCommand({ kind: 'shutdown' }))).toBe('00');
    expect(hex(encodeCommand({ kind: 'verdict', id: 0x0102030405060708n, verdict: 2 }))).toBe('01080706050403020102');
    expect(hex(encodeCommand(UPDATE_V4))).toBe('0206c000020a38c7c6336407bb0105');
    expect(
      hex(
        encodeCommand({
          kind: 'update',
          ipVersion: 6,
          protocol: 17,
          localIp: ipv6(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1),
          localPort: 53,
          remoteIp: ipv6(0, 0, 0, 0, 0, 0xffff, 0x102, 0x304),
          remotePort: 5353,
          verdict: 3,
        }),
      ),
    ).toBe('031120010db8000000000000000000000001350000000000000000000000ffff01020304e91403');
    expect(hex(encodeCommand({ kind: 'hello', extVersion: 1, features: 7 }))).toBe('80010007000000');
    expect(hex(encodeCommand({ kind: 'getCounters' }))).toBe('81');
    expect(
      hex(
        encodeCommand({
          kind: 'policyPart',
          generation: 0x0102030405060708n,
          totalLength: 0x11223344,
          offset: 0x55667788,
          data: Uint8Array.of(0xaa, 0xbb),
        }),
      ),
    ).toBe('82' + '0807060504030201' + '44332211' + '88776655' + '0200' + 'aabb');
    // NetworkSeen: id 131, then epoch u32 LE.
    expect(hex(encodeCommand({ kind: 'networkSeen', epoch: 0x01020304 }))).toBe('8304030201');
    expect(hex(encodeCommand({ kind: 'networkSeen', epoch: 0xffffffff }))).toBe('83ffffffff');
  });

  it('gives each command its table size', () => {
    const sizes: Array<[Command, number]> = [
      [{ kind: 'shutdown' }, COMMAND_SIZE[0]],
      [{ kind: 'verdict', id: 1n, verdict: 0 }, COMMAND_SIZE[1]],
      [UPDATE_V4, COMMAND_SIZE[2]],
      [
        { ...UPDATE_V4, ipVersion: 6, localIp: ipv6(0, 0, 0, 0, 0, 0, 0, 1), remoteIp: ipv6(0, 0, 0, 0, 0, 0, 0, 2) },
        COMMAND_SIZE[3],
      ],
      [{ kind: 'clearCache' }, COMMAND_SIZE[4]],
      [{ kind: 'getLogs' }, COMMAND_SIZE[5]],
      [{ kind: 'getBandwidthStats' }, COMMAND_SIZE[6]],
      [{ kind: 'printMemoryStats' }, COMMAND_SIZE[7]],
      [{ kind: 'cleanEndedConnections' }, COMMAND_SIZE[8]],
      [{ kind: 'hello', extVersion: 1, features: 7 }, COMMAND_SIZE[128]],
      [{ kind: 'getCounters' }, COMMAND_SIZE[129]],
      [{ kind: 'networkSeen', epoch: 1 }, COMMAND_SIZE[131]],
    ];
    for (const [command, size] of sizes) expect(encodeCommand(command)).toHaveLength(size);
    // PolicyPart has no table size: its header, then its data.
    const part = { kind: 'policyPart', generation: 1n, totalLength: 1, offset: 0 } as const;
    expect(encodeCommand({ ...part, data: Uint8Array.of(1) })).toHaveLength(20);
    expect(encodeCommand({ ...part, data: new Uint8Array(8192) })).toHaveLength(19 + 8192);
  });

  it.each<[string, Command, RegExp]>([
    ['negative id', { kind: 'verdict', id: -1n, verdict: 2 }, /verdict\.id must be a bigint in 0\.\./],
    ['id over u64', { kind: 'verdict', id: 1n << 64n, verdict: 2 }, /verdict\.id/],
    ['number id', { kind: 'verdict', id: 1 as unknown as bigint, verdict: 2 }, /verdict\.id/],
    [
      'verdict 12',
      { kind: 'verdict', id: 1n, verdict: 12 as never },
      /verdict\.verdict must be a verdict in 0\.\.11, got 12/,
    ],
    ['verdict -1', { kind: 'verdict', id: 1n, verdict: -1 as never }, /verdict\.verdict/],
    ['verdict 2.5', { kind: 'verdict', id: 1n, verdict: 2.5 as never }, /verdict\.verdict/],
    ['update verdict', { ...UPDATE_V4, verdict: 255 as never }, /update\.verdict/],
    ['port 65536', { ...UPDATE_V4, localPort: 65536 }, /update\.localPort must be an integer in 0\.\.65535, got 65536/],
    ['port -1', { ...UPDATE_V4, remotePort: -1 }, /update\.remotePort/],
    ['port NaN', { ...UPDATE_V4, remotePort: NaN }, /update\.remotePort/],
    ['protocol 256', { ...UPDATE_V4, protocol: 256 }, /update\.protocol/],
    [
      'IPv6 address in a v4 update',
      { ...UPDATE_V4, localIp: ipv6(0, 0, 0, 0, 0, 0, 0, 1) },
      /update\.localIp must be 4 address bytes \(IPv4\), got 16 bytes/,
    ],
    [
      'IPv4 address in a v6 update',
      { ...UPDATE_V4, ipVersion: 6, localIp: ipv6(0, 0, 0, 0, 0, 0, 0, 1) },
      /update\.remoteIp must be 16 address bytes \(IPv6\), got 4 bytes/,
    ],
    [
      'an address of 3 bytes',
      { ...UPDATE_V4, remoteIp: Uint8Array.of(1, 2, 3) },
      /update\.remoteIp must be 4 address bytes \(IPv4\), got 3 bytes/,
    ],
    ['ipVersion 5', { ...UPDATE_V4, ipVersion: 5 as never }, /update\.ipVersion must be 4 or 6/],
    ['extVersion', { kind: 'hello', extVersion: 65536, features: 0 }, /hello\.extVersion/],
    ['features', { kind: 'hello', extVersion: 1, features: 2 ** 32 }, /hello\.features/],
    ['unknown kind', { kind: 'reboot' } as unknown as Command, /unknown command kind "reboot"/],
    [
      'an empty policy part',
      { ...PART, data: new Uint8Array(0) },
      /policyPart\.data must be 1\.\.8192 bytes, got 0 bytes/,
    ],
    [
      'a policy part of 8193 bytes',
      { ...PART, data: new Uint8Array(8193) },
      /policyPart\.data must be 1\.\.8192 bytes, got 8193/,
    ],
    ['policy part data that is no Uint8Array', { ...PART, data: [1] as never }, /policyPart\.data .*not a Uint8Array/],
    ['a policy generation over u64', { ...PART, generation: 1n << 64n }, /policyPart\.generation/],
    [
      'a total length over u32',
      { ...PART, totalLength: 2 ** 32 },
      /policyPart\.totalLength must be an integer in 0\.\.4294967295/,
    ],
    ['a negative offset', { ...PART, offset: -1 }, /policyPart\.offset/],
    [
      'an epoch over u32',
      { kind: 'networkSeen', epoch: 2 ** 32 },
      /networkSeen\.epoch must be an integer in 0\.\.4294967295, got 4294967296/,
    ],
    ['a negative epoch', { kind: 'networkSeen', epoch: -1 }, /networkSeen\.epoch/],
    ['a fractional epoch', { kind: 'networkSeen', epoch: 1.5 }, /networkSeen\.epoch/],
  ])('throws a RangeError for %s', (_name, command, message) => {
    expect(() => encodeCommand(command)).toThrow(RangeError);
    expect(() => encodeCommand(command)).toThrow(message);
  });
});
