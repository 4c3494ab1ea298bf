import type { RateLimitedLog } from './rate-limited-log.ts';

/**
 * Wraps a timer or callback so that what it throws (or, for an async one, rejects with) is
 * logged and goes no further. Both hosts run every timer and callback of the runtime through
 * this: an exception that reached Node's top level would end the process, and the daemon would
 * then apply its detached action (accept) to every new connection: the firewall would fail open.
 */
export function guarded<A extends unknown[]>(
  name: string,
  fn: (...args: A) => unknown,
  log: RateLimitedLog,
): (...args: A) => void {
  return (...args: A): void => {
    try {
      const result = fn(...args);
      if (result instanceof Promise) result.catch((error: unknown) => log.error(name, error));
    } catch (error) {
      log.error(name, error);
    }
  };
}

/** Runs `fn` now, contained like `guarded`; returns its value, or `fallback` when it threw. */
export function contained<T>(name: string, fn: () => T, fallback: T, log: RateLimitedLog): T {
  try {
    return fn();
  } catch (error) {
    log.error(name, error);
    return fallback;
  }
}
