// The session's reconnect policy: the binding's `retryable` decides whether an open is tried again.
import { describe, expect, it } from 'vitest';
import type { HelloReplyInfo } from '../../native/src/index.ts';
import { DaemonNotRunning, DriverClosed, PermissionDenied, VersionMismatch } from '../../native/src/index.ts';
import { idleLink as idleLinkOf, runSession as run } from './test-support/session-runner.ts';

const REPLY: HelloReplyInfo = { kind: 'helloReply', version: [2, 1, 0, 0], extVersion: 1, features: 7, driverKind: 2 };

const idleLink = (): ReturnType<typeof idleLinkOf> => idleLinkOf(REPLY);

const denied = new PermissionDenied(
  '/run/zenithfence/driver.sock',
  'zenithfence',
  'Permission denied on /run/zenithfence/driver.sock: add your user to group zenithfence and log in again.',
);

describe('DriverSession reconnect policy', () => {
  it('says a PermissionDenied once, with what to do, and does not try again', async () => {
    let opens = 0;
    const { session, states, sleeps } = await run(() => {
      opens += 1;
      return Promise.reject(denied);
    });
    expect(opens).toBe(1);
    expect(sleeps).toEqual([]);
    expect(states).toHaveLength(1);
    expect(states[0]?.[0]).toBe('failed');
    expect(states[0]?.[1]).toContain('add your user to group zenithfence and log in again.');
    expect(states[0]?.[1]).toContain('stopped trying');
    await session.stop();
    expect(states.at(-1)?.[0]).toBe('disconnected');
    expect(opens).toBe(1);
  });

  it('says a VersionMismatch of the Hello once, and closes that link', async () => {
    const link = idleLink();
    link.hello = () => Promise.reject(new VersionMismatch([3, 0, 0, 0], 2));
    let opens = 0;
    const { session, states } = await run(() => {
      opens += 1;
      return Promise.resolve(link);
    });
    expect(opens).toBe(1);
    expect(link.closed).toBe(true);
    expect(states.map(([state]) => state)).toEqual(['failed']);
    expect(states[0]?.[1]).toMatch(/from the same ZenithFence release/);
    await session.stop();
  });

  it('retries DaemonNotRunning with the back-off, doubling to the cap, until the driver is there', async () => {
    let opens = 0;
    const link = idleLink();
    const { session, states, sleeps } = await run(() => {
      opens += 1;
      if (opens <= 8)
        return Promise.reject(new DaemonNotRunning('/run/zenithfence/driver.sock', 'zenithfenced is not running'));
      return Promise.resolve(link);
    });
    expect(sleeps).toEqual([100, 200, 400, 800, 1600, 3200, 5000, 5000]);
    expect(states.map(([state]) => state)).toEqual([...Array<string>(8).fill('reconnecting'), 'connected']);
    expect(states[0]?.[1]).toBe('zenithfenced is not running');
    await session.stop();
  });

  it('makes a broken link anew whatever its error: only opening is judged by retryable', async () => {
    const broken = idleLink();
    broken.infos = async function* () {
      yield* [];
      throw new DriverClosed('read');
    };
    const next = idleLink();
    const links = [broken, next];
    const { session, states } = await run(() => Promise.resolve(links.shift() ?? next));
    expect(states.map(([state]) => state)).toEqual(['connected', 'reconnecting', 'connected']);
    await session.stop();
  });
});
