import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { SmallDisk } from '../../native/test-support/small-disk.ts';
import { dispatch } from '../contract/dispatch.ts';
import type { HistoryExport } from '../contract/history.ts';
import { openStore, type Store } from '../store/index.ts';
import { historyRow } from '../store/test-support/fixtures.ts';
import { testTempDir } from '../test-support/temp-dirs.ts';
import { createHandlers } from './handlers.ts';
import { csvCell, EXPORT_FIELDS, exportHistory, exportRecord } from './history-export.ts';
import { startRuntime } from './test-support/harness.ts';

const ALL = { since: 0, until: Number.MAX_SAFE_INTEGER };
let stores: Store[] = [];
afterEach(() => {
  for (const store of stores) store.close();
  stores = [];
});

/** A store with `n` connections, one a millisecond; every third one blocked. */
function storeWith(n: number): Store {
  const store = openStore(path.join(testTempDir('zf-export-'), 'zenithfence.db'));
  stores.push(store);
  const rows = Array.from({ length: n }, (_, i) =>
    historyRow(`c${i}`, { startedAt: 1_000 + i, endedAt: 1_500 + i, verdict: i % 3 === 0 ? 'block' : 'allow' }),
  );
  for (let i = 0; i < rows.length; i += 1000) store.history.insertBatch(rows.slice(i, i + 1000));
  return store;
}

describe('CSV cells', () => {
  it('quotes what needs quoting and defuses what a spreadsheet would run', () => {
    expect(csvCell(null)).toBe('');
    expect(csvCell(42)).toBe('42');
    expect(csvCell('/usr/bin/curl')).toBe('/usr/bin/curl');
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell('two\nlines')).toBe('"two\nlines"');
    expect(csvCell('=HYPERLINK("http://x")')).toBe(`"'=HYPERLINK(""http://x"")"`);
    expect(csvCell('+1')).toBe("'+1");
    expect(csvCell('-cmd')).toBe("'-cmd");
    expect(csvCell('@sum')).toBe("'@sum");
  });
});

describe('exportHistory', () => {
  it('writes every selected connection, oldest first, over many pages, as JSON lines', async () => {
    const store = storeWith(4_500);
    const dir = path.join(testTempDir('zf-export-out-'), 'exports');
    const result = await exportHistory(store, { ...ALL, verdicts: ['block'] }, 'jsonl', dir, Date.UTC(2026, 11, 5));
    expect(result.rows).toBe(1_500);
    expect(path.basename(result.path)).toBe('zenithfence-history-2026-12-05T00-00-00-000Z.jsonl');
    const lines = readFileSync(result.path, 'utf8').trimEnd().split('\n');
    expect(lines).toHaveLength(1_500);
    const records = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(Object.keys(records[0] ?? {})).toEqual([...EXPORT_FIELDS]);
    expect(records.map((r) => r['id'])).toEqual(Array.from({ length: 1_500 }, (_, i) => `c${i * 3}`));
    expect(records[1]).toMatchObject({
      started_at: new Date(1_003).toISOString(),
      started_at_ms: 1_003,
      duration_ms: 500,
      protocol_name: 'tcp',
      verdict: 'block',
      rule_id: null,
    });
    // Private: the history says who went where.
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(statSync(result.path).mode & 0o777).toBe(0o600);
    expect(readdirSync(dir)).toEqual([path.basename(result.path)]);
  });

  it('writes CSV with the header and one line per connection', async () => {
    const store = storeWith(3);
    const dir = testTempDir('zf-export-out-');
    const { path: file, rows } = await exportHistory(store, ALL, 'csv', dir, 0);
    expect(rows).toBe(3);
    const lines = readFileSync(file, 'utf8').split('\r\n');
    expect(lines[0]).toBe(EXPORT_FIELDS.join(','));
    expect(lines.slice(1, 4).map((line) => line.split(',')[0])).toEqual(['c0', 'c1', 'c2']);
    expect(lines[4]).toBe('');
  });

  it('an open connection has no end, duration or rule', () => {
    const record = exportRecord(historyRow('x', { endedAt: null, ruleId: null, uid: null, protocol: 132 }));
    expect(record).toMatchObject({
      ended_at: null,
      ended_at_ms: null,
      duration_ms: null,
      uid: null,
      protocol_name: null,
    });
  });
});

const disk = SmallDisk.mount(512);
if (typeof disk === 'string') console.log(`SKIPPED the full-disk export test: ${disk}`);
afterAll(() => {
  if (typeof disk !== 'string') disk.unmount();
});

describe.skipIf(typeof disk === 'string')('an export to a full disk', () => {
  it('fails with a clear error through the contract and leaves no partial file', async () => {
    if (typeof disk === 'string') return;
    const big = startRuntime({ store: storeWith(20_000) });
    const handlers = createHandlers(big.runtime, () => 0, { exportDir: disk.dir });
    const answer = await dispatch(handlers, 'history:export', { filter: ALL, format: 'jsonl' });
    expect(answer.ok).toBe(false);
    if (!answer.ok) {
      expect(answer.error.code).toBe('storage');
      expect(answer.error.message).toMatch(/the export could not be written: .*ENOSPC/);
    }
    expect(readdirSync(disk.dir)).toEqual([]);
    // Room again: the same request succeeds.
    const few = startRuntime({ store: storeWith(10) });
    const small = createHandlers(few.runtime, () => 0, { exportDir: disk.dir });
    const done = await dispatch(small, 'history:export', { filter: ALL, format: 'csv' });
    expect(done.ok && (done.value as HistoryExport).rows).toBe(10);
  });
});
