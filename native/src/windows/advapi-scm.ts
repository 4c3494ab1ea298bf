// The service control manager over advapi32 (Windows only; type-checked everywhere).
import { PermissionDenied } from '../errors.ts';
import type { SysResult } from '../ffi.ts';
import { advapi32 } from '../ffi.ts';
import type { DriverServiceConfig, ServiceControlManager, ServiceState } from './service-control.ts';
import { ServiceControlError } from './service-error.ts';
import { utf16MultiSz, utf16z } from './utf16.ts';
import { WIN32_ERROR, win32ErrorName } from './win32-errors.ts';

const SC_MANAGER_ALL_ACCESS = 0xf003f;
const SERVICE_ALL_ACCESS = 0xf01ff;
const SERVICE_KERNEL_DRIVER = 0x1;
/**
 * Started by the service control manager at boot, after the filter engine (BFE) it depends on:
 * the driver then enforces the stored policy before anyone logs in (as the installer sets it up,
 * resources/installer/windows/driver.nsh).
 */
const SERVICE_AUTO_START = 0x2;
/** The services the driver needs running first, as REG_MULTI_SZ. */
const DEPENDENCIES = utf16MultiSz(['BFE']);
const SERVICE_ERROR_NORMAL = 0x1;
const SERVICE_CONTROL_STOP = 0x1;
// SERVICE_STATUS: seven DWORDs; dwCurrentState is the second.
const SERVICE_STATUS_SIZE = 28;
const CURRENT_STATE_OFFSET = 4;

const STATES: Readonly<Record<number, ServiceState>> = {
  1: 'stopped',
  2: 'start-pending',
  3: 'stop-pending',
  4: 'running',
  5: 'continue-pending',
  6: 'pause-pending',
  7: 'paused',
};

/** A service control manager connection; `dispose` closes it. */
export interface AdvapiServiceControlManager extends ServiceControlManager<bigint> {
  dispose(): void;
}

function failure(operation: string, code: number): ServiceControlError {
  return new ServiceControlError(
    operation,
    code,
    `${operation} failed with ${win32ErrorName(code)} (${code}); run ZenithFence's installer again as administrator.`,
  );
}

function check(operation: string, result: SysResult<number>): void {
  if (result.value === 0) throw failure(operation, result.code);
}

function checkHandle(operation: string, result: SysResult<bigint>): bigint {
  if (result.value === 0n) throw failure(operation, result.code);
  return result.value;
}

/** Connects to the local SCM. Throws PermissionDenied unless run as administrator. */
export function openAdvapiServiceControlManager(): AdvapiServiceControlManager {
  const api = advapi32();
  const opened = api.OpenSCManagerW(0n, 0n, SC_MANAGER_ALL_ACCESS);
  if (opened.value === 0n) {
    if (opened.code === WIN32_ERROR.ACCESS_DENIED) {
      throw new PermissionDenied(
        'the service control manager',
        undefined,
        'Installing or starting the ZenithFence driver needs administrator rights: run ZenithFence as administrator.',
      );
    }
    throw failure('OpenSCManagerW', opened.code);
  }
  const manager = opened.value;
  return {
    open: (name) => checkHandle('OpenServiceW', api.OpenServiceW(manager, utf16z(name), SERVICE_ALL_ACCESS)),
    create: (config: DriverServiceConfig) =>
      checkHandle(
        'CreateServiceW',
        api.CreateServiceW(
          manager,
          utf16z(config.name),
          utf16z(config.displayName),
          SERVICE_ALL_ACCESS,
          SERVICE_KERNEL_DRIVER,
          SERVICE_AUTO_START,
          SERVICE_ERROR_NORMAL,
          utf16z(config.binaryPath),
          DEPENDENCIES,
        ),
      ),
    start: (service) => check('StartServiceW', api.StartServiceW(service)),
    stop: (service) =>
      check('ControlService', api.ControlService(service, SERVICE_CONTROL_STOP, Buffer.alloc(SERVICE_STATUS_SIZE))),
    query: (service) => {
      const status = Buffer.alloc(SERVICE_STATUS_SIZE);
      check('QueryServiceStatus', api.QueryServiceStatus(service, status));
      const state = STATES[status.readUInt32LE(CURRENT_STATE_OFFSET)];
      if (state === undefined) throw failure('QueryServiceStatus', 0);
      return state;
    },
    remove: (service) => check('DeleteService', api.DeleteService(service)),
    close: (service) => {
      api.CloseServiceHandle(service);
    },
    dispose: () => {
      api.CloseServiceHandle(manager);
    },
  };
}
