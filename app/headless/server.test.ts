import { mkdtempSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import type { Handlers } from '../contract/dispatch.ts';
import type { StatusView } from '../contract/views.ts';
import { startHeadlessServer, type HeadlessServer } from './server.ts';

const status: StatusView = {
  driver: 'connected',
  driverMessage: '',
  mode: { mode: 'ask', resumesAt: null, resumesTo: null },
  pendingPrompts: 0,
};
const handlers = { 'status:get': () => status } as unknown as Handlers;

let server: HeadlessServer;
beforeAll(async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'zf-renderer-'));
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
