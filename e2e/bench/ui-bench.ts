// UI benchmark (issue 6, "Benchmarks"): prints numbers, asserts nothing. Needs root (network
// namespaces). Run: node_modules/.bin/node e2e/bench/ui-bench.ts [--quick]
// [--frames-only (part 2 alone, no root needed)] [--cpu-profile FILE] [--trace FILE] (part 2's
// renderer CPU profile and performance trace, for Chromium's DevTools)
//
// 1. Prompt latency on the real stack (zenithfenced + headless mode + Debian Chromium): from the
//    wall-clock time a Python client calls connect() (its SYN) to the first animation frame of the
//    renderer that shows the "Connection request" dialog.
// 2. Frame time of the Connections view at 100 000 rows with 1 000 events/s (fake preload).
// 3. Idle CPU and memory of headless mode and the renderer (real stack, no traffic).
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { type Browser, chromium, type Page } from '@playwright/test';
import { RENDERER_ORIGIN, serveBuiltRenderer } from '../fixtures/renderer-origin.ts';
import { benchArgs, cleanUpOnAbort } from '../support/bench-cli.ts';
import { busyScene, FakeEngine } from '../support/fake-engine.ts';
import { DAEMON, Headless } from '../support/headless-client.ts';
import { TestNet, waitFor } from '../support/test-net.ts';

const ARGS = benchArgs({
  usage:
    'usage: node_modules/.bin/node e2e/bench/ui-bench.ts [--quick] [--frames-only] ' +
    '[--cpu-profile FILE] [--trace FILE]  (root, except with --frames-only)',
  flags: ['--quick', '--frames-only'],
  valued: ['--cpu-profile', '--trace'],
});
const QUICK = ARGS.has('--quick');
// Only part 2 (no root, no daemon): for iterating on the Connections view.
const FRAMES_ONLY = ARGS.has('--frames-only');
// Where to write the renderer's CPU profile of part 2 (open it in Chromium's DevTools).
const CPU_PROFILE = ARGS.value('--cpu-profile') ?? null;
// Where to write a performance trace of part 2 (style, layout and paint per frame; DevTools loads it).
const TRACE = ARGS.value('--trace') ?? null;
const TRACE_CATEGORIES = ['devtools.timeline', 'disabled-by-default-devtools.timeline'];
// Enough samples that p95 is not the maximum: the nearest-rank p95 of 100 is the 95th value.
const PROMPTS = 100;
const FIRST_PORT = 9100;
const IDLE_SECONDS = QUICK ? 20 : 60;
const STILL_SECONDS = 10;
const SCROLL_SECONDS = 20;
const LOAD_SECONDS = STILL_SECONDS + SCROLL_SECONDS;
const ROWS = 100_000;
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];
const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;

// ---------------------------------------------------------------------------------------------
// Small helpers.

/** Nearest rank: the smallest value with at least q of the samples at or below it. */
function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.max(0, Math.min(sorted.length - 1, Math.ceil(sorted.length * q) - 1))] ?? Number.NaN;
}

function summary(values: readonly number[], unit = 'ms'): string {
  const sorted = [...values].sort((a, b) => a - b);
  const f = (v: number): string => `${v.toFixed(1)} ${unit}`;
  return `n=${sorted.length}  p50 ${f(quantile(sorted, 0.5))}  p95 ${f(quantile(sorted, 0.95))}  max ${f(sorted.at(-1) ?? Number.NaN)}`;
}

const mib = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

/** utime + stime of a process in seconds (0 when it is gone). */
function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
  } catch {
    return 0;
  }
}

function rssBytes(pid: number): number {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return Number(match?.[1] ?? 0) * 1024;
  } catch {
    return 0;
  }
}

/** Every process (pid → parent pid, command line) right now. */
function processTable(): Map<number, { ppid: number; cmdline: string }> {
  const table = new Map<number, { ppid: number; cmdline: string }>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replaceAll('\0', ' ');
      table.set(Number(entry), { ppid, cmdline });
    } catch {
      // Gone meanwhile.
    }
  }
  return table;
}

