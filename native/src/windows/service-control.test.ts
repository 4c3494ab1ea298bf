// Service sequencing over a fake service control manager: the order of calls, tolerated races,
// and the wait-for-state polling with its timeout.
import { describe, expect, it } from 'vitest';
import type { DriverServiceConfig, ServiceControlManager, ServiceState } from './service-control.ts';
import { installAndStartDriver, stopAndRemoveDriver, waitForServiceState } from './service-control.ts';
import { ServiceControlError } from './service-error.ts';
import { WIN32_ERROR } from './win32-errors.ts';

const CONFIG: DriverServiceConfig = {
  name: 'ZenithFence',
  displayName: 'ZenithFence driver',
  binaryPath: 'C:\\Program Files\\ZenithFence\\zenithfence.sys',
};

// A service whose state moves on by itself: `after` lists the states each query returns next.
class FakeScm implements ServiceControlManager<string> {
  readonly calls: string[] = [];
  installed: boolean;
  states: ServiceState[];
  startError: number | undefined;
  stopError: number | undefined;
  createError: number | undefined;

  constructor(installed: boolean, states: ServiceState[]) {
    this.installed = installed;
    this.states = states;
  }

  open(name: string): string {
    this.calls.push(`open ${name}`);
    if (!this.installed) throw new ServiceControlError('OpenServiceW', WIN32_ERROR.SERVICE_DOES_NOT_EXIST, 'absent');
    return 'svc';
  }

  create(config: DriverServiceConfig): string {
    this.calls.push(`create ${config.name} ${config.binaryPath}`);
    if (this.createError !== undefined) {
      // ERROR_SERVICE_EXISTS: another installer created it in between.
      this.installed = this.createError === WIN32_ERROR.SERVICE_EXISTS;
      throw new ServiceControlError('CreateServiceW', this.createError, 'x');
    }
    this.installed = true;
    return 'svc';
  }

  start(): void {
    this.calls.push('start');
    if (this.startError !== undefined) throw new ServiceControlError('StartServiceW', this.startError, 'x');
  }

  stop(): void {
    this.calls.push('stop');
    if (this.stopError !== undefined) throw new ServiceControlError('ControlService', this.stopError, 'x');
  }

  query(): ServiceState {
    const state = this.states.length > 1 ? (this.states.shift() as ServiceState) : (this.states[0] ?? 'stopped');
    this.calls.push(`query ${state}`);
    return state;
  }

  remove(): void {
    this.calls.push('delete');
  }

  close(service: string): void {
    this.calls.push(`close ${service}`);
  }
}

// A clock that advances only when the code sleeps.
function fakeTime(): { now: () => number; sleep: (ms: number) => Promise<void>; slept: number[] } {
  let time = 0;
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

describe('installAndStartDriver', () => {
  it('creates a missing service, starts it, polls until running and closes the handle', async () => {
    const scm = new FakeScm(false, ['stopped', 'start-pending', 'start-pending', 'running']);
    const time = fakeTime();
    await installAndStartDriver(scm, CONFIG, { ...time, pollMs: 50 });
    expect(scm.calls).toEqual([
      'open ZenithFence',
      `create ZenithFence ${CONFIG.binaryPath}`,
      'query stopped',
      'start',
      'query start-pending',
      'query start-pending',
      'query running',
      'close svc',
    ]);
    expect(time.slept).toEqual([50, 50]);
  });

  it('leaves a running service alone and tolerates a concurrent start or create', async () => {
    const running = new FakeScm(true, ['running']);
    await installAndStartDriver(running, CONFIG, fakeTime());
    expect(running.calls).toEqual(['open ZenithFence', 'query running', 'close svc']);

    const raced = new FakeScm(true, ['stopped', 'running']);
    raced.startError = WIN32_ERROR.SERVICE_ALREADY_RUNNING;
    await installAndStartDriver(raced, CONFIG, fakeTime());
    expect(raced.calls).toContain('start');

    const created = new FakeScm(false, ['running']);
    created.createError = WIN32_ERROR.SERVICE_EXISTS;
    await installAndStartDriver(created, CONFIG, fakeTime());
    expect(created.calls.slice(0, 3)).toEqual([
      'open ZenithFence',
      `create ZenithFence ${CONFIG.binaryPath}`,
      'open ZenithFence',
    ]);
  });

  it('waits for a pending stop before starting', async () => {
    const scm = new FakeScm(true, ['stop-pending', 'stop-pending', 'stopped', 'running']);
    await installAndStartDriver(scm, CONFIG, fakeTime());
    expect(scm.calls).toEqual([
      'open ZenithFence',
      'query stop-pending',
      'query stop-pending',
      'query stopped',
      'start',
      'query running',
      'close svc',
    ]);
  });

  it('fails at once when the driver falls back to stopped, and still closes the handle', async () => {
    const scm = new FakeScm(true, ['stopped', 'start-pending', 'stopped']);
    const error = await installAndStartDriver(scm, CONFIG, fakeTime()).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ServiceControlError);
    expect((error as Error).message).toMatch(/stopped while starting/);
    expect(scm.calls.at(-1)).toBe('close svc');
  });

  it('passes other start errors on', async () => {
    const scm = new FakeScm(true, ['stopped']);
    scm.startError = WIN32_ERROR.SERVICE_DISABLED;
    await expect(installAndStartDriver(scm, CONFIG, fakeTime())).rejects.toMatchObject({ win32Code: 1058 });
    expect(scm.calls.at(-1)).toBe('close svc');
  });
});

describe('stopAndRemoveDriver', () => {
  it('stops, waits for stopped, then deletes and closes', async () => {
    const scm = new FakeScm(true, ['running', 'stop-pending', 'stopped']);
    expect(await stopAndRemoveDriver(scm, 'ZenithFence', fakeTime())).toBe('removed');
    expect(scm.calls).toEqual([
      'open ZenithFence',
      'query running',
      'stop',
      'query stop-pending',
      'query stopped',
      'delete',
      'close svc',
    ]);
  });

  it('reports an absent service and skips the stop of a stopped one', async () => {
    expect(await stopAndRemoveDriver(new FakeScm(false, []), 'ZenithFence', fakeTime())).toBe('absent');
    const stopped = new FakeScm(true, ['stopped']);
    await stopAndRemoveDriver(stopped, 'ZenithFence', fakeTime());
    expect(stopped.calls).toEqual(['open ZenithFence', 'query stopped', 'delete', 'close svc']);
  });

  it('tolerates a service that stopped by itself between query and stop', async () => {
    const scm = new FakeScm(true, ['running', 'stopped']);
    scm.stopError = WIN32_ERROR.SERVICE_NOT_ACTIVE;
    expect(await stopAndRemoveDriver(scm, 'ZenithFence', fakeTime())).toBe('removed');
  });
});

describe('waitForServiceState', () => {
  it('times out with the state it was stuck in', async () => {
    const scm = new FakeScm(true, ['stop-pending']);
    const time = fakeTime();
    const error = await waitForServiceState(scm, 'svc', 'stopped', { ...time, timeoutMs: 1000, pollMs: 100 }).catch(
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(ServiceControlError);
    expect((error as Error).message).toMatch(/stayed stop-pending for 1000 ms/);
    expect(time.slept).toHaveLength(10);
  });
});
