// The Connections view's work per flush at 100 000 rows: prints numbers, asserts nothing.
// Run: npm run bench:view  (node renderer/src/lib/connection-view.bench.ts)
//
// A full table (100 000 rows, the buffer's capacity) takes flushes like the UI benchmark's load
// (1 000 events a second, 4 flushes a second): each brings 250 new connections (evicting the
// 250 oldest) and 250 updates of recent rows' byte counts. Timed per flush, side by side in
// interleaved rounds: the view kept in place (ConnectionView, what the table uses) against a
// full query of the snapshot (queryConnections, the baseline it replaces). Node here has no
// pointer compression, so copies of 100 000 rows cost about twice what they do in the renderer.
import type { ConnectionRow } from '../../../app/contract/views.ts';
import { ConnectionBuffer } from './connection-buffer.ts';
import { type ConnectionQuery, DEFAULT_QUERY, queryConnections } from './connection-query.ts';
import { ConnectionView } from './connection-view.ts';
import { row } from './test-rows.ts';

const CAPACITY = 100_000;
const FLUSHES = 60;
const ROUNDS = 3;
const PER_FLUSH = 250;

type Way = (snapshot: readonly ConnectionRow[], delta: ReturnType<ConnectionBuffer['deltaOf']>) => unknown;

/** p50 and p90 (ms) of the per-flush time of `way` for `query`. */
function run(query: ConnectionQuery, make: () => Way): { p50: number; p90: number } {
  const buffer = new ConnectionBuffer(CAPACITY);
  buffer.enqueue({
    upserted: Array.from({ length: CAPACITY }, (_, i) => row(i + 1, { startedAt: i, bytesSent: i })),
    removed: [],
  });
  let snapshot = buffer.flush();
  const way = make();
  way(snapshot, buffer.deltaOf(snapshot));
  let next = CAPACITY + 1;
  const times: number[] = [];
  for (let flush = 0; flush < FLUSHES; flush += 1) {
    const upserted: ConnectionRow[] = [];
    for (let k = 0; k < PER_FLUSH; k += 1) upserted.push(row(next, { startedAt: next++ }));
    for (let k = 0; k < PER_FLUSH; k += 1) {
      const recent = snapshot[snapshot.length - 1 - ((k * 37) % 5000)] as ConnectionRow;
      upserted.push({ ...recent, bytesSent: recent.bytesSent + 1 });
    }
    buffer.enqueue({ upserted, removed: [] });
    snapshot = buffer.flush();
    const started = performance.now();
    way(snapshot, buffer.deltaOf(snapshot));
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  return { p50: times[Math.floor(FLUSHES / 2)] ?? 0, p90: times[Math.floor(FLUSHES * 0.9)] ?? 0 };
}

const median = (values: number[]): number => values.toSorted((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
const queries: readonly [string, ConnectionQuery][] = [
  ['newest first (the default)', DEFAULT_QUERY],
  ['by bytes sent, most first', { ...DEFAULT_QUERY, sort: { column: 'sent', desc: true } }],
  ['live only, by app', { ...DEFAULT_QUERY, filter: 'live', sort: { column: 'app', desc: false } }],
];
console.log(
  `ms per flush, ${String(CAPACITY)} rows, ${String(PER_FLUSH)} new + ${String(PER_FLUSH)} updated; medians of ${String(ROUNDS)} rounds`,
);
for (const [name, query] of queries) {
  const kept: { p50: number; p90: number }[] = [];
  const full: { p50: number; p90: number }[] = [];
  for (let round = 0; round < ROUNDS; round += 1) {
    kept.push(
      run(query, () => {
        const view = new ConnectionView();
        return (snapshot, delta) => view.rows(snapshot, query, delta);
      }),
    );
    full.push(run(query, () => (snapshot) => queryConnections(snapshot, query)));
  }
  const k50 = median(kept.map((r) => r.p50));
  const f50 = median(full.map((r) => r.p50));
  console.log(
    `  ${name.padEnd(28)} kept in place p50 ${k50.toFixed(2)} p90 ${median(kept.map((r) => r.p90)).toFixed(2)}` +
      ` | full query p50 ${f50.toFixed(2)} p90 ${median(full.map((r) => r.p90)).toFixed(2)} | ${(f50 / k50).toFixed(1)}x`,
  );
}
