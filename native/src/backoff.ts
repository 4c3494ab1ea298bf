// Exponential back-off for reconnecting: 100 ms, 200 ms, 400 ms, … capped at 5 s.

/** Back-off limits. */
export interface BackoffOptions {
  /** The first delay (default 100 ms). */
  readonly initialDelayMs?: number;
  /** The cap (default 5 s): the UI shows "reconnecting" and a restarted daemon is found soon. */
  readonly maxDelayMs?: number;
}

/** The delay before retry number `retry` (1-based): initial × 2^(retry−1), at most the cap. */
export function backoffDelay(retry: number, options: BackoffOptions = {}): number {
  const initial = options.initialDelayMs ?? 100;
  const max = options.maxDelayMs ?? 5000;
  // Capping the exponent keeps 2 ** n finite for very long outages.
  return Math.min(max, initial * 2 ** Math.min(Math.max(retry - 1, 0), 30));
}
