import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConnectionLimits } from './connection-limits.ts';
import { type HeadlessServer, startHeadlessServer } from './server.ts';
import { openClient, type RawClient, rawClient, request, upgradeRequest } from './test-support/raw-clients.ts';
import { STATUS_ONLY_HANDLERS } from './test-support/status-handlers.ts';

let rendererDir = '';
beforeAll(() => {
  rendererDir = mkdtempSync(path.join(tmpdir(), 'zf-renderer-'));
  writeFileSync(path.join(rendererDir, 'index.html'), '<title>ZenithFence</title>');
});
afterAll(() => rmSync(rendererDir, { recursive: true, force: true }));

/** Where the servers reported faults (the count tests expect the evictions told). */
const reported: string[] = [];

function start(limits: Partial<ConnectionLimits>): Promise<HeadlessServer> {
  const onError = (where: string): void => void reported.push(where);
  return startHeadlessServer({ port: 0, rendererDir, handlers: STATUS_ONLY_HANDLERS, token: 'tok', limits, onError });
}

/** Resolves when `count` of `clients` have closed. */
async function closedCount(clients: readonly RawClient[], count: number): Promise<void> {
  const closed = clients.map((client) => client.closed);
  let done = 0;
  await new Promise<void>((resolve) => {
    if (count <= 0) resolve();
    for (const promise of closed)
      void promise.then(() => {
        done += 1;
        if (done === count) resolve();
      });
  });
}

describe('connection limits: count', () => {
  const CAP = 16;
  const HELD = 200;
  let server: HeadlessServer;
  // Timeouts far beyond the test: only the count may close the idle sockets here.
  beforeAll(async () => {
    server = await start({
      maxConnections: CAP,
      maxClients: 2,
      idleTimeoutMs: 120_000,
      headersTimeoutMs: 120_000,
      requestTimeoutMs: 120_000,
      unauthenticatedLifetimeMs: 120_000,
    });
  });
  afterAll(() => server.close());

  it('holds at most maxConnections idle sockets, dropping the oldest, and the UI still connects', async () => {
    const idle: RawClient[] = [];
    for (let i = 0; i < HELD; i += 1) idle.push(await rawClient(server.port));
    // The server dropped all but the newest CAP (the UI's socket below may take one more).
    await closedCount(idle, HELD - CAP);
    expect(idle[0]?.isClosed()).toBe(true);
    expect(idle[HELD - 1]?.isClosed()).toBe(false);
    expect(server.unauthenticatedCount()).toBeLessThanOrEqual(CAP);
    expect(reported).toContain('connection budget');

    const ws = await openClient(server.port);
    expect(await request(ws, { id: 1, channel: 'status:get' })).toMatchObject({ id: 1, result: { ok: true } });
    // A client is counted apart: it does not take an unauthenticated slot.
    expect(server.clientCount()).toBe(1);
    expect(server.unauthenticatedCount()).toBeLessThanOrEqual(CAP);
    // An open UI survives a new wave of idle sockets.
    const wave: RawClient[] = [];
    for (let i = 0; i < 2 * CAP; i += 1) wave.push(await rawClient(server.port));
    await closedCount([...idle, ...wave], HELD + CAP);
    expect(await request(ws, { id: 2, channel: 'status:get' })).toMatchObject({ id: 2, result: { ok: true } });
    ws.close();
    for (const client of [...idle, ...wave]) client.socket.destroy();
  });

  it('refuses authenticated clients over maxClients with 503 and serves the ones it has', async () => {
    const first = await openClient(server.port);
    const second = await openClient(server.port);
    await expect(openClient(server.port)).rejects.toThrow(/503/);
    expect(await request(second, { id: 3, channel: 'status:get' })).toMatchObject({ id: 3, result: { ok: true } });
    const firstClosed = new Promise((resolve) => first.once('close', resolve));
    first.close();
    await firstClosed;
    const third = await openClient(server.port);
    expect(await request(third, { id: 4, channel: 'status:get' })).toMatchObject({ id: 4, result: { ok: true } });
    second.close();
    third.close();
  });
});

describe('connection limits: time', () => {
  let server: HeadlessServer;
  // Short timeouts so each case ends within a few seconds; the tests assert that the sockets
  // get closed, not when.
  beforeAll(async () => {
    server = await start({
      idleTimeoutMs: 400,
      headersTimeoutMs: 400,
      requestTimeoutMs: 800,
      keepAliveTimeoutMs: 400,
      unauthenticatedLifetimeMs: 2000,
    });
  });
  afterAll(() => server.close());

  it('closes a socket that never sends a request', async () => {
    const client = await rawClient(server.port);
    await client.closed;
    expect(client.received()).toBe('');
  });

  it('closes a socket that sends half a request header and stops', async () => {
    const client = await rawClient(server.port);
    client.socket.write(`GET / HTTP/1.1\r\nHost: 127.0.0.1:${String(server.port)}\r\n`);
    await client.closed;
  });

  it('closes a socket that trickles a request header byte by byte, never idle (slowloris)', async () => {
    const client = await rawClient(server.port);
    client.socket.write('GET / HTTP/1.1\r\n');
    const trickle = setInterval(() => client.socket.write('X'), 100);
    await client.closed;
    clearInterval(trickle);
    // The header timeout closed it (never idle, and far within its lifetime), and said so.
    expect(client.received()).toMatch(/^HTTP\/1\.1 408 /);
  });

  it('closes a stalled upgrade whose header never ends', async () => {
    const client = await rawClient(server.port);
    client.socket.write(upgradeRequest(server.port, '/ws?token=tok').replace(/\r\n\r\n$/, '\r\n'));
    await client.closed;
    expect(client.received()).not.toContain('101');
  });

  it('closes a refused upgrade whose peer never closes its side', async () => {
    const client = await rawClient(server.port, { allowHalfOpen: true });
    client.socket.write(upgradeRequest(server.port, '/ws?token=wrong'));
    // A half-open peer learns of the server's close only when it writes (and meets the reset).
    const poke = setInterval(() => client.socket.write('\r\n'), 100);
    await client.closed;
    clearInterval(poke);
    expect(client.received()).toMatch(/^HTTP\/1\.1 403 /);
  });

  it('keeps an authenticated client past every unauthenticated timeout', async () => {
    const ws = await openClient(server.port);
    // Longer than the unauthenticated lifetime: a client is not timed.
    await new Promise((resolve) => setTimeout(resolve, 2500));
    expect(await request(ws, { id: 5, channel: 'status:get' })).toMatchObject({ id: 5, result: { ok: true } });
    ws.close();
  });
});
