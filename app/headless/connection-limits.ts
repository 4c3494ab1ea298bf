/**
 * What peers of headless mode may hold. Any local user can connect to the port without the
 * token, and every socket costs the process a file descriptor: unbounded, 20 000 idle
 * connections end in EMFILE, the driver link cannot be made again, and the daemon falls back
 * to its detached policy. So every socket is bounded in count and in time.
 */
export interface ConnectionLimits {
  /** Sockets that are not (yet) authenticated WebSocket clients, at once (see socket-budget.ts). */
  readonly maxConnections: number;
  /** Authenticated WebSocket clients at once (UI tabs); more are refused with 503. */
  readonly maxClients: number;
  /** A socket that sends nothing for this long before its first request is closed. */
  readonly idleTimeoutMs: number;
  /** A request whose header is not complete this long after it began is closed (slowloris). */
  readonly headersTimeoutMs: number;
  /** A request not received in full this long after it began is closed. */
  readonly requestTimeoutMs: number;
  /** A keep-alive connection idle between requests this long is closed. */
  readonly keepAliveTimeoutMs: number;
  /**
   * The whole life of a socket that has not become an authenticated WebSocket client: a stalled
   * or refused upgrade, a keep-alive connection trickling requests, a peer that never closes its
   * side after our answer. Static files on loopback take milliseconds; a browser makes a new
   * connection for its next request.
   */
  readonly unauthenticatedLifetimeMs: number;
}

export const DEFAULT_CONNECTION_LIMITS: ConnectionLimits = {
  maxConnections: 256,
  maxClients: 16,
  idleTimeoutMs: 10_000,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 20_000,
  keepAliveTimeoutMs: 5_000,
  unauthenticatedLifetimeMs: 30_000,
};

/** The bounds of `--max-connections`: room for a UI, and well under a usual descriptor limit. */
export const MAX_CONNECTIONS_RANGE = { min: 8, max: 4096 } as const;
