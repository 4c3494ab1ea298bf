// The Win32 calls the device transport makes, as an interface: kernel32-device-io.ts binds it to
// kernel32, and the unit tests to a fake that checks which handle each call uses.
import type { SysResult } from '../ffi.ts';

/** The INVALID_HANDLE_VALUE of CreateFileW, as the bigint ffi-rs returns. */
export const INVALID_HANDLE_VALUE = -1n;
/** Access rights for CreateFileW. */
export const GENERIC_READ = 0x80000000;
export const GENERIC_WRITE = 0x40000000;

/** Synchronous device I/O (handles are bigints; `value` 0 means failure, as BOOL in C). */
export interface DeviceIo {
  /** Opens `path` for synchronous I/O with `desiredAccess`, shared for reading and writing. */
  createFile(path: string, desiredAccess: number): SysResult<bigint>;
  /** Blocking read off the JS thread; `bytesRead` is a 4-byte DWORD out-parameter. */
  readFile(handle: bigint, buffer: Buffer, bytesRead: Buffer): Promise<SysResult<number>>;
  writeFile(handle: bigint, buffer: Buffer, bytesWritten: Buffer): SysResult<number>;
  /** An IOCTL without input; `bytesReturned` is a 4-byte DWORD out-parameter. */
  deviceIoControl(handle: bigint, code: number, output: Buffer, bytesReturned: Buffer): SysResult<number>;
  /** Cancels every I/O pending on `handle`, from any thread. */
  cancelIoEx(handle: bigint): SysResult<number>;
  closeHandle(handle: bigint): SysResult<number>;
}
