import { timingSafeEqual } from 'node:crypto';

/**
 * Who may talk to headless mode. It listens on 127.0.0.1 only, but any web page the user opens
 * can send requests to 127.0.0.1; so every request must name our exact origin (Host and, for
 * the WebSocket, Origin), which defeats DNS rebinding and cross-site WebSocket hijacking, and
 * the WebSocket must present the random token printed at start.
 */
export interface GuardConfig {
  /** The port the server listens on. */
  readonly port: number;
  /** The per-start random token. */
  readonly token: string;
}

/** The Host header values that name this server. */
function allowedHosts(port: number): readonly string[] {
  return [`127.0.0.1:${port}`, `localhost:${port}`];
}

/** Whether a Host header names this server (a rebound DNS name does not). */
export function isAllowedHost(host: string | undefined, config: GuardConfig): boolean {
  return host !== undefined && allowedHosts(config.port).includes(host.toLowerCase());
}

/** Whether an Origin header is this server's own (absent is refused for WebSockets). */
export function isAllowedOrigin(origin: string | undefined, config: GuardConfig): boolean {
  return origin !== undefined && allowedHosts(config.port).some((host) => origin.toLowerCase() === `http://${host}`);
}

/** Compares the presented token in constant time. */
export function isValidToken(presented: string | null, config: GuardConfig): boolean {
  if (presented === null) return false;
  const a = Buffer.from(presented);
  const b = Buffer.from(config.token);
  return a.length === b.length && timingSafeEqual(a, b);
}
