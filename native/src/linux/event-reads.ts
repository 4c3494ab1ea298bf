// Event-driven reads of the daemon's socket: libuv watches the descriptor (epoll) and reads a
// message on the event loop as soon as one is there. The other way, a blocking read() on a
// threadpool thread, pays a thread wake-up and a hand-off back to the loop for every message
// (about 70 µs more per connection that needs the app here: app/driver-client/bench).
//
// Node's public net.Socket({ fd }) refuses a SOCK_SEQPACKET descriptor (libuv's handle guess knows
// only stream and datagram sockets), so the descriptor is opened as a libuv pipe handle
// (process.binding('pipe_wrap'): on Node's allow-list for process.binding, deprecated in the
// documentation only, DEP0111, warned about under --pending-deprecation alone) and handed to
// net.Socket as its handle, for reading only. On a SEQPACKET socket each read() returns one
// message and never joins two; the daemon's are at most 16 KiB and the buffers 64 KiB, so none is
// cut. Infos are self-framed anyway (PROTOCOL.md, "Infos"): reads need no message boundaries.
//
// Where the binding is missing or refuses the descriptor, `openEventReads` returns undefined and
// the transport keeps the threadpool read.
import net from 'node:net';
import { ERRNO } from './errno.ts';

/** The part of Node's pipe handle this uses. */
interface PipeHandle {
  open(fd: number): unknown;
  close(): void;
}

/** The part of Node's pipe_wrap binding this uses. */
export interface PipeBinding {
  readonly Pipe: new (type: number) => PipeHandle;
  readonly constants: { readonly SOCKET: number };
}

/** How a read ended: a chunk, the end of stream, or a failure with its errno. */
export type ReadOutcome =
  | { readonly kind: 'data'; readonly bytes: Uint8Array }
  | { readonly kind: 'end' }
  | { readonly kind: 'error'; readonly errno: number };

/** Reads of one descriptor, one at a time (see {@link openEventReads}). */
export interface EventReads {
  /** The next chunk; a view of one of this reader's buffers, valid until the next `next()`. */
  next(): Promise<ReadOutcome>;
  /** Ends reading: a pending and every later `next()` resolve with the end. */
  stop(): void;
  /** Closes the descriptor (the reader owns it). */
  close(): void;
}

/** Node's pipe binding, or undefined where this runtime has none (or hides it). */
export function pipeBinding(): PipeBinding | undefined {
  // Under --throw-deprecation (with --pending-deprecation) the lookup's deprecation warning would
  // be thrown later, out of reach of the catch below, and end the process: read on the threadpool.
  if (process.throwDeprecation === true) return undefined;
  try {
    // Left out of @types/node (deprecated): looked up, then checked.
    const lookup = (process as unknown as { binding?: unknown }).binding;
    if (typeof lookup !== 'function') return undefined;
    const binding: unknown = (lookup as (name: string) => unknown).call(process, 'pipe_wrap');
    if (typeof binding !== 'object' || binding === null) return undefined;
    const { Pipe, constants } = binding as Partial<PipeBinding>;
    if (typeof Pipe !== 'function' || typeof constants?.SOCKET !== 'number') return undefined;
    return { Pipe, constants };
  } catch {
    return undefined;
  }
}

/** The errno of a Node socket error (libuv gives it negated); ECONNRESET when it has none. */
function errnoOf(error: unknown): number {
  const errno = (error as { errno?: unknown } | null)?.errno;
  return typeof errno === 'number' && errno !== 0 ? Math.abs(errno) : ERRNO.ECONNRESET;
}

/**
 * Starts event-driven reads of a connected SEQPACKET descriptor, which the reader then owns (libuv
 * makes it non-blocking and closes it on a read error, at once), or returns undefined when this
 * runtime cannot (the descriptor is then still the caller's). Give it a duplicate of the
 * descriptor the commands are written to, so that one stays open until the transport closes. At
 * most one message is read ahead: reading pauses while a chunk waits for its `next()`, so a
 * consumer that does not ask leaves the messages in the socket.
 */
export function openEventReads(
  fd: number,
  bufferSize: number,
  binding: PipeBinding | undefined,
): EventReads | undefined {
  if (binding === undefined) return undefined;
  let handle: PipeHandle;
  try {
    handle = new binding.Pipe(binding.constants.SOCKET);
    const opened = handle.open(fd);
    if (typeof opened === 'number' && opened !== 0) {
      // Not taken: the handle never owned the descriptor, and closing it leaves the fd alone.
      handle.close();
      return undefined;
    }
  } catch {
    return undefined;
  }

  // Two buffers, used in turn: the one libuv fills next is never the one the last chunk handed
  // out lives in, so that chunk stays intact until the consumer asks again.
  const buffers = [Buffer.alloc(bufferSize), Buffer.alloc(bufferSize)] as const;
  let filling = 0;
  let waiter: ((outcome: ReadOutcome) => void) | undefined;
  // A chunk that came while nobody asked; reading is paused until it is taken.
  let waiting: ReadOutcome | undefined;
  // The end of stream or the failure, once known: every later next() gets it.
  let ended: ReadOutcome | undefined;

  const finish = (outcome: ReadOutcome): void => {
    ended ??= outcome;
    const take = waiter;
    waiter = undefined;
    take?.(ended);
  };

  const socket = new net.Socket({
    // Node takes its own handle objects here; the public type names only BoundSocket.
    handle: handle as unknown as net.BoundSocket,
    // The daemon's end of stream ends the reads only: Node must not shut the socket down for
    // writing (commands go out with send() on the transport's own descriptor).
    allowHalfOpen: true,
    onread: {
      // Asked for after each read: the buffer the next read fills.
      buffer: () => buffers[filling] as Buffer,
      callback: (nread: number, buffer: Uint8Array): boolean => {
        filling = buffer === buffers[0] ? 1 : 0;
        const chunk: ReadOutcome = { kind: 'data', bytes: buffer.subarray(0, nread) };
        const take = waiter;
        waiter = undefined;
        if (take !== undefined) {
          take(chunk);
          return true;
        }
        // Nobody asked: keep it, and stop libuv's reads until next() takes it.
        waiting = chunk;
        return false;
      },
    },
  });
  // Nothing is read before the first next() (the constructor starts reading).
  socket.pause();
  socket.on('end', () => finish({ kind: 'end' }));
  socket.on('error', (error) => finish({ kind: 'error', errno: errnoOf(error) }));
  socket.on('close', () => finish({ kind: 'end' }));

  return {
    next() {
      const chunk = waiting;
      if (chunk !== undefined) {
        waiting = undefined;
        if (ended === undefined) socket.resume();
        return Promise.resolve(chunk);
      }
      if (ended !== undefined) return Promise.resolve(ended);
      return new Promise<ReadOutcome>((resolve) => {
        waiter = resolve;
        socket.resume();
      });
    },
    stop() {
      waiting = undefined;
      socket.pause();
      finish({ kind: 'end' });
    },
    close() {
      socket.destroy();
    },
  };
}
