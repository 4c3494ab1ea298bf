// The Windows platform chosen with 'win32' on Linux, under the real DriverSession: which device it
// opens, when it installs the driver service, and what the user is told when that fails.
import { describe, expect, it } from 'vitest';
import {
  DaemonNotRunning,
  type DriverOptions,
  type HelloReplyInfo,
  PermissionDenied,
  ServiceControlError,
} from '../../native/src/index.ts';
import type { DriverConnect, SessionLink } from '../driver-client/driver-session.ts';
import {
  idleLink as idleLinkOf,
  runSession as runSessionUntilSettled,
} from '../driver-client/test-support/session-runner.ts';
import { choosePlatform } from './index.ts';
import { INSTALLING_MESSAGE } from './windows-connect.ts';

const REPLY: HelloReplyInfo = { kind: 'helloReply', version: [2, 1, 0, 0], extVersion: 1, features: 7, driverKind: 1 };

const idleLink = (): SessionLink => idleLinkOf(REPLY);

const missing = (path: string): DaemonNotRunning =>
  new DaemonNotRunning(path, `The ZenithFence driver is not installed or not running (no device ${path}).`);

/** A fake device: missing for the first `missingFor` opens; records every open and install. */
function fakeWindows(missingFor: number, install: () => Promise<void> = () => Promise.resolve()) {
  const opens: DriverOptions[] = [];
  let installs = 0;
  const deps = {
    env: {},
    openDriver: (options: DriverOptions): Promise<SessionLink> => {
      opens.push(options);
      if (options.kind !== 'windows') return Promise.reject(new Error('not the Windows device'));
      const path = options.devicePath ?? '';
      return opens.length <= missingFor ? Promise.reject(missing(path)) : Promise.resolve(idleLink());
    },
    installDriver: () => {
      installs += 1;
      return install();
    },
  };
  return { deps, opens, installs: () => installs };
}

async function runSession(connect: DriverConnect) {
  const { session, states, sleeps } = await runSessionUntilSettled(connect);
  await session.stop();
  return { states: states.map(([state]) => state), messages: states.map(([, message]) => message), sleeps };
}

describe('the Windows platform connecting', () => {
  it('opens \\\\.\\ZenithFence and, when it is missing, installs the service once, then opens again', async () => {
    // Missing at first; after the install the device needs two more tries to appear.
    const win = fakeWindows(3);
    const platform = choosePlatform('win32', win.deps);
    const { states, messages, sleeps } = await runSession(platform.driverConnector());
    expect(win.opens).toEqual([
      { kind: 'windows', devicePath: '\\\\.\\ZenithFence' },
      { kind: 'windows', devicePath: '\\\\.\\ZenithFence' },
      { kind: 'windows', devicePath: '\\\\.\\ZenithFence' },
      { kind: 'windows', devicePath: '\\\\.\\ZenithFence' },
    ]);
    expect(win.installs()).toBe(1);
    // The open right after the install failed: from then on, the back-off. While the service was
    // being installed the user saw so.
    expect(sleeps).toEqual([100, 200]);
    expect(states).toEqual(['installing', 'reconnecting', 'reconnecting', 'connected', 'disconnected']);
    expect(messages[0]).toBe(INSTALLING_MESSAGE);
  });

  it('does not install when the device is there', async () => {
    const win = fakeWindows(0);
    const { states } = await runSession(choosePlatform('win32', win.deps).driverConnector());
    expect(win.installs()).toBe(0);
    expect(states[0]).toBe('connected');
  });

  it('says once what to do when the service cannot be installed, and stops trying', async () => {
    const refused = new ServiceControlError(
      'StartServiceW',
      577,
      "StartServiceW failed with Win32 error 577 (577); run ZenithFence's installer again as administrator.",
    );
    const win = fakeWindows(Number.POSITIVE_INFINITY, () => Promise.reject(refused));
    const { states, messages } = await runSession(choosePlatform('win32', win.deps).driverConnector());
    expect(win.opens).toHaveLength(1);
    expect(win.installs()).toBe(1);
    expect(states).toEqual(['installing', 'failed', 'disconnected']);
    expect(messages[1]).toContain("run ZenithFence's installer again as administrator.");
  });

  it('shows the missing rights of a user who is not an administrator once', async () => {
    const notAdmin = new PermissionDenied(
      'the service control manager',
      undefined,
      'Installing or starting the ZenithFence driver needs administrator rights: run ZenithFence as administrator.',
    );
    const win = fakeWindows(Number.POSITIVE_INFINITY, () => Promise.reject(notAdmin));
    const { states, messages } = await runSession(choosePlatform('win32', win.deps).driverConnector());
    expect(states).toEqual(['installing', 'failed', 'disconnected']);
    expect(messages[1]).toMatch(/^Installing or starting the ZenithFence driver needs administrator rights/);
  });

  it('never installs the driver for another device (a stand-in): it waits for it with the back-off', async () => {
    const win = fakeWindows(2);
    const platform = choosePlatform('win32', {
      ...win.deps,
      env: { ZENITHFENCE_DRIVER_DEVICE: '\\\\.\\pipe\\zf-test' },
    });
    expect(platform.defaultDriverLocation).toBe('\\\\.\\pipe\\zf-test');
    const { states } = await runSession(platform.driverConnector());
    expect(win.installs()).toBe(0);
    expect(win.opens.map((o) => (o.kind === 'windows' ? o.devicePath : ''))).toEqual([
      '\\\\.\\pipe\\zf-test',
      '\\\\.\\pipe\\zf-test',
      '\\\\.\\pipe\\zf-test',
    ]);
    expect(states).toEqual(['reconnecting', 'reconnecting', 'connected', 'disconnected']);
  });
});
