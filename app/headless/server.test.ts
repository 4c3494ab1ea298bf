import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { MAX_WIRE_REQUEST_BYTES } from '../contract/ipc.ts';
import { testTempDir } from '../test-support/temp-dirs.ts';
import { type HeadlessServer, startHeadlessServer } from './server.ts';
import { upgradeRequest as rawUpgradeRequest } from './test-support/raw-clients.ts';
import { OK_STATUS as status, STATUS_ONLY_HANDLERS } from './test-support/status-handlers.ts';

const handlers = STATUS_ONLY_HANDLERS;

let server: HeadlessServer;
beforeAll(async () => {
  const dir = testTempDir('zf-renderer-');
  writeFileSync(path.join(dir, 'index.html'), '<title>ZenithFence</title>');
  server = await startHeadlessServer({ port: 0, rendererDir: dir, handlers, token: 'tok' });
});
afterAll(() => server.close());

function get(urlPath: string, host: string): Promise<{ status: number; csp: string | undefined; body: string }> {
  return new Promise((resolve, reject) => {
    const request = http.get({ host: '127.0.0.1', port: server.port, path: urlPath, headers: { host } }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, csp: String(res.headers['content-security-policy']), body }),
      );
    });
    request.on('error', reject);
  });
}

function connect(token: string, origin: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/ws?token=${token}`, { origin });
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

function call(ws: WebSocket, message: unknown): Promise<unknown> {
  return new Promise((resolve) => {
    ws.once('message', (data: Buffer) => resolve(JSON.parse(data.toString())));
    ws.send(JSON.stringify(message));
  });
}

describe('headless server', () => {
  it('prints a loopback URL with the token in the fragment', () => {
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/#token=tok`);
  });

  it('serves the renderer with a CSP to our own host only', async () => {
    const page = await get('/', `127.0.0.1:${server.port}`);
    expect(page.status).toBe(200);
    expect(page.body).toContain('ZenithFence');
    expect(page.csp).toContain("script-src 'self'");
    expect((await get('/', `rebound.example:${server.port}`)).status).toBe(421);
    expect((await get('/../../../etc/passwd', `127.0.0.1:${server.port}`)).status).toBe(404);
  });

  it('refuses WebSockets without the token or from another origin', async () => {
    const origin = `http://127.0.0.1:${server.port}`;
    await expect(connect('wrong', origin)).rejects.toThrow(/403/);
    await expect(connect('tok', 'http://evil.example')).rejects.toThrow(/403/);
  });

  it('answers contract requests and pushes to authenticated clients', async () => {
    const ws = await connect('tok', `http://127.0.0.1:${server.port}`);
    expect(await call(ws, { id: 1, channel: 'status:get' })).toEqual({ id: 1, result: { ok: true, value: status } });
    expect(await call(ws, { id: 2, channel: 'rules:delete', payload: { id: 5 } })).toMatchObject({
      id: 2,
      result: { ok: false, error: { code: 'bad-request' } },
    });
    expect(await call(ws, 'not a request')).toMatchObject({ id: null, result: { ok: false } });
    const pushed = new Promise((resolve) => ws.once('message', (d: Buffer) => resolve(JSON.parse(d.toString()))));
    server.push('status:changed', status);
    expect(await pushed).toEqual({ push: 'status:changed', payload: status });
    ws.close();
  });
});

