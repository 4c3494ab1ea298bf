// resources/installer/windows/driver.nsh for real under Wine: makensis builds a small test installer from harness.nsi and the
// include, Wine runs it silently with the device stand-in (native/test-support/wine) as the driver
// payload, and the service it creates is read back (registry, SCM, device through the transport);
// then the update path and the uninstaller.
//
// How the test build differs from the product's, and why:
// - its own service, driver file and task name (ZF_SERVICE and friends), unique per run;
// - 64-bit (Target amd64-unicode): Debian's Wine 8 has no 32-bit support without i386 packages;
//   electron-builder's installer is 32-bit (the include's FS-redirection steps are then no-ops);
// - ZF_MIN_BUILD 18362: Wine 8 reports Windows 10 build 18362, below the product's 19041; the
//   product's value is checked first, and refuses.
// It lives in native/ rather than beside driver.nsh because it needs the Wine test support, and the
// TypeScript project that holds resources/ (.ci/tsconfig.json) has no reference to native/.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deleteServiceQuietly, readServiceKey } from '../../../native/test-support/wine/standin-service.ts';
import {
  run,
  runForStatus,
  runWindowsProgram,
  wineEnvironment,
  type WineSetup,
} from '../../../native/test-support/wine/wine-env.ts';
import { requireSetup, wineSuite } from '../../../native/test-support/wine/wine-suite.ts';

const { setup, skipReason } = wineSuite();
const HERE = import.meta.dirname;
const UNINSTALLER = 'Uninstall ZenithFence.exe';

interface Outcome {
  readonly ok?: unknown;
  readonly error?: { readonly name: string };
}

