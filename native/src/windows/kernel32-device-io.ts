// DeviceIo bound to kernel32 through ffi.ts (Windows only; type-checked everywhere).
import { kernel32 } from '../ffi.ts';
import type { DeviceIo } from './device-io.ts';
import { utf16z } from './utf16.ts';

const FILE_SHARE_READ = 0x1;
const FILE_SHARE_WRITE = 0x2;
const OPEN_EXISTING = 3;
// No FILE_FLAG_OVERLAPPED: synchronous handles, so ReadFile blocks its (threadpool) thread and
// returns the byte count directly.
const SYNCHRONOUS = 0;
const NULL = 0n;

/** The real device calls. */
export function kernel32DeviceIo(): DeviceIo {
  const k32 = kernel32();
  return {
    createFile: (path, access) =>
      // Shared read/write: the transport opens the device twice (reader and writer handle).
      k32.CreateFileW(utf16z(path), access, FILE_SHARE_READ | FILE_SHARE_WRITE, NULL, OPEN_EXISTING, SYNCHRONOUS, NULL),
    readFile: (handle, buffer, bytesRead) => k32.ReadFile(handle, buffer, buffer.length, bytesRead, NULL),
    writeFile: (handle, buffer, bytesWritten) => k32.WriteFile(handle, buffer, buffer.length, bytesWritten, NULL),
    deviceIoControl: (handle, code, output, bytesReturned) =>
      k32.DeviceIoControl(handle, code, NULL, 0, output, output.length, bytesReturned, NULL),
    cancelIoEx: (handle) => k32.CancelIoEx(handle, NULL),
    closeHandle: (handle) => k32.CloseHandle(handle),
  };
}
