// The Windows transport: the \\.\ZenithFence device through two synchronous handles.
//
// Why two: the I/O manager serializes all I/O on a synchronous handle, so a ReadFile pending on
// it (the usual state: the read loop waits for the next info) would block a WriteFile, and so
// every verdict, until the next info arrives. The reader handle only ever reads; the writer
// handle carries commands and IOCTLs. The driver treats both handles of the process as one client.
import { DriverOsError } from '../errors.ts';
import type { SysResult } from '../ffi.ts';
import type { DriverTransport, DriverVersion } from '../transport.ts';
import { IOCTL_ZENITHFENCE_VERSION } from './ctl-code.ts';
import type { DeviceIo } from './device-io.ts';
import { GENERIC_READ, GENERIC_WRITE, INVALID_HANDLE_VALUE } from './device-io.ts';
import { deviceIoError, deviceOpenError } from './win32-errors.ts';

/** The device path the Windows driver creates. */
export const DEFAULT_DEVICE_PATH = '\\\\.\\ZenithFence';

/** The read buffer size, as on Linux. */
export const DEVICE_READ_BUFFER_SIZE = 64 * 1024;

/** Timer functions, injectable for tests. */
export interface CancelTimer {
  readonly setInterval: (callback: () => void, ms: number) => unknown;
  readonly clearInterval: (timer: unknown) => void;
}

/** Options of {@link openWindowsDevice}. */
export interface WindowsDeviceOptions {
  /** How often to repeat CancelIoEx until the pending read returns (default 20 ms). */
  readonly cancelRepeatMs?: number;
  readonly timer?: CancelTimer;
}

const NODE_TIMER: CancelTimer = {
  setInterval: (callback, ms) => setInterval(callback, ms),
  clearInterval: (timer) => clearInterval(timer as ReturnType<typeof setInterval>),
};

/**
 * Opens the device twice (writer: read+write access, which the IOCTLs' FILE_READ_DATA |
 * FILE_WRITE_DATA require; reader: read access). Throws DaemonNotRunning (no device),
 * PermissionDenied (not an administrator) or DriverOsError.
 */
export function openWindowsDevice(
  devicePath: string,
  io: DeviceIo,
  options: WindowsDeviceOptions = {},
): DriverTransport {
  // `>>> 0`: JavaScript's `|` yields a negative int32 for these bits; the DWORD is unsigned.
  const writerResult = io.createFile(devicePath, (GENERIC_READ | GENERIC_WRITE) >>> 0);
  if (writerResult.value === INVALID_HANDLE_VALUE) throw deviceOpenError(devicePath, writerResult.code);
  const readerResult = io.createFile(devicePath, GENERIC_READ);
  if (readerResult.value === INVALID_HANDLE_VALUE) {
    io.closeHandle(writerResult.value);
    throw deviceOpenError(devicePath, readerResult.code);
  }
  return deviceTransport(readerResult.value, writerResult.value, io, options);
}

function deviceTransport(reader: bigint, writer: bigint, io: DeviceIo, options: WindowsDeviceOptions): DriverTransport {
  const timer = options.timer ?? NODE_TIMER;
  const cancelRepeatMs = options.cancelRepeatMs ?? 20;
  // Owned here and reused; the pending ReadFile keeps both referenced through its Promise.
  const buffer = Buffer.alloc(DEVICE_READ_BUFFER_SIZE);
  const bytesRead = Buffer.alloc(4);
  let reading = false;
  let cancelled = false;
  let closed = false;
  let cancelTimer: unknown;

  const stopCancelling = (): void => {
    if (cancelTimer !== undefined) timer.clearInterval(cancelTimer);
    cancelTimer = undefined;
  };

  return {
    kind: 'windows',
    async read() {
      if (cancelled) return buffer.subarray(0, 0);
      reading = true;
      let got: SysResult<number>;
      try {
        got = await io.readFile(reader, buffer, bytesRead);
      } finally {
        reading = false;
        stopCancelling();
      }
      if (got.value !== 0) return buffer.subarray(0, bytesRead.readUInt32LE(0));
      // ERROR_OPERATION_ABORTED after our CancelIoEx is the requested end, not a failure.
      if (cancelled) return buffer.subarray(0, 0);
      throw deviceIoError('ReadFile', got.code);
    },
    write(command) {
      const bytes = Buffer.from(command.buffer, command.byteOffset, command.byteLength);
      const written = Buffer.alloc(4);
      const got = io.writeFile(writer, bytes, written);
      if (got.value === 0) return Promise.reject(deviceIoError('WriteFile', got.code));
      if (written.readUInt32LE(0) !== bytes.length) {
        return Promise.reject(new DriverOsError('WriteFile', 0, 'a short write', true));
      }
      return Promise.resolve();
    },
    cancelRead() {
      if (cancelled || closed) return;
      cancelled = true;
      if (!reading) return;
      io.cancelIoEx(reader);
      // A CancelIoEx that runs before the pool thread has entered ReadFile finds nothing to
      // cancel (ERROR_NOT_FOUND) and the read would then block forever: repeat until it returns.
      cancelTimer = timer.setInterval(() => io.cancelIoEx(reader), cancelRepeatMs);
    },
    close() {
      if (closed) return;
      closed = true;
      stopCancelling();
      io.closeHandle(reader);
      io.closeHandle(writer);
    },
    version(): Promise<DriverVersion> {
      const out = Buffer.alloc(4);
      const returned = Buffer.alloc(4);
      const got = io.deviceIoControl(writer, IOCTL_ZENITHFENCE_VERSION, out, returned);
      if (got.value === 0) return Promise.reject(deviceIoError('DeviceIoControl', got.code));
      if (returned.readUInt32LE(0) < 4) {
        return Promise.reject(new DriverOsError('DeviceIoControl', 0, 'a version shorter than 4 bytes', true));
      }
      return Promise.resolve([out[0] ?? 0, out[1] ?? 0, out[2] ?? 0, out[3] ?? 0]);
    },
  };
}
