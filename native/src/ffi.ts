// The one module that imports ffi-rs (lint-enforced): it opens libc, kernel32 and advapi32 and
// declares their symbol tables once, typed as the C functions they call. Everything above it
// works with plain numbers, bigints and Buffers.
//
// ffi-rs facts this relies on (shared/research/electron-stack.md, section 1):
// - `runInNewThread: true` runs the call on a libuv threadpool thread and returns a Promise, so a
//   blocking read leaves the event loop free. The pool has 4 threads by default: callers keep
//   at most one blocking call outstanding (the read loop: Windows, and Linux where the socket
//   cannot be read event-driven, linux/event-reads.ts) and make every other call synchronous.
// - A U8Array parameter passes the Buffer's own memory (zero copy), so a Buffer given to an async
//   call must stay referenced until the Promise settles; callers await it.
// - `errno: true` captures errno (Linux) or GetLastError() (Windows) right after the call, on the
//   thread that made it. It is not reset before the call: read it only when the value says the
//   call failed.
// - size_t/ssize_t are I64 and handles are BigInt (i64), correct on x64 and arm64 only; ffi-rs
//   uses the default C ABI, so 32-bit Windows (stdcall) is not supported.
import { DataType, define, open } from 'ffi-rs';

/** A call's return value and the error code captured right after it (see {@link SysResult.code}). */
export interface SysResult<T> {
  readonly value: T;
  /** errno on Linux, GetLastError() on Windows; meaningful only when `value` reports failure. */
  readonly code: number;
}

// What ffi-rs returns for a function declared with `errno: true`.
interface RawErrnoResult<T> {
  readonly value: T;
  readonly errnoCode: number;
}

function result<T>(raw: RawErrnoResult<T>): SysResult<T> {
  return { value: raw.value, code: raw.errnoCode };
}

// ffi-rs types a BigInt result as the `BigInt` wrapper interface; its valueOf() is the primitive.
function handleResult(raw: RawErrnoResult<{ valueOf(): bigint }>): SysResult<bigint> {
  return { value: raw.value.valueOf(), code: raw.errnoCode };
}

/** The libc functions of the Linux socket transport. Integers as in C; Buffers are passed by pointer. */
export interface Libc {
  socket(domain: number, type: number, protocol: number): SysResult<number>;
  /** Test and benchmark helper: `fds` is an 8-byte Buffer that receives two int descriptors. */
  socketpair(domain: number, type: number, protocol: number, fds: Buffer): SysResult<number>;
  /** Runs on the threadpool: a listener with a full backlog would otherwise stall the event loop. */
  connect(fd: number, address: Buffer, addressLength: number): Promise<SysResult<number>>;
  /** Runs on the threadpool (blocking). Keep `buffer` referenced until it settles. */
  read(fd: number, buffer: Buffer, length: number): Promise<SysResult<number>>;
  /** Synchronous read, for the overhead benchmark only. */
  readSync(fd: number, buffer: Buffer, length: number): SysResult<number>;
  write(fd: number, buffer: Buffer, length: number): SysResult<number>;
  /** `write` with flags: MSG_NOSIGNAL turns a closed peer into EPIPE instead of SIGPIPE. */
  send(fd: number, buffer: Buffer, length: number, flags: number): SysResult<number>;
  shutdown(fd: number, how: number): SysResult<number>;
  close(fd: number): SysResult<number>;
  /** fcntl(fd, cmd, arg) with an int argument (F_DUPFD_CLOEXEC: a close-on-exec duplicate). */
  fcntl(fd: number, cmd: number, arg: number): SysResult<number>;
}

let libcInstance: Libc | undefined;

