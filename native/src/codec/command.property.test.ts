// Property tests: random commands round-trip, and random bytes make decodeCommand throw nothing
// but CommandDecodeError. The seed is printed; CODEC_TEST_SEED replays a run.
import { describe, expect, it } from 'vitest';
import { CommandDecodeError, decodeCommand } from '../../test-support/codec/command-decoder.ts';
import { Random, testSeed } from '../../test-support/codec/test-random.ts';
import { encodeCommand } from './command-encoder.ts';
import type { Command } from './command-types.ts';
import { COMMAND_ID, commandSize, type Verdict } from './protocol-constants.ts';

function randomCommand(random: Random): Command {
  const verdict = random.int(12) as Verdict;
  switch (random.int(13)) {
    case 0:
      return { kind: 'verdict', id: random.u64(), verdict };
    case 1:
    case 2: {
      const ipVersion = random.pick([4, 6] as const);
      return {
        kind: 'update',
        ipVersion,
        protocol: random.uint(8),
        localIp: random.bytes(ipVersion === 4 ? 4 : 16),
        localPort: random.uint(16),
        remoteIp: random.bytes(ipVersion === 4 ? 4 : 16),
        remotePort: random.uint(16),
        verdict,
      };
    }
    case 3:
      return { kind: 'hello', extVersion: random.uint(16), features: random.uint(32) };
    case 4:
      return {
        kind: 'policyPart',
        generation: random.u64(),
        totalLength: random.uint(32),
        offset: random.uint(32),
        data: random.bytes(random.chance(0.1) ? random.pick([1, 8192]) : 1 + random.int(100)),
      };
    case 5:
      return { kind: 'networkSeen', epoch: random.uint(32) };
    default:
      return {
        kind: random.pick([
          'shutdown',
          'clearCache',
          'getLogs',
          'getBandwidthStats',
          'printMemoryStats',
          'cleanEndedConnections',
          'getCounters',
        ] as const),
      };
  }
}

describe('command properties', () => {
  it('encode then decode gives the command back', () => {
    const random = new Random(testSeed('command round trip'));
    for (let i = 0; i < 5000; i++) {
      const command = randomCommand(random);
      const bytes = encodeCommand(command);
      expect(decodeCommand(bytes)).toEqual(command);
      expect(encodeCommand(decodeCommand(bytes))).toEqual(bytes);
    }
  });

  it('random bytes decode or throw CommandDecodeError, nothing else', () => {
    const random = new Random(testSeed('command random bytes'));
    let decoded = 0;
    for (let i = 0; i < 20000; i++) {
      // Often a known id with its exact size, so the field decoders see random values too.
      const id = random.chance(0.5) ? random.pick(Object.values(COMMAND_ID)) : random.uint(8);
      const size = random.chance(0.7) ? (commandSize(id) ?? random.int(50)) : random.int(50);
      const bytes = Uint8Array.of(id, ...random.bytes(Math.max(0, size - 1))).subarray(0, size);
      // A PolicyPart's size is in its data_len: often make that agree with the bytes.
      if (id === COMMAND_ID.policyPart && size >= 19 && random.chance(0.7)) {
        new DataView(bytes.buffer).setUint16(17, size - 19, true);
      }
      try {
        const command = decodeCommand(bytes);
        decoded += 1;
        expect(encodeCommand(command)).toEqual(bytes);
      } catch (error) {
        if (!(error instanceof CommandDecodeError)) throw error;
      }
    }
    expect(decoded).toBeGreaterThan(1000);
  });
});
