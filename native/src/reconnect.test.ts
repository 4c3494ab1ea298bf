// openDriverWithRetry with an injected opener, sleep and clock: back-off, status reports, and
// which failures end the retries.
import { describe, expect, it } from 'vitest';

import { FakeTransport } from '../test-support/fake-transport.ts';
import { backoffDelay } from './backoff.ts';
import { encodeInfo, FEATURE } from './codec/index.ts';
import type { DriverHandle } from './driver-handle.ts';
import { createDriverHandle } from './driver-handle.ts';
import { DaemonNotRunning, DriverClosed, DriverGone, PermissionDenied } from './errors.ts';
import type { DriverStatus } from './reconnect.ts';
import { openDriverWithRetry } from './reconnect.ts';

const OPTIONS = { kind: 'linux', socketPath: '/run/zenithfence/driver.sock' } as const;
const notRunning = (): DaemonNotRunning => new DaemonNotRunning(OPTIONS.socketPath, 'not running');

// Sleeps that only record, on a clock that advances by them.
function fakeTime(): { now: () => number; sleep: (ms: number) => Promise<void>; slept: number[] } {
  let time = 1000;
  const slept: number[] = [];
  return {
    now: () => time,
    sleep: (ms) => {
      slept.push(ms);
      time += ms;
      return Promise.resolve();
    },
    slept,
  };
}

// An opener that fails with `failures` in turn, then opens a handle on a fake transport.
function opener(failures: Error[], onOpen?: (fake: FakeTransport) => void): () => Promise<DriverHandle> {
  return () => {
    const failure = failures.shift();
    if (failure !== undefined) return Promise.reject(failure);
    const fake = new FakeTransport();
    onOpen?.(fake);
    return Promise.resolve(createDriverHandle(fake));
  };
}

describe('backoffDelay', () => {
  it('doubles from 100 ms and stops at 5 s', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8, 100].map((retry) => backoffDelay(retry))).toEqual([
      100, 200, 400, 800, 1600, 3200, 5000, 5000, 5000,
    ]);
    expect(backoffDelay(3, { initialDelayMs: 10, maxDelayMs: 25 })).toBe(25);
  });
});

describe('openDriverWithRetry', () => {
  it('retries a retryable failure with back-off and reports each status', async () => {
    const time = fakeTime();
    const statuses: DriverStatus[] = [];
    const handle = await openDriverWithRetry(OPTIONS, {
      ...time,
      open: opener([notRunning(), notRunning(), new DriverGone('end of stream')]),
      onStatus: (status) => statuses.push(status),
    });
    expect(time.slept).toEqual([100, 200, 400]);
    expect(statuses.map((status) => [status.state, status.attempt])).toEqual([
      ['reconnecting', 1],
      ['reconnecting', 2],
      ['reconnecting', 3],
      ['connected', 4],
    ]);
    expect(statuses[0]).toMatchObject({ delayMs: 100, retryAt: 1100 });
    await handle.close();
  });

  it('fails at once on a non-retryable error', async () => {
    const time = fakeTime();
    const statuses: DriverStatus[] = [];
    const denied = new PermissionDenied(OPTIONS.socketPath, 'zenithfence', 'denied');
    await expect(
      openDriverWithRetry(OPTIONS, { ...time, open: opener([denied]), onStatus: (status) => statuses.push(status) }),
    ).rejects.toBe(denied);
    expect(statuses).toEqual([{ state: 'failed', attempt: 1, error: denied }]);
    expect(time.slept).toEqual([]);
  });

  it('gives up after maxAttempts, and when aborted', async () => {
    const time = fakeTime();
    await expect(
      openDriverWithRetry(OPTIONS, {
        ...time,
        maxAttempts: 3,
        open: opener([notRunning(), notRunning(), notRunning()]),
      }),
    ).rejects.toBeInstanceOf(DaemonNotRunning);
    expect(time.slept).toEqual([100, 200]);

    const controller = new AbortController();
    const statuses: DriverStatus[] = [];
    const aborted = openDriverWithRetry(OPTIONS, {
      signal: controller.signal,
      open: opener([notRunning(), notRunning()]),
      onStatus: (status) => {
        statuses.push(status);
        controller.abort();
      },
    });
    await expect(aborted).rejects.toBeInstanceOf(DriverClosed);
    expect(statuses.map((status) => status.state)).toEqual(['reconnecting', 'failed']);
  });

  it('says hello as part of opening and retries a client the daemon turned away', async () => {
    const time = fakeTime();
    const opened: FakeTransport[] = [];
    const statuses: DriverStatus[] = [];
    const reply = { kind: 'helloReply', version: [2, 1, 0, 0], extVersion: 1, features: 1, driverKind: 2 } as const;
    const handle = await openDriverWithRetry(OPTIONS, {
      ...time,
      hello: { features: FEATURE.process },
      onStatus: (status) => statuses.push(status),
      open: opener([], (fake) => {
        opened.push(fake);
        // The first connection is closed at once (another client is connected); the second answers.
        if (opened.length === 1) fake.end();
        else fake.feed(encodeInfo(reply));
      }),
    });
    expect(opened).toHaveLength(2);
    expect(opened[0]?.closeCalls).toBe(1);
    expect(statuses.map((status) => status.state)).toEqual(['reconnecting', 'connected']);
    expect(statuses[1]).toMatchObject({ helloReply: reply });
    await handle.close();
  });
});