/** The libc symbol table, opened on first use (so merely importing this module opens nothing). */
export function libc(): Libc {
  if (libcInstance !== undefined) return libcInstance;
  const library = 'zf-libc';
  open({ library, path: 'libc.so.6' });
  const fns = define({
    socket: { library, retType: DataType.I32, paramsType: [DataType.I32, DataType.I32, DataType.I32], errno: true },
    socketpair: {
      library,
      retType: DataType.I32,
      paramsType: [DataType.I32, DataType.I32, DataType.I32, DataType.U8Array],
      errno: true,
    },
    connect: {
      library,
      retType: DataType.I32,
      paramsType: [DataType.I32, DataType.U8Array, DataType.U32],
      errno: true,
      runInNewThread: true,
    },
    read: {
      library,
      retType: DataType.I64,
      paramsType: [DataType.I32, DataType.U8Array, DataType.I64],
      errno: true,
      runInNewThread: true,
    },
    write: { library, retType: DataType.I64, paramsType: [DataType.I32, DataType.U8Array, DataType.I64], errno: true },
    send: {
      library,
      retType: DataType.I64,
      paramsType: [DataType.I32, DataType.U8Array, DataType.I64, DataType.I32],
      errno: true,
    },
    shutdown: { library, retType: DataType.I32, paramsType: [DataType.I32, DataType.I32], errno: true },
    close: { library, retType: DataType.I32, paramsType: [DataType.I32], errno: true },
    // Variadic in C; an int third argument is passed like a fixed one on x64 and arm64 Linux.
    fcntl: { library, retType: DataType.I32, paramsType: [DataType.I32, DataType.I32, DataType.I32], errno: true },
  });
  // define() names the C function after the key, so the synchronous read needs its own table.
  const sync = define({
    read: { library, retType: DataType.I64, paramsType: [DataType.I32, DataType.U8Array, DataType.I64], errno: true },
  });
  libcInstance = {
    socket: (domain, type, protocol) => result(fns.socket([domain, type, protocol])),
    socketpair: (domain, type, protocol, fds) => result(fns.socketpair([domain, type, protocol, fds])),
    connect: async (fd, address, length) => result(await fns.connect([fd, address, length])),
    read: async (fd, buffer, length) => result(await fns.read([fd, buffer, length])),
    readSync: (fd, buffer, length) => result(sync.read([fd, buffer, length])),
    write: (fd, buffer, length) => result(fns.write([fd, buffer, length])),
    send: (fd, buffer, length, flags) => result(fns.send([fd, buffer, length, flags])),
    shutdown: (fd, how) => result(fns.shutdown([fd, how])),
    close: (fd) => result(fns.close([fd])),
    fcntl: (fd, cmd, arg) => result(fns.fcntl([fd, cmd, arg])),
  };
  return libcInstance;
}

/**
 * The kernel32 functions of the Windows device transport and path conversion. HANDLEs are
 * bigints (`-1n` INVALID_HANDLE_VALUE, `0n` NULL); strings are NUL-terminated UTF-16LE Buffers
 * (see windows/utf16.ts); `DWORD*` out-parameters are 4-byte Buffers (never ffi-rs pointers,
 * whose misuse crashes the process).
 */
export interface Kernel32 {
  CreateFileW(
    fileName: Buffer,
    desiredAccess: number,
    shareMode: number,
    securityAttributes: bigint,
    creationDisposition: number,
    flagsAndAttributes: number,
    templateFile: bigint,
  ): SysResult<bigint>;
  /** Runs on the threadpool (blocking on a synchronous handle). Keep the Buffers referenced. */
  ReadFile(
    file: bigint,
    buffer: Buffer,
    length: number,
    bytesRead: Buffer,
    overlapped: bigint,
  ): Promise<SysResult<number>>;
  WriteFile(file: bigint, buffer: Buffer, length: number, bytesWritten: Buffer, overlapped: bigint): SysResult<number>;
  DeviceIoControl(
    device: bigint,
    ioControlCode: number,
    inBuffer: bigint,
    inLength: number,
    outBuffer: Buffer,
    outLength: number,
    bytesReturned: Buffer,
    overlapped: bigint,
  ): SysResult<number>;
  CancelIoEx(file: bigint, overlapped: bigint): SysResult<number>;
  CloseHandle(handle: bigint): SysResult<number>;
  /** Prefer {@link SysResult.code}: another call in between would overwrite the thread's last error. */
  GetLastError(): number;
  QueryDosDeviceW(deviceName: Buffer, targetPath: Buffer, maxChars: number): SysResult<number>;
  /** A process handle, `0n` (NULL) on failure. */
  OpenProcess(desiredAccess: number, inheritHandle: number, processId: number): SysResult<bigint>;
  /** `exeName` receives UTF-16; `size` is a DWORD in/out Buffer: its capacity in, the length written out. */
  QueryFullProcessImageNameW(process: bigint, flags: number, exeName: Buffer, size: Buffer): SysResult<number>;
  /** Each time is an 8-byte FILETIME Buffer (100 ns units since 1601, little-endian). */
  GetProcessTimes(process: bigint, creation: Buffer, exit: Buffer, kernel: Buffer, user: Buffer): SysResult<number>;
  /** WAIT_OBJECT_0 (0), WAIT_TIMEOUT (258) or WAIT_FAILED (0xFFFFFFFF), as an unsigned DWORD. */
  WaitForSingleObject(handle: bigint, milliseconds: number): SysResult<number>;
  /** `exitCode` is a 4-byte DWORD out-parameter (STILL_ACTIVE 259 while it runs). */
  GetExitCodeProcess(process: bigint, exitCode: Buffer): SysResult<number>;
}

