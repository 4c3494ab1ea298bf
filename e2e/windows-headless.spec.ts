import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect, type Page, test } from '@playwright/test';
import { type HeldProcess, startHeldProcess } from '../native/test-support/wine/held-process.ts';
import { readServiceKey, type Standin, startStandin } from '../native/test-support/wine/standin-service.ts';
import {
  prepareWine,
  stopWine,
  windowsPath,
  wineEnvironment,
  wineMissingReason,
  type WineSetup,
} from '../native/test-support/wine/wine-env.ts';
import { Headless, REPO } from './support/headless-client.ts';
import { waitFor } from './support/test-net.ts';

// The end-to-end Windows check: the engine in headless mode runs under Node for Windows 22 in
// Wine, connected through the real Windows transport (kernel32 through ffi-rs) to the device
// stand-in, a kernel driver Wine loads (native/test-support/wine). The stand-in reports two held
// connections of a real Windows process whose image is on the prefix's C: drive, by its NT device
// path as the Windows driver does (built from what QueryDosDeviceW gives for C: in the prefix); the
// UI in Chromium on Linux shows the program by its DOS path; the answer reaches the device as a
// Verdict. Then the engine is stopped with SIGINT (Wine turns it into a console Ctrl-C, which Node
// for Windows emits as SIGINT; SIGTERM would make Wine end the process without a word): it answers
// the connection still held with the default action before it exits.
// The infos are written here byte by byte from the wire protocol (driver/protocol/README.md),
// the public surface between driver and app.
test.describe.configure({ mode: 'serial' });

const SKIP = wineMissingReason();
if (SKIP !== null) console.log(`windows-headless.spec.ts: SKIPPED: ${SKIP}`);

/** The connection the test answers (Allow), and the one left held until the engine stops. */
const ANSWERED = { id: 7n, remote: [192, 0, 2, 80] } as const;
const LEFT_HELD = { id: 8n, remote: [192, 0, 2, 81] } as const;
const FEATURE_PROCESS = 0x1;
const VERDICT_PERMANENT_ACCEPT = 3;
/** The default action (block) as a plain verdict: what shutdown gives what is still held. */
const VERDICT_BLOCK = 4;
/** The held process's image name on C: (not node.exe, so the name shown can only come from the path). */
const EXE_NAME = 'fenced-app.exe';

let setup: WineSetup;
let work = '';
let standin: Standin | undefined;
let engine: ChildProcess | undefined;
let engineOut = '';
let app: Headless | undefined;
/** The held connections' process: a real Windows process (the engine does not prompt for a dead one). */
let program: HeldProcess | undefined;
let page: Page;

/** One info: `type u8`, `body_len u32`, the body. */
function info(type: number, body: Buffer): Buffer {
  const header = Buffer.alloc(5);
  header.writeUInt8(type, 0);
  header.writeUInt32LE(body.length, 1);
  return Buffer.concat([header, body]);
}

/** Process (129): pid, start time, uid (unknown), the path, no command line. */
function processInfo(held: HeldProcess): Buffer {
  const path = Buffer.from(held.ntPath, 'utf8');
  const body = Buffer.alloc(22 + path.length);
  body.writeBigUInt64LE(held.pid, 0);
  // The process's real creation time, as the driver reports it: the app compares it with the
  // process it finds under the pid (a different one means the pid was reused).
  body.writeBigUInt64LE(held.startTime, 8);
  body.writeUInt32LE(0xffffffff, 16);
  body.writeUInt16LE(path.length, 20);
  path.copy(body, 22);
  return info(129, body);
}

/** ConnectionV4 (1): a held outbound TCP connection of the process to `remote`:443. */
function connectionInfo(held: HeldProcess, id: bigint, remote: readonly number[]): Buffer {
  const body = Buffer.alloc(35);
  body.writeBigUInt64LE(id, 0);
  body.writeBigUInt64LE(held.pid, 8);
  body.writeUInt8(0, 16);
  body.writeUInt8(6, 17);
  Buffer.from([10, 0, 0, 2]).copy(body, 18);
  Buffer.from(remote).copy(body, 22);
  body.writeUInt16LE(50_000 + Number(id), 26);
  body.writeUInt16LE(443, 28);
  body.writeUInt8(4, 30);
  body.writeUInt32LE(0, 31);
  return info(1, body);
}

/** The Verdict commands (id 1, 10 bytes) the device accepted, as `[id, verdict]`. */
function verdicts(): Array<[bigint, number]> {
  return (standin?.commands() ?? [])
    .filter((command) => command[0] === 1 && command.length === 10)
    .map((command) => [Buffer.from(command).readBigUInt64LE(1), command[9] ?? -1]);
}

