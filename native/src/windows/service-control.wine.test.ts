// The service helpers for real: Node for Windows under Wine creates, starts, queries, stops and
// deletes kernel driver services through advapi32 (installAndStartDriver, stopAndRemoveDriver)
// in Wine's service control manager, with the device stand-in (native/test-support/wine) as the
// driver, and opens the device it creates through the real transport.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deleteServiceQuietly, readServiceKey } from '../../test-support/wine/standin-service.ts';
import { copyIntoPrefix, run, runWindowsProgram, wineEnvironment } from '../../test-support/wine/wine-env.ts';
import { requireSetup, wineSuite } from '../../test-support/wine/wine-suite.ts';

const { setup, skipReason } = wineSuite();

interface Outcome {
  readonly step: { readonly do: string; readonly name: string };
  readonly ok?: unknown;
  readonly error?: {
    readonly name: string;
    readonly message: string;
    readonly retryable: boolean;
    readonly operation?: string;
    readonly win32Code?: number;
  };
  readonly ms: number;
}

describe.skipIf(skipReason !== undefined)('driver service helpers under Wine', () => {
  let work = '';
  const names: string[] = [];
  const files: string[] = [];
  let counter = 0;

  /** A fresh service name, deleted (with its binary) after the file's tests whatever happens. */
  function serviceName(role: string): string {
    counter += 1;
    const name = `zfsvc${role}${String(process.pid)}x${String(counter)}`;
    names.push(name);
    return name;
  }

  /** Where the service's .sys goes in the prefix (Wine maps one image once: a copy per service). */
  function prefixSys(name: string): { linux: string; windows: string } {
    const wine = requireSetup(setup);
    const linux = path.join(wine.prefix, 'drive_c', 'zenithfence-tests', `${name}.sys`);
    files.push(linux);
    return { linux, windows: `C:\\zenithfence-tests\\${name}.sys` };
  }

  function standinCopy(name: string): string {
    prefixSys(name);
    return copyIntoPrefix(requireSetup(setup), requireSetup(setup).standinSys, `${name}.sys`);
  }

  async function steps(list: readonly Record<string, unknown>[]): Promise<Outcome[]> {
    const { result } = await runWindowsProgram<{ outcomes: Outcome[]; error?: string }>(
      requireSetup(setup),
      'service-check.ts',
      { steps: list },
      work,
      120_000,
    );
    expect(result.error).toBeUndefined();
    return result.outcomes;
  }

  beforeAll(() => {
    work = mkdtempSync(path.join(tmpdir(), 'zf-wine-service-'));
  });

  afterAll(() => {
    const wine = requireSetup(setup);
    for (const name of names) deleteServiceQuietly(wine, name);
    for (const file of files) rmSync(file, { force: true });
    rmSync(work, { recursive: true, force: true });
  });

  it('installs and starts a kernel service whose device then opens; installing again changes nothing', async () => {
    const wine = requireSetup(setup);
    const name = serviceName('run');
    const binary = standinCopy(name);
    const first = await steps([
      { do: 'install', name, binaryPath: binary },
      { do: 'query', name },
      { do: 'device', name },
    ]);
    expect(first.map((outcome) => outcome.error)).toEqual([undefined, undefined, undefined]);
    expect(first.map((outcome) => outcome.ok)).toEqual(['installed', 'running', [2, 1, 0, 0]]);
    // What the SCM stored: a kernel driver (1), auto start (2) after BFE, normal error control (1),
    // the binary given, as the installer and the INF set it up.
    const created = readServiceKey(wine, name);
    expect(created).toMatchObject({ type: 1, start: 2, errorControl: 1, imagePath: binary });
    expect(created?.dependOnService).toEqual(['BFE']);

    // The update path: the service exists and runs, so nothing is created or started again.
    const again = await steps([
      { do: 'install', name, binaryPath: binary },
      { do: 'query', name },
      { do: 'device', name },
    ]);
    expect(again.map((outcome) => outcome.ok)).toEqual(['installed', 'running', [2, 1, 0, 0]]);
    expect(readServiceKey(wine, name)).toEqual(created);
  });

  it('stops and deletes it: the service and its device are gone, and removing again finds nothing', async () => {
    const name = serviceName('del');
    const outcomes = await steps([
      { do: 'install', name, binaryPath: standinCopy(name) },
      { do: 'remove', name },
      { do: 'query', name },
      { do: 'device', name },
      { do: 'remove', name },
    ]);
    expect(outcomes[0]?.ok).toBe('installed');
    expect(outcomes[1]?.ok).toBe('removed');
    expect(outcomes[2]?.error).toMatchObject({
      name: 'ServiceControlError',
      operation: 'OpenServiceW',
      win32Code: 1060,
      message: expect.stringContaining('ERROR_SERVICE_DOES_NOT_EXIST') as unknown,
    });
    // The driver unloaded with the stop: its device is gone, which the app reads as "not running".
    expect(outcomes[3]?.error).toMatchObject({ name: 'DaemonNotRunning', retryable: true });
    expect(outcomes[4]?.ok).toBe('absent');
    expect(readServiceKey(requireSetup(setup), name)).toBeUndefined();
  });

  it('a driver binary that cannot load (garbage, or no file) fails at StartServiceW with a typed, named error', async () => {
    const garbage = serviceName('bad');
    const bad = prefixSys(garbage);
    writeFileSync(bad.linux, randomBytes(4096));
    const missing = serviceName('miss');
    const outcomes = await steps([
      { do: 'install', name: garbage, binaryPath: bad.windows, timeoutMs: 20_000 },
      { do: 'query', name: garbage },
      { do: 'remove', name: garbage },
      { do: 'install', name: missing, binaryPath: prefixSys(missing).windows, timeoutMs: 20_000 },
      { do: 'query', name: missing },
      { do: 'remove', name: missing },
    ]);
    for (const at of [0, 3]) {
      // Wine 8 answers ERROR_DLL_INIT_FAILED for both within a fraction of a second (Windows:
      // ERROR_BAD_EXE_FORMAT or ERROR_INVALID_IMAGE_HASH, and ERROR_FILE_NOT_FOUND); the bounded
      // wait for running is never reached.
      expect(outcomes[at]?.error).toEqual({
        name: 'ServiceControlError',
        operation: 'StartServiceW',
        win32Code: 1114,
        retryable: false,
        message:
          "StartServiceW failed with ERROR_DLL_INIT_FAILED (1114); run ZenithFence's installer again as administrator.",
      });
      expect(outcomes[at + 1]?.ok).toBe('stopped');
      expect(outcomes[at + 2]?.ok).toBe('removed');
    }
  });

  it('an installed service with other settings is started as it is, not reconfigured', async () => {
    const wine = requireSetup(setup);
    const name = serviceName('old');
    const binary = standinCopy(name);
    // As an older installer made it: demand start, no dependency.
    run(
      'wine',
      ['sc', 'create', name, 'type=', 'kernel', 'start=', 'demand', 'binPath=', binary],
      wineEnvironment(wine),
    );
    const before = readServiceKey(wine, name);
    expect(before).toMatchObject({ start: 3, imagePath: binary });
    const outcomes = await steps([
      // A binary path that does not exist: the helper opens the service and never uses it.
      { do: 'install', name, binaryPath: 'C:\\zenithfence-tests\\not-there.sys' },
      { do: 'query', name },
      { do: 'device', name },
    ]);
    expect(outcomes.map((outcome) => outcome.ok)).toEqual(['installed', 'running', [2, 1, 0, 0]]);
    // installAndStartDriver promises "installs if needed": the installer's update turns it into an
    // auto-start service (driver.nsh, sc config), the app does not.
    expect(readServiceKey(wine, name)).toEqual(before);
  });
});