let kernel32Instance: Kernel32 | undefined;

/** The kernel32 symbol table, opened on first use (Windows only). */
export function kernel32(): Kernel32 {
  if (kernel32Instance !== undefined) return kernel32Instance;
  const library = 'zf-kernel32';
  open({ library, path: 'kernel32.dll' });
  const fns = define({
    CreateFileW: {
      library,
      retType: DataType.BigInt,
      paramsType: [
        DataType.U8Array,
        DataType.U32,
        DataType.U32,
        DataType.BigInt,
        DataType.U32,
        DataType.U32,
        DataType.BigInt,
      ],
      errno: true,
    },
    ReadFile: {
      library,
      retType: DataType.I32,
      paramsType: [DataType.BigInt, DataType.U8Array, DataType.U32, DataType.U8Array, DataType.BigInt],
      errno: true,
      runInNewThread: true,
    },
    WriteFile: {
      library,
      retType: DataType.I32,
      paramsType: [DataType.BigInt, DataType.U8Array, DataType.U32, DataType.U8Array, DataType.BigInt],
      errno: true,
    },
    DeviceIoControl: {
      library,
      retType: DataType.I32,
      paramsType: [
        DataType.BigInt,
        DataType.U32,
        DataType.BigInt,
        DataType.U32,
        DataType.U8Array,
        DataType.U32,
        DataType.U8Array,
        DataType.BigInt,
      ],
      errno: true,
    },
    CancelIoEx: { library, retType: DataType.I32, paramsType: [DataType.BigInt, DataType.BigInt], errno: true },
    CloseHandle: { library, retType: DataType.I32, paramsType: [DataType.BigInt], errno: true },
    GetLastError: { library, retType: DataType.U32, paramsType: [] },
    QueryDosDeviceW: {
      library,
      retType: DataType.U32,
      paramsType: [DataType.U8Array, DataType.U8Array, DataType.U32],
      errno: true,
    },
    OpenProcess: {
      library,
      retType: DataType.BigInt,
      paramsType: [DataType.U32, DataType.I32, DataType.U32],
      errno: true,
    },
    QueryFullProcessImageNameW: {
      library,
      retType: DataType.I32,
      paramsType: [DataType.BigInt, DataType.U32, DataType.U8Array, DataType.U8Array],
      errno: true,
    },
    GetProcessTimes: {
      library,
      retType: DataType.I32,
      paramsType: [DataType.BigInt, DataType.U8Array, DataType.U8Array, DataType.U8Array, DataType.U8Array],
      errno: true,
    },
    WaitForSingleObject: {
      library,
      retType: DataType.U32,
      paramsType: [DataType.BigInt, DataType.U32],
      errno: true,
    },
    GetExitCodeProcess: {
      library,
      retType: DataType.I32,
      paramsType: [DataType.BigInt, DataType.U8Array],
      errno: true,
    },
  });
  kernel32Instance = {
    CreateFileW: (name, access, share, security, disposition, flags, template) =>
      handleResult(fns.CreateFileW([name, access, share, security, disposition, flags, template])),
    ReadFile: async (file, buffer, length, bytesRead, overlapped) =>
      result(await fns.ReadFile([file, buffer, length, bytesRead, overlapped])),
    WriteFile: (file, buffer, length, bytesWritten, overlapped) =>
      result(fns.WriteFile([file, buffer, length, bytesWritten, overlapped])),
    DeviceIoControl: (device, code, inBuffer, inLength, outBuffer, outLength, bytesReturned, overlapped) =>
      result(fns.DeviceIoControl([device, code, inBuffer, inLength, outBuffer, outLength, bytesReturned, overlapped])),
    CancelIoEx: (file, overlapped) => result(fns.CancelIoEx([file, overlapped])),
    CloseHandle: (handle) => result(fns.CloseHandle([handle])),
    GetLastError: () => fns.GetLastError([]),
    QueryDosDeviceW: (name, target, max) => result(fns.QueryDosDeviceW([name, target, max])),
    OpenProcess: (access, inherit, pid) => handleResult(fns.OpenProcess([access, inherit, pid])),
    QueryFullProcessImageNameW: (process, flags, exeName, size) =>
      result(fns.QueryFullProcessImageNameW([process, flags, exeName, size])),
    GetProcessTimes: (process, creation, exit, kernel, user) =>
      result(fns.GetProcessTimes([process, creation, exit, kernel, user])),
    WaitForSingleObject: (handle, ms) => result(fns.WaitForSingleObject([handle, ms])),
    GetExitCodeProcess: (process, exitCode) => result(fns.GetExitCodeProcess([process, exitCode])),
  };
  return kernel32Instance;
}

