import type { ChildProcess } from 'node:child_process';
import { existsSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { expect, test } from '@playwright/test';
import type { ConnectionRow } from '../app/contract/views.ts';
import { policyFileArgs, policySkipReason } from './support/daemon-args.ts';
import { DAEMON, Headless } from './support/headless-client.ts';
import { needsRoot, TestNet, waitFor } from './support/test-net.ts';

// The daemon is stopped (an upgrade) while three allowed connections are open, two by a rule and
// one by a prompt answered once; one closes while no daemon runs, the others send on, and the
// daemon comes back. Nobody can report the first one's end: the app shows it ended as of the
// link's loss once it gave no sign of life for 30 s after the link came back (it stayed live for
// good before). The second one's bytes count once each, also those sent while no daemon ran (the
// stopping daemon recorded its counts for the next). The third, held again by the new daemon, is
// not asked about again: it is the connection the answer was for.
// Public surfaces only: the CLI, the headless contract, the real zenithfenced, python in
// network namespaces.
test.describe.configure({ mode: 'serial' });

const PORT = 9300;
/** No rule covers it: its connection is asked about. */
const ASKED_PORT = 9301;
const PYTHON = realpathSync('/usr/bin/python3');

/** Accepts connections on PORT and ASKED_PORT and reads each to its end. */
const SINK = `
import socket, threading
def drain(c):
    while c.recv(65536):
        pass
    c.close()
def serve(port):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(('0.0.0.0', port))
    s.listen()
    while True:
        c, _ = s.accept()
        threading.Thread(target=drain, args=(c,), daemon=True).start()
threading.Thread(target=serve, args=(${ASKED_PORT},), daemon=True).start()
serve(${PORT})
`;

/**
 * Two connections to argv[1]:PORT, 10 000 bytes each, and one to ASKED_PORT with 1 000, then
 * their local ports on one line; once the file argv[2] exists the first closes and the second
 * sends 5 000 more; once argv[3] exists the second sends 20 000 more and the third 2 000; once
 * argv[4] exists they close.
 */
const CLIENT = `
import os, socket, sys, time
def wait(path):
    while not os.path.exists(path):
        time.sleep(0.02)
one = socket.create_connection((sys.argv[1], ${PORT}), 5)
two = socket.create_connection((sys.argv[1], ${PORT}), 5)
three = socket.create_connection((sys.argv[1], ${ASKED_PORT}), 20)
one.sendall(b'1' * 10000)
two.sendall(b'2' * 10000)
three.sendall(b'3' * 1000)
print(one.getsockname()[1], two.getsockname()[1], three.getsockname()[1], flush=True)
wait(sys.argv[2])
one.close()
two.sendall(b'2' * 5000)
wait(sys.argv[3])
two.sendall(b'2' * 20000)
three.sendall(b'3' * 2000)
wait(sys.argv[4])
two.close()
three.close()
time.sleep(60)
`;

let net: TestNet;
let app: Headless | null = null;
let skipReason: string | null = null;

test.beforeAll(async () => {
  test.skip(needsRoot() === 'skip', 'root tests skipped knowingly (ZF_SKIP_ROOT_TESTS=1)');
  skipReason = policySkipReason(DAEMON, 'e2e/daemon-restart-connections.spec.ts');
  if (skipReason !== null) return;
  net = new TestNet('rc');
  net.start(net.b, PYTHON, ['-c', SINK]);
  for (const port of [PORT, ASKED_PORT]) {
    const hex = port.toString(16).padStart(4, '0');
    await waitFor(
      async () => (await net.run(net.b, 'sh', ['-c', `grep -qi ':${hex} .* 0A ' /proc/net/tcp`])).code === 0,
      10_000,
      `a server on port ${port}`,
    );
  }
});

test.beforeEach(() => {
  test.skip(skipReason !== null, skipReason ?? '');
});

test.afterAll(async () => {
  app?.close();
  await net?.close();
});

const socket = (): string => path.join(net.dir, 'driver.sock');

/** Starts zenithfenced in `a` on a fresh socket file; resolves once it listens. */
async function startDaemon(): Promise<ChildProcess> {
  rmSync(socket(), { force: true });
  const queue = String(3000 + (process.pid % 1000));
  const args = ['--socket', socket(), '--queue', queue, ...policyFileArgs(DAEMON, net.dir)];
  const daemon = net.start(net.a, DAEMON, args);
  await waitFor(() => Promise.resolve(existsSync(socket())), 10_000, 'the zenithfenced socket');
  return daemon;
}

/** Stops the daemon as systemd does and waits for it to end. */
async function stopDaemon(daemon: ChildProcess): Promise<void> {
  const ended = new Promise((resolve) => daemon.once('exit', resolve));
  daemon.kill('SIGTERM');
  await ended;
}

async function firstLine(child: ChildProcess): Promise<string> {
  const stdout = child.stdout;
  if (stdout === null) throw new Error('no stdout');
  const lines = createInterface({ input: stdout });
  return new Promise((resolve) => lines.once('line', resolve));
}

async function askedPrompt(running: Headless): Promise<{ id: string } | undefined> {
  return (await running.call('prompts:list')).flatMap((g) => g.prompts).find((p) => p.remotePort === ASKED_PORT);
}

async function row(running: Headless, port: number): Promise<ConnectionRow | undefined> {
  return (await running.call('connections:list', { limit: 1_000 })).find((r) => r.localPort === port);
}

test('a connection that ended while no daemon ran is shown ended; one open across the restart counts each byte once', async ({
  page,
}) => {
  test.setTimeout(120_000);
  let daemon = await startDaemon();
  const running = await Headless.start(net, ['--driver-socket', socket(), '--data-dir', `${net.dir}/data`]);
  app = running;
  const status = (): Promise<{ driver: string; policy: { state: string } }> => running.call('status:get');
  await waitFor(async () => (await status()).driver === 'connected', 10_000, 'the driver link');
  // python to b:PORT is allowed by a rule the driver enforces (also at the next daemon's start).
  await running.call('rules:create', {
    app: { kind: 'path', path: PYTHON },
    destination: { kind: 'ip', address: net.ipB },
    port: { kind: 'port', port: PORT },
    protocol: 6,
    direction: 'outbound',
    action: 'allow',
  });
  await waitFor(async () => (await status()).policy.state === 'enforced', 10_000, 'the driver to enforce the rule');

  const files = ['down', 'up', 'end'].map((name) => path.join(net.dir, name));
  const client = net.start(net.a, PYTHON, ['-c', CLIENT, net.ipB, ...files]);
  const ports = firstLine(client);
  // The third connection waits for an answer: allowed once, for itself (no rule is made).
  await waitFor(async () => (await askedPrompt(running)) !== undefined, 10_000, 'the prompt for the third connection');
  const answer = {
    promptId: (await askedPrompt(running))?.id,
    action: 'allow',
    duration: { kind: 'once' },
    scope: { kind: 'exact' },
  };
  expect((await running.call('prompts:answer', answer)).released).toBe(1);
  const [one = 0, two = 0, three = 0] = (await ports).split(' ').map(Number);
  await waitFor(
    async () => (await row(running, one))?.bytesSent === 10_000 && (await row(running, two))?.bytesSent === 10_000,
    10_000,
    'both connections listed with their first 10 000 bytes',
  );

  // The daemon stops; meanwhile the first connection closes and the second sends 5 000 bytes.
  const lost = Date.now();
  await stopDaemon(daemon);
  await waitFor(async () => (await status()).driver !== 'connected', 10_000, 'the app to see the link go');
  writeFileSync(files[0] ?? '', '');
  await new Promise((resolve) => setTimeout(resolve, 500));
  daemon = await startDaemon();
  await waitFor(async () => (await status()).driver === 'connected', 15_000, 'the app to reconnect');
  const back = Date.now();
  writeFileSync(files[1] ?? '', '');

  // The second connection, held again by the new daemon and decided by the rule, stays open
  // with every byte counted once: 10 000 before the stop, 5 000 while none ran, 20 000 after.
  await waitFor(async () => (await row(running, two))?.bytesSent === 35_000, 15_000, 'all 35 000 bytes counted');
  // The third got through again without a prompt, as the same connection.
  await waitFor(
    async () => (await row(running, three))?.bytesSent === 3_000,
    15_000,
    'the third connection’s 3 000 bytes',
  );
  expect(await running.call('prompts:list')).toEqual([]);
  expect(await row(running, three)).toMatchObject({ verdict: 'permanent-accept', ruleId: null, endedAt: null });
  // The first is shown ended as of the loss once 30 s passed without a sign of life (not before).
  if (Date.now() - back < 25_000) expect((await row(running, one))?.endedAt).toBeNull();
  await waitFor(async () => (await row(running, one))?.endedAt != null, 45_000, 'the first shown ended');
  const ended = await row(running, one);
  expect(ended?.endedAt).toBeGreaterThanOrEqual(lost);
  expect(ended?.endedAt).toBeLessThan(back);
  expect(ended?.endUnseen).toBe(true);
  expect(ended?.bytesSent).toBe(10_000);
  // The Connections view says its end was not seen; the other one is live.
  await page.goto(running.url);
  await page.getByRole('link', { name: 'Connections' }).click();
  const rows = page.getByRole('table', { name: 'Connections' }).getByRole('row');
  await expect(rows.filter({ hasText: '(link lost)' })).toHaveCount(1);
  await expect(rows.filter({ hasText: 'Live' })).toHaveCount(2);
  await expect(page.getByTitle(/^No end was reported/)).toHaveCount(1);
  const open = await row(running, two);
  expect(open?.endedAt).toBeNull();
  expect(open?.bytesSent).toBe(35_000);
  writeFileSync(files[2] ?? '', '');
  await stopDaemon(daemon);
});
