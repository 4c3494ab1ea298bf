import { describe, expect, it } from 'vitest';
import { dispatch } from '../contract/dispatch.ts';
import type { HistoryRow } from '../contract/history.ts';
import { connection, CURL, startRuntime } from './test-support/harness.ts';

/** Connections decided by the engine, written to the store on the runtime's tick, read back. */
describe("'history:page' and 'history:count'", () => {
  it('page through what the runtime stored, filtered, with its count', async () => {
    const h = startRuntime();
    h.clock.now = 2_000;
    const rule = await dispatch(h.handlers, 'rules:create', {
      app: { kind: 'path', path: CURL },
      destination: { kind: 'any' },
      action: 'allow',
    });
    expect(rule.ok).toBe(true);
    for (let i = 1; i <= 5; i++) {
      h.runtime.handleEvent(connection(BigInt(i), 40_000 + i, i % 2 === 0 ? 443 : 80, `192.0.2.${i}`), 2_000 + i);
    }
    h.runtime.tick(3_000);
    const filter = { since: 0, until: 10_000 };
    const all = await dispatch(h.handlers, 'history:page', { filter, offset: 0, limit: 10 });
    if (!all.ok) throw new Error(all.error.message);
    const rows = all.value as readonly HistoryRow[];
    // Newest first, each with the app and the rule that allowed it.
    expect(rows.map((row) => row.remoteIp)).toEqual(['192.0.2.5', '192.0.2.4', '192.0.2.3', '192.0.2.2', '192.0.2.1']);
    expect(rows.every((row) => row.appPath === CURL && row.verdict === 'allow' && row.ruleId !== null)).toBe(true);
    const https = await dispatch(h.handlers, 'history:page', {
      filter: { ...filter, remotePort: 443 },
      sort: { key: 'startedAt', descending: false },
      offset: 1,
      limit: 1,
    });
    expect(https.ok && (https.value as readonly HistoryRow[]).map((row) => row.remoteIp)).toEqual(['192.0.2.4']);
    expect(await dispatch(h.handlers, 'history:count', { ...filter, remotePort: 443 })).toEqual({
      ok: true,
      value: { count: 2, capped: false },
    });
  });

  it('refuses hostile requests with bad-request and reads nothing', async () => {
    const h = startRuntime();
    const filter = { since: 0, until: 10 };
    const hostile: readonly unknown[] = [
      { filter, offset: -1, limit: 10 },
      { filter, offset: 0, limit: 1_000_000 },
      { filter: { ...filter, text: 'x'.repeat(10_000) }, offset: 0, limit: 10 },
      { filter: { ...filter, remoteIp: "1' OR '1'='1" }, offset: 0, limit: 10 },
      { filter, sort: { key: 'seq; DROP TABLE history', descending: true }, offset: 0, limit: 10 },
      { filter: { ...filter, since: 'now' }, offset: 0, limit: 10 },
      null,
    ];
    for (const request of hostile) {
      const answer = await dispatch(h.handlers, 'history:page', request);
      expect(answer.ok, JSON.stringify(request)).toBe(false);
      if (!answer.ok) expect(answer.error.code).toBe('bad-request');
    }
    expect(h.store.history.count()).toBe(0);
  });
});
