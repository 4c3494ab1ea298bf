// The transport-independent driver handle: one read loop feeding an InfoReader, ordered writes,
// the Hello exchange, and a close that ends the loop cleanly before the OS handle is released.
import type { Command, HelloReplyInfo, Info, InfoProblem } from './codec/index.ts';
import { encodeCommand, EXT_VERSION, InfoReader } from './codec/index.ts';
import { DriverClosed, DriverError, DriverGone, DriverTimeout, DriverUsageError } from './errors.ts';
import { InfoQueue } from './info-queue.ts';
import type { DriverTransport, DriverVersion, TransportKind } from './transport.ts';
import { assertSupportedVersion } from './version-check.ts';

/** How long {@link DriverHandle.hello} waits for the HelloReply by default. */
export const DEFAULT_HELLO_TIMEOUT_MS = 5000;

/** How many decoded infos wait for a slow consumer before the read loop pauses, by default. */
export const DEFAULT_MAX_QUEUED_INFOS = 10_000;

/** Tuning of a handle. */
export interface DriverHandleOptions {
  /** Infos held for the consumer before reads pause (default {@link DEFAULT_MAX_QUEUED_INFOS}). */
  readonly maxQueuedInfos?: number;
  /** The InfoReader's limit on one body (default 16 MiB). */
  readonly maxBodyLength?: number;
}

/** Options of {@link DriverHandle.hello}. */
export interface HelloOptions {
  /** How long to wait for the HelloReply (default {@link DEFAULT_HELLO_TIMEOUT_MS}). */
  readonly timeoutMs?: number;
}

/** Why a handle's info stream ended. */
export type DriverEnd =
  | { readonly reason: 'closed' }
  | { readonly reason: 'shutdown' }
  | { readonly reason: 'error'; readonly error: DriverError };

/** One open connection to a driver. */
export interface DriverHandle {
  /** The transport underneath. */
  readonly kind: TransportKind;
  /**
   * The decoded infos and skipped-info problems, in stream order (the HelloReply included). One
   * iterator per handle. It ends after {@link DriverHandle.close} or an acknowledged Shutdown and
   * throws (e.g. {@link DriverGone}) when the connection broke. Leaving the loop early does not
   * close the handle.
   */
  infos(): AsyncIterableIterator<Info | InfoProblem>;
  /** Sends one command as one write; writes happen in call order. */
  send(command: Command): Promise<void>;
  /**
   * Sends Hello with the feature bits this client understands and resolves with the HelloReply
   * (granted features, driver version). Rejects with VersionMismatch for another major version,
   * DriverTimeout without a reply.
   */
  hello(features: number, options?: HelloOptions): Promise<HelloReplyInfo>;
  /** The driver's version: the IOCTL on Windows, the last HelloReply on Linux (say hello first). */
  version(): Promise<DriverVersion>;
  /**
   * Ends the read loop (the pending read returns), waits for it and for queued writes, then
   * releases the OS handle. Idempotent; never rejects.
   */
  close(): Promise<void>;
  /** Settles (never rejects) when the stream has ended and the OS handle is released. */
  readonly ended: Promise<DriverEnd>;
}

interface HelloWaiter {
  readonly resolve: (reply: HelloReplyInfo) => void;
  readonly reject: (error: Error) => void;
}

/** Wraps an open transport in a handle and starts its read loop. */
export function createDriverHandle(transport: DriverTransport, options: DriverHandleOptions = {}): DriverHandle {
  return new Handle(transport, options);
}

class Handle implements DriverHandle {
  readonly kind: TransportKind;
  readonly ended: Promise<DriverEnd>;
  readonly #transport: DriverTransport;
  readonly #reader: InfoReader;
  readonly #queue: InfoQueue<Info | InfoProblem>;
  readonly #helloWaiters = new Set<HelloWaiter>();
  // Every write chains on the previous one, so commands leave in call order; settles, never rejects.
  #writeChain: Promise<void> = Promise.resolve();
  // Writes handed to the transport or waiting for it, not yet settled.
  #writesInFlight = 0;
  #lastHelloReply: HelloReplyInfo | undefined;
  #closing = false;
  #shutdownSent = false;
  #end: DriverEnd | undefined;
  // Set once the transport is closed: no OS call may use the handle after that (fd reuse).
  #released = false;

  constructor(transport: DriverTransport, options: DriverHandleOptions) {
    this.kind = transport.kind;
    this.#transport = transport;
    this.#reader = new InfoReader(options.maxBodyLength === undefined ? {} : { maxBodyLength: options.maxBodyLength });
    this.#queue = new InfoQueue(options.maxQueuedInfos ?? DEFAULT_MAX_QUEUED_INFOS);
    this.ended = this.#run();
  }

  infos(): AsyncIterableIterator<Info | InfoProblem> {
    return this.#queue.iterate();
  }

