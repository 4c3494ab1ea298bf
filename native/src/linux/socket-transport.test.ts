// The real Linux transport (libc through ffi-rs) on a socketpair: no daemon and no root needed.
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { encodeInfos } from '../../test-support/codec/info-encoder.ts';
import { closeFd, receiveMessage, sendMessage, seqpacketPair } from '../../test-support/socketpair.ts';
import type { Info } from '../codec/index.ts';
import { encodeCommand, VERDICT } from '../codec/index.ts';
import { createDriverHandle } from '../driver-handle.ts';
import { DaemonNotRunning, DriverGone, DriverOsError } from '../errors.ts';
import { openDriver } from '../open-driver.ts';
import { linuxSocketTransport } from './socket-transport.ts';

const DAEMON_MESSAGE_LIMIT = 16 * 1024;

function logs(count: number, size: number): Info[] {
  return Array.from({ length: count }, (_, i) => ({ kind: 'log', severity: 3, text: `${i}:`.padEnd(size, 'x') }));
}

// Sends a stream the way the daemon does: cut into messages of at most 16 KiB, infos split anywhere.
function sendAsDaemon(fd: number, stream: Uint8Array): void {
  for (let at = 0; at < stream.length; at += DAEMON_MESSAGE_LIMIT) {
    sendMessage(fd, stream.subarray(at, at + DAEMON_MESSAGE_LIMIT));
  }
}

