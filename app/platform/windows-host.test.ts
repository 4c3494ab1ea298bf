// The Windows platform (chosen with 'win32' on Linux) wired into the real host, with fakes only
// where Windows would be: the device (a policy-taking fake driver), the drive map and the process
// facts. Rules are shown and stored with DOS paths and reach the driver with NT paths; a held
// connection the driver sent with a pid only is shown with the program's path.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { WindowsProcessInfo } from '../../native/src/index.ts';
import { dispatch } from '../contract/dispatch.ts';
import { FakePolicyDriver } from '../driver-client/test-support/fake-policy-driver.ts';
import { createHost } from '../runtime/host.ts';
import { RateLimitedLog } from '../runtime/rate-limited-log.ts';
import { tempDbPath } from '../runtime/test-support/harness.ts';
import { choosePlatform, platformHostOptions } from './index.ts';

async function until(condition: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Process facts of one running program, pid 4242. */
const processes: WindowsProcessInfo = {
  describe: (pid) =>
    pid === 4242 ? { pid, path: 'C:\\Tools\\Curl.exe', user: 'PC\\ada', startTime: 7n, startedAtMs: 0 } : undefined,
  alive: (pid) => pid === 4242,
  forget: () => undefined,
  note: () => undefined,
  heldHandles: 0,
  close: () => undefined,
};

/** The real host on the Windows platform (chosen with 'win32'), started, over a fake device. */
function startWindowsHost(readDosDevices: () => ReadonlyMap<string, string>) {
  const driver = new FakePolicyDriver();
  const platform = choosePlatform('win32', {
    env: {},
    openDriver: () => Promise.resolve(driver),
    installDriver: () => Promise.reject(new Error('the device is there: no install')),
    readDosDevices,
    processInfo: () => processes,
  });
  const host = createHost({
    dataDir: path.dirname(tempDbPath()),
    push: () => undefined,
    log: new RateLimitedLog(() => undefined),
    ...platformHostOptions(platform),
  });
  host.start();
  return { driver, host };
}

describe('the Windows platform in the host', () => {
  it('sends NT app paths to the driver and shows DOS paths for pid-only connections', async () => {
    const { driver, host } = startWindowsHost(() => new Map([['C:', '\\Device\\HarddiskVolume3']]));
    try {
      await until(() => driver.documents.length === 1, 'the policy at connect');
      const created = await dispatch(host.handlers, 'rules:create', {
        app: { kind: 'path', path: 'C:\\Tools\\Curl.exe' },
        destination: { kind: 'any' },
        action: 'block',
      });
      expect(created.ok).toBe(true);
      await until(() => driver.documents.length === 2, 'the policy with the rule');
      const document = driver.documents[1];
      expect(document?.caseInsensitivePaths).toBe(true);
      expect(document?.rules.map((rule) => rule.appPath)).toEqual(['\\device\\harddiskvolume3\\tools\\curl.exe']);

      // The driver holds a connection of pid 4242 and sends no Process info for it.
      driver.emit([
        {
          kind: 'connection',
          ipVersion: 4,
          id: 5n,
          processId: 4242n,
          direction: 0,
          protocol: 6,
          localIp: Uint8Array.of(10, 0, 0, 1),
          localPort: 40_000,
          remoteIp: Uint8Array.of(10, 0, 0, 2),
          remotePort: 8080,
          payloadLayer: 3,
          payload: new Uint8Array(),
        },
      ]);
      const row = () => host.runtime.engine.listConnections().find((r) => r.localPort === 40_000);
      await until(() => row() !== undefined, 'the connection');
      // Matched by the app's rule, whose path differs only in case: case-blind on Windows.
      expect(row()).toMatchObject({ app: 'C:\\Tools\\Curl.exe', verdict: 'permanent-block' });
    } finally {
      await host.stop();
    }
  });

  it('sends the policy again when the drive map changes, so an app rule keeps matching in the driver', async () => {
    let drives = new Map([['C:', '\\Device\\HarddiskVolume3']]);
    const { driver, host } = startWindowsHost(() => drives);
    try {
      await until(() => driver.documents.length === 1, 'the policy at connect');
      await dispatch(host.handlers, 'rules:create', {
        app: { kind: 'path', path: 'E:\\Tools\\Curl.exe' },
        destination: { kind: 'any' },
        action: 'block',
      });
      await until(() => driver.documents.length === 2, 'the policy with the rule');
      // E: is not mapped yet (the USB drive is not plugged in): the path cannot be made NT.
      expect(driver.documents[1]?.rules.map((rule) => rule.appPath)).toEqual(['e:\\tools\\curl.exe']);
      // The drive comes: without any rule change, the driver gets the rule in the form it sees.
      drives = new Map([...drives, ['E:', '\\Device\\HarddiskVolume9']]);
      await until(() => driver.documents.length === 3, 'the policy made with the new drive map', 15_000);
      expect(driver.documents[2]?.rules.map((rule) => rule.appPath)).toEqual([
        '\\device\\harddiskvolume9\\tools\\curl.exe',
      ]);
    } finally {
      await host.stop();
    }
  });
});
