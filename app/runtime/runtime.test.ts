import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { dispatch } from '../contract/dispatch.ts';
import type { ConnectionRequest, DriverVerdict } from '../contract/driver-events.ts';
import type { PushChannel } from '../contract/ipc.ts';
import type { PromptGroup } from '../contract/views.ts';
import { openStore, type Store } from '../store/index.ts';
import { testTempDir } from '../test-support/temp-dirs.ts';
import { createHandlers } from './handlers.ts';
import { Runtime, type RuntimeOptions } from './runtime.ts';

const CURL = '/usr/bin/curl';

function request(id: bigint, localPort: number, remotePort = 443): ConnectionRequest {
  return {
    kind: 'connection',
    requestId: id,
    direction: 'outbound',
    ipVersion: 4,
    flow: { protocol: 6, localIp: '10.0.0.1', localPort, remoteIp: '93.184.216.34', remotePort },
    pid: 42,
    process: { pid: 42, startTime: 1n, uid: 1000, path: CURL, commandLine: ['curl'] },
  };
}

interface Harness {
  runtime: Runtime;
  store: Store;
  verdicts: Array<[bigint, DriverVerdict]>;
  pushes: PushChannel[];
  bandwidthRequests: number;
  dbPath: string;
}

let open: Store[] = [];
afterEach(() => {
  for (const store of open) store.close();
  open = [];
});

const alive = new Set<number>([42]);
const system = {
  processAlive: (pid: number) => alive.has(pid),
  reverseLookup: (ip: string) => Promise.resolve(ip === '93.184.216.34' ? ['example.org'] : []),
};

function start(
  dbPath = path.join(testTempDir('zf-runtime-'), 'db.sqlite'),
  historyRowsPerWrite?: number,
  more: Pick<RuntimeOptions, 'historyWriteBudgetMs' | 'writeTimer'> = {},
): Harness {
  const store = openStore(dbPath);
  open.push(store);
  const harness: Harness = {
    store,
    verdicts: [],
    pushes: [],
    bandwidthRequests: 0,
    dbPath,
    runtime: undefined as unknown as Runtime,
  };
  harness.runtime = new Runtime(
    {
      store,
      driver: {
        verdict: (id, verdict) => harness.verdicts.push([id, verdict]),
        requestBandwidth: () => (harness.bandwidthRequests += 1),
      },
      push: (channel) => harness.pushes.push(channel),
      system,
      ...(historyRowsPerWrite === undefined ? {} : { historyRowsPerWrite }),
      ...more,
    },
    1_000,
  );
  return harness;
}

/**
 * A runtime whose store writes take two history rows at a time (or as given), with `count`
 * connections of curl (local ports 40001…) decided by an allow rule and not yet written.
 */
function allowedConnections(
  count: number,
  historyRowsPerWrite = 2,
  more: Pick<RuntimeOptions, 'historyWriteBudgetMs' | 'writeTimer'> = {},
): Harness {
  const h = start(undefined, historyRowsPerWrite, more);
  void dispatch(
    createHandlers(h.runtime, () => 2_000),
    'rules:create',
    {
      app: { kind: 'path', path: CURL },
      destination: { kind: 'any' },
      action: 'allow',
    },
  );
  for (let k = 1; k <= count; k += 1) h.runtime.handleEvent(request(BigInt(k), 40_000 + k), 2_000 + k);
  return h;
}

/** The local ports of the stored history, in order. */
function historyPorts(h: Harness): number[] {
  return h.store.history
    .query({ since: 0, until: 10_000, limit: 1000 })
    .map((r) => r.localPort)
    .sort((a, b) => a - b);
}

