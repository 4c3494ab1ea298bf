import type { DriverEvent, DriverVerdict } from '../contract/driver-events.ts';
import type { DriverState } from '../contract/views.ts';
import { ALL_FEATURES } from '../../native/src/codec/protocol-constants.ts';
import type { Command } from '../../native/src/codec/command-types.ts';
import type { DecodeResult, HelloReplyInfo } from '../../native/src/codec/info-types.ts';
import { EventMapper, verdictCommand } from './event-mapper.ts';

/** What the session needs of an open driver handle (native/src DriverHandle has it). */
export interface SessionLink {
  infos(): AsyncIterable<DecodeResult>;
  send(command: Command): Promise<void>;
  hello(features: number): Promise<HelloReplyInfo>;
  close(): Promise<void>;
}

export interface SessionCallbacks {
  onEvent(event: DriverEvent): void;
  onStatus(state: DriverState, message: string): void;
}

export interface SessionOptions {
  readonly connect: () => Promise<SessionLink>;
  readonly callbacks: SessionCallbacks;
  /** Waits between reconnection attempts (injectable for tests). */
  readonly sleep?: (ms: number) => Promise<void>;
  readonly firstRetryMs?: number;
  readonly maxRetryMs?: number;
  /**
   * Told when a callback (or the mapping of an info) threw. The session goes on with the next
   * info: one event must not end the connection, and with it the answers to everything held.
   */
  readonly onError?: (where: string, error: unknown) => void;
}

const defaultSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Keeps the app connected to the driver: connects, says Hello with every extension, turns infos
 * into engine events, and reconnects with back-off (100 ms doubling to 5 s) when the driver
 * goes away, reporting each state so the UI can show it. Verdicts sent while disconnected are
 * lost with the connection, which is safe: the driver answered those packets itself (the
 * daemon's detached policy).
 *
 * The callbacks' exceptions stay inside the session (reported through `onError`), and a link
 * whose stream ended or broke is closed before the next connection is made: an open link that
 * nobody reads would keep the daemon's held packets waiting for a client that no longer listens.
 */
export class DriverSession {
  readonly #options: SessionOptions;
  #link: SessionLink | null = null;
  #stopped = false;
  #running: Promise<void> | null = null;
  #wake: (() => void) | null = null;

  constructor(options: SessionOptions) {
    this.#options = options;
  }

  start(): void {
    this.#running ??= this.#run();
  }

  async #run(): Promise<void> {
    const sleep = this.#options.sleep ?? defaultSleep;
    const first = this.#options.firstRetryMs ?? 100;
    const max = this.#options.maxRetryMs ?? 5000;
    let delay = first;
    while (!this.#stopped) {
      let link: SessionLink | null = null;
      try {
        link = await this.#options.connect();
        if (this.#stopped) return; // the finally below closes it
        const reply = await link.hello(ALL_FEATURES);
        this.#link = link;
        delay = first;
        this.#status('connected', `driver ${reply.version.join('.')}`);
        const mapper = new EventMapper();
        for await (const info of link.infos()) this.#deliver(mapper, info);
        this.#link = null;
        if (this.#stopped) return;
        this.#status('reconnecting', 'the driver ended the connection');
      } catch (error) {
        this.#link = null;
        if (this.#stopped) return;
        const message = error instanceof Error ? error.message : String(error);
        this.#status('reconnecting', message);
      } finally {
        // A link that is still open is not read by anyone any more (closing twice is harmless).
        if (link !== null && this.#link !== link) await link.close().catch(() => undefined);
      }
      await Promise.race([sleep(delay), new Promise<void>((resolve) => (this.#wake = resolve))]);
      delay = Math.min(max, delay * 2);
    }
  }

  /** Maps one info and hands its event on; what throws is reported, and the next info comes. */
  #deliver(mapper: EventMapper, info: DecodeResult): void {
    try {
      const event = mapper.map(info);
      if (event !== null) this.#options.callbacks.onEvent(event);
    } catch (error) {
      this.#options.onError?.('driver event', error);
    }
  }

  #status(state: DriverState, message: string): void {
    try {
      this.#options.callbacks.onStatus(state, message);
    } catch (error) {
      this.#options.onError?.('driver status', error);
    }
  }

  /** Answers a held request (ignored while disconnected: the driver has answered it). */
  verdict(requestId: bigint, verdict: DriverVerdict): void {
    this.#send(verdictCommand(requestId, verdict));
  }

  requestBandwidth(): void {
    this.#send({ kind: 'getBandwidthStats' });
  }

  #send(command: Command): void {
    const link = this.#link;
    if (link === null) return;
    link.send(command).catch((error: unknown) => {
      // A send racing with stop() fails harmlessly; any other failure means the link broke (or
      // the driver stopped reading commands): close it, so that its stream ends and the session
      // connects anew instead of going on with a link that takes no verdicts.
      if (this.#stopped) return;
      this.#status('reconnecting', error instanceof Error ? error.message : String(error));
      if (this.#link === link) this.#link = null;
      link.close().catch((closeError: unknown) => this.#options.onError?.('driver close', closeError));
    });
  }

  /** Closes the connection and stops reconnecting. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#wake?.();
    const link = this.#link;
    this.#link = null;
    if (link !== null) await link.close();
    await this.#running;
    this.#status('disconnected', 'stopped');
  }
}
