import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { dispatch } from '../contract/dispatch.ts';
import type { DnsExchangeReport } from '../contract/driver-events.ts';
import { openStore, type Store } from '../store/index.ts';
import { testTempDir } from '../test-support/temp-dirs.ts';
import { createHandlers } from './handlers.ts';
import { Runtime } from './runtime.ts';

const DIG = '/usr/bin/dig';
const DAY = 86_400_000;
const T0 = 1_764_000_000_000;

let open: Store[] = [];
afterEach(() => {
  for (const store of open) store.close();
  open = [];
});

function start(dbPath = path.join(testTempDir('zf-dnslog-'), 'db.sqlite')): {
  runtime: Runtime;
  store: Store;
  dbPath: string;
} {
  const store = openStore(dbPath);
  open.push(store);
  const runtime = new Runtime(
    { store, driver: { verdict: () => undefined, requestBandwidth: () => undefined }, push: () => undefined },
    T0,
  );
  return { runtime, store, dbPath };
}

function answer(name: string, over: Partial<DnsExchangeReport> = {}): DnsExchangeReport {
  return {
    kind: 'dns-exchange',
    pid: 77,
    name,
    qtype: 1,
    rcode: 0,
    addresses: ['192.0.2.1'],
    ttlSeconds: 60,
    query: { protocol: 17, localIp: '10.0.0.2', localPort: 40000, remoteIp: '10.0.0.1', remotePort: 53 },
    ...over,
  };
}

const WHOLE_RANGE = { since: 0, until: T0 + 365 * DAY };

describe('Runtime: the DNS log', () => {
  it('stores answers with their app at the next tick, served by dns:page and dns:count, and kept across a restart', async () => {
    const first = start();
    first.runtime.handleEvent(
      { kind: 'process', process: { pid: 77, startTime: 1n, uid: 1000, path: DIG, commandLine: [] } },
      T0,
    );
    first.runtime.handleEvent(answer('a.example'), T0 + 1);
    first.runtime.handleEvent(answer('gone.example', { rcode: 3, addresses: [], ttlSeconds: 0 }), T0 + 2);
    const handlers = createHandlers(first.runtime, () => T0 + 3);
    expect(await dispatch(handlers, 'dns:count', WHOLE_RANGE)).toEqual({
      ok: true,
      value: { count: 0, capped: false },
    });
    first.runtime.tick(T0 + 1_000);
    const page = await dispatch(handlers, 'dns:page', { filter: WHOLE_RANGE, offset: 0, limit: 10 });
    expect(page).toMatchObject({
      ok: true,
      value: [
        { name: 'gone.example', outcome: 'no-such-name', appPath: DIG, uid: 1000, pid: 77, addresses: [] },
        { name: 'a.example', outcome: 'addresses', appPath: DIG, addresses: ['192.0.2.1'], resolver: '10.0.0.1' },
      ],
    });
    first.runtime.shutdown(T0 + 2_000);
    first.store.close();

    const second = start(first.dbPath);
    const again = await dispatch(
      createHandlers(second.runtime, () => T0 + 3_000),
      'dns:count',
      WHOLE_RANGE,
    );
    expect(again).toEqual({ ok: true, value: { count: 2, capped: false } });
  });

  it('refuses a hostile page request with a clear error and writes nothing', async () => {
    const { runtime } = start();
    const handlers = createHandlers(runtime, () => T0);
    const bad = await dispatch(handlers, 'dns:page', { filter: { since: 5, until: 1 }, offset: 0, limit: 10 });
    expect(bad).toMatchObject({ ok: false, error: { code: 'bad-request' } });
    const huge = await dispatch(handlers, 'dns:page', { filter: WHOLE_RANGE, offset: 0, limit: 1_000_000 });
    expect(huge).toMatchObject({ ok: false, error: { code: 'bad-request' } });
    const sql = await dispatch(handlers, 'dns:count', { ...WHOLE_RANGE, appPath: { $ne: 1 } });
    expect(sql).toMatchObject({ ok: false, error: { code: 'bad-request' } });
  });

  it('"do not keep DNS history" deletes what was kept and keeps nothing new; switched on again it logs again', async () => {
    const { runtime, store } = start();
    const handlers = createHandlers(runtime, () => T0);
    runtime.handleEvent(answer('kept.example'), T0);
    runtime.tick(T0 + 1_000);
    expect(store.dnsLog.size()).toBe(1);
    // An answer still waiting for the next write when the switch goes off is not written either.
    runtime.handleEvent(answer('waiting.example'), T0 + 1_100);
    expect(await dispatch(handlers, 'settings:set', { keepDnsHistory: false })).toMatchObject({ ok: true });
    expect(store.dnsLog.size()).toBe(0);
    runtime.handleEvent(answer('private.example'), T0 + 1_200);
    runtime.tick(T0 + 2_000);
    expect(store.dnsLog.size()).toBe(0);
    // Asked while off, then the switch goes on again before the next write: not kept either.
    runtime.handleEvent(answer('asked-while-off.example'), T0 + 2_050);
    expect(await dispatch(handlers, 'settings:set', { keepDnsHistory: true })).toMatchObject({ ok: true });
    runtime.handleEvent(answer('again.example'), T0 + 2_100);
    runtime.tick(T0 + 3_000);
    expect(store.dnsLog.page({ filter: WHOLE_RANGE, offset: 0, limit: 10 }).map((row) => row.name)).toEqual([
      'again.example',
    ]);
  });

  it('prunes answers older than the DNS retention at housekeeping, apart from the connection history', async () => {
    const { runtime, store } = start();
    const handlers = createHandlers(runtime, () => T0);
    expect(await dispatch(handlers, 'settings:set', { dnsRetentionDays: 2 })).toMatchObject({
      ok: true,
      value: { dnsRetentionDays: 2, historyRetentionDays: 30 },
    });
    runtime.handleEvent(answer('old.example'), T0);
    runtime.tick(T0 + 1_000);
    runtime.handleEvent(answer('new.example'), T0 + 2 * DAY);
    // Housekeeping runs once a minute of ticks.
    for (let i = 1; i <= 60; i++) runtime.tick(T0 + 2 * DAY + i * 1_000);
    expect(store.dnsLog.page({ filter: WHOLE_RANGE, offset: 0, limit: 10 }).map((row) => row.name)).toEqual([
      'new.example',
    ]);
  });

  it('settings saved before the DNS log existed read with its defaults', async () => {
    const { runtime, store } = start();
    store.settings.set('app-settings', {
      defaultAction: 'block',
      noAppAction: 'block',
      holdTimeoutSeconds: 30,
      promptPosition: 'near-tray',
      startAtLogin: false,
      checkForUpdates: true,
      historyRetentionDays: 30,
      connectionLog: false,
    });
    const got = await dispatch(
      createHandlers(runtime, () => T0),
      'settings:get',
      undefined,
    );
    expect(got).toMatchObject({
      ok: true,
      value: { keepDnsHistory: true, dnsRetentionDays: 7, historyRetentionDays: 30 },
    });
  });
});
