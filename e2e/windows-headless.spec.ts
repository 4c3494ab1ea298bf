import { expect, test, type Page } from '@playwright/test';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, openSync, closeSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startStandin, type Standin } from '../native/test-support/wine/standin-service.ts';
import {
  prepareWine,
  stopWine,
  wineEnvironment,
  wineMissingReason,
  windowsPath,
  type WineSetup,
} from '../native/test-support/wine/wine-env.ts';
import { REPO } from './support/headless-client.ts';
import { waitFor } from './support/test-net.ts';

// The end-to-end Windows check: the engine in headless mode runs under Node for Windows 22 in
// Wine, connected through the real Windows transport (kernel32 through ffi-rs) to the device
// stand-in, a kernel driver Wine loads (native/test-support/wine). The stand-in reports a held
// connection of a process by its NT device path, as the Windows driver does; the UI in Chromium
// on Linux shows the program by its DOS path; the answer reaches the device as a Verdict.
// The infos are written here byte by byte from the wire protocol (driver/protocol/README.md),
// the public surface between driver and app.
test.describe.configure({ mode: 'serial' });

const SKIP = wineMissingReason();
if (SKIP !== null) console.log(`windows-headless.spec.ts: SKIPPED: ${SKIP}`);

const HELD_ID = 7n;
const REMOTE = [192, 0, 2, 80] as const;
const FEATURE_PROCESS = 0x1;
const VERDICT_PERMANENT_ACCEPT = 3;

let setup: WineSetup;
let work = '';
let standin: Standin | undefined;
let engine: ChildProcess | undefined;
let sleeper: ChildProcess | undefined;
/** The held connection's process: a real Windows process (the engine does not prompt for a dead one). */
let program = { pid: 0n, ntPath: '', dosPath: '' };
let page: Page;

/** One info: `type u8`, `body_len u32`, the body. */
function info(type: number, body: Buffer): Buffer {
  const header = Buffer.alloc(5);
  header.writeUInt8(type, 0);
  header.writeUInt32LE(body.length, 1);
  return Buffer.concat([header, body]);
}

/** Process (129): pid, start time, uid (unknown), the path, no command line. */
function processInfo(): Buffer {
  const path = Buffer.from(program.ntPath, 'utf8');
  const body = Buffer.alloc(22 + path.length);
  body.writeBigUInt64LE(program.pid, 0);
  body.writeBigUInt64LE(133_000_000_000_000_000n, 8);
  body.writeUInt32LE(0xffffffff, 16);
  body.writeUInt16LE(path.length, 20);
  path.copy(body, 22);
  return info(129, body);
}

/** ConnectionV4 (1): a held outbound TCP connection of PID to 192.0.2.80:443. */
function connectionInfo(): Buffer {
  const body = Buffer.alloc(35);
  body.writeBigUInt64LE(HELD_ID, 0);
  body.writeBigUInt64LE(program.pid, 8);
  body.writeUInt8(0, 16);
  body.writeUInt8(6, 17);
  Buffer.from([10, 0, 0, 2]).copy(body, 18);
  Buffer.from(REMOTE).copy(body, 22);
  body.writeUInt16LE(50_000, 26);
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

/**
 * Starts a Windows process that waits (Node for Windows, from Z:), and learns its Windows pid and
 * paths. Its NT path is the form the Windows driver reports: in a Wine 8 prefix QueryDosDeviceW
 * maps Z: to \Device\HarddiskVolume2 (native/src/windows/nt-path.wine.test.ts reads the map).
 */
async function startSleeper(): Promise<typeof program> {
  const pidFile = path.join(work, 'sleeper.pid');
  const script = `require('fs').writeFileSync(${JSON.stringify(windowsPath(pidFile))}, String(process.pid)); setTimeout(() => {}, 600000);`;
  sleeper = spawn('wine', [setup.nodeExe, '-e', script], { env: wineEnvironment(setup), stdio: 'ignore' });
  let pid = '';
  await waitFor(
    () => {
      try {
        pid = readFileSync(pidFile, 'utf8');
      } catch {
        pid = '';
      }
      return Promise.resolve(pid !== '');
    },
    30_000,
    'the waiting Windows process to start',
  );
  const dosPath = windowsPath(setup.nodeExe);
  return { pid: BigInt(pid), dosPath, ntPath: dosPath.replace(/^Z:/, '\\Device\\HarddiskVolume2') };
}

/** Starts headless mode under Wine; resolves with the URL it prints (to a file: a pipe fails under Wine). */
async function startEngine(devicePath: string): Promise<string> {
  const out = path.join(work, 'headless.out');
  const fd = openSync(out, 'w');
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
      const match = /ZenithFence UI: (http:\/\/127\.0\.0\.1:\d+\/#token=\S+)/.exec(readFileSync(out, 'utf8'));
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
  program = await startSleeper();
  standin = startStandin(setup, work, {
    script: Buffer.concat([processInfo(), connectionInfo()]),
    features: FEATURE_PROCESS,
  });
  const url = await startEngine(standin.devicePath);
  page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await page.goto(url);
  await expect(page.getByRole('contentinfo', { name: 'Status' })).toContainText('Driver connected', {
    timeout: 30_000,
  });
});

test.afterAll(() => {
  engine?.kill('SIGKILL');
  sleeper?.kill('SIGKILL');
  standin?.remove();
  if (setup !== undefined) stopWine(setup);
  if (work !== '') rmSync(work, { recursive: true, force: true });
});

test('a connection held by the Windows device is prompted with its DOS path, and Allow reaches the device', async () => {
  const dialog = page.getByRole('dialog', { name: 'Connection request' });
  await expect(dialog).toBeVisible({ timeout: 30_000 });
  await expect(dialog.getByRole('heading', { level: 2 })).toHaveText(
    'node.exe wants to connect to 192.0.2.80 on TCP port 443',
  );
  // The driver's NT path, shown as the DOS path the user knows.
  await expect(dialog).toContainText(program.dosPath);
  expect(verdicts()).toEqual([]);
  const allow = dialog.getByRole('button', { name: 'Allow', exact: true });
  await expect(allow).toBeEnabled({ timeout: 5_000 });
  await allow.click();
  await expect(dialog).toBeHidden();
  // Exactly one answer, for that connection: "forever" makes it permanent in the driver.
  await waitFor(() => Promise.resolve(verdicts().length > 0), 15_000, 'the verdict at the device');
  expect(verdicts()).toEqual([[HELD_ID, VERDICT_PERMANENT_ACCEPT]]);
});