// Both ways of reading run every test: event-driven (the default) and the threadpool fallback.
describe.each(['event', 'threadpool'] as const)('Linux socket transport (socketpair, %s reads)', (reads) => {
  it('reassembles infos cut across 16 KiB messages, including one larger than a message', async () => {
    const pair = seqpacketPair();
    const handle = createDriverHandle(linuxSocketTransport(pair.client, { reads }));
    const infos = [...logs(500, 100), ...logs(1, 40_000), ...logs(10, 7)];
    sendAsDaemon(pair.daemon, encodeInfos(infos));
    const received: unknown[] = [];
    for await (const info of handle.infos()) {
      received.push(info);
      if (received.length === infos.length) break;
    }
    expect(received).toEqual(infos);
    await handle.close();
    closeFd(pair.daemon);
  });

  it('writes each command as one message of its exact size', async () => {
    const pair = seqpacketPair();
    const handle = createDriverHandle(linuxSocketTransport(pair.client, { reads }));
    await handle.send({ kind: 'verdict', id: 42n, verdict: VERDICT.permanentAccept });
    await handle.send({ kind: 'getCounters' });
    expect(receiveMessage(pair.daemon)).toEqual(Buffer.from(encodeCommand({ kind: 'verdict', id: 42n, verdict: 3 })));
    expect(receiveMessage(pair.daemon)).toEqual(Buffer.from([129]));
    await handle.close();
    closeFd(pair.daemon);
  });

  it('writes the largest command, a PolicyPart of 8 211 bytes, as one message', async () => {
    // 19 bytes of header and 8 192 of policy document (driver/protocol/README.md, "Policy").
    const largest = Uint8Array.from({ length: 19 + 8192 }, (_, i) => i % 251);
    const pair = seqpacketPair();
    const transport = linuxSocketTransport(pair.client, { reads });
    await transport.write(largest);
    await transport.write(largest);
    expect(receiveMessage(pair.daemon)).toEqual(Buffer.from(largest));
    expect(receiveMessage(pair.daemon)).toEqual(Buffer.from(largest));
    transport.close();
    closeFd(pair.daemon);
  });

  it('close() wakes the blocked read at once and leaves the threadpool free', async () => {
    for (let round = 0; round < 6; round += 1) {
      const pair = seqpacketPair();
      const handle = createDriverHandle(linuxSocketTransport(pair.client, { reads }));
      await new Promise((resolve) => setTimeout(resolve, 20));
      const started = performance.now();
      await handle.close();
      expect(performance.now() - started).toBeLessThan(500);
      expect(await handle.ended).toEqual({ reason: 'closed' });
      // The daemon end sees the client leave.
      expect(receiveMessage(pair.daemon)).toHaveLength(0);
      closeFd(pair.daemon);
    }
    // Six closed handles left no pool thread blocked: four parallel fs reads (the pool size) finish.
    const fileReads = Array.from({ length: 4 }, () => readFile('/proc/self/stat', 'utf8'));
    await expect(Promise.all(fileReads)).resolves.toHaveLength(4);
  });

  it('reports DriverGone when the daemon end closes', async () => {
    const pair = seqpacketPair();
    const handle = createDriverHandle(linuxSocketTransport(pair.client, { reads }));
    const infos = handle.infos();
    const next = infos.next();
    closeFd(pair.daemon);
    await expect(next).rejects.toBeInstanceOf(DriverGone);
    expect((await handle.ended).reason).toBe('error');
    await expect(handle.send({ kind: 'getLogs' })).rejects.toBeInstanceOf(DriverGone);
  });

  it('a daemon that stops reading commands never blocks the event loop: the write waits, then fails', async () => {
    const pair = seqpacketPair();
    const transport = linuxSocketTransport(pair.client, { reads, sendStallMs: 300 });
    const command = encodeCommand({ kind: 'verdict', id: 1n, verdict: VERDICT.accept });
    let ticks = 0;
    const timer = setInterval(() => (ticks += 1), 10);
    let written = 0;
    let failure: unknown = null;
    // The socket buffer holds a few hundred messages; then the write waits for room.
    while (failure === null && written < 100_000) {
      await transport.write(command).then(
        () => (written += 1),
        (error: unknown) => (failure = error),
      );
    }
    clearInterval(timer);
    expect(written).toBeGreaterThan(0);
    expect(failure).toBeInstanceOf(DriverOsError);
    expect((failure as DriverOsError).retryable).toBe(true);
    expect((failure as DriverOsError).message).toContain('the driver reads no commands');
    // Timers ran while the write waited: the event loop was never blocked.
    expect(ticks).toBeGreaterThan(0);
    // Once the daemon reads again, commands go through, in order.
    expect(receiveMessage(pair.daemon)).toEqual(Buffer.from(command));
    await expect(transport.write(command)).resolves.toBeUndefined();
    transport.close();
    closeFd(pair.daemon);
  });

  it('each read returns exactly one message, never two joined, also when several wait', async () => {
    const pair = seqpacketPair();
    const transport = linuxSocketTransport(pair.client, { reads });
    const messages = [10, DAEMON_MESSAGE_LIMIT, 1, 300].map((size, i) =>
      Uint8Array.from({ length: size }, (_, j) => (i * 31 + j) % 256),
    );
    for (const message of messages) sendMessage(pair.daemon, message);
    const received: Uint8Array[] = [];
    for (let i = 0; i < messages.length; i += 1) received.push(Uint8Array.from(await transport.read()));
    expect(received).toEqual(messages);
    transport.close();
    closeFd(pair.daemon);
  });

  it('a chunk stays intact until the next read, while later messages arrive', async () => {
    const pair = seqpacketPair();
    const transport = linuxSocketTransport(pair.client, { reads });
    const first = Buffer.alloc(100, 1);
    const second = Buffer.alloc(200, 2);
    const third = Buffer.alloc(300, 3);
    sendMessage(pair.daemon, first);
    const chunk1 = await transport.read();
    sendMessage(pair.daemon, second);
    // Time for the transport to take the second message off the socket, if it reads ahead.
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(Buffer.from(chunk1)).toEqual(first);
    const chunk2 = await transport.read();
    sendMessage(pair.daemon, third);
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(Buffer.from(chunk2)).toEqual(second);
    expect(Buffer.from(await transport.read())).toEqual(third);
    transport.close();
    closeFd(pair.daemon);
  });

  it('loses no message while the consumer does not ask, however many wait', async () => {
    const pair = seqpacketPair();
    const transport = linuxSocketTransport(pair.client, { reads });
    const messages = Array.from({ length: 5 }, (_, i) => Uint8Array.of(i, i, i));
    for (const message of messages) sendMessage(pair.daemon, message);
    const received = [Uint8Array.from(await transport.read())];
    // The consumer is busy: the event loop turns, and whatever the transport reads ahead must wait.
    await new Promise((resolve) => setTimeout(resolve, 30));
    for (let i = 1; i < messages.length; i += 1) received.push(Uint8Array.from(await transport.read()));
    expect(received).toEqual(messages);
    transport.close();
    closeFd(pair.daemon);
  });

  it('reports DriverGone when the daemon leaves without reading what was sent to it', async () => {
    const pair = seqpacketPair();
    const handle = createDriverHandle(linuxSocketTransport(pair.client, { reads }));
    const infos = handle.infos();
    const next = infos.next();
    await handle.send({ kind: 'getCounters' });
    // A peer that closes with unread messages resets the connection (ECONNRESET), not a plain end.
    closeFd(pair.daemon);
    const error = await next.catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(DriverGone);
    expect((await handle.ended).reason).toBe('error');
  });

  it('a command after a failed read never lands in a descriptor opened meanwhile', async () => {
    const pair = seqpacketPair();
    const transport = linuxSocketTransport(pair.client, { reads });
    await transport.write(Uint8Array.of(4));
    // Unread data makes the close a reset: the read fails (and Node closes what it reads from).
    closeFd(pair.daemon);
    await expect(transport.read()).rejects.toBeInstanceOf(DriverGone);
    // New descriptors take the lowest free numbers, so one freed by the failed read is reused here.
    const other = seqpacketPair();
    await expect(transport.write(Uint8Array.of(5))).rejects.toBeInstanceOf(DriverGone);
    // Each end of the new pair receives only what its peer sent it.
    sendMessage(other.client, Uint8Array.of(1));
    sendMessage(other.daemon, Uint8Array.of(2));
    expect(receiveMessage(other.daemon)).toEqual(Buffer.of(1));
    expect(receiveMessage(other.client)).toEqual(Buffer.of(2));
    transport.close();
    closeFd(other.client);
    closeFd(other.daemon);
  });

  it('a send to a daemon that left fails with DriverGone, not SIGPIPE', async () => {
    const pair = seqpacketPair();
    const transport = linuxSocketTransport(pair.client, { reads });
    closeFd(pair.daemon);
    await expect(transport.write(Uint8Array.of(4))).rejects.toBeInstanceOf(DriverGone);
    transport.close();
  });
});

