import { HandlerError } from '../contract/dispatch.ts';
import { RuleNotSavedError } from './runtime.ts';
import { storageErrorText, storageFault } from './storage-errors.ts';

/**
 * Wraps a request handler that writes to the database (a rule change, a setting). When the
 * database refused the write for a reason of the environment (a full disk, an I/O error, a
 * read-only file, a lock held too long), the request answers with the contract's 'storage'
 * code and a sentence for the user saying what did not happen (`outcome`, e.g. "the rule was
 * not changed"): the handlers write first and change memory only after, so nothing changed.
 * Anything else (a refused row: a bug) goes on as it was, to be answered 'internal'.
 */
export function refusingStorageFaults<P, R>(outcome: string, handler: (payload: P) => R): (payload: P) => R {
  return (payload) => {
    try {
      return handler(payload);
    } catch (error) {
      throw storageRefusal(error, outcome) ?? error;
    }
  };
}

/** The 'storage' answer for `error`, or null when it is not a fault of the storage. */
export function storageRefusal(error: unknown, outcome: string): HandlerError | null {
  if (error instanceof HandlerError) return null; // already the answer
  // The runtime's rule repository wraps the store's error; the cause says what happened.
  const cause = error instanceof RuleNotSavedError ? error.cause : error;
  const fault = storageFault(cause);
  if (fault === 'data') return null;
  const reason = storageErrorText(cause);
  const sentence =
    fault === 'full'
      ? `The disk is full (${reason}): ${outcome}. Free some disk space, then try again.`
      : `The database cannot be written (${reason}): ${outcome}. Try again once it can be written.`;
  return new HandlerError('storage', sentence);
}