/** The Chromium processes started by this script (descendants of this process). */
function chromiumPids(): number[] {
  const table = processTable();
  const mine = (pid: number): boolean => {
    for (let p = pid, hops = 0; p > 1 && hops < 20; hops += 1) {
      const parent = table.get(p)?.ppid ?? 0;
      if (parent === process.pid) return true;
      p = parent;
    }
    return false;
  };
  return [...table.entries()]
    .filter(([pid, { cmdline }]) => /chrom/i.test(cmdline.split(' ')[0] ?? '') && mine(pid))
    .map(([pid]) => pid);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// ---------------------------------------------------------------------------------------------
// Everything that needs cleaning up.

let net: TestNet | undefined;
let app: Headless | undefined;
let browser: Browser | undefined;
/** Runs once, at the end or at an abort (bench-cli.ts). */
const cleanup = cleanUpOnAbort(async () => {
  await browser?.close().catch(() => undefined);
  app?.close();
  await net?.close();
});

// ---------------------------------------------------------------------------------------------
// 1. Prompt latency.

/** A Python client in namespace a: prints wall-clock ms, then connects (its SYN). */
const CLIENT = `
import socket, sys, time
t = time.time() * 1000
print(repr(t), flush=True)
try:
    socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=20).close()
    print('connected')
except OSError as e:
    print('refused', e)
`;

/** Python HTTP servers on ports [first, last) in one process, in namespace b. */
const SERVERS = `
import http.server, sys, threading
for port in range(int(sys.argv[1]), int(sys.argv[2])):
    server = http.server.ThreadingHTTPServer(('0.0.0.0', port), http.server.SimpleHTTPRequestHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
print('ready', flush=True)
threading.Event().wait()
`;

/**
 * Runs before the page's own scripts: records Date.now() when a `prompts:changed` push arrives
 * on the page's WebSocket (this listener is added first, so it runs before the app's).
 */
function probePushes(): void {
  const w = window as unknown as { __zfPushes: number[] };
  w.__zfPushes = [];
  const Native = window.WebSocket;
  window.WebSocket = class extends Native {
    constructor(url: string | URL, protocols?: string | string[]) {
      super(url, protocols);
      this.addEventListener('message', (event: MessageEvent<unknown>) => {
        if (typeof event.data === 'string' && event.data.includes('"prompts:changed"')) w.__zfPushes.push(Date.now());
      });
    }
  };
}

/**
 * Records Date.now() when the prompt dialog enters the DOM and in the first animation frame
 * after that (the frame that shows it).
 */
function watchPrompt(): void {
  const w = window as unknown as { __zfSeen: number[]; __zfInDom: number[] };
  w.__zfSeen = [];
  w.__zfInDom = [];
  let present = false;
  const check = (): void => {
    const dialog = document.querySelector('[role="dialog"][aria-label="Connection request"]');
    const now = dialog !== null && dialog.getClientRects().length > 0;
    if (now && !present) {
      w.__zfInDom.push(Date.now());
      requestAnimationFrame(() => w.__zfSeen.push(Date.now()));
    }
    present = now;
  };
  new MutationObserver(check).observe(document.body, { childList: true, subtree: true, attributes: true });
  check();
}

async function promptLatency(page: Page, testNet: TestNet): Promise<void> {
  const servers = testNet.start(testNet.b, '/usr/bin/python3', [
    '-c',
    SERVERS,
    String(FIRST_PORT),
    String(FIRST_PORT + PROMPTS),
  ]);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the HTTP servers did not start')), 10_000);
    servers.stdout?.on('data', (d: Buffer) => {
      if (d.toString().includes('ready')) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  await page.evaluate(watchPrompt);
  const dialog = page.getByRole('dialog', { name: 'Connection request' });
  const latencies: number[] = [];
  // The parts of each latency: SYN → push on the page's WebSocket (daemon, engine, headless
  // mode), push → dialog in the DOM (renderer), DOM → the frame that shows it.
  const toPush: number[] = [];
  const toDom: number[] = [];
  const toFrame: number[] = [];
  for (let i = 0; i < PROMPTS; i += 1) {
    const port = FIRST_PORT + i;
    const before = await page.evaluate(() => (window as unknown as { __zfSeen: number[] }).__zfSeen.length);
    const client = testNet.run(testNet.a, '/usr/bin/python3', ['-c', CLIENT, testNet.ipB, String(port)], 30_000);
    await waitFor(
      async () => (await page.evaluate(() => (window as unknown as { __zfSeen: number[] }).__zfSeen.length)) > before,
      15_000,
      `the prompt for port ${port}`,
    );
    const times = await page.evaluate((n) => {
      const w = window as unknown as { __zfSeen: number[]; __zfInDom: number[]; __zfPushes: number[] };
      return { seen: w.__zfSeen[n] ?? 0, inDom: w.__zfInDom[n] ?? 0, pushes: [...w.__zfPushes] };
    }, before);
    const seen = times.seen;
    // Answer Block, Once: nothing is remembered, so every run prompts afresh.
    await dialog.getByRole('combobox', { name: 'Duration' }).selectOption({ label: 'Once' });
    await dialog.getByRole('button', { name: 'Block', exact: true }).click();
    const result = await client;
    const syn = Number(result.stdout.split('\n')[0]);
    await dialog.waitFor({ state: 'hidden', timeout: 10_000 });
    latencies.push(seen - syn);
    // The first push at or after the SYN that came before the dialog showed.
    const push = times.pushes.find((t) => t >= syn && t <= times.inDom);
    if (push !== undefined) {
      toPush.push(push - syn);
      toDom.push(times.inDom - push);
    }
    toFrame.push(seen - times.inDom);
  }
  console.log(`  each (ms): ${latencies.map((l) => l.toFixed(0)).join(' ')}`);
  console.log(`  SYN → push on the page:   ${summary(toPush)}`);
  console.log(`  push → dialog in the DOM: ${summary(toDom)}`);
  console.log(`  DOM → next frame:         ${summary(toFrame)}`);
  console.log(`  SYN → prompt visible: ${summary(latencies)}   (goal: p95 < 100 ms)`);
}

// ---------------------------------------------------------------------------------------------
// 2. Frame time of the Connections view under load.

interface FramePhase {
  readonly still: number[];
  readonly scrolling: number[];
  readonly rowcount: string | null;
  readonly rows: number;
}

async function frameTime(b: Browser): Promise<void> {
  const context = await b.newContext({ viewport: { width: 1440, height: 900 } });
  try {
    const page = await context.newPage();
    const engine = new FakeEngine({ ...busyScene(Date.now(), 0), prompts: [] });
    await engine.install(context);
    await serveBuiltRenderer(context);
    await page.goto(`${RENDERER_ORIGIN}/`);
    await page.getByRole('table', { name: 'Connections' }).waitFor();
    const cdp = await context.newCDPSession(page);
    await cdp.send('Performance.enable');
    const loadStarted = performance.now();
    // Rows are made in the page and pushed as the preload would (no test-process round trips).
    await page.evaluate((rows) => {
      const w = window as unknown as { __zfPush: (c: string, p: unknown) => void; __zfMake: (id: number) => unknown };
      const apps = [
        '/usr/lib/firefox/firefox',
        '/usr/bin/curl',
        '/usr/bin/ssh',
        '/opt/spotify/spotify',
        '/usr/bin/git',
      ];
      const started = Date.now();
      w.__zfMake = (id: number): unknown => ({
        id,
        protocol: 6,
        localIp: '10.0.0.1',
        localPort: 1024 + (id % 60000),
        remoteIp: `10.1.${(id >> 8) & 255}.${id & 255}`,
        remotePort: 443,
        direction: 'outbound',
        pid: 100 + (id % 50),
        appPath: apps[id % apps.length],
        app: apps[id % apps.length],
        host: id % 3 === 0 ? null : `host${id % 997}.example.org`,
        verdict: id % 9 === 0 ? 'permanent-block' : 'permanent-accept',
        ruleId: null,
        bytesSent: (id * 7919) % 100_000,
        bytesReceived: (id * 104_729) % 10_000_000,
        startedAt: started - (rows - id) * 10,
        endedAt: id % 2 === 0 ? started : null,
      });
      for (let chunk = 0; chunk < rows / 10_000; chunk += 1) {
        const upserted = Array.from({ length: 10_000 }, (_, k) => w.__zfMake(chunk * 10_000 + k + 1));
        w.__zfPush('connections:batched', { upserted, removed: [] });
      }
    }, ROWS);
    await waitFor(
      async () =>
        (await page.getByRole('table', { name: 'Connections' }).getAttribute('aria-rowcount')) === String(ROWS + 1),
      30_000,
      'the 100 000 rows',
    );
    console.log(`  100 000 rows pushed and shown in ${(performance.now() - loadStarted).toFixed(0)} ms`);
    await sleep(1500);
    if (CPU_PROFILE !== null) {
      await cdp.send('Profiler.enable');
      await cdp.send('Profiler.start');
    }
    const before = (await cdp.send('Performance.getMetrics')).metrics;
    if (TRACE !== null) await b.startTracing(page, { path: TRACE, categories: TRACE_CATEGORIES });
    // 1 000 events/s as batches every 100 ms (half new connections, half updates of live ones);
    // first STILL_SECONDS still, then scrolling the table every frame.
    const result = await page.evaluate(
      async ([rows, seconds, stillSeconds]): Promise<FramePhase> => {
        const w = window as unknown as { __zfPush: (c: string, p: unknown) => void; __zfMake: (id: number) => unknown };
        const still: number[] = [];
        const scrolling: number[] = [];
        const scroller = document.querySelector('.table-scroll');
        let next = rows + 1;
        let scroll = false;
        let running = true;
        let last = performance.now();
        let down = 1;
        const tick = (t: number): void => {
          (scroll ? scrolling : still).push(t - last);
          last = t;
          if (scroll && scroller !== null) {
            if (scroller.scrollTop + scroller.clientHeight >= scroller.scrollHeight - 10) down = -1;
            if (scroller.scrollTop <= 0) down = 1;
            scroller.scrollTop += down * 150;
          }
          if (running) requestAnimationFrame(tick);
        };
        requestAnimationFrame(tick);
        const batches = seconds * 10;
        await new Promise<void>((resolve) => {
          let sent = 0;
          const timer = setInterval(() => {
            const upserted: unknown[] = [];
            for (let k = 0; k < 50; k += 1) upserted.push(w.__zfMake(next++));
            for (let k = 0; k < 50; k += 1) {
              const row = w.__zfMake(1 + Math.floor(Math.random() * rows)) as Record<string, unknown>;
              upserted.push({ ...row, bytesReceived: Number(row['bytesReceived']) + sent * 1000, endedAt: null });
            }
            w.__zfPush('connections:batched', { upserted, removed: [] });
            sent += 1;
            if (sent === stillSeconds * 10) scroll = true;
            if (sent === batches) {
              clearInterval(timer);
              resolve();
            }
          }, 100);
        });
        running = false;
        const table = document.querySelector('[role="table"][aria-label="Connections"]');
        return {
          still: still.slice(2),
          scrolling,
          rowcount: table?.getAttribute('aria-rowcount') ?? null,
          rows: next - 1,
        };
      },
      [ROWS, LOAD_SECONDS, STILL_SECONDS] as const,
    );
    const after = (await cdp.send('Performance.getMetrics')).metrics;
    if (TRACE !== null) {
      await b.stopTracing();
      console.log(`  performance trace of the renderer written to ${TRACE}`);
    }
    if (CPU_PROFILE !== null) {
      const { profile } = await cdp.send('Profiler.stop');
      writeFileSync(CPU_PROFILE, JSON.stringify(profile));
      console.log(`  CPU profile of the renderer written to ${CPU_PROFILE}`);
    }
    const metric = (list: typeof before, name: string): number => list.find((m) => m.name === name)?.value ?? 0;
    const delta = (name: string): number => metric(after, name) - metric(before, name);
    console.log(`  still, ${STILL_SECONDS} s:      ${summary(result.still)}`);
    console.log(`  scrolling, ${SCROLL_SECONDS} s:  ${summary(result.scrolling)}`);
    console.log(`  all frames:        ${summary([...result.still, ...result.scrolling])}   (goal: p95 < 20 ms)`);
    const longFrames = [...result.still, ...result.scrolling].filter((t) => t > 50).length;
    console.log(
      `  frames > 50 ms: ${longFrames}; main thread busy ${((delta('TaskDuration') / LOAD_SECONDS) * 100).toFixed(0)}% ` +
        `(script ${delta('ScriptDuration').toFixed(2)} s, layout ${delta('LayoutDuration').toFixed(2)} s, ` +
        `style ${delta('RecalcStyleDuration').toFixed(2)} s); JS heap ${mib(metric(after, 'JSHeapUsedSize'))}; ` +
        `aria-rowcount ${result.rowcount ?? '?'} for ${result.rows} connections`,
    );
  } finally {
    await context.close();
  }
}

// ---------------------------------------------------------------------------------------------
// 3. Idle CPU and memory.

async function idle(page: Page, headless: Headless, testNet: TestNet): Promise<void> {
  await page.getByRole('link', { name: 'Connections' }).click();
  await page.getByRole('table', { name: 'Connections' }).waitFor();
  await sleep(3000);
  const headlessPid = headless.process.pid ?? 0;
  const daemonPid =
    [...processTable().entries()].find(
      ([, { cmdline }]) => cmdline.startsWith(DAEMON) && cmdline.includes(testNet.dir),
    )?.[0] ?? 0;
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Performance.enable');
  const metric = async (name: string): Promise<number> =>
    (await cdp.send('Performance.getMetrics')).metrics.find((m) => m.name === name)?.value ?? 0;
  const chromeBefore = new Map(chromiumPids().map((pid) => [pid, cpuSeconds(pid)]));
  const headlessBefore = cpuSeconds(headlessPid);
  const daemonBefore = cpuSeconds(daemonPid);
  const taskBefore = await metric('TaskDuration');
  const started = performance.now();
  await sleep(IDLE_SECONDS * 1000);
  const wall = (performance.now() - started) / 1000;
  const pct = (seconds: number): string => `${((seconds / wall) * 100).toFixed(2)}% of one CPU`;
  const chromeNow = chromiumPids();
  let chromeCpu = 0;
  let chromeRss = 0;
  for (const pid of chromeNow) {
    chromeCpu += cpuSeconds(pid) - (chromeBefore.get(pid) ?? 0);
    chromeRss += rssBytes(pid);
  }
  const task = (await metric('TaskDuration')) - taskBefore;
  const heapUsed = await metric('JSHeapUsedSize');
  const heapTotal = await metric('JSHeapTotalSize');
  console.log(
    `  headless mode (node, pid ${headlessPid}): CPU ${pct(cpuSeconds(headlessPid) - headlessBefore)}, RSS ${mib(rssBytes(headlessPid))}`,
  );
  console.log(
    `  Chromium (${chromeNow.length} processes): CPU ${pct(chromeCpu)}, RSS sum ${mib(chromeRss)} (shared pages counted per process)`,
  );
  console.log(
    `  renderer main thread (CDP TaskDuration): ${pct(task)}; JS heap used ${mib(heapUsed)} of ${mib(heapTotal)}`,
  );
  console.log(
    `  zenithfenced (pid ${daemonPid}): CPU ${pct(cpuSeconds(daemonPid) - daemonBefore)}, RSS ${mib(rssBytes(daemonPid))}`,
  );
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  if (FRAMES_ONLY) {
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
    console.log(`Connections view frame time: ${ROWS} rows + 1 000 events/s for ${LOAD_SECONDS} s (fake preload)`);
    await frameTime(browser);
    return;
  }
  if (process.getuid?.() !== 0) {
    console.log('ui-bench needs root (network namespaces): run it as root');
    process.exitCode = 1;
    return;
  }
  const cpus = os.cpus();
  console.log(`ZenithFence UI benchmark${QUICK ? ' (--quick)' : ''}`);
  console.log(`kernel ${os.release()}, ${cpus.length} CPUs (${cpus[0]?.model ?? '?'}), ${new Date().toISOString()}`);
  console.log(
    `Chromium ${execFileSync('/usr/bin/chromium', ['--version'], { stdio: ['ignore', 'pipe', 'ignore'] })
      .toString()
      .trim()}, node ${process.version}`,
  );

  net = new TestNet('bench');
  const socket = await net.daemon(DAEMON);
  app = await Headless.start(net, ['--driver-socket', socket, '--data-dir', `${net.dir}/data`]);
  const headless = app;
  await waitFor(
    async () => (await headless.call('status:get')).driver === 'connected',
    10_000,
    'the driver connection',
  );
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  await context.addInitScript(probePushes);
  const page = await context.newPage();
  await page.goto(app.url);
  await page.getByRole('contentinfo', { name: 'Status' }).getByText('Driver connected').waitFor();

  console.log(`\n1. Prompt latency, real stack (${PROMPTS} connections, each to a new port, answered Block/Once)`);
  await promptLatency(page, net);

  console.log(`\n2. Connections view frame time: ${ROWS} rows + 1 000 events/s for ${LOAD_SECONDS} s (fake preload)`);
  await frameTime(browser);

  console.log(`\n3. Idle for ${IDLE_SECONDS} s: real stack, no traffic, page on the Connections view`);
  await idle(page, app, net);
}

try {
  await main();
} catch (error) {
  console.error(error);
  process.exitCode = 1;
} finally {
  await cleanup();
}
