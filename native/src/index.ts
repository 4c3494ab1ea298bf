// The native driver binding's public API (app/driver-client and app/platform use it): open a
// driver connection, read its infos, send commands, the back-off delays, and the Windows parts
// (service control, NT paths, process facts). The codec is re-exported so callers need one import.
// Reconnecting is the app's DriverSession (app/driver-client): the one reconnect policy.
export type { BackoffOptions } from './backoff.ts';
export { backoffDelay } from './backoff.ts';
export * from './codec/index.ts';
export type { DriverEnd, DriverHandle, DriverHandleOptions, HelloOptions } from './driver-handle.ts';
export { createDriverHandle, DEFAULT_HELLO_TIMEOUT_MS, DEFAULT_MAX_QUEUED_INFOS } from './driver-handle.ts';
export type { DriverErrorCode } from './errors.ts';
export {
  DaemonNotRunning,
  DriverClosed,
  DriverError,
  DriverGone,
  DriverOsError,
  DriverTimeout,
  DriverUsageError,
  PermissionDenied,
  VersionMismatch,
} from './errors.ts';
export type { DriverOptions, LinuxDriverOptions, WindowsDriverOptions } from './open-driver.ts';
export { DEFAULT_SOCKET_PATH, openDriver } from './open-driver.ts';
export type { DriverTransport, DriverVersion, TransportKind } from './transport.ts';
export { openAdvapiServiceControlManager } from './windows/advapi-scm.ts';
export { DEFAULT_DEVICE_PATH } from './windows/device-transport.ts';
export { readDosDeviceMap } from './windows/dos-devices.ts';
export type { WindowsNetworkReading } from './windows/network-facts.ts';
export { NetworkFactsError, readWindowsNetworkFacts } from './windows/network-facts.ts';
export type { DosDeviceMap } from './windows/nt-path.ts';
export { ntPathToDosPath } from './windows/nt-path.ts';
export type { AccountParts, ProcessCalls } from './windows/process-calls.ts';
export { win32ProcessCalls } from './windows/process-calls.ts';
export type { WindowsProcessFacts, WindowsProcessInfo, WindowsProcessInfoOptions } from './windows/process-info.ts';
export { createWindowsProcessInfo, openWindowsProcessInfo } from './windows/process-info.ts';
export type { DriverServiceConfig, ServiceState } from './windows/service-control.ts';
export { installAndStartDriver, stopAndRemoveDriver } from './windows/service-control.ts';
export { ServiceControlError } from './windows/service-error.ts';
