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

describe('Linux socket transport (socketpair)', () => {
  it('reassembles infos cut across 16 KiB messages, including one larger than a message', async () => {
    const pair = seqpacketPair();
    const handle = createDriverHandle(linuxSocketTransport(pair.client));
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
    const handle = createDriverHandle(linuxSocketTransport(pair.client));
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
    const transport = linuxSocketTransport(pair.client);
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
      const handle = createDriverHandle(linuxSocketTransport(pair.client));
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
    const reads = Array.from({ length: 4 }, () => readFile('/proc/self/stat', 'utf8'));
    await expect(Promise.all(reads)).resolves.toHaveLength(4);
  });

  it('reports DriverGone when the daemon end closes', async () => {
    const pair = seqpacketPair();
    const handle = createDriverHandle(linuxSocketTransport(pair.client));
    const infos = handle.infos();
    const next = infos.next();
    closeFd(pair.daemon);
    await expect(next).rejects.toBeInstanceOf(DriverGone);
    expect((await handle.ended).reason).toBe('error');
    await expect(handle.send({ kind: 'getLogs' })).rejects.toBeInstanceOf(DriverGone);
  });

  it('a daemon that stops reading commands never blocks the event loop: the write waits, then fails', async () => {
    const pair = seqpacketPair();
    const transport = linuxSocketTransport(pair.client, { sendStallMs: 300 });
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

  it('a send to a daemon that left fails with DriverGone, not SIGPIPE', async () => {
    const pair = seqpacketPair();
    const transport = linuxSocketTransport(pair.client);
    closeFd(pair.daemon);
    await expect(transport.write(Uint8Array.of(4))).rejects.toBeInstanceOf(DriverGone);
    transport.close();
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