describe('Linux socket transport, default reads', () => {
  it('keeps no threadpool thread while reads wait (event-driven, not the fallback)', async () => {
    // More waiting reads than the pool has threads (4 by default): with blocking reads on the
    // pool, the file read below would wait for a thread that never comes free.
    const pairs = Array.from({ length: 6 }, () => seqpacketPair());
    const handles = pairs.map((pair) => createDriverHandle(linuxSocketTransport(pair.client)));
    await new Promise((resolve) => setTimeout(resolve, 20));
    let timer: NodeJS.Timeout | undefined;
    const stuck = new Promise((resolve) => (timer = setTimeout(() => resolve('stuck'), 5000)));
    const read = readFile('/proc/self/stat', 'utf8').then(() => 'read');
    try {
      expect(await Promise.race([read, stuck])).toBe('read');
    } finally {
      clearTimeout(timer);
      await Promise.all(handles.map((handle) => handle.close()));
      for (const pair of pairs) closeFd(pair.daemon);
    }
  });
});

describe('openDriver on Linux without a daemon', () => {
  it('rejects a missing socket with DaemonNotRunning that says how to start the daemon', async () => {
    const socketPath = `/tmp/zf-missing-${process.pid}.sock`;
    const error = await openDriver({ kind: 'linux', socketPath }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(DaemonNotRunning);
    expect((error as DaemonNotRunning).message).toContain('sudo systemctl start zenithfenced');
    expect((error as DaemonNotRunning).path).toBe(socketPath);
  });

  it('rejects a socket path longer than sun_path with RangeError', async () => {
    await expect(openDriver({ kind: 'linux', socketPath: `/tmp/${'x'.repeat(120)}` })).rejects.toBeInstanceOf(
      RangeError,
    );
  });

  it('rejects a stale socket file nobody listens on with DaemonNotRunning', async () => {
    const socketPath = `/tmp/zf-stale-${process.pid}.sock`;
    // Bound but never listening: what a killed daemon leaves behind.
    const bind = spawnSync('/usr/bin/python3', [
      '-c',
      `import socket; socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET).bind(${JSON.stringify(socketPath)})`,
    ]);
    expect(bind.status, bind.stderr.toString()).toBe(0);
    try {
      const error = await openDriver({ kind: 'linux', socketPath }).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(DaemonNotRunning);
      expect((error as DaemonNotRunning).message).toMatch(/nothing listens .*stale socket file/);
    } finally {
      rmSync(socketPath, { force: true });
    }
  });
});
