import type { RateLimitedLog } from './rate-limited-log.ts';

/** What installLastResort needs of the process (injectable for tests). */
export interface ProcessEvents {
  on(event: 'uncaughtException', listener: (error: Error) => void): unknown;
  on(event: 'unhandledRejection', listener: (reason: unknown) => void): unknown;
}

/**
 * The last resort of both hosts: exceptions and rejections nothing else caught are logged, and
 * the process goes on. Node's default for both is to end the process, and for a firewall that
 * is the worst outcome: the daemon then answers the held connections, and every new one until
 * someone restarts us, with its detached action (accept): it fails open. Our own timers and
 * callbacks already run under `guarded`; this catches what slips past (a library callback, an
 * emitter with no 'error' listener). Running on after an unexpected exception risks a half-done
 * operation; ours are small and synchronous (one event, one tick), and the engine answers every
 * request it took exactly once (hold timeouts included), so going on is the safer failure.
 */
export function installLastResort(log: RateLimitedLog, target: ProcessEvents = process): void {
  target.on('uncaughtException', (error) => log.error('uncaught exception', error));
  target.on('unhandledRejection', (reason) => log.error('unhandled rejection', reason));
}