/**
 * The advapi32 functions: the service control manager, and a process's token and account. SC_HANDLEs
 * are bigints, `0n` on failure; unused pointer parameters are `0n` (NULL).
 */
export interface Advapi32 {
  OpenSCManagerW(machineName: bigint, databaseName: bigint, desiredAccess: number): SysResult<bigint>;
  OpenServiceW(manager: bigint, serviceName: Buffer, desiredAccess: number): SysResult<bigint>;
  CreateServiceW(
    manager: bigint,
    serviceName: Buffer,
    displayName: Buffer,
    desiredAccess: number,
    serviceType: number,
    startType: number,
    errorControl: number,
    binaryPathName: Buffer,
    /** REG_MULTI_SZ in UTF-16: each name NUL-terminated, then one more NUL. */
    dependencies: Buffer,
  ): SysResult<bigint>;
  StartServiceW(service: bigint): SysResult<number>;
  /** `status` is a 28-byte SERVICE_STATUS Buffer that receives the service's state. */
  ControlService(service: bigint, control: number, status: Buffer): SysResult<number>;
  /** `status` is a 28-byte SERVICE_STATUS Buffer. */
  QueryServiceStatus(service: bigint, status: Buffer): SysResult<number>;
  DeleteService(service: bigint): SysResult<number>;
  CloseServiceHandle(handle: bigint): SysResult<number>;
  /** `token` is an 8-byte Buffer that receives the token HANDLE (close it with CloseHandle). */
  OpenProcessToken(process: bigint, desiredAccess: number, token: Buffer): SysResult<number>;
  /** `returnLength` is a 4-byte DWORD out-parameter: the size needed or written. */
  GetTokenInformation(
    token: bigint,
    informationClass: number,
    information: Buffer,
    length: number,
    returnLength: Buffer,
  ): SysResult<number>;
  /**
   * Local machine (lpSystemName NULL). `sid` holds the SID's bytes; `nameChars` and `domainChars`
   * are DWORD in/out Buffers (capacity in UTF-16 units); `use` a 4-byte SID_NAME_USE out-parameter.
   */
  LookupAccountSidW(
    sid: Buffer,
    name: Buffer,
    nameChars: Buffer,
    domain: Buffer,
    domainChars: Buffer,
    use: Buffer,
  ): SysResult<number>;
}

let advapi32Instance: Advapi32 | undefined;

