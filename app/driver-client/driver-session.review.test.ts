// Adversarial review (issue 12): the one reconnect policy. A link that was up proves the user may
// use the driver and speaks its protocol; while the driver restarts, one open that fails with a
// non-retryable error (a device being deleted answers CreateFileW with ERROR_ACCESS_DENIED, a
// socket re-created by a restarting daemon) ends the session for good: the app then stays
// 'failed' after the driver is back, until the user restarts it.
import { describe, expect, it } from 'vitest';
import type { HelloReplyInfo } from '../../native/src/index.ts';
import { DriverGone, PermissionDenied } from '../../native/src/index.ts';
import { idleLink, runSession } from './test-support/session-runner.ts';

const REPLY: HelloReplyInfo = { kind: 'helloReply', version: [2, 1, 0, 0], extVersion: 1, features: 7, driverKind: 1 };

describe('DriverSession across a driver restart (review)', () => {
  it('keeps reconnecting after a link was up, even when one reopen is refused', async () => {
    const first = idleLink(REPLY);
    first.infos = async function* () {
      yield* [];
      throw new DriverGone('ReadFile: ERROR_DEVICE_REMOVED');
    };
    const back = idleLink(REPLY);
    let opens = 0;
    const { session, states } = await runSession(() => {
      opens += 1;
      if (opens === 1) return Promise.resolve(first);
      // The device object of the stopping driver is delete-pending for a moment.
      if (opens === 2)
        return Promise.reject(
          new PermissionDenied('\\\\.\\ZenithFence', undefined, 'Access to \\\\.\\ZenithFence was denied.'),
        );
      return Promise.resolve(back);
    });
    try {
      expect(states.map(([state]) => state).at(-1)).toBe('connected');
      expect(opens).toBe(3);
    } finally {
      await session.stop();
    }
  });
});
