import type { Socket } from 'node:net';
import type { ConnectionLimits } from './connection-limits.ts';

/** Closes a socket at once with a reset: nothing of a hostile peer's socket lingers (no FIN_WAIT). */
function resetSocket(socket: Socket): void {
  if (socket.destroyed) return;
  try {
    socket.resetAndDestroy();
  } catch {
    socket.destroy();
  }
}

/**
 * The sockets that are not authenticated WebSocket clients, bounded in count and in lifetime.
 *
 * When the budget is full, a new socket evicts the OLDEST one instead of being refused (what
 * `server.maxConnections` does). Refusing the newest would let a local user lock the UI out for
 * as long as he holds the budget, which is forever: he reconnects as each socket times out. A
 * real UI sends its request within milliseconds of connecting and then leaves this budget for
 * the clients' own, where nothing evicts it; to push it out, an attacker must open
 * `maxConnections` new connections within those milliseconds, not merely hold old ones. An UI
 * already open is never affected. Per-state budgets (idle, reading a request, upgrading) were
 * not chosen: an attacker can put his sockets in any state, so they would not protect the UI
 * better, and the oldest-first order already drops idle sockets before fresh ones.
 */
export class SocketBudget {
  readonly #limits: Pick<ConnectionLimits, 'maxConnections' | 'unauthenticatedLifetimeMs'>;
  /** In the order they came (a Map keeps insertion order): the first is the oldest. */
  readonly #sockets = new Map<Socket, NodeJS.Timeout>();
  /** Told of each eviction: a full budget is what an attack looks like, worth a (rate-limited) line. */
  readonly #onEvict: () => void;

  constructor(limits: Pick<ConnectionLimits, 'maxConnections' | 'unauthenticatedLifetimeMs'>, onEvict: () => void) {
    this.#limits = limits;
    this.#onEvict = onEvict;
  }

  /** Counts a socket just accepted, evicting the oldest ones while the budget is full. */
  admit(socket: Socket): void {
    while (this.#sockets.size >= this.#limits.maxConnections) {
      const oldest = this.#sockets.keys().next();
      if (oldest.done === true) break;
      this.#drop(oldest.value);
      this.#onEvict();
    }
    // Once http or ws let go of a socket (a refused upgrade), its errors would have no listener.
    socket.on('error', () => undefined);
    const timer = setTimeout(() => this.#drop(socket), this.#limits.unauthenticatedLifetimeMs);
    timer.unref();
    this.#sockets.set(socket, timer);
    socket.once('close', () => this.#forget(socket));
  }

  /** The socket became an authenticated client: it is counted and timed no longer here. */
  promote(socket: Socket): void {
    this.#forget(socket);
  }

  /** Sockets counted now. */
  size(): number {
    return this.#sockets.size;
  }

  /** Closes every socket counted (shutdown). */
  closeAll(): void {
    for (const socket of [...this.#sockets.keys()]) this.#drop(socket);
  }

  #forget(socket: Socket): void {
    const timer = this.#sockets.get(socket);
    if (timer === undefined) return;
    clearTimeout(timer);
    this.#sockets.delete(socket);
  }

  #drop(socket: Socket): void {
    this.#forget(socket);
    resetSocket(socket);
  }
}
