import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testTempDir } from '../test-support/temp-dirs.ts';
import { probeDriverSocket, stateOf } from './driver-probe.ts';

// Real Unix sockets: a SEQPACKET listener as zenithfenced makes (python), a socket file that a
// killed process left behind, a stream listener, and no file at all.
const dir = testTempDir('zf-probe-');
const live = path.join(dir, 'live.sock');
const stale = path.join(dir, 'stale.sock');
let python: ChildProcessWithoutNullStreams;

beforeAll(async () => {
  python = spawn('python3', [
    '-c',
    [
      'import socket,sys',
      's=socket.socket(socket.AF_UNIX,socket.SOCK_SEQPACKET); s.bind(sys.argv[1]); s.listen(1)',
      't=socket.socket(socket.AF_UNIX,socket.SOCK_SEQPACKET); t.bind(sys.argv[2]); t.close()',
      's.setblocking(False)',
      'print("up",flush=True)',
      // On each stdin line: whether a client is waiting to be accepted (the probe must not be one).
      'for line in sys.stdin:',
      '    try:',
      '        s.accept(); print("client",flush=True)',
      '    except BlockingIOError:',
      '        print("none",flush=True)',
    ].join('\n'),
    live,
    stale,
  ]);
  // Its first line (it may come in pieces: wait for the whole word).
  let first = '';
  await new Promise<void>((resolve) => {
    const onData = (d: Buffer): void => {
      first += d.toString();
      if (!first.includes('up\n')) return;
      python.stdout.off('data', onData);
      resolve();
    };
    python.stdout.on('data', onData);
  });
});
afterAll(() => void python.kill());

describe('probeDriverSocket', () => {
  it('finds a listening SEQPACKET socket up without connecting to it as a client', async () => {
    expect(await probeDriverSocket(live)).toEqual({ state: 'up', code: 'EPROTOTYPE' });
    // The listener has no client to accept: a connect that succeeded would be queued there.
    const answer = new Promise<string>((resolve) => python.stdout.once('data', (d: Buffer) => resolve(d.toString())));
    python.stdin.write('check\n');
    expect((await answer).trim()).toBe('none');
  });

  it('finds a socket file nobody listens on, and no file, absent', async () => {
    expect(await probeDriverSocket(stale)).toEqual({ state: 'absent', code: 'ECONNREFUSED' });
    expect(await probeDriverSocket(path.join(dir, 'missing.sock'))).toEqual({ state: 'absent', code: 'ENOENT' });
    expect(await probeDriverSocket(path.join(dir, 'missing', 'driver.sock'))).toMatchObject({ state: 'absent' });
  });

  it('finds a stream listener up', async () => {
    const streamPath = path.join(dir, 'stream.sock');
    const server = net.createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => server.listen(streamPath, resolve));
    try {
      expect(await probeDriverSocket(streamPath)).toEqual({ state: 'up', code: '' });
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('takes a permission error, and what no daemon gives, as refused: no second daemon over it', () => {
    expect(stateOf('EACCES')).toBe('refused');
    expect(stateOf('EPERM')).toBe('refused');
    expect(stateOf('EIO')).toBe('refused');
  });
});
