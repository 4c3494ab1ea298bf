// Installing, starting, stopping and removing the driver's kernel service, as pure sequencing
// over an injected service control manager: the order (create → start → wait for running;
// stop → wait for stopped → delete) and the polling with a timeout are unit-tested with a fake;
// advapi-scm.ts is the real one.
import { ServiceControlError } from './service-error.ts';
import { WIN32_ERROR } from './win32-errors.ts';

/** SERVICE_STATUS.dwCurrentState. */
export type ServiceState =
  'stopped' | 'start-pending' | 'stop-pending' | 'running' | 'continue-pending' | 'pause-pending' | 'paused';

/** What the driver's service is. */
export interface DriverServiceConfig {
  /** The service (and driver) name, e.g. `ZenithFence`. */
  readonly name: string;
  readonly displayName: string;
  /** Full path of the .sys file. */
  readonly binaryPath: string;
}

/**
 * The service control manager calls, over an opaque service handle `S`. Failing calls throw
 * {@link ServiceControlError} carrying the Win32 code, which the sequencing inspects.
 */
export interface ServiceControlManager<S> {
  /** Opens the service; throws with ERROR_SERVICE_DOES_NOT_EXIST when it is not installed. */
  open(name: string): S;
  /** Creates a kernel driver service that starts at boot after BFE (as the installer does). */
  create(config: DriverServiceConfig): S;
  start(service: S): void;
  /** Sends SERVICE_CONTROL_STOP. */
  stop(service: S): void;
  query(service: S): ServiceState;
  /** Marks the service for deletion (done once every handle to it is closed). */
  remove(service: S): void;
  close(service: S): void;
}

/** Time functions and limits of the waits, injectable for tests. */
export interface ServiceTiming {
  /** Longest wait for a state (default 30 s: a driver's DriverEntry may take a while). */
  readonly timeoutMs?: number;
  /** Poll interval (default 100 ms). */
  readonly pollMs?: number;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly now?: () => number;
}

const sleepMs = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function hasCode(error: unknown, code: number): boolean {
  return error instanceof ServiceControlError && error.win32Code === code;
}

/** Opens the service, or undefined when it is not installed. */
function openIfInstalled<S>(scm: ServiceControlManager<S>, name: string): S | undefined {
  try {
    return scm.open(name);
  } catch (error) {
    if (hasCode(error, WIN32_ERROR.SERVICE_DOES_NOT_EXIST)) return undefined;
    throw error;
  }
}

/**
 * Polls until the service is in `wanted`. Waiting for `running`, a service that falls back to
 * `stopped` failed to start (DriverEntry returned an error): that fails at once.
 */
export async function waitForServiceState<S>(
  scm: ServiceControlManager<S>,
  service: S,
  wanted: ServiceState,
  timing: ServiceTiming = {},
): Promise<void> {
  const now = timing.now ?? Date.now;
  const sleep = timing.sleep ?? sleepMs;
  const timeoutMs = timing.timeoutMs ?? 30_000;
  const deadline = now() + timeoutMs;
  for (;;) {
    const state = scm.query(service);
    if (state === wanted) return;
    if (wanted === 'running' && state === 'stopped') {
      throw new ServiceControlError(
        'wait for running',
        0,
        'The ZenithFence driver stopped while starting: see the System event log (source Service ' +
          'Control Manager), then reinstall ZenithFence.',
      );
    }
    if (now() >= deadline) {
      throw new ServiceControlError(
        `wait for ${wanted}`,
        0,
        `The ZenithFence driver service stayed ${state} for ${timeoutMs} ms instead of becoming ${wanted}: ` +
          'restart Windows, then try again.',
      );
    }
    await sleep(timing.pollMs ?? 100);
  }
}

/**
 * Installs the service if needed and starts it: open or create → (wait for a pending stop) →
 * start → wait for running. Closes the service handle in every case.
 */
export async function installAndStartDriver<S>(
  scm: ServiceControlManager<S>,
  config: DriverServiceConfig,
  timing: ServiceTiming = {},
): Promise<void> {
  const service = openIfInstalled(scm, config.name) ?? createOrOpen(scm, config);
  try {
    const state = scm.query(service);
    if (state === 'running') return;
    if (state === 'stop-pending') await waitForServiceState(scm, service, 'stopped', timing);
    if (state !== 'start-pending') {
      try {
        scm.start(service);
      } catch (error) {
        // Someone else started it in between: that is the state we want.
        if (!hasCode(error, WIN32_ERROR.SERVICE_ALREADY_RUNNING)) throw error;
      }
    }
    await waitForServiceState(scm, service, 'running', timing);
  } finally {
    scm.close(service);
  }
}

// Another installer may create the service between our open and create.
function createOrOpen<S>(scm: ServiceControlManager<S>, config: DriverServiceConfig): S {
  try {
    return scm.create(config);
  } catch (error) {
    if (hasCode(error, WIN32_ERROR.SERVICE_EXISTS)) return scm.open(config.name);
    throw error;
  }
}

/**
 * Stops the service and removes it: open (absent → `'absent'`) → stop → wait for stopped →
 * delete. Closes the service handle in every case.
 */
export async function stopAndRemoveDriver<S>(
  scm: ServiceControlManager<S>,
  name: string,
  timing: ServiceTiming = {},
): Promise<'removed' | 'absent'> {
  const service = openIfInstalled(scm, name);
  if (service === undefined) return 'absent';
  try {
    await stopService(scm, service, timing);
    try {
      scm.remove(service);
    } catch (error) {
      if (!hasCode(error, WIN32_ERROR.SERVICE_MARKED_FOR_DELETE)) throw error;
    }
    return 'removed';
  } finally {
    scm.close(service);
  }
}

/** Stops a service and waits until it is stopped (a stopped one is left alone). */
export async function stopService<S>(
  scm: ServiceControlManager<S>,
  service: S,
  timing: ServiceTiming = {},
): Promise<void> {
  const state = scm.query(service);
  if (state === 'stopped') return;
  if (state !== 'stop-pending') {
    try {
      scm.stop(service);
    } catch (error) {
      // It stopped by itself in between.
      if (!hasCode(error, WIN32_ERROR.SERVICE_NOT_ACTIVE)) throw error;
    }
  }
  await waitForServiceState(scm, service, 'stopped', timing);
}
