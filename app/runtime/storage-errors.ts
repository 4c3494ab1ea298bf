/**
 * What a failed database write means for the runtime:
 * - 'full': no space left (SQLITE_FULL, ENOSPC): wait for space, retry;
 * - 'failed': the database cannot take writes for another reason of the environment (an I/O
 *   error, a read-only or vanished file, a lock held too long, a closed database): retry too;
 * - 'data': the write itself was refused (a constraint, a bad value): that batch is lost, and
 *   the next one, with other data, may well succeed; not a state of the storage.
 */
export type StorageFault = 'full' | 'failed' | 'data';

// SQLite's primary result codes (the low byte of an extended code) that concern the storage.
const SQLITE_PERM = 3;
const SQLITE_BUSY = 5;
const SQLITE_LOCKED = 6;
const SQLITE_NOMEM = 7;
const SQLITE_READONLY = 8;
const SQLITE_IOERR = 10;
const SQLITE_CORRUPT = 11;
const SQLITE_FULL = 13;
const SQLITE_CANTOPEN = 14;
const SQLITE_PROTOCOL = 15;
const SQLITE_NOTADB = 26;
const ENVIRONMENT = new Set([
  SQLITE_PERM,
  SQLITE_BUSY,
  SQLITE_LOCKED,
  SQLITE_NOMEM,
  SQLITE_READONLY,
  SQLITE_IOERR,
  SQLITE_CORRUPT,
  SQLITE_CANTOPEN,
  SQLITE_PROTOCOL,
  SQLITE_NOTADB,
]);
const FS_FULL = new Set(['ENOSPC', 'EDQUOT', 'EFBIG']);
const FS_FAILED = new Set(['EIO', 'EROFS', 'EACCES', 'EPERM', 'ENOENT']);

function field(error: unknown, name: string): unknown {
  return typeof error === 'object' && error !== null ? Reflect.get(error, name) : undefined;
}

/** Classifies an error thrown by the store (node:sqlite errors carry `errcode`). */
export function storageFault(error: unknown): StorageFault {
  const errcode = field(error, 'errcode');
  if (typeof errcode === 'number') {
    const primary = errcode & 0xff;
    if (primary === SQLITE_FULL) return 'full';
    return ENVIRONMENT.has(primary) ? 'failed' : 'data';
  }
  const code = field(error, 'code');
  if (typeof code === 'string') {
    if (FS_FULL.has(code)) return 'full';
    if (FS_FAILED.has(code)) return 'failed';
    // node:sqlite refuses every call on a closed database with this code.
    if (code === 'ERR_INVALID_STATE') return 'failed';
  }
  return 'data';
}

/** The message of a store error, for a sentence shown to the user ('database or disk is full'). */
export function storageErrorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
