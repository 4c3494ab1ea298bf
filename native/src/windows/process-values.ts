// The pure parts of the Windows process facts (process-info.ts): FILETIMEs, SIDs, account names
// and what an OpenProcess failure means. No Win32 call here, so all of it is tested on Linux.

/** Win32 error codes the process lookups act on (winerror.h), beside win32-errors.ts's. */
export const PROCESS_ERROR = {
  ACCESS_DENIED: 5,
  INVALID_PARAMETER: 87,
  INSUFFICIENT_BUFFER: 122,
} as const;

/** FILETIME of 1970-01-01T00:00:00Z: 100 ns intervals since 1601-01-01. */
const UNIX_EPOCH_FILETIME = 116_444_736_000_000_000n;
const FILETIME_PER_MS = 10_000n;

/** A FILETIME (100 ns since 1601, UTC) as milliseconds since the Unix epoch, rounded down. */
export function filetimeToUnixMs(filetime: bigint): number {
  const since = filetime - UNIX_EPOCH_FILETIME;
  // BigInt division truncates toward zero; times before 1970 round down like the rest.
  const ms = since / FILETIME_PER_MS - (since < 0n && since % FILETIME_PER_MS !== 0n ? 1n : 0n);
  return Number(ms);
}

/** The FILETIME in an 8-byte out-parameter Buffer (two little-endian DWORDs, low first). */
export function readFiletime(buffer: Uint8Array): bigint {
  if (buffer.byteLength < 8) throw new RangeError(`a FILETIME needs 8 bytes, got ${buffer.byteLength}`);
  return Buffer.from(buffer.buffer, buffer.byteOffset, 8).readBigUInt64LE(0);
}

/** SID_MAX_SUB_AUTHORITIES (winnt.h). */
const MAX_SUB_AUTHORITIES = 15;
/** A SID's fixed part: revision, sub-authority count, 6-byte identifier authority. */
const SID_HEADER = 8;
/**
 * Where the SID starts in the TOKEN_USER that GetTokenInformation(TokenUser) writes on 64-bit
 * Windows: after SID_AND_ATTRIBUTES { PSID (8 bytes); DWORD (4) } padded to 16. The kernel copies
 * the SID right behind the array (RtlCopySidAndAttributesArray; Wine does the same). Reading it
 * here, and passing a copy to LookupAccountSidW, avoids handing a raw pointer back to ffi-rs.
 */
export const TOKEN_USER_SID_OFFSET = 16;

/** The length in bytes of the SID at the start of `bytes`, or undefined when it is not a valid SID. */
export function sidLength(bytes: Uint8Array): number | undefined {
  if (bytes.byteLength < SID_HEADER) return undefined;
  const revision = bytes[0];
  const count = bytes[1] ?? 0;
  if (revision !== 1 || count > MAX_SUB_AUTHORITIES) return undefined;
  const length = SID_HEADER + 4 * count;
  return length <= bytes.byteLength ? length : undefined;
}

/**
 * A copy of the SID in a TOKEN_USER buffer of which GetTokenInformation filled `written` bytes;
 * undefined when the buffer holds no valid SID there (then the user stays unknown).
 */
export function sidFromTokenUser(info: Uint8Array, written: number): Buffer | undefined {
  const end = Math.min(written, info.byteLength);
  if (end <= TOKEN_USER_SID_OFFSET) return undefined;
  const sid = info.subarray(TOKEN_USER_SID_OFFSET, end);
  const length = sidLength(sid);
  return length === undefined ? undefined : Buffer.from(sid.subarray(0, length));
}

/** The SID's string form, `S-1-5-21-…` (the identifier authority in decimal, or hex above 2^32). */
export function sidToString(sid: Uint8Array): string | undefined {
  const length = sidLength(sid);
  if (length === undefined) return undefined;
  const view = Buffer.from(sid.buffer, sid.byteOffset, length);
  const authority = view.readUIntBE(2, 6);
  // ConvertSidToStringSid writes authorities of 2^32 and more in hex.
  const authorityText =
    authority >= 2 ** 32 ? `0x${authority.toString(16).toUpperCase().padStart(12, '0')}` : String(authority);
  const parts = [`S-${String(view[0])}`, authorityText];
  for (let offset = SID_HEADER; offset < length; offset += 4) parts.push(String(view.readUInt32LE(offset)));
  return parts.join('-');
}

/** `DOMAIN\user` as Windows shows an account; well-known accounts without a domain are the name alone. */
export function accountName(domain: string, name: string): string {
  return domain === '' ? name : `${domain}\\${name}`;
}

/** What a failed OpenProcess says about the pid. */
export type OpenFailure =
  /** No process has this pid (ERROR_INVALID_PARAMETER). */
  | 'gone'
  /** A process runs with this pid, but this user may not open it (a protected or other session's). */
  | 'protected'
  /** Anything else: nothing can be concluded. */
  | 'unknown';

/** The meaning of OpenProcess's error code. */
export function openFailure(code: number): OpenFailure {
  switch (code) {
    case PROCESS_ERROR.INVALID_PARAMETER:
      return 'gone';
    case PROCESS_ERROR.ACCESS_DENIED:
      return 'protected';
    default:
      return 'unknown';
  }
}
