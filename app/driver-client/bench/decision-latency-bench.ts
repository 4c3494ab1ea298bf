// Latency of one connection that needs the app, on the app's side only. A stand-in daemon
// (python3: little work per message and no pauses of its own) listens on a SEQPACKET Unix socket
// in a private directory, as zenithfenced does, sends a Connection info and times until the
// Verdict command comes back, N times in a row (as the daemon does for connect()s one after
// another), and a ConnectionEnd after each verdict (as when the flow ends). The app is one of:
// - `headless`: headless mode in its own process, as bench:peer's row D2 starts it (the Linux
//   platform, the UI server with no UI connected), deciding by a rule the app holds alone (until
//   restart), so every connection is asked; it reads the socket as its checkout does by default;
// - `host`: the same host in the benchmark's process (driver session, runtime, engine, a fresh
//   database, its timers), connected with the binding's openDriver;
// - `echo`: the binding alone, answering each Connection from the handle's info loop;
// `host` and `echo` with the socket read `event`-driven (the default) or on the `pool` (the
// libuv threadpool, the fallback). With `--compare DIR` (another checkout, e.g. `git archive` of
// an older commit with this checkout's node_modules linked in), `echo`, `host` and `headless`
// also run with DIR's binding and app, read as DIR reads, labelled `@compare`. Configurations run
// in interleaved rounds, each in fresh processes; medians of the rounds are printed. Prints
// numbers and asserts nothing. The stand-in's own time (python) is in every number: compare
// configurations, not absolute values.
//
// Run: node_modules/.bin/node app/driver-client/bench/decision-latency-bench.ts [--count N]
//      [--rounds N] [--apps echo-pool,echo-event,host-pool,host-event,headless] [--compare DIR]
//      [--app-flag FLAG]... (Node flags of each app process, headless mode's too, e.g.
//      --cpu-prof: a .cpuprofile in the current directory; --trace-gc: its pauses, on stderr)
//      [--history-rows N] (the app starts with a history of N connections over the last 7 days,
//      as after a week of use, instead of an empty one: what a history write costs depends on it)
import { spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type * as NativeModule from '../../../native/src/index.ts';
import { ALL_FEATURES, EXT_VERSION, FEATURE } from '../../../native/src/index.ts';
import type * as DispatchModule from '../../contract/dispatch.ts';
import type * as HostModule from '../../runtime/host.ts';
import type * as LogModule from '../../runtime/rate-limited-log.ts';
import type * as StoreModule from '../../store/index.ts';

const SELF = fileURLToPath(import.meta.url);
/** This checkout: the app side is loaded from here, or from the --compare checkout. */
const ROOT = path.resolve(path.dirname(SELF), '../../..');
const NODE = process.execPath;
/** The app the rule allows, as the stand-in daemon reports its process (its own pid: alive). */
const APP_PATH = '/usr/bin/zf-bench-app';
/** The rule: this app may go anywhere, held by the app alone (until restart), as in bench:peer's D2. */
const RULES_TEXT = JSON.stringify({
  format: 'zenithfence-rules',
  version: 1,
  rules: [
    {
      app: { kind: 'path', path: APP_PATH },
      destination: { kind: 'any' },
      action: 'allow',
      duration: { kind: 'until-restart' },
    },
  ],
});
/** What the stand-in grants: no POLICY, so the rule stays the app's and every connection is asked. */
const FEATURES = ALL_FEATURES & ~FEATURE.policy;

/**
 * The stand-in daemon: listens on argv[1], encodes infos as driver/protocol/README.md lays them
 * out (little-endian; header: type u8, body length u32), prints the statistics as JSON.
 */
const STAND_IN = String.raw`
import json, os, socket, struct, sys, time
path, ext_version, features, app, count = sys.argv[1:6]
ext_version, features, count = int(ext_version), int(features), int(count)
# A process that lives as long as the run: headless mode forgets apps whose processes exited.
pid = os.getpid()

def info(kind, body):
    return struct.pack('<BI', kind, len(body)) + body

ip_a, ip_b = bytes([10, 203, 0, 1]), bytes([10, 203, 0, 2])
hello_reply = info(128, bytes([2, 0, 0, 0]) + struct.pack('<HIB', ext_version, features, 2))
app_bytes = app.encode()
process_info = info(129, struct.pack('<QQIH', pid, 1, 0, len(app_bytes)) + app_bytes + app_bytes + b'\0')
syn = bytes(60)  # the held packet: its length matters here, not its bytes
connection = bytearray(info(1, struct.pack('<QQBB', 0, pid, 0, 6) + ip_a + ip_b
                            + struct.pack('<HHBI', 0, 7000, 1, len(syn)) + syn))
end = bytearray(info(3, struct.pack('<QBB', pid, 0, 6) + ip_a + ip_b + struct.pack('<HH', 0, 7000)))
ID_AT, CONNECTION_PORT_AT, END_PORT_AT = 5, 31, 23

server = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
server.bind(path)
server.listen(1)
server.settimeout(60)
print('ready', flush=True)
s, _ = server.accept()
# An app that stops answering ends the run with an error instead of a hang.
s.settimeout(10)
first = s.recv(65536)
if not first or first[0] != 128:
    sys.exit('the app did not say Hello first')
s.send(hello_reply)
s.send(process_info)
warmup = count // 10
samples = []
for i in range(1, count + warmup + 1):
    port = 10000 + i % 50000
    struct.pack_into('<Q', connection, ID_AT, i)
    struct.pack_into('<H', connection, CONNECTION_PORT_AT, port)
    struct.pack_into('<H', end, END_PORT_AT, port)
    started = time.perf_counter_ns()
    s.send(connection)
    while True:
        m = s.recv(65536)
        if not m:
            sys.exit('the app closed the socket at connection %d' % i)
        if m[0] == 1 and len(m) == 10 and struct.unpack_from('<Q', m, 1)[0] == i:
            break
    took = (time.perf_counter_ns() - started) / 1000
    if i > warmup:
        samples.append(took)
    s.send(end)
samples.sort()
at = lambda q: samples[min(len(samples) - 1, int(q * len(samples)))]
print(json.dumps({'p50': at(0.5), 'p90': at(0.9), 'p99': at(0.99), 'max': samples[-1],
                  'mean': sum(samples) / len(samples), 'over400': sum(1 for x in samples if x > 400)}))
s.close()
server.close()
`;

interface Options {
  count: number;
  rounds: number;
  apps: string[];
  compare: string | undefined;
  appFlags: string[];
  historyRows: number;
}

const USAGE =
  'usage: node app/driver-client/bench/decision-latency-bench.ts [--count N] [--rounds N] ' +
  '[--apps echo-pool,echo-event,host-pool,host-event,headless] [--compare DIR] [--app-flag FLAG]... ' +
  '[--history-rows N]';

/** The options, or undefined when only the usage was asked for. */
function parse(args: readonly string[]): Options | undefined {
  const options: Options = {
    count: 3000,
    rounds: 3,
    apps: ['echo-pool', 'echo-event', 'host-pool', 'host-event', 'headless'],
    compare: undefined,
    appFlags: [],
    historyRows: 0,
  };
  for (let i = 0; i < args.length; i += 1) {
    const value = (): string => {
      const next = args[i + 1];
      if (next === undefined) throw new Error(`${String(args[i])} needs a value`);
      i += 1;
      return next;
    };
    switch (args[i]) {
      case '--count':
        options.count = Number(value());
        break;
      case '--rounds':
        options.rounds = Number(value());
        break;
      case '--apps':
        options.apps = value().split(',');
        break;
      case '--compare':
        options.compare = path.resolve(value());
        break;
      case '--app-flag':
        options.appFlags.push(value());
        break;
      case '--history-rows':
        options.historyRows = Number(value());
        if (!Number.isSafeInteger(options.historyRows) || options.historyRows < 0) {
          throw new Error('--history-rows takes a whole number');
        }
        break;
      case '--help':
      case '-h':
        return undefined;
      default:
        throw new Error(`unknown option ${String(args[i])}; ${USAGE}`);
    }
  }
  return options;
}

interface Stats {
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
  readonly mean: number;
  /** Connections that took more than 400 µs. */
  readonly over400: number;
}

/** Lines a child prints, as they come. */
function lines(stream: NodeJS.ReadableStream, onLine: (line: string) => void): void {
  let buffered = '';
  stream.setEncoding('utf8');
  stream.on('data', (text: string) => {
    buffered += text;
    for (let end = buffered.indexOf('\n'); end >= 0; end = buffered.indexOf('\n')) {
      onLine(buffered.slice(0, end));
      buffered = buffered.slice(end + 1);
    }
  });
}

/** The app's modules, from this checkout or the compared one (the same public surface). */
async function appModules(root: string): Promise<{
  native: typeof NativeModule;
  contract: typeof DispatchModule;
  host: typeof HostModule;
  log: typeof LogModule;
}> {
  const load = (file: string): Promise<unknown> => import(path.join(root, file));
  return {
    native: (await load('native/src/index.ts')) as typeof NativeModule,
    contract: (await load('app/contract/dispatch.ts')) as typeof DispatchModule,
    host: (await load('app/runtime/host.ts')) as typeof HostModule,
    log: (await load('app/runtime/rate-limited-log.ts')) as typeof LogModule,
  };
}

/**
 * One configuration in this process (`root`: where the app comes from), in a private directory;
 * its database starts as a copy of `history` when given.
 */
async function app(config: string, count: number, root: string, history: string): Promise<Stats> {
  const dir = mkdtempSync(path.join(tmpdir(), 'zf-decision-bench-'));
  try {
    if (history !== '') {
      mkdirSync(path.join(dir, 'data'), { mode: 0o700 });
      copyFileSync(history, path.join(dir, 'data', DATA_FILE), 0);
    }
    return await appIn(dir, config, count, root);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The stand-in, then the app connected to it; both end before this returns. */
async function appIn(dir: string, config: string, count: number, root: string): Promise<Stats> {
  const [kind, readsName] = config.split('-');
  const reads = readsName === 'pool' ? 'threadpool' : 'event';
  const { native, contract, host: hostModule, log: logModule } = await appModules(root);
  const { openDriver } = native;
  const socketPath = path.join(dir, 'daemon.sock');
  const standIn = spawn(
    'python3',
    ['-c', STAND_IN, socketPath, String(EXT_VERSION), String(FEATURES), APP_PATH, String(count)],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  if (standIn.stdout === null) throw new Error('no stdout pipe to the stand-in');
  let ready: () => void = () => undefined;
  const listening = new Promise<void>((resolve) => (ready = resolve));
  let result = '';
  lines(standIn.stdout, (line) => (line === 'ready' ? ready() : (result = line)));
  const exited = new Promise<number | null>((resolve) => standIn.on('exit', resolve));
  await Promise.race([listening, exited]);
  let stop: () => Promise<void>;
  if (kind === 'echo') {
    const handle = await openDriver({ kind: 'linux', socketPath, reads });
    const loop = (async () => {
      await handle.hello(ALL_FEATURES);
      for await (const info of handle.infos()) {
        if (info.kind === 'connection')
          void handle.send({ kind: 'verdict', id: info.id, verdict: native.VERDICT.accept });
      }
    })().catch(() => undefined); // the stand-in ends the stream when done
    stop = async () => {
      await handle.close();
      await loop;
    };
  } else if (kind === 'headless') {
    // Headless mode as bench:peer's D2 starts it (its own process, the Linux platform, the UI
    // server with no UI connected), reading as the checkout reads by default.
    const rules = path.join(dir, 'rules.json');
    writeFileSync(rules, RULES_TEXT);
    const args = ['--driver-socket', socketPath, '--data-dir', path.join(dir, 'data'), '--import-rules', rules];
    const headless = spawn(NODE, [...process.execArgv, path.join(root, 'app/headless/main.ts'), ...args], {
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    const headlessExited = new Promise<void>((resolve) => headless.on('exit', () => resolve()));
    stop = async () => {
      headless.kill('SIGTERM');
      await headlessExited;
    };
  } else {
    const log = new logModule.RateLimitedLog((line) => console.error(`app: ${line}`));
    const host = hostModule.createHost({
      dataDir: path.join(dir, 'data'),
      connect: () => openDriver({ kind: 'linux', socketPath, reads }),
      push: () => undefined,
      log,
    });
    const text = RULES_TEXT;
    const imported = await contract.dispatch(host.handlers, 'rules:import', { text });
    if (!imported.ok) throw new Error(imported.error.message);
    host.start();
    stop = async () => {
      await host.stop();
    };
  }
  let code: number | null;
  try {
    code = await exited;
  } finally {
    await stop();
  }
  if (code !== 0) throw new Error(`the stand-in daemon exited with ${String(code)}`);
  return JSON.parse(result) as Stats;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

async function runApp(config: string, options: Options, history: string): Promise<Stats> {
  const compared = config.endsWith(COMPARED);
  const root = compared ? options.compare : ROOT;
  if (root === undefined) throw new Error(`${config} needs --compare DIR`);
  const appConfig = compared ? config.slice(0, -COMPARED.length) : config;
  const child = spawn(NODE, [...options.appFlags, SELF, '__app', appConfig, String(options.count), root, history], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  if (child.stdout === null) throw new Error('no stdout pipe to the app');
  let output = '';
  // The result is the JSON line; a Node flag's own output (--trace-gc) goes to stderr.
  lines(child.stdout, (line) => (line.startsWith('{') ? (output = line) : console.error(line)));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  if (code !== 0) throw new Error(`${config}: exited with ${String(code)}`);
  return JSON.parse(output) as Stats;
}

function describe(stats: Stats): string {
  const f = (x: number): string => x.toFixed(1);
  return `p50 ${f(stats.p50)}  p90 ${f(stats.p90)}  p99 ${f(stats.p99)}  max ${stats.max.toFixed(0)}  mean ${f(stats.mean)}  over 400 µs ${String(stats.over400)}`;
}

/** The suffix of a configuration run with the --compare checkout's app. */
const COMPARED = '@compare';

async function rounds(options: Options): Promise<void> {
  if (options.compare !== undefined) options.apps.push(`echo${COMPARED}`, `host${COMPARED}`, `headless${COMPARED}`);
  console.log(
    `decision latency, app side (µs): ${String(options.count)} connections per run, ${String(options.rounds)} interleaved rounds of ${options.apps.join(' ')}`,
  );
  const results = new Map<string, Stats[]>();
  const history = options.historyRows > 0 ? await historyFile(options.historyRows) : null;
  try {
    await eachRound(options, history?.file ?? '', results);
  } finally {
    if (history !== null) rmSync(history.dir, { recursive: true, force: true });
  }
  console.log('medians of the rounds:');
  for (const [config, list] of results) {
    const m = (pick: (s: Stats) => number): number => median(list.map(pick));
    const stats: Stats = {
      p50: m((s) => s.p50),
      p90: m((s) => s.p90),
      p99: m((s) => s.p99),
      max: m((s) => s.max),
      mean: m((s) => s.mean),
      over400: m((s) => s.over400),
    };
    console.log(`  ${config.padEnd(14)} ${describe(stats)}`);
  }
}

async function eachRound(options: Options, history: string, results: Map<string, Stats[]>): Promise<void> {
  for (let round = 1; round <= options.rounds; round += 1) {
    for (const config of options.apps) {
      const stats = await runApp(config, options, history);
      results.set(config, [...(results.get(config) ?? []), stats]);
      console.log(`round ${String(round)} ${config.padEnd(14)} ${describe(stats)}`);
    }
  }
}

/** The database's name in a data directory (app/runtime/host.ts DATA_FILE). */
const DATA_FILE = 'zenithfence.sqlite';

/**
 * A database with `rows` connections over the last 7 days, made once with this checkout's store
 * and copied into each run's data directory: ~60 apps, ~3 000 host names, ~8 000 addresses, a few
 * ports, one in twenty blocked, as a week of a desktop's traffic might be.
 */
async function historyFile(rows: number): Promise<{ dir: string; file: string }> {
  const store = (await import(path.join(ROOT, 'app/store/index.ts'))) as typeof StoreModule;
  const dir = mkdtempSync(path.join(tmpdir(), 'zf-decision-history-'));
  const file = path.join(dir, DATA_FILE);
  const started = performance.now();
  const db = store.openStore(file);
  const now = Date.now();
  const step = (7 * 86_400_000) / rows;
  const ports = [443, 443, 443, 80, 53, 853, 8443, 22];
  for (let from = 0; from < rows; from += 1000) {
    const batch: StoreModule.HistoryEntry[] = [];
    for (let n = from; n < Math.min(rows, from + 1000); n += 1) {
      const startedAt = Math.floor(now - 7 * 86_400_000 + n * step);
      batch.push({
        id: `week-${String(n)}`,
        startedAt,
        endedAt: startedAt + 1000 + (n % 60_000),
        pid: 1000 + (n % 400),
        appPath: `/usr/lib/app-${String(n % 61)}/bin/app`,
        uid: 1000,
        direction: n % 17 === 0 ? 'inbound' : 'outbound',
        protocol: n % 5 === 0 ? 17 : 6,
        localIp: '192.168.1.20',
        localPort: 32_768 + (n % 28_000),
        remoteIp: `10.${String((n * 7) % 31)}.${String((n * 13) % 256)}.${String((n % 8009) % 256)}`,
        remotePort: ports[n % ports.length] ?? 443,
        host: `host-${String((n * 31) % 3001)}.example.net`,
        verdict: n % 20 === 0 ? 'block' : 'allow',
        ruleId: null,
        bytesSent: (n * 977) % 100_000,
        bytesReceived: (n * 7919) % 5_000_000,
      });
    }
    db.history.insertBatch(batch);
  }
  db.close();
  console.log(`history: ${String(rows)} connections in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return { dir, file };
}

const [mode, ...rest] = process.argv.slice(2);
if (mode === '__app') {
  console.log(JSON.stringify(await app(String(rest[0]), Number(rest[1]), String(rest[2]), rest[3] ?? '')));
} else {
  let options: Options | undefined;
  try {
    options = parse(process.argv.slice(2));
  } catch (error) {
    // A bad command line: its reason, not a stack trace.
    console.error(error instanceof Error ? error.message : error);
    process.exit(2);
  }
  if (options === undefined) console.log(USAGE);
  else await rounds(options);
}
