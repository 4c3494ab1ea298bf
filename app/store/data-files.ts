import { chmodSync, closeSync, constants, mkdirSync, openSync, statSync } from 'node:fs';

/**
 * Permissions of the data files: the connection history says who went where, so the data
 * directory is 0700 and the database files 0600 (ARCHITECTURE.md: "Data files are readable by
 * their owner only"). Files and directories made looser by an earlier release, or by hand, are
 * tightened when opened, and the caller is told.
 */

/** Told when a permission was tightened (the default writes one line to stderr). */
export type PermissionNotice = (message: string) => void;

export const DATA_DIR_MODE = 0o700;
export const DATA_FILE_MODE = 0o600;
/** The files SQLite keeps beside a database (WAL, shared memory, rollback journal). */
const SIDE_FILE_SUFFIXES = ['-wal', '-shm', '-journal'] as const;

const defaultNotice: PermissionNotice = (message) => console.warn(`zenithfence: ${message}`);

/**
 * Makes the data directory (and missing parents) 0700, or tightens an existing one: no access
 * for group and others. Call before openStore.
 */
export function prepareDataDir(dir: string, notice: PermissionNotice = defaultNotice): void {
  mkdirSync(dir, { recursive: true, mode: DATA_DIR_MODE });
  tighten(dir, DATA_DIR_MODE, notice);
}

/**
 * Makes sure the database at `path` and its side files are 0600 before SQLite opens them: a
 * missing database is created empty with mode 0600 (SQLite reads an empty file as an empty
 * database, and creates its -wal and -shm files with the database file's mode), and existing
 * files that others could read are tightened. `:memory:` and `file:` URIs are left alone.
 */
export function secureDatabaseFiles(path: string, notice: PermissionNotice = defaultNotice): void {
  if (path === '' || path === ':memory:' || path.startsWith('file:')) return;
  try {
    // O_EXCL: never through a link or over a file someone else just made.
    closeSync(openSync(path, constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY, DATA_FILE_MODE));
  } catch (error) {
    if (errorCode(error) !== 'EEXIST') throw error;
  }
  for (const file of [path, ...SIDE_FILE_SUFFIXES.map((suffix) => `${path}${suffix}`)]) {
    tighten(file, DATA_FILE_MODE, notice);
  }
}

/** Clears the permission bits beyond `allowed` of an existing file or directory, and says so. */
function tighten(file: string, allowed: number, notice: PermissionNotice): void {
  let mode: number;
  try {
    mode = statSync(file).mode & 0o777;
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return;
    throw error;
  }
  if ((mode & ~allowed) === 0) return;
  const tightened = mode & allowed;
  chmodSync(file, tightened);
  notice(`${file} was open to other users (mode ${octal(mode)}); changed to ${octal(tightened)}`);
}

function octal(mode: number): string {
  return `0${mode.toString(8).padStart(3, '0')}`;
}

function errorCode(error: unknown): unknown {
  return typeof error === 'object' && error !== null && 'code' in error ? error.code : undefined;
}
