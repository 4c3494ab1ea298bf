// The Win32 calls behind the Windows process facts, as an interface: process-info.ts holds the
// logic (handle cache, pid reuse, liveness) and its tests inject a fake; `win32ProcessCalls`
// binds it to kernel32 and advapi32 through ffi.ts (Windows only; type-checked everywhere).
import type { SysResult } from '../ffi.ts';
import { advapi32, kernel32 } from '../ffi.ts';
import { PROCESS_ERROR, readFiletime, sidFromTokenUser } from './process-values.ts';
import { fromUtf16z } from './utf16.ts';

/** OpenProcess access rights (winnt.h). */
export const PROCESS_QUERY_LIMITED_INFORMATION = 0x1000;
export const SYNCHRONIZE = 0x0010_0000;
/** WaitForSingleObject results (winbase.h), as unsigned DWORDs. */
export const WAIT_OBJECT_0 = 0;
export const WAIT_TIMEOUT = 0x102;
export const WAIT_FAILED = 0xffff_ffff;
/** GetExitCodeProcess's code while the process runs. */
export const STILL_ACTIVE = 259;

/** An account as LookupAccountSidW names it. */
export interface AccountParts {
  readonly domain: string;
  readonly name: string;
}

/** The calls, one concern each; handles are bigints, `0n` is NULL. None throws. */
export interface ProcessCalls {
  /** OpenProcess(access, FALSE, pid): a handle, or `0n` with the Win32 error in `code`. */
  openProcess(pid: number, access: number): SysResult<bigint>;
  /** QueryFullProcessImageNameW with flags 0: the Win32 path (`C:\…`), undefined on failure. */
  imagePath(process: bigint): string | undefined;
  /** GetProcessTimes' creation time as a raw FILETIME, undefined on failure. */
  creationTime(process: bigint): bigint | undefined;
  /** WaitForSingleObject(process, 0): WAIT_OBJECT_0 once it exited, WAIT_TIMEOUT while it runs. */
  waitZero(process: bigint): number;
  /** GetExitCodeProcess: STILL_ACTIVE while it runs; undefined when the call failed. */
  exitCode(process: bigint): number | undefined;
  /** The process token's user SID (OpenProcessToken + GetTokenInformation(TokenUser)), a copy. */
  userSid(process: bigint): Buffer | undefined;
  /** LookupAccountSidW on this machine; undefined when the SID names no account it can find. */
  lookupAccount(sid: Buffer): AccountParts | undefined;
  closeHandle(handle: bigint): void;
}

/** The longest path QueryFullProcessImageNameW can return, in UTF-16 units (the NT limit). */
const MAX_PATH_CHARS = 32_767;
/** First try of the image path: most paths fit, and 64 KiB per lookup would be wasteful. */
const FIRST_PATH_CHARS = 1024;
const TOKEN_QUERY = 0x0008;
/** TOKEN_INFORMATION_CLASS TokenUser. */
const TOKEN_USER_CLASS = 1;
/** TOKEN_USER with the largest SID (8 + 15 × 4 bytes) after its 16 bytes. */
const TOKEN_USER_SIZE = 16 + 68;
/** Account and domain names: 256 UTF-16 units each is above Windows' limits (20 and 15). */
const NAME_CHARS = 256;

function dword(value = 0): Buffer {
  const buffer = Buffer.alloc(4);
  buffer.writeUInt32LE(value);
  return buffer;
}

/** The real calls (Windows only). */
export function win32ProcessCalls(): ProcessCalls {
  const k32 = kernel32();
  return {
    openProcess: (pid, access) => k32.OpenProcess(access, 0, pid),
    imagePath: (process) => {
      for (const chars of [FIRST_PATH_CHARS, MAX_PATH_CHARS]) {
        const name = Buffer.alloc(chars * 2);
        const size = dword(chars);
        const got = k32.QueryFullProcessImageNameW(process, 0, name, size);
        if (got.value !== 0) return fromUtf16z(name, size.readUInt32LE(0));
        if (got.code !== PROCESS_ERROR.INSUFFICIENT_BUFFER) return undefined;
      }
      return undefined;
    },
    creationTime: (process) => {
      const times = [Buffer.alloc(8), Buffer.alloc(8), Buffer.alloc(8), Buffer.alloc(8)] as const;
      const got = k32.GetProcessTimes(process, times[0], times[1], times[2], times[3]);
      return got.value === 0 ? undefined : readFiletime(times[0]);
    },
    // ffi-rs returns the DWORD as an unsigned number; >>> 0 keeps it so if a build gives it signed.
    waitZero: (process) => k32.WaitForSingleObject(process, 0).value >>> 0,
    exitCode: (process) => {
      const code = dword();
      return k32.GetExitCodeProcess(process, code).value === 0 ? undefined : code.readUInt32LE(0);
    },
    userSid: (process) => {
      const api = advapi32();
      const tokenOut = Buffer.alloc(8);
      if (api.OpenProcessToken(process, TOKEN_QUERY, tokenOut).value === 0) return undefined;
      const token = tokenOut.readBigUInt64LE(0);
      try {
        const info = Buffer.alloc(TOKEN_USER_SIZE);
        const written = dword();
        const got = api.GetTokenInformation(token, TOKEN_USER_CLASS, info, info.length, written);
        return got.value === 0 ? undefined : sidFromTokenUser(info, written.readUInt32LE(0));
      } finally {
        k32.CloseHandle(token);
      }
    },
    lookupAccount: (sid) => {
      const name = Buffer.alloc(NAME_CHARS * 2);
      const domain = Buffer.alloc(NAME_CHARS * 2);
      const nameChars = dword(NAME_CHARS);
      const domainChars = dword(NAME_CHARS);
      const got = advapi32().LookupAccountSidW(sid, name, nameChars, domain, domainChars, dword());
      if (got.value === 0) return undefined;
      return {
        name: fromUtf16z(name, nameChars.readUInt32LE(0)),
        domain: fromUtf16z(domain, domainChars.readUInt32LE(0)),
      };
    },
    closeHandle: (handle) => {
      k32.CloseHandle(handle);
    },
  };
}
