/** Lines with the same key are written at most once per window by default (one minute). */
export const LOG_WINDOW_MS = 60_000;

/**
 * The host's log for things that go wrong while the firewall keeps running. A fault that
 * repeats (a broken disk fails every second) must not flood the journal, so each key is
 * written at most once per window; the lines held back are counted and the count is told with
 * the next line of that key.
 */
export class RateLimitedLog {
  readonly #write: (line: string) => void;
  readonly #clock: () => number;
  readonly #windowMs: number;
  readonly #keys = new Map<string, { writtenAt: number; heldBack: number }>();

  constructor(write: (line: string) => void, clock: () => number = Date.now, windowMs = LOG_WINDOW_MS) {
    this.#write = write;
    this.#clock = clock;
    this.#windowMs = windowMs;
  }

  /** Writes `message` unless a line of `key` was written within the window. */
  line(key: string, message: string): void {
    const now = this.#clock();
    const seen = this.#keys.get(key);
    if (seen !== undefined && now - seen.writtenAt < this.#windowMs) {
      seen.heldBack += 1;
      return;
    }
    const held = seen === undefined || seen.heldBack === 0 ? '' : ` (${String(seen.heldBack)} more like it held back)`;
    this.#keys.set(key, { writtenAt: now, heldBack: 0 });
    // Bounded: keys are names of places in our code, not data.
    if (this.#keys.size > 1000) this.#keys.clear();
    try {
      this.#write(`${message}${held}`);
    } catch {
      // A log that cannot be written (a closed stderr) must not become a second fault.
    }
  }

  /** An error caught at `where` (a timer, a callback): its message, and its stack once per window. */
  error(where: string, error: unknown): void {
    this.line(where, `${where}: ${describeError(error)}`);
  }
}

/** One line for an error of any kind, with its stack's top frame when it has one. */
export function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const frame = error.stack
    ?.split('\n')
    .find((line) => line.trim().startsWith('at '))
    ?.trim();
  return frame === undefined ? error.message : `${error.message} (${frame})`;
}
