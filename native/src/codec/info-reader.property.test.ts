// Property tests: random bytes never make the reader throw, and random infos survive encoder →
// reader whatever the chunking. The seed is printed; CODEC_TEST_SEED replays a run.
import { describe, expect, it } from 'vitest';
import { encodeInfos, frameInfo } from '../../test-support/codec/info-encoder.ts';
import { Random, randomChunks, testSeed } from '../../test-support/codec/test-random.ts';
import { InfoReader, type ReaderOutput } from './info-reader.ts';
import type { Info } from './info-types.ts';
import { POLICY_ORIGINS, POLICY_PROBLEMS, type Verdict } from './protocol-constants.ts';

const PALETTE = ['a', 'Z', '0', ' ', '/', '.', '-', 'é', '✓', '日', '😀', '\ufeff', '\0'];

function randomText(random: Random, maxLength: number, allowNul = true): string {
  let text = '';
  const length = random.int(maxLength + 1);
  for (let i = 0; i < length; i++) {
    const char = random.pick(PALETTE);
    text += char === '\0' && !allowNul ? 'x' : char;
  }
  return text;
}

function randomIp(random: Random, ipVersion: 4 | 6): Uint8Array {
  if (ipVersion === 4) return random.bytes(4);
  const bytes = random.bytes(16);
  // Zero some groups and map some IPv4 addresses: the shapes drivers send.
  for (let g = 0; g < 8; g++) if (random.chance(0.5)) bytes.fill(0, 2 * g, 2 * g + 2);
  if (random.chance(0.1)) bytes.set([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff]);
  return bytes;
}

// A random valid info of any kind.
function randomInfo(random: Random): Info {
  const ipVersion = random.pick([4, 6] as const);
  const endpoints = {
    localIp: randomIp(random, ipVersion),
    localPort: random.uint(16),
    remoteIp: randomIp(random, ipVersion),
    remotePort: random.uint(16),
  };
  switch (random.int(12)) {
    case 0:
      return { kind: 'log', severity: random.uint(8), text: randomText(random, 40) };
    case 1:
      return {
        kind: 'connection',
        ipVersion,
        id: random.u64(),
        processId: random.u64(),
        direction: random.uint(8),
        protocol: random.uint(8),
        ...endpoints,
        payloadLayer: random.uint(8),
        payload: random.bytes(random.chance(0.1) ? random.int(3000) : random.int(64)),
      };
    case 2:
      return {
        kind: 'connectionEnd',
        ipVersion,
        processId: random.u64(),
        direction: random.uint(8),
        protocol: random.uint(8),
        ...endpoints,
      };
    case 3:
      return {
        kind: 'bandwidthStats',
        ipVersion,
        protocol: random.uint(8),
        entries: Array.from({ length: random.int(5) }, () => ({
          localIp: randomIp(random, ipVersion),
          localPort: random.uint(16),
          remoteIp: randomIp(random, ipVersion),
          remotePort: random.uint(16),
          transmitted: random.u64(),
          received: random.u64(),
        })),
      };
    case 4:
      return {
        kind: 'helloReply',
        version: [random.uint(8), random.uint(8), random.uint(8), random.uint(8)],
        extVersion: random.uint(16),
        features: random.uint(32),
        driverKind: random.uint(8),
      };
    case 5:
      return {
        kind: 'process',
        processId: random.u64(),
        startTime: random.u64(),
        uid: random.uint(32),
        path: randomText(random, 30),
        commandLine: Array.from({ length: random.int(5) }, () => randomText(random, 10, false)),
      };
    case 6:
      return {
        kind: 'dnsName',
        ipVersion,
        ttlSeconds: random.uint(32),
        ip: endpoints.remoteIp,
        name: `${randomText(random, 20)}x`,
      };
    case 7:
      return {
        kind: 'policyState',
        generation: random.u64(),
        ruleCount: random.uint(32),
        noAppAction: random.int(12) as Verdict,
        origin: random.pick(POLICY_ORIGINS),
        problem: random.pick(POLICY_PROBLEMS),
        problemGeneration: random.u64(),
      };
    case 8:
      return {
        kind: 'ruleDecided',
        ipVersion,
        processId: random.u64(),
        direction: random.uint(8),
        protocol: random.uint(8),
        ...endpoints,
        verdict: random.int(12) as Verdict,
        generation: random.u64(),
        ruleTag: random.uint(32),
      };
    case 9:
      return {
        kind: 'dnsExchange',
        processId: random.u64(),
        ipVersion,
        localIp: endpoints.localIp,
        localPort: endpoints.localPort,
        resolverIp: endpoints.remoteIp,
        resolverPort: endpoints.remotePort,
        qtype: random.uint(16),
        rcode: random.uint(8),
        ttlSeconds: random.uint(32),
        name: `${randomText(random, 30)}x`,
        v4Addresses: Array.from({ length: random.int(4) }, () => randomIp(random, 4)),
        v6Addresses: Array.from({ length: random.int(4) }, () => randomIp(random, 6)),
      };
    case 10: {
      // Without a route (ip_version 0) there is no gateway address, as the README says.
      const gatewayVersion = random.pick([0, 4, 6] as const);
      return {
        kind: 'networkFacts',
        epoch: random.uint(32),
        flags: random.uint(8),
        ipVersion: gatewayVersion,
        gatewayIp: gatewayVersion === 0 ? new Uint8Array(0) : randomIp(random, gatewayVersion),
        gatewayMac: random.bytes(6),
        interfaceIndex: random.uint(32),
        interfaceName: randomText(random, 15),
        dnsSuffix: randomText(random, 30),
        ssid: random.bytes(random.int(33)),
      };
    }
    default:
      return { kind: 'counters', values: Array.from({ length: random.int(12) }, () => random.u64()) };
  }
}