// Hostile clients against a server in a child process with no last-resort handler: a fault
// that escaped the server would end the child, and the checks after it would fail.
describe('headless server against hostile local clients', () => {
  let child: ChildProcessWithoutNullStreams;
  let port = 0;
  let stderr = '';

  beforeAll(async () => {
    const dir = testTempDir('zf-renderer-');
    writeFileSync(path.join(dir, 'index.html'), '<title>ZenithFence</title>');
    child = spawn(process.execPath, [path.join(import.meta.dirname, 'test-support', 'server-child.ts'), dir]);
    child.stderr.on('data', (data: Buffer) => (stderr += data.toString()));
    port = await new Promise<number>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (data: Buffer) => {
        out += data.toString();
        const match = /port (\d+)/.exec(out);
        if (match?.[1] !== undefined) resolve(Number(match[1]));
      });
      child.once('exit', (code) => reject(new Error(`the server child exited (${String(code)}): ${stderr}`)));
    });
  });

  afterAll(async () => {
    if (child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.stdin.end();
    await exited;
  });

  const origin = (): string => `http://127.0.0.1:${String(port)}`;

  /** The child still runs and answers an authenticated client. */
  async function expectServing(): Promise<void> {
    expect(child.exitCode, `the server died: ${stderr}`).toBeNull();
    const ws = new WebSocket(`ws://127.0.0.1:${String(port)}/ws?token=tok`, { origin: origin() });
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    expect(await call(ws, { id: 7, channel: 'status:get' })).toMatchObject({ id: 7, result: { ok: true } });
    ws.close();
  }

  /** A WebSocket upgrade request for `target`, as raw bytes. */
  const upgradeRequest = (target: string): string => rawUpgradeRequest(port, target);

  /** Connects a raw socket, sends `bytes`, then does `then` with the socket at once. */
  async function sendRaw(bytes: string, then: (socket: net.Socket) => void): Promise<void> {
    const socket = net.connect(port, '127.0.0.1');
    socket.on('error', () => undefined);
    // A refused connection (the server died) closes without connecting.
    const closed = new Promise((resolve) => socket.once('close', resolve));
    await Promise.race([new Promise((resolve) => socket.once('connect', resolve)), closed]);
    if (socket.destroyed) return;
    socket.write(bytes);
    then(socket);
    await closed;
  }

  /** Sends `bytes` and resolves with everything the server sent until it closed. */
  async function exchange(bytes: string | Buffer): Promise<string> {
    const socket = net.connect(port, '127.0.0.1');
    let reply = '';
    socket.on('data', (data: Buffer) => (reply += data.toString('latin1')));
    socket.on('error', () => undefined);
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.write(bytes);
    await new Promise((resolve) => socket.once('close', resolve));
    return reply;
  }

  it('survives upgrades with a wrong token whose clients reset the connection (SO_LINGER 0)', async () => {
    for (let i = 0; i < 20; i += 1) {
      await sendRaw(upgradeRequest('/ws?token=wrong'), (socket) => socket.resetAndDestroy());
    }
    // Let the server meet the resets of the last ones before checking.
    await new Promise((resolve) => setTimeout(resolve, 50));
    await expectServing();
  });

  it('survives upgrades with a wrong token whose clients close right after sending', async () => {
    for (let i = 0; i < 40; i += 1) await sendRaw(upgradeRequest('/ws?token=wrong'), (socket) => socket.destroy());
    await new Promise((resolve) => setTimeout(resolve, 50));
    await expectServing();
  });

  it('closes an authenticated client that sends a frame of invalid UTF-8, and serves the others', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${String(port)}/ws?token=tok`, { origin: origin() });
    await new Promise((resolve) => ws.once('open', resolve));
    const closed = new Promise<number>((resolve) => ws.once('close', (code: number) => resolve(code)));
    ws.send(Buffer.from([0x7b, 0xc3, 0x28, 0x7d]), { binary: false });
    expect(await closed).toBe(1007);
    await expectServing();
  });

  it('closes an authenticated client whose frame is over the size limit, before reading it', async () => {
    const socket = net.connect(port, '127.0.0.1');
    socket.on('error', () => undefined);
    await new Promise((resolve) => socket.once('connect', resolve));
    let reply = Buffer.alloc(0);
    const switched = new Promise<void>((resolve) =>
      socket.on('data', (data: Buffer) => {
        reply = Buffer.concat([reply, data]);
        if (reply.includes('\r\n\r\n')) resolve();
      }),
    );
    socket.write(upgradeRequest('/ws?token=tok'));
    await switched;
    expect(reply.toString('latin1')).toMatch(/^HTTP\/1\.1 101 /);
    reply = Buffer.alloc(0);
    // A masked text frame that announces one byte more than the limit (64-bit length), no payload.
    const header = Buffer.alloc(14);
    header[0] = 0x81;
    header[1] = 0x80 | 127;
    header.writeBigUInt64BE(BigInt(MAX_WIRE_REQUEST_BYTES + 1), 2);
    socket.write(header);
    await new Promise((resolve) => socket.once('close', resolve));
    // The close frame: 0x88, its length, then the status code 1009 (message too big).
    const close = reply.indexOf(0x88);
    expect(close).toBeGreaterThanOrEqual(0);
    expect(reply.readUInt16BE(close + 2)).toBe(1009);
    await expectServing();
  });

  it('answers garbage HTTP requests and request targets that are not URLs with 400', async () => {
    const host = `Host: 127.0.0.1:${String(port)}`;
    expect(await exchange(`GET // HTTP/1.1\r\n${host}\r\nConnection: close\r\n\r\n`)).toMatch(/^HTTP\/1\.1 400 /);
    expect(await exchange(upgradeRequest('//'))).toMatch(/^HTTP\/1\.1 403 /);
    expect(await exchange(Buffer.from([0x16, 0x03, 0x01, 0x00, 0xff, 0x0d, 0x0a, 0x0d, 0x0a]))).toMatch(
      /^HTTP\/1\.1 400 /,
    );
    await expectServing();
  });
});
