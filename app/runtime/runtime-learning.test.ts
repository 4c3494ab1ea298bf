import { afterEach, describe, expect, it } from 'vitest';
import { dispatch as dispatchAny, type Handlers } from '../contract/dispatch.ts';
import type { RequestChannel, ResponseOf } from '../contract/ipc.ts';
import { MAX_LEARNING_MINUTES } from '../contract/learning.ts';
import { openStore, type Store } from '../store/index.ts';
import { connection, CURL, startRuntime, tempDbPath } from './test-support/harness.ts';

// Learning through the runtime, on a real store: the proposals and the window survive a restart,
// the review makes rules in one transaction, the status says what learning does.

let stores: Store[] = [];
afterEach(() => {
  for (const store of stores) store.close();
  stores = [];
});

async function dispatch<C extends RequestChannel>(
  handlers: Handlers,
  channel: C,
  payload: unknown,
): Promise<ResponseOf<C>> {
  const result = await dispatchAny(handlers, channel, payload);
  if (!result.ok) throw new Error(`${channel}: ${result.error.message}`);
  return result.value as ResponseOf<C>;
}

const WGET = '/usr/bin/wget';

function of(id: number, path: string, port: number) {
  const base = connection(BigInt(id), 40_000 + id, port);
  return {
    ...base,
    process: { ...base.process, path, pid: path === CURL ? 42 : 43 },
    pid: path === CURL ? 42 : 43,
  } as typeof base;
}

describe('Runtime: learning', () => {
  it('keeps the window and the proposals across a restart; the review makes the kept rules', async () => {
    const dbPath = tempDbPath();
    const first = startRuntime({ store: openStore(dbPath) });
    await dispatch(first.handlers, 'learning:start', { kind: 'minutes', minutes: 30 });
    for (let i = 1; i <= 20; i++)
      first.runtime.handleEvent(of(i, i % 2 === 0 ? CURL : WGET, 400 + (i % 5)), first.clock.now);
    expect(first.verdicts).toHaveLength(20);
    expect(first.runtime.status(first.clock.now).learning).toMatchObject({ proposals: 10 });
    first.clock.now += 1000;
    first.runtime.tick(first.clock.now);
    first.runtime.shutdown(first.clock.now);
    first.store.close();

    const again = startRuntime({ store: openStore(dbPath) });
    stores.push(again.store);
    expect(again.runtime.status(again.clock.now).learning).toMatchObject({ until: 1_000 + 30 * 60_000, proposals: 10 });
    const groups = await dispatch(again.handlers, 'learning:proposals', undefined);
    expect(groups.map((g) => g.appPath).sort()).toEqual([CURL, WGET]);
    await dispatch(again.handlers, 'learning:stop', undefined);
    const decisions = groups.flatMap((g) =>
      g.proposals.map((p) => ({ proposalId: p.id, action: g.appPath === CURL ? 'keep' : 'discard' })),
    );
    const reviewed = await dispatch(again.handlers, 'learning:review', { decisions });
    expect(reviewed).toMatchObject({ kept: 5, discarded: 5 });
    expect((await dispatch(again.handlers, 'rules:list', undefined)).map((r) => r.notes)).toEqual(
      Array(5).fill('learned'),
    );
    again.runtime.handleEvent(of(100, CURL, 402), again.clock.now);
    again.runtime.handleEvent(of(101, WGET, 401), again.clock.now);
    expect(again.verdicts).toEqual([[100n, 'permanent-accept']]);
    expect(again.runtime.status(again.clock.now).learning).toMatchObject({ until: null, proposals: 0 });
    // The reviewed proposals are gone from the store too.
    again.clock.now += 1000;
    again.runtime.tick(again.clock.now);
    expect(again.store.learned.list().proposals).toEqual([]);
  });

  it('learning until an app quits ends with a restart: the app may have quit unseen', async () => {
    const dbPath = tempDbPath();
    const first = startRuntime({ store: openStore(dbPath) });
    await dispatch(first.handlers, 'learning:start', { kind: 'until-app-quits', appPath: CURL });
    expect(first.runtime.status(first.clock.now).learning.apps).toEqual([CURL]);
    first.runtime.shutdown(first.clock.now);
    first.store.close();

    const again = startRuntime({ store: openStore(dbPath) });
    stores.push(again.store);
    expect(again.runtime.status(again.clock.now).learning.apps).toEqual([]);
    again.runtime.handleEvent(of(1, CURL, 443), again.clock.now);
    expect(again.verdicts).toEqual([]);
    expect(again.runtime.engine.listPrompts()).toHaveLength(1);
  });

  it('a saved window far ahead (a damaged value) lasts at most the longest window', () => {
    const dbPath = tempDbPath();
    const setup = openStore(dbPath);
    setup.settings.set('learning', { until: 8_000_000_000_000_000, apps: [], alwaysAsk: [] });
    setup.close();
    const h = startRuntime({ store: openStore(dbPath) });
    stores.push(h.store);
    expect(h.runtime.status(h.clock.now).learning.until).toBe(h.clock.now + MAX_LEARNING_MINUTES * 60_000);
    h.clock.now += MAX_LEARNING_MINUTES * 60_000;
    h.runtime.tick(h.clock.now);
    expect(h.runtime.status(h.clock.now).learning.until).toBeNull();
    h.runtime.handleEvent(of(1, CURL, 443), h.clock.now);
    expect(h.verdicts).toEqual([]);
  });

  it('refuses hostile review and start requests without changing anything', async () => {
    const h = startRuntime();
    stores.push(h.store);
    const bad = [
      ['learning:start', { kind: 'minutes', minutes: 0 }],
      ['learning:start', { kind: 'minutes', minutes: 100_000 }],
      ['learning:start', { kind: 'until-app-quits', appPath: 'relative/app' }],
      ['learning:review', { decisions: [] }],
      ['learning:review', { decisions: [{ proposalId: 'x', action: 'keep', rule: { app: { kind: 'any' } } }] }],
      ['learning:review', { decisions: [{ proposalId: 'nope', action: 'discard' }] }],
    ] as const;
    for (const [channel, payload] of bad) {
      const result = await dispatchAny(h.handlers, channel, payload);
      expect(result.ok, `${channel} ${JSON.stringify(payload)}`).toBe(false);
    }
    expect(h.runtime.status(h.clock.now).learning).toMatchObject({ until: null, apps: [], proposals: 0 });
  });

  it('pushes the status when a window ends by itself', async () => {
    const h = startRuntime();
    stores.push(h.store);
    await dispatch(h.handlers, 'learning:start', { kind: 'minutes', minutes: 1 });
    h.pushes.length = 0;
    h.clock.now += 60_000;
    h.runtime.tick(h.clock.now);
    expect(h.pushes).toContain('status:changed');
    expect(h.runtime.status(h.clock.now).learning.until).toBeNull();
  });
});