describe.skipIf(skipReason !== undefined)(
  'driver.nsh installs, updates and removes the driver service under Wine',
  () => {
    const name = `zfinst${String(process.pid)}`;
    let wine: WineSetup;
    let scratch = '';
    let installDir = '';
    let driversDir = '';
    const installDirWindows = `C:\\zf-install-${name}`;
    let installer = '';
    let refusingInstaller = '';

    /** makensis with the harness, the include and this test's names; returns the .exe. */
    function build(out: string, extra: readonly string[]): string {
      run('makensis', [
        '-V2',
        '-WX',
        '-XTarget amd64-unicode',
        `-DZF_INCLUDE=${path.join(HERE, 'driver.nsh')}`,
        `-DZF_SERVICE=${name}`,
        `-DZF_DRIVER_FILE=${name}.sys`,
        `-DZF_IMAGE_PATH=\\SystemRoot\\System32\\drivers\\${name}.sys`,
        `-DZF_TASK=${name}`,
        `-DZF_OUTFILE=${out}`,
        ...extra,
        path.join(HERE, 'harness.nsi'),
      ]);
      return out;
    }

    /** Runs a Windows program of the test under Wine; its exit code. */
    function wineRun(exe: string, args: readonly string[]): number | null {
      return runForStatus('wine', [exe, ...args], wineEnvironment(wine), 120_000).status;
    }

    async function serviceAndDevice(): Promise<Outcome[]> {
      const { result } = await runWindowsProgram<{ outcomes: Outcome[]; error?: string }>(
        wine,
        'service-check.ts',
        {
          steps: [
            { do: 'query', name },
            { do: 'device', name },
          ],
        },
        scratch,
      );
      expect(result.error).toBeUndefined();
      return result.outcomes;
    }

    beforeAll(() => {
      // CI installs nsis with wine (.ci/run); a missing makensis fails, as in driver-nsh.test.ts.
      if (spawnSync('makensis', ['-VERSION'], { stdio: 'ignore' }).status !== 0) {
        throw new Error('makensis is not installed (apt-get install nsis)');
      }
      wine = requireSetup(setup);
      scratch = mkdtempSync(path.join(os.tmpdir(), 'zf-wine-nsis-'));
      installDir = path.join(wine.prefix, 'drive_c', `zf-install-${name}`);
      driversDir = path.join(wine.prefix, 'drive_c', 'windows', 'system32', 'drivers');
      installer = build(path.join(scratch, 'installer.exe'), ['-DZF_MIN_BUILD=18362']);
      refusingInstaller = build(path.join(scratch, 'installer-19041.exe'), []);
      // What electron-builder would have put in place before customInstall: the driver payload and
      // the uninstaller (the harness writes it in a separate pass, as electron-builder does).
      mkdirSync(path.join(installDir, 'resources', 'driver'), { recursive: true });
      copyFileSync(wine.standinSys, path.join(installDir, 'resources', 'driver', `${name}.sys`));
      const writer = build(path.join(installDir, 'write-uninstaller.exe'), ['-DBUILD_UNINSTALLER']);
      wineRun(writer, []);
      expect(existsSync(path.join(installDir, UNINSTALLER))).toBe(true);
    });

    afterAll(() => {
      if (setup === undefined) return;
      deleteServiceQuietly(wine, name);
      for (const file of [`${name}.sys`, `${name}.sys.previous`]) rmSync(path.join(driversDir, file), { force: true });
      rmSync(path.join(wine.prefix, 'drive_c', 'windows', 'system32', 'tasks', name), { force: true });
      rmSync(installDir, { recursive: true, force: true });
      rmSync(scratch, { recursive: true, force: true });
    });

    it("with the product's minimum build (19041) it refuses Wine's Windows 10 build 18362 and changes nothing", () => {
      expect(wineRun(refusingInstaller, ['/S', `/D=${installDirWindows}`])).toBe(1);
      expect(readServiceKey(wine, name)).toBeUndefined();
      expect(existsSync(path.join(driversDir, `${name}.sys`))).toBe(false);
    });

    it('installs the driver as the INF says: kernel, auto start after BFE, normal errors, in System32\\drivers, running', async () => {
      expect(wineRun(installer, ['/S', `/D=${installDirWindows}`])).toBe(0);
      const key = readServiceKey(wine, name);
      expect(key).toMatchObject({
        type: 1,
        start: 2,
        errorControl: 1,
        imagePath: `\\SystemRoot\\System32\\drivers\\${name}.sys`,
      });
      // Wine 8's sc.exe passes `depend= BFE` without the list's closing NUL, so the registry holds
      // BFE followed by sc's next arguments; Windows' sc.exe stores BFE alone.
      expect(key?.dependOnService?.[0]).toBe('BFE');
      expect(existsSync(path.join(driversDir, `${name}.sys`))).toBe(true);
      // The logon task was registered (Wine's schtasks keeps it as a file).
      expect(existsSync(path.join(wine.prefix, 'drive_c', 'windows', 'system32', 'tasks', name))).toBe(true);
      const outcomes = await serviceAndDevice();
      expect(outcomes.map((outcome) => outcome.ok)).toEqual(['running', [2, 1, 0, 0]]);
    });

    it('the update path leaves the service in place: the old uninstaller with --updated, then the new installer', async () => {
      const before = readServiceKey(wine, name);
      expect(wineRun(path.join(installDir, UNINSTALLER), ['/S', '--updated', `_?=${installDirWindows}`])).toBe(0);
      expect(readServiceKey(wine, name)).toEqual(before);
      expect((await serviceAndDevice()).map((outcome) => outcome.ok)).toEqual(['running', [2, 1, 0, 0]]);

      // Wine 8's sc.exe has no `config` command, which the update uses to (re)set the service: the
      // installer fails there and rolls back as it would on Windows for any failing step: the
      // previous driver file is restored and started again, the installer exits 2.
      expect(wineRun(installer, ['/S', `/D=${installDirWindows}`])).toBe(2);
      expect(readServiceKey(wine, name)).toEqual(before);
      expect(existsSync(path.join(driversDir, `${name}.sys`))).toBe(true);
      expect(existsSync(path.join(driversDir, `${name}.sys.previous`))).toBe(false);
      expect((await serviceAndDevice()).map((outcome) => outcome.ok)).toEqual(['running', [2, 1, 0, 0]]);
    });

    it('the uninstaller stops and deletes the service, its driver file and its logon task', async () => {
      expect(wineRun(path.join(installDir, UNINSTALLER), ['/S', `_?=${installDirWindows}`])).toBe(0);
      expect(readServiceKey(wine, name)).toBeUndefined();
      expect(existsSync(path.join(driversDir, `${name}.sys`))).toBe(false);
      expect(existsSync(path.join(wine.prefix, 'drive_c', 'windows', 'system32', 'tasks', name))).toBe(false);
      const outcomes = await serviceAndDevice();
      expect(outcomes.map((outcome) => outcome.error?.name)).toEqual(['ServiceControlError', 'DaemonNotRunning']);
    });
  },
);
