import type { DriverState } from '../contract/views.ts';

/** A notification for the user; a click on it shows the main window. */
export interface DriverAlert {
  /**
   * 'lost': a link that was up went down; 'failed': the driver refused us (the session stopped
   * trying); 'unreachable': no link came up since the start.
   */
  readonly kind: 'lost' | 'failed' | 'unreachable';
  readonly title: string;
  readonly body: string;
}

/** At most one notification of a kind per this long: a driver that flaps does not nag. */
export const ALERT_INTERVAL_MS = 10 * 60_000;
/** A driver not reached for this long after the start is said once (the daemon may start late). */
export const UNREACHABLE_AFTER_MS = 30_000;

function sentence(message: string): string {
  const trimmed = message.trim().replace(/\.+$/, '');
  return trimmed === '' ? '' : `${trimmed[0]?.toUpperCase() ?? ''}${trimmed.slice(1)}. `;
}

/**
 * Which driver state changes deserve a notification, told the states the driver session
 * reports (app/driver-client/driver-session.ts): a link that was up and is lost ('connected' →
 * 'reconnecting' or 'installing'), a refusal the session will not retry ('failed':
 * PermissionDenied, VersionMismatch, a failed driver install; its message has the advice), and
 * a driver never reached since the start. One notification per transition: the session reports
 * 'reconnecting' at every attempt, and only the first after 'connected' counts. 'disconnected'
 * is our own stop (quitting) and is never said. Each kind is rate-limited on top.
 */
export class DriverAlerts {
  readonly #startedAt: number;
  readonly #intervalMs: number;
  #linkUp = false;
  #everConnected = false;
  #unreachableSaid = false;
  #previous: DriverState | null = null;
  readonly #lastShown = new Map<DriverAlert['kind'], number>();

  constructor(startedAt: number, intervalMs = ALERT_INTERVAL_MS) {
    this.#startedAt = startedAt;
    this.#intervalMs = intervalMs;
  }

  /** Told each state the session reports; returns the notification to show, or null. */
  update(state: DriverState, message: string, now: number): DriverAlert | null {
    const previous = this.#previous;
    this.#previous = state;
    if (state === 'connected') {
      this.#linkUp = true;
      this.#everConnected = true;
      return null;
    }
    const wasUp = this.#linkUp;
    this.#linkUp = false;
    if (state === 'disconnected') return null;
    if (state === 'failed') {
      if (previous === 'failed') return null;
      return this.#alert(now, {
        kind: 'failed',
        title: 'ZenithFence cannot use its driver',
        body: sentence(message).trim(),
      });
    }
    if (wasUp) {
      return this.#alert(now, {
        kind: 'lost',
        title: 'ZenithFence lost its driver',
        body: `${sentence(message)}It reconnects by itself; until then the driver decides new connections on its own.`,
      });
    }
    if (state === 'reconnecting' && !this.#everConnected && !this.#unreachableSaid) {
      if (now - this.#startedAt < UNREACHABLE_AFTER_MS) return null;
      this.#unreachableSaid = true;
      return this.#alert(now, {
        kind: 'unreachable',
        title: 'ZenithFence is not connected to its driver',
        body: `${sentence(message)}It keeps trying; connections are not asked about until it connects.`,
      });
    }
    return null;
  }

  #alert(now: number, alert: DriverAlert): DriverAlert | null {
    const last = this.#lastShown.get(alert.kind);
    if (last !== undefined && now - last < this.#intervalMs) return null;
    this.#lastShown.set(alert.kind, now);
    return alert;
  }
}
