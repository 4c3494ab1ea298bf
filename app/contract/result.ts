/**
 * The envelope every request returns, over Electron IPC and the headless WebSocket alike:
 * errors are values with a code the UI can act on, never thrown across the boundary.
 * 'storage': the database could not take the write (a full disk, an I/O error, a read-only
 * file); nothing of the request took effect, and the message says so for the user.
 */
export const ERROR_CODES = [
  'bad-request',
  'not-found',
  'conflict',
  'driver-unavailable',
  'storage',
  'internal',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export interface IpcError {
  readonly code: ErrorCode;
  readonly message: string;
}

export type Result<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: IpcError };

export function ok<T>(value: T): Result<T> {
  return { ok: true, value };
}

export function fail<T>(code: ErrorCode, message: string): Result<T> {
  return { ok: false, error: { code, message } };
}
