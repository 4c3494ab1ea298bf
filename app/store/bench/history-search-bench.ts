// History search benchmark (the History view's queries): prints numbers, asserts nothing.
// Run: node_modules/.bin/node app/store/bench/history-search-bench.ts [--rows N]
//
// Fills a fresh database (in a private temporary directory, removed at the end) with N
// connections (default 1 000 000, the retention's row limit) over 30 days, then times, for each
// filter the view offers: the first page (100 rows, newest first), a page deep in the result
// (offset 50 000, or the middle of a smaller result), and the count the scroll bar needs.
// Goal (issue 15): each under 100 ms over 1 million rows.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { HistoryFilterInput, HistorySort } from '../../contract/history.ts';
import type { HistoryEntry } from '../history-entry.ts';
import { openStore } from '../open-store.ts';

const rowsFlag = process.argv.indexOf('--rows');
const ROWS = rowsFlag > 0 ? Number(process.argv[rowsFlag + 1]) : 1_000_000;
const BATCH = 5_000;
const DAY = 86_400_000;
const APPS = Array.from({ length: 50 }, (_, i) => `/usr/lib/app-${i}/bin/app-${i}`);
const PORTS = [443, 443, 443, 443, 80, 53, 22, 8080, 993, 5222];

/** Median wall time of `runs` calls after one warm-up, and the last result. */
function time<T>(runs: number, work: () => T): { ms: number; result: T } {
  let result = work();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    result = work();
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  return { ms: times[Math.floor(runs / 2)] ?? 0, result };
}

const dir = mkdtempSync(path.join(tmpdir(), 'zf-history-bench-'));
try {
  const store = openStore(path.join(dir, 'bench.db'));
  const now = Date.now();
  const start = now - 30 * DAY;
  const step = (30 * DAY) / ROWS;
  const filled = performance.now();
  for (let b = 0; b * BATCH < ROWS; b++) {
    const rows: HistoryEntry[] = [];
    for (let n = b * BATCH; n < Math.min(ROWS, (b + 1) * BATCH); n++) {
      const startedAt = Math.floor(start + n * step);
      // A few apps make most connections, as on a desktop (browser, mail, updater).
      const app = APPS[(n * n) % 97 < 60 ? n % 5 : n % APPS.length] ?? '';
      rows.push({
        id: `c${n}`,
        startedAt,
        endedAt: n % 50 === 0 ? null : startedAt + (n % 600_000),
        pid: 1000 + (n % 300),
        appPath: app,
        uid: 1000,
        direction: n % 10 === 0 ? 'inbound' : 'outbound',
        protocol: n % 4 === 0 ? 17 : 6,
        localIp: '192.168.1.20',
        localPort: 30_000 + (n % 30_000),
        remoteIp: `93.${(n >> 16) % 256}.${(n >> 8) % 256}.${n % 256}`,
        remotePort: PORTS[n % PORTS.length] ?? 443,
        host: n % 7 === 0 ? null : `h${n % 5000}.d${n % 200}.example`,
        verdict: n % 20 === 0 ? 'block' : n % 97 === 0 ? 'drop' : 'allow',
        ruleId: n % 10 === 0 ? `rule-${n % 40}` : null,
        bytesSent: (n * 31) % 100_000,
        bytesReceived: (n * 7) % 1_000_000,
      });
    }
    store.history.insertBatch(rows);
  }
  const fillMs = performance.now() - filled;
  // The insert cost: every index of the history, in batches, into a history growing to ROWS.
  console.log(
    `node ${process.version}; ${ROWS} connections over 30 days in ${(fillMs / 1000).toFixed(1)} s, ${((fillMs * 1000) / ROWS).toFixed(1)} µs a connection`,
  );

  const all = { since: 0, until: now + 1 };
  const cases: readonly (readonly [string, HistoryFilterInput, HistorySort?])[] = [
    ['everything, newest first', all],
    ['last 24 hours', { since: now - DAY, until: now + 1 }],
    ['one app (2 % of rows)', { ...all, appPath: APPS[30] ?? '' }],
    ['one busy app (~12 %)', { ...all, appPath: APPS[0] ?? '' }],
    ['host and its subdomains (d7.example)', { ...all, host: 'd7.example' }],
    ['one host name exactly', { ...all, host: 'h1207.d7.example' }],
    ['remote address', { ...all, remoteIp: '93.1.2.3' }],
    ['remote port 22', { ...all, remotePort: 22 }],
    ['blocked and dropped', { ...all, verdicts: ['block', 'drop'] }],
    ['inbound', { ...all, direction: 'inbound' }],
    ['UDP', { ...all, protocol: 17 }],
    ['decided by one rule', { ...all, ruleId: 'rule-10' }],
    ['free text "app-3"', { ...all, text: 'app-3' }],
    ['free text, rare ("h4999.")', { ...all, text: 'h4999.' }],
    // Names under 11 of 200 domains (4.7 %); also hex digits, so the start of an address too.
    ['free text, a few % ("d19")', { ...all, text: 'd19' }],
    // In one app's path and in the names of about 8 % of connections.
    ['free text, paths and names ("12")', { ...all, text: '12' }],
    // Addresses 93.2.x.x: 65 536 connections of three weeks ago, none since.
    ['free text, old connections only ("93.2")', { ...all, text: '93.2' }],
    [
      'one app, blocked, last 7 days',
      { since: now - 7 * DAY, until: now + 1, appPath: APPS[1] ?? '', verdicts: ['block'] },
    ],
    ['everything, by bytes', all, { key: 'bytes', descending: true }],
    ['everything, by host A→Z', all, { key: 'host', descending: false }],
    ['everything, by host Z→A', all, { key: 'host', descending: true }],
    ['everything, by app A→Z', all, { key: 'appPath', descending: false }],
    ['everything, by port, low first', all, { key: 'remotePort', descending: false }],
    ['last 24 hours, by data', { since: now - DAY, until: now + 1 }, { key: 'bytes', descending: true }],
    ['everything, by duration', all, { key: 'duration', descending: true }],
  ];
  console.log('\n| filter | matches | first page ms | deep page ms (offset) | count ms |');
  console.log('|---|---|---|---|---|');
  for (const [name, filter, sort] of cases) {
    const counted = time(5, () => store.history.countMatching(filter));
    const request = { filter, sort: sort ?? { key: 'startedAt' as const, descending: true }, limit: 100 };
    const first = time(5, () => store.history.search({ ...request, offset: 0 }));
    const deepOffset = Math.min(50_000, Math.floor(counted.result.count / 2));
    const deep = time(5, () => store.history.search({ ...request, offset: deepOffset }));
    const matches = `${String(counted.result.count)}${counted.result.capped ? '+' : ''}`;
    console.log(
      `| ${name} | ${matches} | ${first.ms.toFixed(1)} | ${deep.ms.toFixed(1)} (${String(deepOffset)}) | ${counted.ms.toFixed(1)} |`,
    );
  }
  store.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
