// openDriverWithRetry: opens (and optionally says hello) with exponential back-off while the
// failure is retryable, reporting each status change so the UI can show it.
import type { HelloReplyInfo } from './codec/index.ts';
import type { BackoffOptions } from './backoff.ts';
import { backoffDelay } from './backoff.ts';
import type { DriverHandle } from './driver-handle.ts';
import { DriverClosed, DriverError, DriverGone } from './errors.ts';
import type { DriverOptions } from './open-driver.ts';
import { openDriver } from './open-driver.ts';

/** What the connection is doing, for the UI. */
export type DriverStatus =
  | { readonly state: 'connected'; readonly attempt: number; readonly helloReply: HelloReplyInfo | undefined }
  | {
      readonly state: 'reconnecting';
      /** The attempt that failed (1-based). */
      readonly attempt: number;
      readonly delayMs: number;
      /** When the next attempt starts, on the injected clock. */
      readonly retryAt: number;
      readonly error: DriverError;
    }
  | { readonly state: 'failed'; readonly attempt: number; readonly error: DriverError };

/** Options of {@link openDriverWithRetry}. */
export interface RetryOptions extends BackoffOptions {
  readonly onStatus?: (status: DriverStatus) => void;
  /** Say hello as part of opening, so a refused client (EOF before the reply) is retried too. */
  readonly hello?: { readonly features: number; readonly timeoutMs?: number };
  /** Give up after this many attempts (default: never). */
  readonly maxAttempts?: number;
  /** Aborting stops the retries ('failed' with DriverClosed). */
  readonly signal?: AbortSignal;
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  readonly now?: () => number;
  /** The opener (default {@link openDriver}); tests inject a fake. */
  readonly open?: (options: DriverOptions) => Promise<DriverHandle>;
}

function sleepMs(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

function asDriverError(error: unknown): DriverError {
  if (error instanceof DriverError) return error;
  return new DriverGone(error instanceof Error ? error.message : String(error), { cause: error });
}

/**
 * Opens the driver, retrying retryable failures (not running, gone, timeout) after 100 ms,
 * 200 ms, … up to 5 s between attempts. Resolves with the handle after reporting 'connected';
 * rejects after reporting 'failed' (a non-retryable error such as PermissionDenied or
 * VersionMismatch, maxAttempts reached, or aborted). Call it again when a handle's stream ends
 * with DriverGone.
 */
export async function openDriverWithRetry(options: DriverOptions, retry: RetryOptions = {}): Promise<DriverHandle> {
  const sleep = retry.sleep ?? sleepMs;
  const now = retry.now ?? Date.now;
  const open = retry.open ?? openDriver;
  const maxAttempts = retry.maxAttempts ?? Number.POSITIVE_INFINITY;
  for (let attempt = 1; ; attempt += 1) {
    let error: DriverError;
    try {
      if (retry.signal?.aborted === true) throw new DriverClosed('reconnect (aborted)');
      const handle = await open(options);
      let helloReply: HelloReplyInfo | undefined;
      try {
        if (retry.hello !== undefined) {
          const timeout = retry.hello.timeoutMs;
          helloReply = await handle.hello(retry.hello.features, timeout === undefined ? {} : { timeoutMs: timeout });
        }
      } catch (helloError) {
        await handle.close();
        throw helloError;
      }
      retry.onStatus?.({ state: 'connected', attempt, helloReply });
      return handle;
    } catch (caught) {
      error = asDriverError(caught);
    }
    if (!error.retryable || attempt >= maxAttempts || retry.signal?.aborted === true) {
      const final = retry.signal?.aborted === true ? new DriverClosed('reconnect (aborted)') : error;
      retry.onStatus?.({ state: 'failed', attempt, error: final });
      throw final;
    }
    const delayMs = backoffDelay(attempt, retry);
    retry.onStatus?.({ state: 'reconnecting', attempt, delayMs, retryAt: now() + delayMs, error });
    await sleep(delayMs, retry.signal);
  }
}
