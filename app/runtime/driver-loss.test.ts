import { rmSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { dispatch } from '../contract/dispatch.ts';
import type { ConnectionRequest } from '../contract/driver-events.ts';
import type { PromptGroup } from '../contract/views.ts';
import { openStore } from '../store/index.ts';
import { connection, type Harness, startRuntime, tempDbPath } from './test-support/harness.ts';

// The hostile tester's repro at the runtime: a held UDP prompt with request id 1, the daemon
// killed and started again (its ids start at 1 again), a new curl connection with request id 1.
// Answering the old prompt must not release the new connection.

const WGET = '/usr/bin/wget';

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0).reverse()) cleanup();
});

function start(): Harness {
  const dbPath = tempDbPath();
  const h = startRuntime({ store: openStore(dbPath) });
  cleanups.push(() => rmSync(path.dirname(dbPath), { recursive: true, force: true }));
  cleanups.push(() => h.store.close());
  return h;
}

/** wget's UDP connection to 10.0.0.5:53 (pid 43). */
function udpOfWget(id: bigint): ConnectionRequest {
  return {
    kind: 'connection',
    requestId: id,
    direction: 'outbound',
    ipVersion: 4,
    flow: { protocol: 17, localIp: '10.0.0.1', localPort: 5353, remoteIp: '10.0.0.5', remotePort: 53 },
    pid: 43,
    process: { pid: 43, startTime: 1n, uid: 1000, path: WGET, commandLine: ['wget'] },
  };
}

async function prompts(h: Harness): Promise<PromptGroup[]> {
  const listed = await dispatch(h.handlers, 'prompts:list', undefined);
  return (listed.ok ? listed.value : []) as PromptGroup[];
}

describe('a lost driver link', () => {
  it('forgets what was held: an old prompt answer or timeout never decides the new link’s request with the same id', async () => {
    const h = start();
    h.runtime.driverStatus('connected', 'driver 2.1.0.0', 1_000);
    h.runtime.handleEvent(udpOfWget(1n), 1_100);
    const old = (await prompts(h))[0]?.prompts[0];
    expect(old).toMatchObject({ appPath: WGET, held: 1 });

    h.clock.now = 1_200;
    h.pushes.length = 0;
    h.runtime.driverStatus('reconnecting', 'the driver ended the connection', 1_200);
    expect(h.verdicts).toEqual([]);
    expect(h.runtime.status(1_200)).toMatchObject({ driver: 'reconnecting', pendingPrompts: 1 });
    expect((await prompts(h))[0]?.prompts[0]).toMatchObject({ id: old?.id, held: 0, holdDeadline: null });
    expect(h.runtime.engine.listConnections()).toEqual([expect.objectContaining({ app: WGET, verdict: 'driver' })]);
    expect(h.pushes).toEqual(expect.arrayContaining(['prompts:changed', 'connections:batched', 'status:changed']));
    expect(h.runtime.logs().map((line) => line.message)).toContain(
      'The link to the driver was lost (the driver ended the connection): the driver answered the 1 connection waiting for an answer itself (its detached policy); their prompts stay in the inbox.',
    );

    h.runtime.driverStatus('connected', 'driver 2.1.0.0', 1_300);
    // The restarted daemon's first request is curl's, with id 1 again: it is prompted.
    h.runtime.handleEvent(connection(1n, 40_001), 1_400);
    const curl = (await prompts(h)).find((group) => group.appPath !== WGET)?.prompts[0];
    expect(curl).toMatchObject({ held: 1, remotePort: 443 });

    // Allowing the old prompt once releases nothing now.
    const once = await dispatch(h.handlers, 'prompts:answer', {
      promptId: old?.id,
      action: 'allow',
      duration: { kind: 'once' },
      scope: { kind: 'exact' },
    });
    expect(once).toEqual({ ok: true, value: { released: 0, rule: null } });
    expect(h.verdicts).toEqual([]);

    // The hold timeout answers curl's request once, with the default; a second loss finds nothing held.
    h.clock.now = 31_400;
    h.runtime.tick(31_400);
    expect(h.verdicts).toEqual([[1n, 'block']]);
    h.runtime.driverStatus('reconnecting', 'the driver ended the connection', 31_500);
    h.runtime.tick(61_500);
    expect(h.verdicts).toEqual([[1n, 'block']]);
    // The history has curl's decided row, not the one the driver decided alone.
    expect(h.store.history.query({ since: 0, until: 100_000, limit: 10 })).toMatchObject([
      { appPath: '/usr/bin/curl', verdict: 'block' },
    ]);
  });
});

describe('connections open when the driver link was lost', () => {
  it('are shown ended as of the loss when they give no sign of life once it is back, and open again at their next byte', async () => {
    const h = start();
    h.runtime.driverStatus('connected', 'driver 2.1.0.0', 1_000);
    h.runtime.handleEvent(connection(1n, 40_001), 1_100);
    h.runtime.handleEvent(connection(2n, 40_002), 1_100);
    const held = (await prompts(h))[0]?.prompts[0];
    const allowed = await dispatch(h.handlers, 'prompts:answer', {
      promptId: held?.id,
      action: 'allow',
      duration: { kind: 'once' },
      scope: { kind: 'exact' },
    });
    expect(allowed).toMatchObject({ ok: true, value: { released: 2 } });

    // The daemon restarts; one connection ended meanwhile (nobody was told), one is still open.
    h.runtime.driverStatus('reconnecting', 'the driver ended the connection', 5_000);
    h.runtime.driverStatus('connected', 'driver 2.1.0.0', 8_000);
    h.runtime.tick(20_000);
    expect(h.runtime.engine.listConnections().filter((row) => row.endedAt === null)).toHaveLength(2);
    const open = connection(2n, 40_002).flow;
    h.runtime.handleEvent({ kind: 'bandwidth', samples: [{ flow: open, transmitted: 0n, received: 900n }] }, 21_000);
    h.runtime.tick(22_000);
    // From here on only the rows ended below change.
    h.pushes.length = 0;
    h.runtime.tick(38_000);

    const rows = h.runtime.engine.listConnections();
    expect(rows.find((row) => row.localPort === 40_001)).toMatchObject({ endedAt: 5_000 });
    expect(rows.find((row) => row.localPort === 40_002)).toMatchObject({ endedAt: null, bytesReceived: 900 });
    expect(h.pushes).toContain('connections:batched');
    expect(h.runtime.logs().map((line) => line.message)).toContain(
      '1 connection open when the link to the driver was lost gave no sign of life since it came back: shown as ended when the link was lost (one that moves a byte again is shown open again).',
    );

    // Its next bytes show it open again; the history follows.
    h.runtime.handleEvent(
      { kind: 'bandwidth', samples: [{ flow: connection(1n, 40_001).flow, transmitted: 50n, received: 0n }] },
      40_000,
    );
    h.runtime.tick(41_000);
    expect(h.runtime.engine.listConnections().find((row) => row.localPort === 40_001)).toMatchObject({
      endedAt: null,
      bytesSent: 50,
    });
    expect(
      h.store.history.query({ since: 0, until: 100_000, limit: 10 }).find((row) => row.localPort === 40_001),
    ).toMatchObject({ endedAt: null, bytesSent: 50 });
  });
});
