// DNS log benchmark (the DNS log view's queries): prints numbers, asserts nothing.
// Run: node_modules/.bin/node app/store/bench/dns-log-bench.ts [--rows N]
//
// Fills a fresh database (in a private temporary directory, removed at the end) with N answers
// (default 1 000 000) over 7 days (the default retention) from ~200 apps asking ~50 000 names,
// then times, for each filter the view offers: the first page (100 answers, newest first), a
// page deep in the result (offset 50 000, or the middle of a smaller result) and the count.
// Last, the cost of an insert batch per answer, the way the engine writes them.
// Goal: each page and count under 100 ms over 1 million answers.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { DnsLogEntry, DnsLogFilterInput } from '../../contract/dns-log.ts';
import { openStore } from '../open-store.ts';

const rowsFlag = process.argv.indexOf('--rows');
const ROWS = rowsFlag > 0 ? Number(process.argv[rowsFlag + 1]) : 1_000_000;
const BATCH = 5_000;
const DAY = 86_400_000;
const NAMES = 50_000;
const APPS = Array.from({ length: 200 }, (_, i) => `/usr/lib/app-${String(i)}/bin/app-${String(i)}`);
const SITES = ['google.com', 'googleapis.com', 'cloudflare.net', 'akamaiedge.net', 'github.com', 'mozilla.org'];

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

/** Name k: popular names first (k small), a few well-known sites among them. */
function nameOf(k: number): string {
  const site = k % 40 === 0 ? (SITES[(k / 40) % SITES.length] ?? 'example') : `site${String(k % 3_000)}.example`;
  return `w${String(k)}.${site}`;
}

/** A skewed pick in [0, n): small values far more often (squares of a uniform), as popularity is. */
function skewed(n: number, u: number): number {
  return Math.min(n - 1, Math.floor(n * u * u));
}

/** A small deterministic pseudo-random sequence (xorshift), so every run fills the same log. */
function random(seed: number): () => number {
  let x = seed;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 4_294_967_296;
  };
}

/** The answer number n: A (45 %), AAAA (40 %) or HTTPS; ~7 % no such name, ~3 % errors. */
function answer(n: number, at: number, rnd: () => number): DnsLogEntry {
  const k = skewed(NAMES, rnd());
  const app = APPS[skewed(APPS.length, rnd())] ?? '';
  const name = nameOf(k);
  const u = rnd();
  const qtype = u < 0.45 ? 1 : u < 0.85 ? 28 : 65;
  const v = rnd();
  const rcode = v < 0.07 ? 3 : v < 0.1 ? (v < 0.09 ? 2 : 5) : 0;
  let addresses: string[] = [];
  if (rcode === 0 && qtype === 1) {
    // 1 to 3 addresses; a tenth of the names rotate through a pool (CDNs).
    const count = 1 + (k % 3);
    const rotate = k % 10 === 0 ? n % 4 : 0;
    addresses = Array.from(
      { length: count },
      (_, i) => `10.${String((k >> 8) & 255)}.${String(k & 255)}.${String(i + rotate * 3)}`,
    );
  } else if (rcode === 0 && qtype === 28 && k % 3 !== 0) {
    addresses = [`2001:db8:${(k >> 8).toString(16)}:${(k & 255).toString(16)}::${String(1 + (n % 2))}`];
  }
  return {
    at,
    pid: 1_000 + (k % 500),
    appPath: n % 50 === 0 ? '' : app,
    uid: n % 50 === 0 ? null : 1000,
    name,
    qtype,
    rcode,
    addresses,
    ttlSeconds: addresses.length > 0 ? 60 + (k % 3_600) : 0,
    resolver: '127.0.0.53',
  };
}