describe('Runtime', () => {
  it('prompts for an unknown connection, and an answer through the contract makes a lasting rule', async () => {
    const h = start();
    const handlers = createHandlers(h.runtime, () => 2_000);
    h.runtime.handleEvent(request(1n, 40001), 1_500);
    h.runtime.handleEvent(request(2n, 40002), 1_600);
    h.runtime.flush(1_700);
    expect(h.pushes).toContain('prompts:changed');
    expect(h.verdicts).toEqual([]);
    const listed = await dispatch(handlers, 'prompts:list', undefined);
    const groups = (listed.ok ? listed.value : []) as PromptGroup[];
    expect(groups).toHaveLength(1);
    const prompt = groups[0]?.prompts[0];
    expect(prompt).toMatchObject({ appPath: CURL, remotePort: 443, held: 2 });
    const answer = await dispatch(handlers, 'prompts:answer', {
      promptId: prompt?.id,
      action: 'allow',
      duration: { kind: 'forever' },
      scope: { kind: 'exact' },
    });
    expect(answer).toMatchObject({ ok: true, value: { released: 2 } });
    expect(h.verdicts).toEqual([
      [1n, 'permanent-accept'],
      [2n, 'permanent-accept'],
    ]);
    expect(h.store.rules.list()).toHaveLength(1);

    // A restart keeps the rule: the next connection is decided without a prompt.
    h.runtime.shutdown(3_000);
    h.store.close();
    open = [];
    const again = start(h.dbPath);
    again.runtime.handleEvent(request(3n, 40003), 4_000);
    expect(again.verdicts).toEqual([[3n, 'permanent-accept']]);
  });

  it('writes decided connections to the history and asks the driver for bytes every tick', () => {
    const h = start();
    const handlers = createHandlers(h.runtime, () => 2_000);
    void dispatch(handlers, 'rules:create', {
      app: { kind: 'path', path: CURL },
      destination: { kind: 'any' },
      action: 'block',
    });
    h.runtime.handleEvent(request(1n, 40001), 2_100);
    expect(h.verdicts).toEqual([[1n, 'permanent-block']]);
    h.runtime.tick(3_000);
    expect(h.bandwidthRequests).toBe(1);
    const rows = h.store.history.query({ since: 0, until: 10_000, limit: 10 });
    expect(rows).toMatchObject([{ appPath: CURL, verdict: 'block', uid: 1000, remotePort: 443 }]);
    expect(h.store.rules.list()[0]?.hitCount).toBe(1);
  });

  it('writes a history larger than one write in parts, in order, and the rest at shutdown', () => {
    const h = allowedConnections(5);
    const ports = (): number[] => historyPorts(h);
    const ended = (): number =>
      h.store.history.query({ since: 0, until: 10_000, limit: 10 }).filter((r) => r.endedAt !== null).length;
    h.runtime.tick(3_000);
    // The tick's write took the first two; the rest wait for the backlog writes.
    expect(ports()).toEqual([40001, 40002]);
    expect(h.runtime.historyBacklog).toBe(3);
    expect(h.runtime.writeBacklog(3_000)).toBe(true);
    expect(ports()).toEqual([40001, 40002, 40003, 40004]);
    // The first two end: their updates wait behind the last insert, none is lost or reordered.
    for (const k of [1, 2]) {
      h.runtime.handleEvent(
        { kind: 'connection-ended', direction: 'outbound', flow: request(BigInt(k), 40_000 + k).flow, pid: 42 },
        3_100,
      );
    }
    h.runtime.flush(3_200);
    expect(h.runtime.historyBacklog).toBe(3);
    // Two rows a write in all, shared between the kinds: the last insert and one update.
    expect(h.runtime.writeBacklog(3_300)).toBe(true);
    expect(ports()).toEqual([40001, 40002, 40003, 40004, 40005]);
    expect(ended()).toBe(1);
    expect(h.runtime.writeBacklog(3_400)).toBe(false);
    expect(ended()).toBe(2);
    expect(h.runtime.writeBacklog(3_500)).toBe(false);

    // More than a write takes, then shutdown: all of it is written, none waits for a later turn.
    for (let k = 6; k <= 10; k += 1) h.runtime.handleEvent(request(BigInt(k), 40_000 + k), 4_000 + k);
    h.runtime.shutdown(5_000);
    expect(ports()).toHaveLength(10);
    expect(h.runtime.historyBacklog).toBe(0);
  });

  it('sizes each history write by how long the writes before it took', () => {
    /** Connections of curl decided by an allow rule, written in writes of about 15 ms. */
    const connections = (msPerWrite: number): Harness => {
      // Every write seems to take msPerWrite: the timer is read once before and once after it.
      let reading = 0;
      let readings = 0;
      const writeTimer = (): number => (reading += readings++ % 2 === 0 ? 1 : msPerWrite);
      return allowedConnections(1500, 1000, { historyWriteBudgetMs: 15, writeTimer });
    };
    const written = (h: Harness): number => h.store.history.count();

    // Writes that take 60 ms: the next write takes fewer rows, and never fewer than 50.
    const slow = connections(60);
    slow.runtime.tick(3_000);
    const first = written(slow);
    expect(first).toBeGreaterThan(0);
    expect(first).toBeLessThan(1000);
    expect(slow.runtime.writeBacklog(3_000)).toBe(true);
    const second = written(slow) - first;
    expect(second).toBeLessThan(first);
    for (let i = 0; i < 30 && slow.runtime.writeBacklog(3_000); i += 1);
    expect(written(slow)).toBe(1500);

    // Writes that take 1 ms: the next write takes more rows, up to historyRowsPerWrite.
    const fast = connections(1);
    fast.runtime.tick(3_000);
    expect(written(fast)).toBe(first);
    fast.runtime.writeBacklog(3_000);
    expect(written(fast) - first).toBeGreaterThan(first);
    expect(written(fast) - first).toBeLessThanOrEqual(1000);
  });

  it('lets the oldest new history rows go, and says so, when they wait beyond 50 writes', () => {
    const h = allowedConnections(150);
    h.runtime.tick(3_000);
    expect(h.runtime.historyBacklog).toBe(98);
    h.runtime.shutdown(4_000);
    const ports = historyPorts(h);
    expect(ports).toHaveLength(100);
    expect(ports[0]).toBe(40051);
    expect(h.runtime.logs().map((l) => l.message)).toContainEqual(
      expect.stringContaining('history: 50 connections came faster than they could be saved'),
    );
  });

  it('answers every held connection with the default action at shutdown', () => {
    const h = start();
    h.runtime.handleEvent(request(1n, 40001), 1_500);
    h.runtime.handleEvent(request(2n, 40002, 80), 1_500);
    expect(h.runtime.shutdown(1_600)).toBe(2);
    expect(h.verdicts.map(([id]) => id).sort()).toEqual([1n, 2n]);
    expect(new Set(h.verdicts.map(([, v]) => v))).toEqual(new Set(['block']));
  });

  it('applies settings to the prompt queue and keeps them', async () => {
    const h = start();
    const handlers = createHandlers(h.runtime, () => 2_000);
    const saved = await dispatch(handlers, 'settings:set', { holdTimeoutSeconds: 0, defaultAction: 'drop' });
    expect(saved).toMatchObject({ ok: true, value: { holdTimeoutSeconds: 0, defaultAction: 'drop' } });
    h.runtime.handleEvent(request(1n, 40001), 2_100);
    expect(h.verdicts).toEqual([[1n, 'drop']]);
    expect(await dispatch(handlers, 'settings:set', { holdTimeoutSeconds: 999 })).toMatchObject({ ok: false });
  });

  it('answers the held connections of a process that exited and forgets "until the app quits" rules', async () => {
    const h = start();
    const handlers = createHandlers(h.runtime, () => 2_000);
    h.runtime.handleEvent(request(1n, 40001), 1_500);
    const [group] = (await dispatch(handlers, 'prompts:list', undefined)).ok ? h.runtime.engine.listPrompts() : [];
    const answer = await dispatch(handlers, 'prompts:answer', {
      promptId: group?.prompts[0]?.id,
      action: 'allow',
      duration: { kind: 'until-app-quits' },
      scope: { kind: 'exact' },
    });
    expect(answer.ok).toBe(true);
    h.runtime.handleEvent(request(2n, 40002), 2_100);
    expect(h.verdicts.at(-1)).toEqual([2n, 'permanent-accept']);
    h.runtime.handleEvent(request(3n, 40003, 8443), 2_200);
    alive.delete(42);
    h.runtime.tick(3_000);
    expect(h.verdicts.at(-1)).toEqual([3n, 'block']);
    expect(h.runtime.engine.listPrompts()).toEqual([]);
    expect(h.runtime.engine.listRules()).toEqual([]);
    alive.add(42);
  });

  it('names destinations by reverse lookup when no DNS answer did', async () => {
    const h = start();
    h.runtime.handleEvent(request(1n, 40001), 1_500);
    await new Promise((resolve) => setTimeout(resolve, 10));
    h.runtime.handleEvent(request(2n, 40002, 80), 1_600);
    const hosts = h.runtime.engine.listConnections().map((row) => row.host);
    expect(hosts).toContain('example.org');
  });
});
