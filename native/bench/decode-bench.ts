// Decoding throughput of InfoReader: a 64 KiB buffer of mixed infos, pushed whole and as 4 KiB
// reads, for about 2 s each. Prints numbers and asserts nothing (goal: >= 1M infos/s on one core).
// Run: node_modules/.bin/node native/bench/decode-bench.ts (npm run bench:codec).
import { InfoReader } from '../src/codec/info-reader.ts';
import type { Info } from '../src/codec/info-types.ts';
import { ipv4, ipv6 } from '../test-support/codec/address-bytes.ts';
import { encodeInfo } from '../test-support/codec/info-encoder.ts';

const BUFFER_SIZE = 64 * 1024;
const READ_SIZE = 4 * 1024;
const SECONDS = 2;

// A rotation of the info kinds a busy machine produces, mostly connections and their ends.
function sampleInfo(i: number): Info {
  const id = BigInt(i + 1);
  const port = 1024 + (i % 60000);
  const payload = new Uint8Array(i % 48).fill(i & 0xff);
  switch (i % 10) {
    case 0:
    case 1:
    case 2:
      return {
        kind: 'connection',
        ipVersion: 4,
        id,
        processId: 4242n,
        direction: i % 2,
        protocol: 6,
        localIp: ipv4(192, 168, i % 256, 10),
        localPort: port,
        remoteIp: ipv4(203, 0, 113, i % 256),
        remotePort: 443,
        payloadLayer: 4,
        payload,
      };
    case 3:
    case 4:
      return {
        kind: 'connection',
        ipVersion: 6,
        id,
        processId: 1n,
        direction: 0,
        protocol: 17,
        localIp: ipv6(0x2001, 0xdb8, 0, 0, 0, 0, 0, i % 65536),
        localPort: port,
        remoteIp: ipv6(0x2606, 0x4700, 0x4700, 0, 0, 0, 0, 0x1111),
        remotePort: 53,
        payloadLayer: 3,
        payload,
      };
    case 5:
      return {
        kind: 'connectionEnd',
        ipVersion: 4,
        processId: 4242n,
        direction: 0,
        protocol: 6,
        localIp: ipv4(192, 168, 1, 10),
        localPort: port,
        remoteIp: ipv4(203, 0, 113, 9),
        remotePort: 443,
      };
    case 6:
      return {
        kind: 'connectionEnd',
        ipVersion: 6,
        processId: 7n,
        direction: 1,
        protocol: 17,
        localIp: ipv6(0xfe80, 0, 0, 0, 0x1c2b, 0x3dff, 0xfe4e, 0x5f60),
        localPort: port,
        remoteIp: ipv6(0xfe80, 0, 0, 0, 0, 0, 0, 1),
        remotePort: 5353,
      };
    case 7:
      return {
        kind: 'bandwidthStats',
        ipVersion: 4,
        protocol: 6,
        entries: [1, 2].map((n) => ({
          localIp: ipv4(192, 168, 1, 10),
          localPort: port + n,
          remoteIp: ipv4(203, 0, 113, 9),
          remotePort: 443,
          transmitted: BigInt(n * 1000),
          received: BigInt(n * 64000),
        })),
      };
    case 8:
      return i % 20 === 8
        ? { kind: 'log', severity: 3, text: `zenithfenced: verdict for packet ${i} applied` }
        : { kind: 'dnsName', ipVersion: 4, ttlSeconds: 300, ip: ipv4(203, 0, 113, 9), name: 'api.example.org' };
    default:
      return {
        kind: 'process',
        processId: BigInt(1000 + i),
        startTime: 123456789n,
        uid: 1000,
        path: '/usr/lib/firefox/firefox',
        commandLine: ['/usr/lib/firefox/firefox', '-contentproc', '-childID', String(i)],
      };
  }
}

function buildBuffer(): { bytes: Uint8Array; count: number } {
  const bytes = new Uint8Array(BUFFER_SIZE);
  let pos = 0;
  let count = 0;
  for (;;) {
    const info = encodeInfo(sampleInfo(count));
    if (pos + info.length > BUFFER_SIZE) break;
    bytes.set(info, pos);
    pos += info.length;
    count += 1;
  }
  return { bytes: bytes.subarray(0, pos), count };
}

function run(label: string, chunks: readonly Uint8Array[], bytesPerRound: number): void {
  const reader = new InfoReader();
  let infos = 0;
  let rounds = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < SECONDS * 1000) {
    for (const chunk of chunks) infos += reader.push(chunk).length;
    rounds += 1;
    // Checking the clock every round is cheap next to decoding 64 KiB.
    elapsed = performance.now() - start;
  }
  const seconds = elapsed / 1000;
  const infosPerSecond = infos / seconds;
  const megabytesPerSecond = (rounds * bytesPerRound) / seconds / 1e6;
  console.log(
    `${label.padEnd(22)} ${(infosPerSecond / 1e6).toFixed(2)} M infos/s  ${megabytesPerSecond.toFixed(0)} MB/s  (${rounds} rounds, pending ${reader.pending})`,
  );
}

const { bytes, count } = buildBuffer();
console.log(`buffer: ${bytes.length} bytes, ${count} infos (avg ${(bytes.length / count).toFixed(1)} B/info)`);
const reads: Uint8Array[] = [];
for (let pos = 0; pos < bytes.length; pos += READ_SIZE) reads.push(bytes.subarray(pos, pos + READ_SIZE));
// Warm up both paths so the JIT has compiled them before timing.
for (let i = 0; i < 200; i++) {
  new InfoReader().push(bytes);
  for (const read of reads) new InfoReader().push(read);
}
run('whole 64 KiB buffer', [bytes], bytes.length);
run('4 KiB reads', reads, bytes.length);