/** Starts headless mode under Wine; resolves with the URL it prints (to a file: a pipe fails under Wine). */
async function startEngine(devicePath: string): Promise<string> {
  engineOut = path.join(work, 'headless.out');
  const fd = openSync(engineOut, 'w');
  engine = spawn(
    'wine',
    [
      setup.nodeExe,
      windowsPath(path.join(REPO, 'app', 'headless', 'main.ts')),
      '--driver-socket',
      devicePath,
      '--data-dir',
      windowsPath(path.join(work, 'data')),
    ],
    { env: wineEnvironment(setup), stdio: ['ignore', fd, fd] },
  );
  closeSync(fd);
  let url = '';
  await waitFor(
    () => {
      const match = /ZenithFence UI: (http:\/\/127\.0\.0\.1:\d+\/#token=\S+)/.exec(readFileSync(engineOut, 'utf8'));
      url = match?.[1] ?? '';
      return Promise.resolve(url !== '');
    },
    60_000,
    'headless mode under Wine to print its URL',
  );
  return url;
}

test.beforeAll(async ({ browser }) => {
  test.skip(SKIP !== null, SKIP ?? '');
  test.setTimeout(240_000);
  setup = prepareWine();
  work = mkdtempSync(path.join(tmpdir(), 'zf-e2e-windows-'));
  const held = await startHeldProcess(setup, work, EXE_NAME);
  program = held;
  console.log(
    `windows-headless.spec.ts: QueryDosDeviceW('C:') in the prefix: ${held.driveDevice}; held: ${held.ntPath}`,
  );
  standin = startStandin(setup, work, {
    script: Buffer.concat([
      processInfo(held),
      connectionInfo(held, ANSWERED.id, ANSWERED.remote),
      connectionInfo(held, LEFT_HELD.id, LEFT_HELD.remote),
    ]),
    features: FEATURE_PROCESS,
  });
  const url = await startEngine(standin.devicePath);
  // The longest hold there is, through the contract as a user's settings change: the connection
  // left held must still be held when the engine stops, however slow this machine is.
  app = await Headless.attach(url, engine as ChildProcess);
  await app.call('settings:set', { holdTimeoutSeconds: 120 });
  page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await page.goto(url);
  await expect(page.getByRole('contentinfo', { name: 'Status' })).toContainText('Driver connected', {
    timeout: 30_000,
  });
});

test.afterAll(() => {
  app?.close();
  engine?.kill('SIGKILL');
  program?.stop();
  standin?.remove();
  if (setup !== undefined) stopWine(setup);
  if (work !== '') rmSync(work, { recursive: true, force: true });
});

test('a connection held by the Windows device is prompted with its DOS path, and Allow reaches the device', async () => {
  const held = program as HeldProcess;
  // The NT path the stand-in reports is the one Windows itself gives for the process's image.
  expect(held.ntPath.toLowerCase()).toBe(held.nativeImage.toLowerCase());
  expect(held.dosPath).toMatch(/^C:\\zenithfence-tests\\.+\\fenced-app\.exe$/);
  const dialog = page.getByRole('dialog', { name: 'Connection request' });
  await expect(dialog).toBeVisible({ timeout: 30_000 });
  await expect(dialog.getByRole('heading', { level: 2 })).toHaveText(
    `${EXE_NAME} wants to connect to 192.0.2.80 on TCP port 443`,
  );
  // The driver's NT path, shown as the DOS path the user knows (and never as the NT one).
  await expect(dialog).toContainText(held.dosPath);
  await expect(dialog).not.toContainText(held.driveDevice);
  expect(verdicts()).toEqual([]);
  const allow = dialog.getByRole('button', { name: 'Allow', exact: true });
  await expect(allow).toBeEnabled({ timeout: 5_000 });
  await allow.click();
  // Exactly one answer, for that connection: "forever" makes it permanent in the driver.
  await waitFor(() => Promise.resolve(verdicts().length > 0), 15_000, 'the verdict at the device');
  expect(verdicts()).toEqual([[ANSWERED.id, VERDICT_PERMANENT_ACCEPT]]);
  // The other destination is not covered by that answer: it is asked about next, still held.
  await expect(dialog.getByRole('heading', { level: 2 })).toHaveText(
    `${EXE_NAME} wants to connect to 192.0.2.81 on TCP port 443`,
  );
});

test('SIGINT stops the engine under Wine: the connection still held gets the default, then the service goes', async () => {
  const running = engine as ChildProcess;
  app?.close();
  const exited = new Promise<number | null>((resolve) => {
    if (running.exitCode !== null) resolve(running.exitCode);
    else running.once('exit', (code) => resolve(code));
  });
  running.kill('SIGINT');
  expect(await exited).toBe(0);
  expect(readFileSync(engineOut, 'utf8')).toContain('zenithfence: SIGINT: stopped (1 held connections answered)');
  // Each connection answered exactly once: the one Allowed, and the one held until the end.
  expect(verdicts()).toEqual([
    [ANSWERED.id, VERDICT_PERMANENT_ACCEPT],
    [LEFT_HELD.id, VERDICT_BLOCK],
  ]);
  const device = standin as Standin;
  device.remove();
  standin = undefined;
  expect(readServiceKey(setup, device.name)).toBeUndefined();
});
