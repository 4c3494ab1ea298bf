// A scripted DriverTransport for the handle's unit tests: the test feeds chunks, ends or breaks
// the stream, and inspects writes; the fake records every rule the handle must keep (one read in
// flight, close only after the read settled, no use after close).
import type { DriverTransport, DriverVersion } from '../src/transport.ts';

type ReadOutcome = { readonly bytes: Uint8Array } | { readonly error: Error };

/** Test controls of a {@link FakeTransport}. */
export class FakeTransport implements DriverTransport {
  readonly kind = 'fake';
  /** Every command written, in order. */
  readonly writes: Uint8Array[] = [];
  /** Rule violations seen (expected to stay empty). */
  readonly violations: string[] = [];
  readsStarted = 0;
  /** Calls of write(), counted when called (before any await). */
  writesStarted = 0;
  cancelCalls = 0;
  closeCalls = 0;
  /** When set, each write waits for this before completing (to test ordering). */
  writeDelay: ((command: Uint8Array) => Promise<void>) | undefined;
  /** When set, writes fail with it. */
  writeError: Error | undefined;
  /** When false, cancelRead does not wake the pending read (a driver that ignores cancels). */
  cancelWakesRead = true;
  version?: () => Promise<DriverVersion>;
  readonly #outcomes: ReadOutcome[] = [];
  #pending: ((outcome: ReadOutcome) => void) | undefined;
  #cancelled = false;
  #writing = false;

  /** Creates a fake; with `version`, it reports that version like the Windows IOCTL. */
  constructor(version?: DriverVersion) {
    if (version !== undefined) this.version = () => Promise.resolve(version);
  }

  /** Whether a read is waiting for data. */
  get reading(): boolean {
    return this.#pending !== undefined;
  }

  /** Delivers the next read's bytes (a copy, as the real transports reuse their buffer). */
  feed(bytes: Uint8Array): void {
    this.#deliver({ bytes: Uint8Array.from(bytes) });
  }

  /** Ends the stream (the next read returns no bytes). */
  end(): void {
    this.#deliver({ bytes: new Uint8Array(0) });
  }

  /** Makes the next read fail. */
  fail(error: Error): void {
    this.#deliver({ error });
  }

  read(): Promise<Uint8Array> {
    if (this.#pending !== undefined) this.violations.push('two reads in flight');
    if (this.closeCalls > 0) this.violations.push('read after close');
    this.readsStarted += 1;
    if (this.#cancelled && this.cancelWakesRead) return Promise.resolve(new Uint8Array(0));
    const queued = this.#outcomes.shift();
    if (queued !== undefined) return settle(queued);
    return new Promise<ReadOutcome>((resolve) => {
      this.#pending = resolve;
    }).then(settle);
  }

  async write(command: Uint8Array): Promise<void> {
    if (this.closeCalls > 0) this.violations.push('write after close');
    if (this.#writing) this.violations.push('two writes in flight');
    // Counted in the call itself: a test can tell a write started now from one started later.
    this.writesStarted += 1;
    if (this.writeError !== undefined) throw this.writeError;
    this.#writing = true;
    try {
      await this.writeDelay?.(command);
      this.writes.push(Uint8Array.from(command));
    } finally {
      this.#writing = false;
    }
  }

  cancelRead(): void {
    if (this.closeCalls > 0) this.violations.push('cancelRead after close');
    this.cancelCalls += 1;
    this.#cancelled = true;
    if (this.cancelWakesRead) this.#deliver({ bytes: new Uint8Array(0) });
  }

  close(): void {
    if (this.#pending !== undefined) this.violations.push('close with a read in flight');
    this.closeCalls += 1;
  }

  #deliver(outcome: ReadOutcome): void {
    const pending = this.#pending;
    if (pending === undefined) {
      this.#outcomes.push(outcome);
      return;
    }
    this.#pending = undefined;
    pending(outcome);
  }
}

function settle(outcome: ReadOutcome): Promise<Uint8Array> {
  return 'error' in outcome ? Promise.reject(outcome.error) : Promise.resolve(outcome.bytes);
}
