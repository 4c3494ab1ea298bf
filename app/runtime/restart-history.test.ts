import { afterEach, describe, expect, it } from 'vitest';
import { dispatch } from '../contract/dispatch.ts';
import { openStore, type Store } from '../store/index.ts';
import { connection, CURL, startRuntime, tempDbPath } from './test-support/harness.ts';

let open: Store[] = [];
afterEach(() => {
  for (const store of open) store.close();
  open = [];
});

describe('a restart with history in the store', () => {
  it('writes the first connection of the new run next to those of the last run', async () => {
    const dbPath = tempDbPath();
    const first = startRuntime({ store: openStore(dbPath) });
    open.push(first.store);
    const rule = await dispatch(first.handlers, 'rules:create', {
      app: { kind: 'path', path: CURL },
      destination: { kind: 'any' },
      action: 'allow',
    });
    expect(rule.ok).toBe(true);
    for (const id of [1n, 2n, 3n]) first.runtime.handleEvent(connection(id, 40_000 + Number(id)), 2_000);
    first.runtime.tick(3_000);
    expect(first.store.history.count()).toBe(3);
    first.runtime.shutdown(4_000);
    first.store.close();
    open = [];

    // The engine of the new process numbers its connections from 1 again.
    const second = startRuntime({ store: openStore(dbPath), now: 10_000 });
    open.push(second.store);
    second.runtime.handleEvent(connection(1n, 41_001), 10_500);
    expect(second.verdicts).toEqual([[1n, 'permanent-accept']]);
    second.runtime.tick(11_000);
    expect(second.lines).toEqual([]);
    expect(second.store.history.count()).toBe(4);
    const rows = second.store.history.query({ since: 0, until: 20_000, limit: 10 });
    expect(new Set(rows.map((row) => row.id)).size).toBe(4);
    expect(rows.map((row) => row.localPort).sort()).toEqual([40_001, 40_002, 40_003, 41_001]);

    // The row's later changes (its end) update it rather than inserting it twice.
    second.runtime.handleEvent(
      { kind: 'connection-ended', direction: 'outbound', flow: connection(1n, 41_001).flow, pid: 42 },
      11_500,
    );
    second.runtime.tick(12_000);
    expect(second.lines).toEqual([]);
    expect(second.store.history.count()).toBe(4);
    const ended = second.store.history
      .query({ since: 0, until: 20_000, limit: 10 })
      .find((r) => r.localPort === 41_001);
    expect(ended?.endedAt).toBe(11_500);
  });
});
