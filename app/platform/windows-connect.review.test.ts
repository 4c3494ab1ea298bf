// Adversarial review (issue 12): the one-time driver install. StartService returns at once and
// the connector waits up to 30 s for 'running'; a driver slower than that (a loaded machine at
// logon) makes the wait throw a ServiceControlError, which is not retryable, so the session
// says 'failed' for the rest of the run, although the driver comes up moments later and the
// device opens.
import { describe, expect, it } from 'vitest';
import { DaemonNotRunning, type HelloReplyInfo, ServiceControlError } from '../../native/src/index.ts';
import { idleLink, runSession } from '../driver-client/test-support/session-runner.ts';
import { choosePlatform } from './index.ts';

const REPLY: HelloReplyInfo = { kind: 'helloReply', version: [2, 1, 0, 0], extVersion: 1, features: 7, driverKind: 1 };

describe('the Windows connector when the driver starts late (review)', () => {
  it('connects once the device appears after the install wait timed out', async () => {
    let opens = 0;
    const platform = choosePlatform('win32', {
      env: {},
      openDriver: (options) => {
        opens += 1;
        const path = options.kind === 'windows' ? (options.devicePath ?? '') : '';
        // Missing until the (slow) driver is running: the first open and the one right after the wait.
        return opens <= 2
          ? Promise.reject(new DaemonNotRunning(path, 'The ZenithFence driver is not installed or not running.'))
          : Promise.resolve(idleLink(REPLY));
      },
      installDriver: () =>
        Promise.reject(
          new ServiceControlError(
            'wait for running',
            0,
            'The ZenithFence driver service stayed start-pending for 30000 ms instead of becoming running: restart Windows, then try again.',
          ),
        ),
    });
    const { session, states } = await runSession(platform.driverConnector());
    try {
      expect(states.map(([state]) => state).at(-1)).toBe('connected');
    } finally {
      await session.stop();
    }
  });
});
