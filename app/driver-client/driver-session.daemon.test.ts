// The session against the real zenithfenced, killed and started again (needs root): the new
// daemon numbers its requests from 1 again, and a verdict meant for a request of the killed one
// must not decide the new daemon's request with the same wire id.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDriver } from '../../native/src/index.ts';
import { TestNet } from '../../native/test-support/netns.ts';
import type { Background } from '../../native/test-support/processes.ts';
import { rootGate } from '../../native/test-support/root-gate.ts';
import { waitFor } from '../../native/test-support/wait-for.ts';
import type { ConnectionRequest, DriverEvent } from '../contract/driver-events.ts';
import { DriverSession } from './driver-session.ts';
import { wireIdOf } from './link-request-ids.ts';

const SUITE = 'The driver session tests against zenithfenced';
const gate = rootGate(SUITE);
const BODY = 'hello from namespace b\n';

describe.skipIf(gate.skip)('DriverSession across a daemon restart (network namespaces, root)', () => {
  let net: TestNet | undefined;
  let session: DriverSession | undefined;

  beforeAll(async () => {
    gate.assertRoot();
    net = TestNet.create();
    await net.httpServer(BODY);
  }, 30_000);

  afterAll(async () => {
    await session?.stop();
    await net?.cleanup();
  }, 30_000);

  it('a verdict for a request of the killed daemon never decides the new daemon’s request with the same id', async () => {
    if (net === undefined) throw new Error('no test network');
    const testNet = net;
    const queue = 6000 + (process.pid % 1000);
    const first = await testNet.startDaemon(queue);
    const events: ConnectionRequest[] = [];
    const states: string[] = [];
    const errors: string[] = [];
    session = new DriverSession({
      connect: () => openDriver({ kind: 'linux', socketPath: first.socketPath }),
      callbacks: {
        onEvent: (event: DriverEvent) => {
          if (event.kind === 'connection' && event.flow.remotePort === 8080) events.push(event);
        },
        onStatus: (state) => states.push(state),
      },
      onError: (where, error) => errors.push(`${where}: ${error instanceof Error ? error.message : String(error)}`),
      firstRetryMs: 50,
      maxRetryMs: 200,
    });
    session.start();
    await waitFor(() => states.includes('connected'), 'the session to connect', 10_000);

    // curl's connection is held by the first daemon; then the daemon is killed.
    const url = `http://${testNet.ipB}:8080/`;
    const firstCurl = testNet.spawn(testNet.a, 'curl', 'curl', ['-s', '-g', '--max-time', '20', url]);
    await waitFor(() => events.length === 1, 'the first curl connection', 10_000);
    await first.daemon.stop('SIGKILL');
    await firstCurl.stop('SIGKILL'); // its retransmitted SYN must not become the new daemon's first request
    await waitFor(() => states.at(-1) === 'reconnecting', 'the session to notice the loss', 10_000);

    // The daemon starts again on the same socket; the session reconnects; a new curl asks.
    const second: { daemon: Background } = await testNet.startDaemon(queue);
    await waitFor(() => states.at(-1) === 'connected', 'the session to reconnect', 10_000);
    const secondCurl = testNet.spawn(testNet.a, 'curl', 'curl', ['-s', '-g', '--max-time', '20', url]);
    await waitFor(() => events.length === 2, 'the second curl connection', 10_000);
    const [old, fresh] = events;
    if (old === undefined || fresh === undefined) throw new Error('two connection requests expected');
    // The premise of the defect: both daemons gave their first request the same wire id.
    expect(wireIdOf(fresh.requestId)).toBe(wireIdOf(old.requestId));

    // A stale "allow" for the killed daemon's request, then the real answer for the new one: block.
    // Commands are applied in order, so an "allow" that reached the new daemon would let curl through.
    session.verdict(old.requestId, 'permanent-accept');
    session.verdict(fresh.requestId, 'block');
    const result = await secondCurl.exited;
    expect(result.stdout, `the new connection was allowed; daemon said: ${second.daemon.output}`).not.toBe(BODY);
    expect(result.code).not.toBe(0);
    expect(errors).toEqual([
      `driver verdict: a verdict for request ${String(wireIdOf(old.requestId))} of driver link 1 was not sent: the current link is 2`,
    ]);
  }, 60_000);
});
