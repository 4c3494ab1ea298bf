// A DriverSession run to a standstill over an injected connect, for tests of the reconnect policy
// (driver-session-retry.test.ts) and of the platforms' connectors (app/platform).
import type { DecodeResult, HelloReplyInfo } from '../../../native/src/index.ts';
import { type DriverConnect, DriverSession, type SessionLink } from '../driver-session.ts';

/** A link whose stream waits until it is closed; `closed` says whether it was. */
export function idleLink(reply: HelloReplyInfo): SessionLink & { closed: boolean } {
  let release: () => void = () => undefined;
  const ended = new Promise<void>((resolve) => (release = resolve));
  const link = {
    closed: false,
    async *infos(): AsyncIterable<DecodeResult> {
      await ended;
      yield* [];
    },
    send: (): Promise<void> => Promise.resolve(),
    hello: (): Promise<HelloReplyInfo> => Promise.resolve(reply),
    close: () => {
      link.closed = true;
      release();
      return Promise.resolve();
    },
  };
  return link;
}

/** What a session reported and how long it asked to wait, in order. */
export interface SessionRun {
  readonly session: DriverSession;
  readonly states: Array<[state: string, message: string]>;
  readonly sleeps: number[];
}

/**
 * Starts a session over `connect` and lets it run until it settles. Waits pass at once, up to 20
 * of them: a session that would retry forever then hangs instead of spinning.
 */
export async function runSession(connect: DriverConnect): Promise<SessionRun> {
  const states: Array<[string, string]> = [];
  const sleeps: number[] = [];
  const session = new DriverSession({
    connect,
    callbacks: { onEvent: () => undefined, onStatus: (state, message) => states.push([state, message]) },
    sleep: (ms) => {
      sleeps.push(ms);
      return sleeps.length <= 20 ? Promise.resolve() : new Promise<void>(() => undefined);
    },
  });
  session.start();
  await new Promise((resolve) => setTimeout(resolve, 30));
  return { session, states, sleeps };
}
