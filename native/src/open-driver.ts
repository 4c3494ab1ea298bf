// openDriver: picks the platform transport, checks the version where the platform reports it
// without a Hello (the Windows IOCTL), and wraps the transport in a handle.
import type { DriverHandle, DriverHandleOptions } from './driver-handle.ts';
import { createDriverHandle } from './driver-handle.ts';
import type { SocketReads } from './linux/socket-transport.ts';
import { connectLinuxSocket } from './linux/socket-transport.ts';
import type { DriverTransport } from './transport.ts';
import { assertSupportedVersion } from './version-check.ts';
import { DEFAULT_DEVICE_PATH, openWindowsDevice } from './windows/device-transport.ts';
import { kernel32DeviceIo } from './windows/kernel32-device-io.ts';

/** The Linux daemon's socket (zenithfenced --socket). */
export interface LinuxDriverOptions extends DriverHandleOptions {
  readonly kind: 'linux';
  /** Default of zenithfenced: `/run/zenithfence/driver.sock`. */
  readonly socketPath: string;
  /** How the socket is read (linux/socket-transport.ts); default 'event'. Benchmarks compare the two. */
  readonly reads?: SocketReads;
}

/** The Windows driver's device. */
export interface WindowsDriverOptions extends DriverHandleOptions {
  readonly kind: 'windows';
  /** Default `\\.\ZenithFence`. */
  readonly devicePath?: string;
}

/** Where the driver is, by platform. */
export type DriverOptions = LinuxDriverOptions | WindowsDriverOptions;

/** zenithfenced's default socket path. */
export const DEFAULT_SOCKET_PATH = '/run/zenithfence/driver.sock';

/**
 * Connects to the driver and starts reading. The info stream is buffered from here on, so call
 * {@link DriverHandle.hello} next (extension infos need it), then iterate `infos()`.
 * Rejects with DaemonNotRunning, PermissionDenied, VersionMismatch (Windows IOCTL) or DriverOsError.
 */
export async function openDriver(options: DriverOptions): Promise<DriverHandle> {
  const transport = await openTransport(options);
  if (transport.version !== undefined) {
    try {
      assertSupportedVersion(await transport.version());
    } catch (error) {
      transport.close();
      throw error;
    }
  }
  const handleOptions: DriverHandleOptions = {
    ...(options.maxQueuedInfos === undefined ? {} : { maxQueuedInfos: options.maxQueuedInfos }),
    ...(options.maxBodyLength === undefined ? {} : { maxBodyLength: options.maxBodyLength }),
  };
  return createDriverHandle(transport, handleOptions);
}

function openTransport(options: DriverOptions): Promise<DriverTransport> {
  switch (options.kind) {
    case 'linux':
      return connectLinuxSocket(options.socketPath, options.reads === undefined ? {} : { reads: options.reads });
    case 'windows':
      return Promise.resolve(openWindowsDevice(options.devicePath ?? DEFAULT_DEVICE_PATH, kernel32DeviceIo()));
  }
}
