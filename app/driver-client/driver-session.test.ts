import { describe, expect, it } from 'vitest';
import type { Command, DecodeResult } from '../../native/src/index.ts';
import type { DriverEvent } from '../contract/driver-events.ts';
import { DriverSession, type SessionLink } from './driver-session.ts';
import { wireIdOf } from './link-request-ids.ts';
import { ip } from './test-support/address-bytes.ts';

/** A driver link that yields `infos` and records what is sent; its stream ends when closed. */
function fakeLink(infos: DecodeResult[], sent: Command[]): SessionLink & { closed: boolean } {
  let release: () => void = () => undefined;
  const closed = new Promise<void>((resolve) => (release = resolve));
  const link = {
    closed: false,
    async *infos(): AsyncIterable<DecodeResult> {
      for (const info of infos) yield info;
      await closed;
    },
    send: (command: Command) => {
      sent.push(command);
      return Promise.resolve();
    },
    hello: () =>
      Promise.resolve({
        kind: 'helloReply' as const,
        version: [2, 1, 0, 0] as const,
        extVersion: 1,
        features: 7,
        driverKind: 2,
      }),
    close: () => {
      link.closed = true;
      release();
      return Promise.resolve();
    },
  };
  return link;
}

/**
 * A session over `links` in turn (the last one again once they are used up), recording the
 * request ids of connection events and the states, retrying at once.
 */
function sessionOver(links: SessionLink[]): { session: DriverSession; events: bigint[]; states: string[] } {
  const last = links.at(-1);
  if (last === undefined) throw new Error('at least one link');
  const queue = [...links];
  const events: bigint[] = [];
  const states: string[] = [];
  const session = new DriverSession({
    connect: () => Promise.resolve(queue.shift() ?? last),
    callbacks: {
      onEvent: (event) => {
        if (event.kind === 'connection') events.push(event.requestId);
      },
      onStatus: (s) => states.push(s),
    },
    sleep: () => Promise.resolve(),
  });
  return { session, events, states };
}

const connection: DecodeResult = {
  kind: 'connection',
  ipVersion: 4,
  id: 9n,
  processId: 0n,
  direction: 0,
  protocol: 17,
  localIp: ip('10.0.0.1'),
  localPort: 5000,
  remoteIp: ip('10.0.0.2'),
  remotePort: 53,
  payloadLayer: 3,
  payload: new Uint8Array(),
};

