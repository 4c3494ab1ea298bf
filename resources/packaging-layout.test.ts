// The packaged layout, offline: electron-builder packs `--linux dir` and `--win dir` with
// electron-builder.yml, STAND-IN Electron distributions (no Electron can be downloaded here) and a
// PLACEHOLDER Windows driver package, all made in a temporary folder and named as such. It proves
// what the code relies on: the asar holds the app, ffi-rs is unpacked, the daemon, the unit and the
// driver are where resources/README.md ("Where things are") says, the fuses are flipped, and the
// Windows executable asks for administrator rights.
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BIN,
  REPO_ROOT,
  RT_GROUP_ICON,
  RT_MANIFEST,
  type RunResult,
  loadBuilderConfig,
  makeLinuxStandInElectron,
  makePlaceholderDriverPackage,
  makeWindowsStandInElectron,
  pick,
  readFuses,
  resedit,
  run,
  runAsync,
} from './test-support/packaging.ts';
import { APP_ICO_SIZES } from './icons/generate.ts';

const config = loadBuilderConfig();
const productName = String(pick(config, 'productName'));
const packageJson = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { main: string };

let scratch = '';
let linuxOut = '';
let winOut = '';
const builds: Record<string, RunResult> = {};

/** electron-builder with electron-builder.yml, into `out`, with the stand-in Electron `dist`. */
function pack(platformArgs: string[], dist: string, out: string, env: NodeJS.ProcessEnv): Promise<RunResult> {
  return runAsync(
    path.join(BIN, 'electron-builder'),
    [
      ...platformArgs,
      '--config',
      'electron-builder.yml',
      `-c.electronDist=${dist}`,
      `-c.directories.output=${out}`,
      '--publish',
      'never',
    ],
    // Its caches go to the scratch folder; nothing may be downloaded.
    { env: { ...process.env, ELECTRON_BUILDER_CACHE: path.join(scratch, 'cache'), ...env } },
  );
}

beforeAll(async () => {
  scratch = mkdtempSync(path.join(os.tmpdir(), 'zf-layout-'));
  linuxOut = path.join(scratch, 'out-linux');
  winOut = path.join(scratch, 'out-win');
  const driverDir = path.relative(REPO_ROOT, makePlaceholderDriverPackage(scratch));
  const [linux, win] = await Promise.all([
    pack(['--linux', 'dir'], makeLinuxStandInElectron(scratch), linuxOut, {}),
    pack(['--win', 'dir', '--x64'], makeWindowsStandInElectron(scratch), winOut, {
      ZF_WINDOWS_DRIVER_DIR: driverDir,
      ZF_ALLOW_PLACEHOLDER_DRIVER: '1',
    }),
  ]);
  builds['linux'] = linux;
  builds['win'] = win;
}, 180_000);
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function expectBuilt(name: 'linux' | 'win'): void {
  const build = builds[name];
  expect(build, `the ${name} build did not run`).toBeDefined();
  expect(build?.status, `electron-builder (${name}) failed:\n${build?.stdout ?? ''}${build?.stderr ?? ''}`).toBe(0);
}

/** The files in an asar archive (`asar list`, as `npx asar list` prints them). */
function asarList(archive: string): string[] {
  const result = run(path.join(BIN, 'asar'), ['list', archive]);
  expect(result.status, result.stderr).toBe(0);
  return result.stdout.split('\n').filter((line) => line !== '');
}