  send(command: Command): Promise<void> {
    const refused = this.#refusal('send a command');
    if (refused !== undefined) return Promise.reject(refused);
    let bytes: Uint8Array;
    try {
      bytes = encodeCommand(command);
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    // The driver ends the stream after Shutdown: that end of stream is then expected, not a loss.
    if (command.kind === 'shutdown') this.#shutdownSent = true;
    // With no write in flight the command is written now, within this call, so a verdict leaves
    // before whatever else the caller then does for the connection; else after the last write.
    const write = this.#writesInFlight === 0 ? this.#write(bytes) : this.#writeChain.then(() => this.#write(bytes));
    this.#writesInFlight += 1;
    this.#writeChain = write.then(this.#writeSettled, this.#writeSettled);
    return write;
  }

  #write(bytes: Uint8Array): Promise<void> {
    try {
      return this.#transport.write(bytes);
    } catch (error) {
      // A transport that throws instead of rejecting: the same failure for the caller.
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }

  readonly #writeSettled = (): void => {
    this.#writesInFlight -= 1;
  };

  async hello(features: number, options: HelloOptions = {}): Promise<HelloReplyInfo> {
    const timeoutMs = options.timeoutMs ?? DEFAULT_HELLO_TIMEOUT_MS;
    // Registered before the write, so a reply that overtakes the write's completion is not missed.
    const reply = this.#nextHelloReply(timeoutMs);
    try {
      await this.send({ kind: 'hello', extVersion: EXT_VERSION, features });
    } catch (error) {
      reply.cancel();
      throw error;
    }
    const info = await reply.promise;
    assertSupportedVersion(info.version);
    return info;
  }

  async version(): Promise<DriverVersion> {
    const refused = this.#refusal('read the version');
    if (refused !== undefined) throw refused;
    if (this.#transport.version !== undefined) return this.#transport.version();
    if (this.#lastHelloReply !== undefined) return this.#lastHelloReply.version;
    // A hello in flight will bring the version.
    if (this.#helloWaiters.size > 0) return (await this.#nextHelloReply(DEFAULT_HELLO_TIMEOUT_MS).promise).version;
    throw new DriverUsageError(
      'The Linux daemon reports its version only in its HelloReply: call hello(features) before version().',
    );
  }

  async close(): Promise<void> {
    if (!this.#closing) {
      this.#closing = true;
      this.#queue.wakeProducer();
      if (!this.#released) this.#transport.cancelRead();
    }
    await this.ended;
  }

  // Why an operation cannot run now, or undefined when it can.
  #refusal(what: string): DriverError | undefined {
    if (this.#closing) return new DriverClosed(what);
    if (this.#end?.reason === 'error') return this.#end.error;
    if (this.#end !== undefined) return new DriverClosed(what);
    return undefined;
  }

  #nextHelloReply(timeoutMs: number): { promise: Promise<HelloReplyInfo>; cancel: () => void } {
    let cancel = (): void => undefined;
    const promise = new Promise<HelloReplyInfo>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#helloWaiters.delete(waiter);
        reject(new DriverTimeout('a HelloReply', timeoutMs));
      }, timeoutMs);
      const waiter: HelloWaiter = {
        resolve: (info) => {
          clearTimeout(timer);
          resolve(info);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
      this.#helloWaiters.add(waiter);
      cancel = () => {
        clearTimeout(timer);
        this.#helloWaiters.delete(waiter);
      };
    });
    // The waiter may be rejected (stream end) while hello() still awaits its write; this keeps
    // that from counting as an unhandled rejection. Awaiting `promise` still sees the error.
    promise.catch(() => undefined);
    return { promise, cancel };
  }

  async #run(): Promise<DriverEnd> {
    const end = await this.#readLoop();
    this.#end = end;
    this.#queue.end(end.reason === 'error' ? end.error : undefined);
    const waiterError = end.reason === 'error' ? end.error : new DriverClosed('wait for a HelloReply');
    for (const waiter of this.#helloWaiters) waiter.reject(waiterError);
    this.#helloWaiters.clear();
    // A write already handed to the transport finishes before the handle goes away.
    await this.#writeChain;
    this.#released = true;
    try {
      this.#transport.close();
    } catch {
      // Nothing to do about a failed close: the stream has ended either way.
    }
    return end;
  }

  async #readLoop(): Promise<DriverEnd> {
    try {
      for (;;) {
        // Awaited only when the consumer is behind: an await is a microtask turn (and garbage) per
        // read, on the path of every connection.
        if (!this.#queue.hasRoom()) await this.#queue.room();
        if (this.#closing) return { reason: 'closed' };
        const chunk = await this.#transport.read();
        if (chunk.length === 0) {
          if (this.#closing) return { reason: 'closed' };
          if (this.#shutdownSent) return { reason: 'shutdown' };
          return { reason: 'error', error: new DriverGone('end of stream') };
        }
        for (const item of this.#reader.push(chunk)) this.#dispatch(item);
      }
    } catch (error) {
      // A read that fails because close() pulled the handle away is the expected end.
      if (this.#closing) return { reason: 'closed' };
      return { reason: 'error', error: asDriverError(error) };
    }
  }

  #dispatch(item: Info | InfoProblem): void {
    if (item.kind === 'helloReply') {
      this.#lastHelloReply = item;
      for (const waiter of this.#helloWaiters) waiter.resolve(item);
      this.#helloWaiters.clear();
    }
    this.#queue.push(item);
  }
}

// Transports throw DriverErrors; anything else is a bug below, reported as a lost connection.
function asDriverError(error: unknown): DriverError {
  if (error instanceof DriverError) return error;
  return new DriverGone(error instanceof Error ? error.message : String(error), { cause: error });
}