describe('DriverSession', () => {
  it('retries with back-off, then delivers events and sends verdicts', async () => {
    const sent: Command[] = [];
    const events: DriverEvent[] = [];
    const states: string[] = [];
    const sleeps: number[] = [];
    let attempts = 0;
    const link = fakeLink([connection], sent);
    const session = new DriverSession({
      connect: () => {
        attempts += 1;
        return attempts < 3 ? Promise.reject(new Error('zenithfenced is not running')) : Promise.resolve(link);
      },
      callbacks: { onEvent: (e) => events.push(e), onStatus: (s) => states.push(s) },
      sleep: (ms) => {
        sleeps.push(ms);
        return Promise.resolve();
      },
    });
    session.start();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(sleeps).toEqual([100, 200]);
    expect(states).toEqual(['reconnecting', 'reconnecting', 'connected']);
    expect(events).toMatchObject([{ kind: 'connection' }]);
    const [event] = events;
    if (event?.kind !== 'connection') throw new Error('no connection event');
    session.verdict(event.requestId, 'permanent-accept');
    session.requestBandwidth();
    expect(sent).toEqual([{ kind: 'verdict', id: 9n, verdict: 3 }, { kind: 'getBandwidthStats' }]);
    await session.stop();
    expect(link.closed).toBe(true);
    expect(states.at(-1)).toBe('disconnected');
  });

  it('goes on with the next info when a callback throws, and says so through onError', async () => {
    const events: bigint[] = [];
    const states: string[] = [];
    const errors: string[] = [];
    const second: DecodeResult = { ...connection, id: 10n };
    const link = fakeLink([connection, second], []);
    const session = new DriverSession({
      connect: () => Promise.resolve(link),
      callbacks: {
        onEvent: (event) => {
          if (event.kind === 'connection') events.push(wireIdOf(event.requestId));
          if (events.length === 1) throw new Error('the engine broke');
        },
        onStatus: (state) => {
          states.push(state);
          throw new Error('the status view broke');
        },
      },
      onError: (where, error) => errors.push(`${where}: ${error instanceof Error ? error.message : ''}`),
      sleep: () => Promise.resolve(),
    });
    session.start();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(events).toEqual([9n, 10n]);
    expect(states).toEqual(['connected']);
    expect(link.closed).toBe(false);
    expect(errors).toEqual(['driver status: the status view broke', 'driver event: the engine broke']);
    await session.stop();
  });

  it('reports an info whose address has a wrong length through onError, and goes on with the next', async () => {
    const events: bigint[] = [];
    const errors: string[] = [];
    const broken: DecodeResult = { ...connection, id: 8n, remoteIp: new Uint8Array(5) };
    const link = fakeLink([broken, connection], []);
    const session = new DriverSession({
      connect: () => Promise.resolve(link),
      callbacks: {
        onEvent: (event) => {
          if (event.kind === 'connection') events.push(wireIdOf(event.requestId));
        },
        onStatus: () => undefined,
      },
      onError: (where, error) => errors.push(`${where}: ${error instanceof Error ? error.message : ''}`),
      sleep: () => Promise.resolve(),
    });
    session.start();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(events).toEqual([9n]);
    expect(errors).toEqual(['driver event: remoteIp: an IP address has 4 or 16 bytes, not 5']);
    expect(link.closed).toBe(false);
    await session.stop();
  });

  it('closes a link whose stream broke before it connects again', async () => {
    const broken = fakeLink([connection], []);
    const infos = broken.infos.bind(broken);
    broken.infos = async function* () {
      yield* (async function* () {
        for await (const info of infos()) {
          yield info;
          throw new Error('the stream broke');
        }
      })();
    };
    const next = fakeLink([], []);
    const links = [broken, next];
    const closedWhenConnecting: boolean[] = [];
    const session = new DriverSession({
      connect: () => {
        closedWhenConnecting.push(broken.closed);
        return Promise.resolve(links.shift() ?? next);
      },
      callbacks: { onEvent: () => undefined, onStatus: () => undefined },
      sleep: () => Promise.resolve(),
    });
    session.start();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(closedWhenConnecting).toEqual([false, true]);
    await session.stop();
    expect(next.closed).toBe(true);
  });

  it('a send that fails (a driver that reads no commands) closes the link and connects anew', async () => {
    const sent: Command[] = [];
    const states: string[] = [];
    const stuck = fakeLink([connection], []);
    stuck.send = () => Promise.reject(new Error('send failed: no room for 10000 ms: the driver reads no commands'));
    const fresh = fakeLink([], sent);
    const links = [stuck, fresh];
    const session = new DriverSession({
      connect: () => Promise.resolve(links.shift() ?? fresh),
      callbacks: { onEvent: () => undefined, onStatus: (s) => states.push(s) },
      sleep: () => Promise.resolve(),
    });
    session.start();
    await new Promise((resolve) => setTimeout(resolve, 20));
    session.verdict(1n << 64n, 'accept'); // request 0 of the first link
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(stuck.closed).toBe(true);
    expect(states).toEqual(['connected', 'reconnecting', 'reconnecting', 'connected']);
    session.requestBandwidth();
    expect(sent).toEqual([{ kind: 'getBandwidthStats' }]);
    await session.stop();
  });

  it('keeps request ids of two links apart: a verdict for a request of the lost link is not sent on the next', async () => {
    const first = fakeLink([connection], []);
    const sent: Command[] = [];
    const second = fakeLink([{ ...connection, remotePort: 443, protocol: 6 }], sent);
    const links = [first, second];
    const events: DriverEvent[] = [];
    const states: string[] = [];
    const errors: string[] = [];
    const session = new DriverSession({
      connect: () => Promise.resolve(links.shift() ?? second),
      callbacks: { onEvent: (e) => events.push(e), onStatus: (s) => states.push(s) },
      onError: (where, error) => errors.push(`${where}: ${error instanceof Error ? error.message : ''}`),
      sleep: () => Promise.resolve(),
    });
    session.start();
    await new Promise((resolve) => setTimeout(resolve, 20));
    // The daemon goes away (its stream ends); a new one numbers its requests from 1 again, so
    // both links call their first connection by the same wire id 9.
    await first.close();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(states).toEqual(['connected', 'reconnecting', 'connected']);
    const [old, fresh] = events.filter((event) => event.kind === 'connection');
    expect(old?.flow.remotePort).toBe(53);
    expect(fresh?.flow.remotePort).toBe(443);
    if (old === undefined || fresh === undefined) throw new Error('two connection events expected');
    expect(old.requestId).not.toBe(fresh.requestId);

    session.verdict(old.requestId, 'permanent-accept');
    expect(sent).toEqual([]);
    expect(errors).toEqual([
      'driver verdict: a verdict for request 9 of driver link 1 was not sent: the current link is 2',
    ]);
    session.verdict(fresh.requestId, 'block');
    expect(sent).toEqual([{ kind: 'verdict', id: 9n, verdict: 4 }]);
    await session.stop();
  });

  it('passes on no request of a link it let go after a failed send', async () => {
    let failSend: (error: Error) => void = () => undefined;
    let readMore: () => void = () => undefined;
    const more = new Promise<void>((resolve) => (readMore = resolve));
    const stuck = fakeLink([], []);
    // A send that fails only when the test says so (a daemon that stopped reading commands).
    stuck.send = () => new Promise((_resolve, reject) => (failSend = reject));
    stuck.infos = async function* () {
      yield connection;
      await more;
      yield { ...connection, id: 10n };
    };
    const fresh = fakeLink([], []);
    const { session, events, states } = sessionOver([stuck, fresh]);
    session.start();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(events).toHaveLength(1);
    session.verdict(events[0] ?? 0n, 'accept');
    failSend(new Error('send failed: no room for 10000 ms: the driver reads no commands'));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(stuck.closed).toBe(true);
    // What the let-go link had still read reaches nobody: no verdict could reach it.
    readMore();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(events).toHaveLength(1);
    expect(states).toEqual(['connected', 'reconnecting', 'reconnecting', 'connected']);
    await session.stop();
  });

  it('a send of an earlier link failing late says nothing about the current link', async () => {
    let failSend: (error: Error) => void = () => undefined;
    const first = fakeLink([connection], []);
    first.send = () => new Promise((_resolve, reject) => (failSend = reject));
    const second = fakeLink([], []);
    const { session, events, states } = sessionOver([first, second]);
    session.start();
    await new Promise((resolve) => setTimeout(resolve, 20));
    session.verdict(events[0] ?? 0n, 'accept'); // waits: the daemon reads no commands
    await first.close(); // then its stream ends, and a new link connects
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(states).toEqual(['connected', 'reconnecting', 'connected']);
    failSend(new Error('send: broken pipe'));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(states).toEqual(['connected', 'reconnecting', 'connected']);
    expect(second.closed).toBe(false);
    await session.stop();
  });
});
