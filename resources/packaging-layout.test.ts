// The packaged layout, offline: electron-builder packs `--linux dir` and `--win dir` with
// electron-builder.yml, STAND-IN Electron distributions (no Electron can be downloaded here) and a
// PLACEHOLDER Windows driver package, all made in a temporary folder and named as such. It proves
// what the code relies on: the asar holds the app, ffi-rs is unpacked, the driver is where
// resources/README.md ("Where things are") says and the Linux app carries no daemon (its deb
// depends on the zenithfenced package), the fuses are flipped, the Windows executable asks for
// administrator rights, and app-update.yml exists only in a build given an update feed.
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import yaml from 'js-yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APP_ICO_SIZES } from './icons/generate.ts';
import {
  BIN,
  loadBuilderConfig,
  makeLinuxStandInElectron,
  makePlaceholderDriverPackage,
  makeWindowsStandInElectron,
  pick,
  readFuses,
  REPO_ROOT,
  resedit,
  RT_GROUP_ICON,
  RT_MANIFEST,
  run,
  runAsync,
  type RunResult,
} from './test-support/packaging.ts';

const config = loadBuilderConfig();
const productName = String(pick(config, 'productName'));
const packageJson = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { main: string };

let scratch = '';
let linuxOut = '';
let feedOut = '';
let winOut = '';
/** The update feed the release steps pass (resources/README.md, "Update feed"). */
const TEST_FEED = 'https://updates.zenithfence.example/linux';
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
  feedOut = path.join(scratch, 'out-linux-feed');
  winOut = path.join(scratch, 'out-win');
  const driverDir = path.relative(REPO_ROOT, makePlaceholderDriverPackage(scratch));
  const linuxDist = makeLinuxStandInElectron(scratch);
  const [linux, win] = await Promise.all([
    pack(['--linux', 'dir'], linuxDist, linuxOut, {}),
    pack(['--win', 'dir', '--x64'], makeWindowsStandInElectron(scratch), winOut, {
      ZF_WINDOWS_DRIVER_DIR: driverDir,
      ZF_ALLOW_PLACEHOLDER_DRIVER: '1',
    }),
  ]);
  builds['linux'] = linux;
  builds['win'] = win;
  // After the others (two cores): the same Linux build with the feed a release passes.
  builds['feed'] = await pack(
    ['--linux', 'dir', '-c.publish.provider=generic', `-c.publish.url=${TEST_FEED}`],
    linuxDist,
    feedOut,
    {},
  );
}, 240_000);
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function expectBuilt(name: 'linux' | 'win' | 'feed'): void {
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

  it('carries no daemon and no unit: the zenithfenced package installs them (resources/deb/)', () => {
    expectBuilt('linux');
    expect(existsSync(path.join(resourcesDir(), 'bin'))).toBe(false);
    expect(existsSync(path.join(resourcesDir(), 'linux'))).toBe(false);
  });

  it('has no app-update.yml without a feed; with the documented feed flags it has one for it', () => {
    expectBuilt('linux');
    // The app checks for updates only where this file exists (electron-updater reads it).
    expect(existsSync(path.join(resourcesDir(), 'app-update.yml'))).toBe(false);
    expectBuilt('feed');
    const updateConfig = yaml.load(
      readFileSync(path.join(feedOut, 'linux-unpacked', 'resources', 'app-update.yml'), 'utf8'),
    );
    expect(updateConfig).toMatchObject({ provider: 'generic', url: TEST_FEED });
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