function readAll(reader: InfoReader, chunks: readonly Uint8Array[]): ReaderOutput {
  return chunks.flatMap((chunk) => reader.push(chunk));
}

describe('InfoReader properties', () => {
  it('round-trips random infos through the encoder, whatever the chunking', () => {
    const random = new Random(testSeed('info round trip'));
    for (let round = 0; round < 300; round++) {
      const infos = Array.from({ length: 1 + random.int(30) }, () => randomInfo(random));
      const stream = encodeInfos(infos);
      const reader = new InfoReader();
      expect(readAll(reader, randomChunks(random, stream, random.pick([1, 5, 40, 500, 5000])))).toEqual(infos);
      expect(reader.pending).toBe(0);
    }
  });

  it('never throws on random bytes, and resynchronises after skipped infos', () => {
    const random = new Random(testSeed('info random bytes'));
    for (let round = 0; round < 2000; round++) {
      // Random headers with small lengths make many complete (mostly malformed) infos; a valid
      // info framed after them must still come out, as long as the random part ended on a boundary.
      const garbage: number[] = [];
      for (let n = random.int(8); n > 0; n--) {
        garbage.push(
          ...frameInfo(
            random.pick([0, 1, 2, 3, 4, 5, 6, 128, 129, 130, 131, 132, 133, 134, 135, 136, 137, random.uint(8)]),
            random.bytes(random.int(80)),
          ),
        );
      }
      const info = randomInfo(random);
      const stream = Uint8Array.of(...garbage, ...encodeInfos([info]));
      const items = readAll(new InfoReader({ maxBodyLength: 1 << 20 }), randomChunks(random, stream, 64));
      expect(items.at(-1)).toEqual(info);
      // Pure noise, with headers of any length (some oversized for the limit).
      const noise = random.bytes(random.int(600));
      expect(() => readAll(new InfoReader({ maxBodyLength: 1 << 20 }), randomChunks(random, noise, 100))).not.toThrow();
    }
  });
});
