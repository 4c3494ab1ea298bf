import type { ChildProcess } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { policyFileArgs } from './support/daemon-args.ts';
import { DAEMON, Headless } from './support/headless-client.ts';
import { needsRoot, type RunResult, TestNet, waitFor } from './support/test-net.ts';

// The daemon dies (SIGKILL) while a prompt holds a connection, and is started again: it numbers
// its requests from 1 again. The next connection must wait for its own prompt, and the answer to
// the old prompt must not let it through (it once did: the old prompt held request 1, and the
// new connection was request 1 too). Public surfaces only: headless mode's CLI and WebSocket,
// the real zenithfenced and curl in network namespaces.
test.describe.configure({ mode: 'serial' });

const PAGE = 'hello from b';
/** curl's exit code when the connection was refused (a block verdict answers with a reset). */
const REFUSED = 7;

let testNet: TestNet;
let app: Headless | null = null;

test.beforeAll(async () => {
  test.skip(needsRoot() === 'skip', 'root tests skipped knowingly (ZF_SKIP_ROOT_TESTS=1)');
  testNet = new TestNet('dr');
  await testNet.httpServer(8080, { 'index.html': PAGE });
  await testNet.httpServer(8081, { 'index.html': PAGE });
});

test.afterAll(async () => {
  app?.close();
  await testNet?.close();
});

const socket = (): string => path.join(testNet.dir, 'driver.sock');

/** Starts zenithfenced in `a` on a fresh socket file; resolves once it listens. */
async function startDaemon(): Promise<ChildProcess> {
  rmSync(socket(), { force: true });
  const queue = String(3000 + (process.pid % 1000));
  const daemon = testNet.start(testNet.a, DAEMON, [
    '--socket',
    socket(),
    '--queue',
    queue,
    ...policyFileArgs(DAEMON, testNet.dir),
  ]);
  await waitFor(() => Promise.resolve(existsSync(socket())), 10_000, 'the zenithfenced socket');
  return daemon;
}

function curl(port: number, maxSeconds: number): Promise<RunResult> {
  const url = `http://${testNet.ipB}:${port}/`;
  return testNet.run(testNet.a, 'curl', ['-s', '--max-time', String(maxSeconds), url], (maxSeconds + 5) * 1000);
}

/** Answers a prompt once (this connection only), and says how many connections it released. */
async function answerOnce(running: Headless, promptId: string | undefined, action: 'allow' | 'block'): Promise<number> {
  const answer = { promptId, action, duration: { kind: 'once' }, scope: { kind: 'exact' } };
  return (await running.call('prompts:answer', answer)).released;
}

async function promptFor(running: Headless, port: number): Promise<{ id: string; held: number } | undefined> {
  return (await running.call('prompts:list')).flatMap((g) => g.prompts).find((p) => p.remotePort === port);
}

test('a prompt held when the daemon dies answers nothing on the restarted daemon', async () => {
  let daemon = await startDaemon();
  const running = await Headless.start(testNet, ['--driver-socket', socket(), '--data-dir', `${testNet.dir}/data`]);
  app = running;
  const connected = async (): Promise<boolean> => (await running.call('status:get')).driver === 'connected';
  await waitFor(connected, 10_000, 'the driver link');

  // curl → b:8081 is held by a prompt (request 1 of the first daemon). curl gives up after 2 s;
  // its first packet stays held in the daemon, and the prompt stays open.
  const first = curl(8081, 2);
  await waitFor(async () => (await promptFor(running, 8081))?.held === 1, 10_000, 'the prompt for port 8081');
  expect((await first).code).not.toBe(0);
  const old = await promptFor(running, 8081);

  // The daemon dies; the app sees the link go, and the prompt holds nothing any more.
  daemon.kill('SIGKILL');
  await waitFor(async () => !(await connected()), 10_000, 'the app to see the link go');
  expect((await promptFor(running, 8081))?.held).toBe(0);

  // Started again, the daemon's first request is the new curl → b:8080: request 1 again.
  daemon = await startDaemon();
  await waitFor(connected, 15_000, 'the app to reconnect');
  const second = curl(8080, 20);
  await waitFor(async () => (await promptFor(running, 8080))?.held === 1, 10_000, 'the prompt for port 8080');

  // Allowing the old prompt once releases nothing: the new connection still waits.
  expect(await answerOnce(running, old?.id, 'allow')).toBe(0);
  expect((await promptFor(running, 8080))?.held).toBe(1);

  // Its own prompt decides it: Block refuses it at once.
  expect(await answerOnce(running, (await promptFor(running, 8080))?.id, 'block')).toBe(1);
  expect((await second).code).toBe(REFUSED);
  expect(running.process.exitCode).toBeNull();
  daemon.kill('SIGTERM');
});