describe('Linux unpacked build (--linux dir, stand-in Electron)', () => {
  const appDir = (): string => path.join(linuxOut, 'linux-unpacked');
  const resourcesDir = (): string => path.join(appDir(), 'resources');

  it('app.asar holds package.json, its main entry, app/dist, renderer/dist and the tray icons', () => {
    expectBuilt('linux');
    const files = asarList(path.join(resourcesDir(), 'app.asar'));
    expect(files).toContain('/package.json');
    expect(files).toContain(`/${packageJson.main}`);
    expect(files.some((f) => f.startsWith('/app/dist/'))).toBe(true);
    expect(files).toContain('/renderer/dist/index.html');
    // app/main/main.ts reads the tray images from <app root>/resources/icons/tray.
    for (const image of ['active-light.png', 'active-dark@2x.png', 'attention-9plus-dark.png', 'paused-light.png']) {
      expect(files).toContain(`/resources/icons/tray/${image}`);
    }
    // Nothing but the built app: no sources or tests of ours, no renderer-only modules.
    const ours = files.filter((f) => !f.startsWith('/node_modules/'));
    expect(ours.filter((f) => /\.test\.js$|(?<!\.d)\.tsx?$/.test(f))).toEqual([]);
    expect(files.some((f) => f.startsWith('/node_modules/react-dom'))).toBe(false);
  });

  it('ffi-rs and its prebuilt addon are unpacked beside the asar (app.asar.unpacked)', () => {
    expectBuilt('linux');
    const unpacked = path.join(resourcesDir(), 'app.asar.unpacked', 'node_modules');
    expect(existsSync(path.join(unpacked, 'ffi-rs', 'index.js'))).toBe(true);
    const addonDir = path.join(unpacked, '@yuuang', `ffi-rs-${process.platform}-${process.arch}-gnu`);
    const addon = readFileSync(path.join(addonDir, 'package.json'), 'utf8');
    const main = (JSON.parse(addon) as { main: string }).main;
    expect(main.endsWith('.node')).toBe(true);
    expect(statSync(path.join(addonDir, main)).size).toBeGreaterThan(100_000);
  });

  it('zenithfenced and its unit are in resources/bin and resources/linux, where the unit starts it', () => {
    expectBuilt('linux');
    const daemon = path.join(resourcesDir(), 'bin', 'zenithfenced');
    expect(readFileSync(daemon).subarray(0, 4)).toEqual(Buffer.from([0x7f, 0x45, 0x4c, 0x46]));
    expect(statSync(daemon).mode & 0o111).not.toBe(0);
    const unit = readFileSync(path.join(resourcesDir(), 'linux', 'zenithfenced.service'), 'utf8');
    // The deb puts linux-unpacked at /opt/<productName> (electron-builder's installPrefix).
    const execStart = /^ExecStart=(\S+)/m.exec(unit)?.[1] ?? '';
    expect(execStart.startsWith(`/opt/${productName}/`)).toBe(true);
    expect(existsSync(path.join(appDir(), path.relative(`/opt/${productName}`, execStart)))).toBe(true);
  });

  it('the executable is the stand-in, renamed, with the fuses flipped as electron-builder.yml says', () => {
    expectBuilt('linux');
    const executable = path.join(appDir(), String(pick(config, 'linux', 'executableName')));
    expect(readFileSync(executable, 'utf8')).toContain('STAND-IN for the Electron binary');
    expect(readFuses(readFileSync(executable))).toEqual(pick(config, 'electronFuses'));
  });
});

describe('Windows unpacked build (--win dir, stand-in electron.exe, PLACEHOLDER driver)', () => {
  const appDir = (): string => path.join(winOut, 'win-unpacked');

  it('the driver package is in resources\\driver (the installer copies ZenithFence.sys from there)', () => {
    expectBuilt('win');
    for (const name of ['ZenithFence.sys', 'ZenithFence.inf', 'ZenithFence.cat']) {
      expect(readFileSync(path.join(appDir(), 'resources', 'driver', name), 'utf8')).toContain('PLACEHOLDER');
    }
    expect(existsSync(path.join(appDir(), 'resources', 'app.asar'))).toBe(true);
    expect(existsSync(path.join(appDir(), 'resources', 'app.asar.unpacked', 'node_modules', 'ffi-rs'))).toBe(true);
    // The daemon is Linux only.
    expect(existsSync(path.join(appDir(), 'resources', 'bin'))).toBe(false);
  });

  it(`${productName}.exe asks for administrator rights, carries the app icon and the asar integrity`, () => {
    expectBuilt('win');
    const bytes = readFileSync(path.join(appDir(), `${productName}.exe`));
    const { NtExecutable, NtExecutableResource } = resedit();
    const entries = NtExecutableResource.from(NtExecutable.from(bytes)).entries;
    const manifest = entries.find((entry) => entry.type === RT_MANIFEST);
    expect(Buffer.from(manifest?.bin ?? new ArrayBuffer(0)).toString('utf8')).toContain(
      'requestedExecutionLevel level="requireAdministrator"',
    );
    const iconGroup = entries.find((entry) => entry.type === RT_GROUP_ICON);
    // GRPICONDIR: reserved, type, count.
    expect(Buffer.from(iconGroup?.bin ?? new ArrayBuffer(6)).readUInt16LE(4)).toBe(APP_ICO_SIZES.length);
    const integrity = entries.find((entry) => entry.type === 'INTEGRITY' && entry.id === 'ELECTRONASAR');
    expect(Buffer.from(integrity?.bin ?? new ArrayBuffer(0)).toString('utf8')).toContain('resources\\\\app.asar');
    expect(readFuses(bytes)).toEqual(pick(config, 'electronFuses'));
  });
});
