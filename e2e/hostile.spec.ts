import { realpathSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { DatabaseSync } from 'node:sqlite';
import { expect, test } from '@playwright/test';
import { WebSocket } from 'ws';
import { MAX_RULE_FILE_BYTES, MAX_WIRE_REQUEST_BYTES } from '../app/contract/ipc.ts';
import type { RuleAction } from '../app/contract/rules.ts';
import { SmallDisk } from '../native/test-support/small-disk.ts';
import { DAEMON, Headless } from './support/headless-client.ts';
import { needsRoot, type RunResult, stopChild, TestNet, waitFor } from './support/test-net.ts';

// Headless mode meeting what ordinary life and hostile local users bring: a restart with history
// in the database, sockets that reset and frames that break the rules, a full disk, and a rule
// file that fails half-way. Public surfaces only: the CLI, its URL and WebSocket, the database
// file it leaves, and the real zenithfenced in network namespaces. Each test checks that the
// firewall kept deciding and that nothing got through that should not have: an allowed fetch
// returns the page, a blocked one fails at once (curl exit 7: the connection was refused), and an
// undecided one waits for its prompt.
test.describe.configure({ mode: 'serial' });

const CURL = realpathSync('/usr/bin/curl');
const PAGE = 'hello from b';
/** curl's exit code when the connection was refused (a block verdict answers with a reset). */
const REFUSED = 7;

let testNet: TestNet;
let socket: string;
let app: Headless | null = null;
let disk: SmallDisk | null = null;
/** What the running headless mode wrote to stderr. */
let stderr = '';

test.beforeAll(async () => {
  test.skip(needsRoot() === 'skip', 'root tests skipped knowingly (ZF_SKIP_ROOT_TESTS=1)');
  testNet = new TestNet('ho');
  await testNet.httpServer(8080, { 'index.html': PAGE });
  await testNet.httpServer(8081, { 'index.html': 'must not be reached' });
  socket = await testNet.daemon(DAEMON);
});

test.afterAll(async () => {
  app?.close();
  // Before the private directory goes: the small disk is mounted inside it.
  disk?.unmount();
  await testNet?.close();
});

async function startApp(dataDir: string): Promise<Headless> {
  const started = await Headless.start(testNet, ['--driver-socket', socket, '--data-dir', dataDir]);
  stderr = '';
  started.process.stderr?.on('data', (data: Buffer) => (stderr += data.toString()));
  await waitFor(async () => (await started.call('status:get')).driver === 'connected', 10_000, 'the driver');
  app = started;
  return started;
}

/** Stops headless mode as a service manager does, and expects a clean exit. */
async function stopApp(running: Headless): Promise<void> {
  running.close();
  expect(await stopChild(running.process, 10_000)).toBe(0);
  app = null;
}

function curl(port: number): Promise<RunResult> {
  return testNet.run(testNet.a, 'curl', ['-s', '--max-time', '10', `http://${testNet.ipB}:${port}/`], 15_000);
}

/** Waits for the prompt of curl → b:port, then answers it. */
async function answer(running: Headless, port: number, action: RuleAction, forever: boolean): Promise<void> {
  const find = async (): Promise<string | undefined> =>
    (await running.call('prompts:list')).flatMap((g) => g.prompts).find((p) => p.remotePort === port)?.id;
  await waitFor(async () => (await find()) !== undefined, 10_000, `a prompt for port ${port}`);
  const result = await running.call('prompts:answer', {
    promptId: await find(),
    action,
    duration: { kind: forever ? 'forever' : 'once' },
    scope: { kind: 'exact' },
  });
  expect(result.released).toBe(1);
}

/** A rule for curl → b:port. */
function ruleFor(port: number, action: RuleAction): Record<string, unknown> {
  return {
    app: { kind: 'path', path: CURL },
    destination: { kind: 'ip', address: testNet.ipB },
    port: { kind: 'port', port },
    action,
  };
}

/** The history the database file holds (read-only; works while headless mode runs, too). */
function history(dataDir: string): Array<{ port: number; verdict: string }> {
  const db = new DatabaseSync(`${dataDir}/zenithfence.sqlite`, { readOnly: true });
  try {
    return db
      .prepare('SELECT remote_port AS port, verdict FROM history ORDER BY seq')
      .all()
      .map((row) => ({ port: Number(row['port']), verdict: String(row['verdict']) }));
  } finally {
    db.close();
  }
}

test('a restart on a database with history: the next connection is decided and written', async () => {
  const dataDir = `${testNet.dir}/restart`;
  let running = await startApp(dataDir);
  const first = curl(8080);
  await answer(running, 8080, 'allow', true);
  expect(await first).toMatchObject({ code: 0, stdout: PAGE });
  expect(await curl(8080)).toMatchObject({ code: 0, stdout: PAGE });
  expect(await curl(8080)).toMatchObject({ code: 0, stdout: PAGE });
  await stopApp(running);
  expect(history(dataDir)).toHaveLength(3);

  running = await startApp(dataDir);
  // The rule applies without a prompt, and the tick that writes this row (the first of the new
  // run, numbered 1 again by the engine) is the one that used to crash headless mode.
  expect(await curl(8080)).toMatchObject({ code: 0, stdout: PAGE });
  expect(await running.call('prompts:list')).toEqual([]);
  await waitFor(() => Promise.resolve(history(dataDir).length === 4), 10_000, 'the fourth history row');
  expect(running.process.exitCode).toBeNull();
  expect(await running.call('status:get')).toMatchObject({ driver: 'connected', storage: 'ok' });
  // Still deciding: a new destination waits for its prompt, and Block keeps it out.
  const blocked = curl(8081);
  await answer(running, 8081, 'block', false);
  expect((await blocked).code).toBe(REFUSED);
  await stopApp(running);
  expect(history(dataDir)).toEqual([
    { port: 8080, verdict: 'allow' },
    { port: 8080, verdict: 'allow' },
    { port: 8080, verdict: 'allow' },
    { port: 8080, verdict: 'allow' },
    { port: 8081, verdict: 'block' },
  ]);
  expect(stderr).not.toMatch(/UNIQUE|storage:/);
});

test('resets and bad frames from local users do not stop headless mode from deciding', async () => {
  const running = await startApp(`${testNet.dir}/hostile`);
  const url = new URL(running.url);
  const port = Number(url.port);
  const token = url.hash.replace('#token=', '');
  const origin = `http://127.0.0.1:${String(port)}`;
  const upgrade = (target: string): string =>
    [
      `GET ${target} HTTP/1.1`,
      `Host: 127.0.0.1:${String(port)}`,
      `Origin: ${origin}`,
      'Upgrade: websocket',
      'Connection: Upgrade',
      'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
      'Sec-WebSocket-Version: 13',
      '',
      '',
    ].join('\r\n');
  const raw = async (): Promise<Socket> => {
    const socket = connect(port, '127.0.0.1');
    socket.on('error', () => undefined);
    await new Promise((resolve) => socket.once('connect', resolve));
    return socket;
  };
  const closed = (socket: Socket): Promise<void> => new Promise((resolve) => socket.once('close', () => resolve()));

  // No token, and a reset (SO_LINGER 0) or a close right after the request.
  for (let i = 0; i < 20; i += 1) {
    const reset = await raw();
    reset.write(upgrade('/ws?token=wrong'));
    reset.resetAndDestroy();
    const gone = await raw();
    gone.write(upgrade('/ws?token=wrong'));
    gone.destroy();
  }
  // A request target that is not a URL, and bytes that are not HTTP.
  for (const bytes of [
    `GET // HTTP/1.1\r\nHost: 127.0.0.1:${String(port)}\r\n\r\n`,
    '\u0016\u0003\u0001garbage\r\n\r\n',
  ]) {
    const socket = await raw();
    let reply = '';
    socket.on('data', (data: Buffer) => (reply += data.toString('latin1')));
    const done = closed(socket);
    socket.write(bytes);
    await done;
    expect(reply).toMatch(/^HTTP\/1\.1 400 /);
  }
  // With the token: a text frame of invalid UTF-8 ...
  const ws = new WebSocket(`ws://127.0.0.1:${String(port)}/ws?token=${token}`, { origin });
  await new Promise((resolve) => ws.once('open', resolve));
  const code = new Promise<number>((resolve) => ws.once('close', (c: number) => resolve(c)));
  ws.send(Buffer.from([0x7b, 0xc3, 0x28, 0x7d]), { binary: false });
  expect(await code).toBe(1007);
  // ... and a frame that announces more than the largest request allowed.
  const big = await raw();
  let reply = Buffer.alloc(0);
  big.on('data', (data: Buffer) => (reply = Buffer.concat([reply, data])));
  const bigClosed = closed(big);
  big.write(upgrade(`/ws?token=${token}`));
  await waitFor(() => Promise.resolve(reply.includes('\r\n\r\n')), 5_000, 'the upgrade');
  expect(reply.toString('latin1')).toMatch(/^HTTP\/1\.1 101 /);
  const header = Buffer.alloc(14);
  header[0] = 0x81;
  header[1] = 0x80 | 127;
  header.writeBigUInt64BE(BigInt(MAX_WIRE_REQUEST_BYTES + 1), 2);
  big.write(header);
  await bigClosed;
  expect(reply.readUInt16BE(reply.indexOf(0x88, reply.indexOf('\r\n\r\n')) + 2)).toBe(1009);

  // Still running, still serving its client, still deciding.
  expect(running.process.exitCode).toBeNull();
  expect((await running.call('status:get')).driver).toBe('connected');
  await running.call('rules:create', ruleFor(8081, 'block'));
  expect((await curl(8081)).code).toBe(REFUSED);
  const asked = curl(8080);
  await answer(running, 8080, 'allow', false);
  expect(await asked).toMatchObject({ code: 0, stdout: PAGE });
  expect(stderr).toMatch(/zenithfence: ui websocket: /);
  await stopApp(running);
});

test('a full disk: decisions go on, the status and the UI say so once, and saving resumes when space is back', async ({
  page,
}) => {
  test.setTimeout(120_000);
  const mounted = SmallDisk.mount(2048, testNet.dir);
  if (typeof mounted === 'string') throw new Error(mounted);
  disk = mounted;
  const running = await startApp(`${disk.dir}/data`);
  await running.call('rules:create', ruleFor(8080, 'allow'));
  await running.call('rules:create', ruleFor(8081, 'block'));
  /** One allowed and one blocked connection, each decided by its rule. */
  const traffic = async (): Promise<void> => {
    expect(await curl(8080)).toMatchObject({ code: 0, stdout: PAGE });
    expect((await curl(8081)).code).toBe(REFUSED);
  };
  await traffic();
  expect((await running.call('status:get')).storage).toBe('ok');

  disk.fill();
  // The writes of the next ticks meet the full disk (bounded: 60 s of traffic at most).
  const deadline = Date.now() + 60_000;
  while ((await running.call('status:get')).storage === 'ok' && Date.now() < deadline) await traffic();
  const full = await running.call('status:get');
  expect(full).toMatchObject({ driver: 'connected', storage: 'full' });
  expect(full.storageMessage).toMatch(/^The disk is full \(database or disk is full\): connection history/);
  await page.goto(running.url);
  const banner = page.getByRole('alert', { name: 'Storage' });
  await expect(banner).toContainText('Disk full. The disk is full');
  // More traffic while full: still decided, and the log does not repeat itself.
  for (let i = 0; i < 5; i += 1) await traffic();
  expect(await running.call('prompts:list')).toEqual([]);
  expect(running.process.exitCode).toBeNull();
  expect(stderr.match(/storage: The disk is full/g)).toHaveLength(1);

  disk.free();
  await waitFor(
    async () => {
      await traffic();
      return (await running.call('status:get')).storage === 'ok';
    },
    30_000,
    'saving to resume',
  );
  expect((await running.call('status:get')).storageMessage).toBe('');
  expect(stderr.match(/storage: saving again/g)).toHaveLength(1);
  await expect(banner).toBeHidden();
  await stopApp(running);
  disk.unmount();
  disk = null;
});

test('a rule file that fails on its third rule changes nothing: its allow rule lets nothing through', async () => {
  // The other rules of the file are valid; 999.1.1.1 is not an address.
  const running = await startApp(`${testNet.dir}/import`);
  const bad = { ...ruleFor(8082, 'allow'), destination: { kind: 'ip', address: '999.1.1.1' } };
  const file = {
    format: 'zenithfence-rules',
    version: 1,
    rules: [ruleFor(8080, 'allow'), ruleFor(8081, 'block'), bad],
  };
  await expect(running.call('rules:import', { text: JSON.stringify(file) })).rejects.toThrow(
    /^rules:import: bad-request: /,
  );
  expect(await running.call('rules:list')).toEqual([]);
  // Neither the allow rule nor the block rule is in force: both connections wait for a prompt.
  const allowedByNothing = curl(8080);
  await answer(running, 8080, 'block', false);
  expect((await allowedByNothing).code).toBe(REFUSED);
  const blockedByNothing = curl(8081);
  await answer(running, 8081, 'block', false);
  expect((await blockedByNothing).code).toBe(REFUSED);
  expect(await running.call('rules:list')).toEqual([]);
  await stopApp(running);
});

test('the Rules view refuses a rule file over the limit before sending it', async ({ page }) => {
  test.setTimeout(90_000);
  const running = await startApp(`${testNet.dir}/big-import`);
  await page.goto(running.url);
  await expect(page.getByRole('contentinfo', { name: 'Status' })).toContainText('Driver connected');
  await page.getByRole('link', { name: 'Rules' }).click();
  await page.getByLabel('Import rules').setInputFiles({
    name: 'huge-rules.json',
    mimeType: 'application/json',
    buffer: Buffer.alloc(MAX_RULE_FILE_BYTES + 1, 0x20),
  });
  await expect(page.getByRole('alert').filter({ hasText: 'Import failed: This file is 33.6 MB' })).toBeVisible();
  // Nothing was sent: the page's connection is still up, and headless mode saw no oversized frame.
  await expect(page.getByRole('contentinfo', { name: 'Status' })).toContainText('Driver connected');
  expect(stderr).not.toMatch(/ui websocket/);
  expect(await running.call('rules:list')).toEqual([]);
  await stopApp(running);
});