const dir = mkdtempSync(path.join(tmpdir(), 'zf-dns-log-bench-'));
try {
  const store = openStore(path.join(dir, 'bench.db'));
  const now = Date.now();
  const start = now - 7 * DAY;
  const step = (7 * DAY) / ROWS;
  const rnd = random(0x2545f491);
  const filled = performance.now();
  for (let b = 0; b * BATCH < ROWS; b++) {
    const entries: DnsLogEntry[] = [];
    for (let n = b * BATCH; n < Math.min(ROWS, (b + 1) * BATCH); n++) {
      entries.push(answer(n, Math.floor(start + n * step), rnd));
    }
    store.dnsLog.insertBatch(entries);
  }
  const fillS = (performance.now() - filled) / 1000;
  console.log(`node ${process.version}; ${String(ROWS)} answers over 7 days in ${fillS.toFixed(1)} s`);

  const all = { since: 0, until: now + 1 };
  const cases: readonly (readonly [string, DnsLogFilterInput])[] = [
    ['everything, newest first', all],
    ['last 24 hours', { since: now - DAY, until: now + 1 }],
    ['one app (~0.2 %)', { ...all, appPath: APPS[150] ?? '' }],
    ['one busy app (~7 %)', { ...all, appPath: APPS[0] ?? '' }],
    ['outcome no such name (~7 %)', { ...all, outcomes: ['no-such-name'] }],
    ['outcome error (~3 %)', { ...all, outcomes: ['error'] }],
    ['no such name or error (~10 %)', { ...all, outcomes: ['no-such-name', 'error'] }],
    ['addresses or no address (~90 %)', { ...all, outcomes: ['addresses', 'no-address'] }],
    ['one busy app, errors', { ...all, appPath: APPS[0] ?? '', outcomes: ['error'] }],
    ['text, wide name part ("google")', { ...all, text: 'google' }],
    ['text, name part ("site12")', { ...all, text: 'site12' }],
    ['text, rare name ("w4242.")', { ...all, text: 'w4242.' }],
    ['text, most names (".example")', { ...all, text: '.example' }],
    ['text, address part ("10.1.2")', { ...all, text: '10.1.2' }],
    ['text, IPv6 part ("db8:c3:")', { ...all, text: 'db8:c3:' }],
    ['text, app part ("app-15/")', { ...all, text: 'app-15/' }],
    ['text "google", no such name', { ...all, text: 'google', outcomes: ['no-such-name'] }],
    ['text "site1", last 24 hours', { since: now - DAY, until: now + 1, text: 'site1' }],
  ];
  console.log('\n| filter | matches | first page ms | deep page ms (offset) | count ms |');
  console.log('|---|---|---|---|---|');
  for (const [name, filter] of cases) {
    const counted = time(5, () => store.dnsLog.count(filter));
    const first = time(5, () => store.dnsLog.page({ filter, offset: 0, limit: 100 }));
    const deepOffset = Math.min(50_000, Math.floor(counted.result.count / 2));
    const deep = time(5, () => store.dnsLog.page({ filter, offset: deepOffset, limit: 100 }));
    const matches = `${String(counted.result.count)}${counted.result.capped ? '+' : ''}`;
    console.log(
      `| ${name} | ${matches} | ${first.ms.toFixed(1)} | ${deep.ms.toFixed(1)} (${String(deepOffset)}) | ${counted.ms.toFixed(1)} |`,
    );
  }

  // Insert cost per answer, in batches of a quiet and of a busy second, into the full log: the
  // mean over 100 batches, since a checkpoint (a WAL of 1 000 pages written back and synced)
  // lands on some of them only. The answers are made before the clock starts.
  for (const perBatch of [20, 200]) {
    const batches = Array.from({ length: 100 }, (_, b) =>
      Array.from({ length: perBatch }, (_, i) => answer(ROWS + b * perBatch + i, now, rnd)),
    );
    const started = performance.now();
    for (const batch of batches) store.dnsLog.insertBatch(batch);
    const perAnswer = ((performance.now() - started) * 1000) / (batches.length * perBatch);
    console.log(`insert: ${perAnswer.toFixed(1)} µs per answer (100 batches of ${String(perBatch)})`);
  }
  // Retention: the oldest day at once, then what a minute later finds (housekeeping runs each minute).
  let started = performance.now();
  const pruned = store.dnsLog.prune(6 * DAY, now);
  console.log(`prune of the oldest day: ${String(pruned)} answers in ${(performance.now() - started).toFixed(0)} ms`);
  started = performance.now();
  const minute = store.dnsLog.prune(6 * DAY, now + 60_000);
  console.log(`prune a minute later: ${String(minute)} answers in ${(performance.now() - started).toFixed(1)} ms`);
  // Switching the DNS log off deletes every answer at once.
  started = performance.now();
  const cleared = store.dnsLog.clear();
  console.log(`clear: ${String(cleared)} answers in ${(performance.now() - started).toFixed(0)} ms`);
  store.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