/** The advapi32 symbol table, opened on first use (Windows only). */
export function advapi32(): Advapi32 {
  if (advapi32Instance !== undefined) return advapi32Instance;
  const library = 'zf-advapi32';
  open({ library, path: 'advapi32.dll' });
  const fns = define({
    OpenSCManagerW: {
      library,
      retType: DataType.BigInt,
      paramsType: [DataType.BigInt, DataType.BigInt, DataType.U32],
      errno: true,
    },
    OpenServiceW: {
      library,
      retType: DataType.BigInt,
      paramsType: [DataType.BigInt, DataType.U8Array, DataType.U32],
      errno: true,
    },
    CreateServiceW: {
      library,
      retType: DataType.BigInt,
      // lpLoadOrderGroup, lpdwTagId, lpServiceStartName, lpPassword: NULL; lpDependencies given.
      paramsType: [
        DataType.BigInt,
        DataType.U8Array,
        DataType.U8Array,
        DataType.U32,
        DataType.U32,
        DataType.U32,
        DataType.U32,
        DataType.U8Array,
        DataType.BigInt,
        DataType.BigInt,
        DataType.U8Array,
        DataType.BigInt,
        DataType.BigInt,
      ],
      errno: true,
    },
    StartServiceW: {
      library,
      retType: DataType.I32,
      paramsType: [DataType.BigInt, DataType.U32, DataType.BigInt],
      errno: true,
    },
    ControlService: {
      library,
      retType: DataType.I32,
      paramsType: [DataType.BigInt, DataType.U32, DataType.U8Array],
      errno: true,
    },
    QueryServiceStatus: {
      library,
      retType: DataType.I32,
      paramsType: [DataType.BigInt, DataType.U8Array],
      errno: true,
    },
    DeleteService: { library, retType: DataType.I32, paramsType: [DataType.BigInt], errno: true },
    CloseServiceHandle: { library, retType: DataType.I32, paramsType: [DataType.BigInt], errno: true },
    OpenProcessToken: {
      library,
      retType: DataType.I32,
      paramsType: [DataType.BigInt, DataType.U32, DataType.U8Array],
      errno: true,
    },
    GetTokenInformation: {
      library,
      retType: DataType.I32,
      paramsType: [DataType.BigInt, DataType.U32, DataType.U8Array, DataType.U32, DataType.U8Array],
      errno: true,
    },
    LookupAccountSidW: {
      library,
      retType: DataType.I32,
      // lpSystemName NULL (this machine), then the SID and the six buffers.
      paramsType: [
        DataType.BigInt,
        DataType.U8Array,
        DataType.U8Array,
        DataType.U8Array,
        DataType.U8Array,
        DataType.U8Array,
        DataType.U8Array,
      ],
      errno: true,
    },
  });
  advapi32Instance = {
    OpenSCManagerW: (machine, database, access) => handleResult(fns.OpenSCManagerW([machine, database, access])),
    OpenServiceW: (manager, name, access) => handleResult(fns.OpenServiceW([manager, name, access])),
    CreateServiceW: (manager, name, display, access, type, start, errorControl, binary, dependencies) =>
      handleResult(
        fns.CreateServiceW([
          manager,
          name,
          display,
          access,
          type,
          start,
          errorControl,
          binary,
          0n,
          0n,
          dependencies,
          0n,
          0n,
        ]),
      ),
    StartServiceW: (service) => result(fns.StartServiceW([service, 0, 0n])),
    ControlService: (service, control, status) => result(fns.ControlService([service, control, status])),
    QueryServiceStatus: (service, status) => result(fns.QueryServiceStatus([service, status])),
    DeleteService: (service) => result(fns.DeleteService([service])),
    CloseServiceHandle: (handle) => result(fns.CloseServiceHandle([handle])),
    OpenProcessToken: (process, access, token) => result(fns.OpenProcessToken([process, access, token])),
    GetTokenInformation: (token, informationClass, information, length, returnLength) =>
      result(fns.GetTokenInformation([token, informationClass, information, length, returnLength])),
    LookupAccountSidW: (sid, name, nameChars, domain, domainChars, use) =>
      result(fns.LookupAccountSidW([0n, sid, name, nameChars, domain, domainChars, use])),
  };
  return advapi32Instance;
}
