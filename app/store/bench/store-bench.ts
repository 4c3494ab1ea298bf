// Storage benchmark: prints numbers, asserts nothing.
// Run: node_modules/.bin/node app/store/bench/store-bench.ts
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { HistoryEntry } from '../history-entry.ts';
import { openStore } from '../open-store.ts';

const ROWS = 1_000_000;
const BATCH = 1_000;
const APPS = Array.from({ length: 50 }, (_, i) => `/usr/lib/app-${i}/bin/app-${i}`);
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

const dir = mkdtempSync(path.join(tmpdir(), 'zf-store-bench-'));
const dbPath = path.join(dir, 'bench.db');
const mib = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
const memory = (): string => {
  const { rss, heapUsed } = process.memoryUsage();
  return `RSS ${mib(rss)} (JS heap ${mib(heapUsed)})`;
};
const fileSize = (file: string): number => {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
};
/** Median wall time of `runs` calls, after one warm-up call. */
function timeIt(runs: number, work: () => unknown): string {
  work();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    work();
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  return `${(times[Math.floor(runs / 2)] ?? 0).toFixed(2)} ms (median of ${runs})`;
}

const now = Date.now();
const store = openStore(dbPath);
console.log(`node ${process.version}, database ${dbPath}`);
console.log(`memory before: ${memory()}`);

// History: 1 000 000 connections over the last 30 days, in batches of 1 000 (one transaction each).
const start = now - 30 * DAY;
const step = (30 * DAY) / ROWS;
let insertMs = 0;
for (let b = 0; b < ROWS / BATCH; b++) {
  const rows: HistoryEntry[] = [];
  for (let i = 0; i < BATCH; i++) {
    const n = b * BATCH + i;
    rows.push({
      id: `conn-${n}`,
      startedAt: Math.floor(start + n * step),
      endedAt: Math.floor(start + n * step) + 1500,
      pid: 1000 + (n % 300),
      appPath: APPS[n % APPS.length] ?? '',
      uid: 1000,
      direction: n % 10 === 0 ? 'inbound' : 'outbound',
      protocol: n % 4 === 0 ? 17 : 6,
      localIp: '192.168.1.20',
      localPort: 30_000 + (n % 30_000),
      remoteIp: `93.184.${n % 256}.${(n >> 8) % 256}`,
      remotePort: 443,
      host: `host-${n % 5000}.example.com`,
      verdict: n % 20 === 0 ? 'block' : 'allow',
      ruleId: null,
      bytesSent: n % 100_000,
      bytesReceived: (n * 7) % 1_000_000,
    });
  }
  const started = performance.now();
  store.history.insertBatch(rows);
  insertMs += performance.now() - started;
}
console.log(
  `history insert: ${ROWS} rows in ${(insertMs / 1000).toFixed(2)} s = ${Math.round(ROWS / (insertMs / 1000))} rows/s`,
);
console.log(`memory with ${ROWS} history rows: ${memory()}`);
console.log(
  `database size: ${mib(fileSize(dbPath))} + WAL ${mib(fileSize(`${dbPath}-wal`))} (${Math.round(fileSize(dbPath) / ROWS)} bytes/row)`,
);

const app = APPS[7] ?? '';
console.log(
  `history query (last 100 rows of one app): ${timeIt(50, () => store.history.query({ since: 0, until: now + 1, appPath: app, limit: 100 }))}`,
);
console.log(
  `history query (last 100 rows, all apps): ${timeIt(50, () => store.history.query({ since: 0, until: now + 1, limit: 100 }))}`,
);
console.log(
  `history query (page 100 of one app, offset 9 900): ${timeIt(20, () => store.history.query({ since: 0, until: now + 1, appPath: app, limit: 100, offset: 9_900 }))}`,
);

// Bandwidth: 10 apps, 30 days at 1 min (one sample a minute, folded by downsample) + the last hour at 1 s.
let started = performance.now();
for (let t = now - 30 * DAY; t < now - HOUR; t += MINUTE) {
  for (const a of APPS.slice(0, 10)) store.bandwidth.add(a, t, 1000, 5000);
  if (t % DAY < MINUTE) store.bandwidth.flush();
}
for (let t = now - HOUR; t < now; t += 1000) for (const a of APPS.slice(0, 10)) store.bandwidth.add(a, t, 100, 500);
store.bandwidth.flush();
console.log(`bandwidth seed (~468 000 buckets): ${((performance.now() - started) / 1000).toFixed(2)} s`);
started = performance.now();
const folded = store.bandwidth.downsample(now);
console.log(
  `bandwidth downsample: ${folded.secondBuckets} 1 s buckets folded in ${(performance.now() - started).toFixed(0)} ms`,
);
console.log(
  `bandwidth series (one app, last hour, auto): ${timeIt(20, () => store.bandwidth.series(app, now - HOUR, now))}`,
);
console.log(
  `bandwidth series (one app, last 24 h, auto): ${timeIt(20, () => store.bandwidth.series(app, now - DAY, now))}`,
);
console.log(
  `bandwidth series (all apps, last 30 days, auto): ${timeIt(10, () => store.bandwidth.series(null, now - 30 * DAY, now))}`,
);

started = performance.now();
const pruned = store.history.prune({ maxRows: 900_000 }, now);
console.log(
  `history prune to 900 000 rows: ${pruned.deleted} deleted in ${(performance.now() - started).toFixed(0)} ms (5 000-row chunks)`,
);
console.log(`memory at end: ${memory()}`);
store.close();
console.log(`database size after close (WAL checkpointed): ${mib(fileSize(dbPath))}`);
rmSync(dir, { recursive: true, force: true });
