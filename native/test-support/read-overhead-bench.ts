// Per-read overhead of the ways to read the daemon's socket: 10 000 reads of data already waiting
// on a SEQPACKET socketpair, through (1) a synchronous ffi call, (2) the runInNewThread call of
// the threadpool fallback, (3) the event-driven read of the default transport (libuv watches the
// descriptor), (4) the whole handle (transport + InfoReader + queue) on each way of reading.
// Prints, asserts nothing. A message that arrives while a read waits (every connection's case) is
// measured across processes by app/driver-client/bench/decision-latency-bench.ts.
// Run: node_modules/.bin/node native/test-support/read-overhead-bench.ts
import { createDriverHandle } from '../src/driver-handle.ts';
import { libc } from '../src/ffi.ts';
import { linuxSocketTransport } from '../src/linux/socket-transport.ts';
import { encodeInfo } from './codec/info-encoder.ts';
import { closeFd, sendMessage, seqpacketPair } from './socketpair.ts';

const READS = 10_000;
// Messages queued before each batch of reads: well inside the default socket buffer.
const BATCH = 100;
const MESSAGE = encodeInfo({ kind: 'log', severity: 3, text: 'x'.repeat(95) });

async function measure(label: string, readOne: (fd: number) => Promise<void> | void, fd: number, peer: number) {
  let readNs = 0n;
  for (let done = 0; done < READS; done += BATCH) {
    for (let i = 0; i < BATCH; i += 1) sendMessage(peer, MESSAGE);
    const started = process.hrtime.bigint();
    for (let i = 0; i < BATCH; i += 1) await readOne(fd);
    readNs += process.hrtime.bigint() - started;
  }
  const perRead = Number(readNs) / READS / 1000;
  console.log(
    `${label.padEnd(52)} ${perRead.toFixed(1).padStart(6)} µs/read  ${(1e6 / perRead).toFixed(0).padStart(7)} reads/s`,
  );
}

const sys = libc();
const buffer = Buffer.alloc(64 * 1024);
for (let round = 0; round < 2; round += 1) {
  console.log(round === 0 ? 'warm-up:' : 'measured:');
  const pair = seqpacketPair();
  await measure(
    'synchronous read (ffi-rs, JS thread)',
    (fd) => void sys.readSync(fd, buffer, buffer.length),
    pair.client,
    pair.daemon,
  );
  await measure(
    'runInNewThread read (libuv threadpool)',
    async (fd) => void (await sys.read(fd, buffer, buffer.length)),
    pair.client,
    pair.daemon,
  );
  const events = linuxSocketTransport(pair.client);
  await measure(
    'event-driven read (libuv, event loop)',
    async () => void (await events.read()),
    pair.client,
    pair.daemon,
  );
  events.close();
  closeFd(pair.daemon);
  for (const reads of ['threadpool', 'event'] as const) {
    const handlePair = seqpacketPair();
    const handle = createDriverHandle(linuxSocketTransport(handlePair.client, { reads }));
    const infos = handle.infos();
    await measure(
      `handle (${reads} reads): read + decode + for-await`,
      async () => void (await infos.next()),
      handlePair.client,
      handlePair.daemon,
    );
    await handle.close();
    closeFd(handlePair.daemon);
  }
}
