// Memory soak of what headless mode runs: the real Runtime (engine, history writer, hit deltas)
// with the real SQLite store in a temporary data directory (removed at the end), driven through
// a million connections on a simulated clock. Prints RSS and JS heap as it goes, after a full
// garbage collection, so a structure that grows without bound shows as a rising curve; a bounded
// one levels off after warm-up. Prints numbers and asserts nothing.
//
// First it imports a rule file (20 000 rules by default) through the 'rules:import' handler
// while a connection is held, and prints how long that took.
//
// Run: npm run bench:soak                    (1 000 000 connections, a line every 100 000)
//      npm run bench:soak -- --quick         (200 000 connections, a line every 20 000)
//      npm run bench:soak -- --connections N --import-rules N --rate N (connections/s simulated)
//      npm run bench:soak -- --ask           (no allow rule: every connection prompts)
// The npm script runs Node with --expose-gc; without it the numbers include garbage.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { dispatch } from '../../contract/dispatch.ts';
import type { BandwidthSample, ConnectionRequest, DriverEvent, FlowTuple } from '../../contract/driver-events.ts';
import type { RuleInput } from '../../contract/rules.ts';
import { openStore } from '../../store/index.ts';
import { createHandlers } from '../handlers.ts';
import { Runtime } from '../runtime.ts';

interface Options {
  /** No allow rule: every connection is held and prompted for (the prompt queue's worst case). */
  readonly ask: boolean;
  readonly connections: number;
  readonly importRules: number;
  readonly rate: number;
}

function parseOptions(args: readonly string[]): Options {
  const quick = args.includes('--quick');
  const value = (flag: string, fallback: number): number => {
    const at = args.indexOf(flag);
    if (at < 0) return fallback;
    const n = Number(args[at + 1]);
    if (!Number.isSafeInteger(n) || n < 0) throw new Error(`${flag} wants a whole number`);
    return n;
  };
  return {
    ask: args.includes('--ask'),
    connections: value('--connections', quick ? 200_000 : 1_000_000),
    importRules: value('--import-rules', 20_000),
    rate: Math.max(1, value('--rate', 1000)),
  };
}

const APPS = 50;
/** A new pid every this many connections: many distinct pids over time. */
const CONNECTIONS_PER_PID = 40;
/** A process lives while its pid is among the latest this many. */
const LIVE_PIDS = 200;
/** Connections end this many simulated seconds after they start; one in ten never ends. */
const LIFETIME_S = 3;
const START_MS = 1_700_000_000_000;

const gc = (globalThis as { gc?: () => void }).gc;

function memoryLine(label: string, elapsedMs: number, done: number, extra = ''): string {
  gc?.();
  gc?.();
  const m = process.memoryUsage();
  const mb = (n: number) => (n / 1_048_576).toFixed(1).padStart(7);
  const rate = Math.round(done / Math.max(elapsedMs / 1000, 0.001));
  return `${label.padStart(10)}  rss ${mb(m.rss)} MB  heap used ${mb(m.heapUsed)} MB  heap total ${mb(m.heapTotal)} MB  external ${mb(m.external)} MB  (${rate.toLocaleString('en-US')} conn/s)${extra}`;
}

/** The remote address of the n-th destination: 198.18.0.0/15, counting up (benchmark range). */
function remoteIpOf(n: number): string {
  const k = n % 131_072;
  return `198.${18 + (k >> 16)}.${(k >> 8) & 255}.${k & 255}`;
}

function appOf(pid: number): string {
  return `/usr/lib/app-${pid % APPS}/bin/app-${pid % APPS}`;
}

function connection(id: number, pid: number, flow: FlowTuple): ConnectionRequest {
  return {
    kind: 'connection',
    requestId: BigInt(id),
    direction: 'outbound',
    ipVersion: 4,
    flow,
    pid,
    // The driver sends process details with a pid's first connection; later ones may omit them.
    process:
      id % CONNECTIONS_PER_PID === 0
        ? { pid, startTime: BigInt(pid), uid: 1000 + (pid % 7), path: appOf(pid), commandLine: [appOf(pid)] }
        : null,
  };
}

/**
 * The network of the n-th imported any-app rule: prefix 24–32, no host bits set, each one
 * different (100.0.0.0/8 holds 20 000 × 256 addresses), so that no imported rule is identical
 * to another and an import of N rules adds N (identical ones would be skipped).
 */
function importedNetwork(n: number): string {
  const prefix = 24 + (n % 9);
  const address = 100 * 2 ** 24 + n * 2 ** (32 - prefix);
  const octets = [24, 16, 8, 0].map((shift) => Math.floor(address / 2 ** shift) % 256);
  return `${octets.join('.')}/${String(prefix)}`;
}

/** A rule file of `count` different rules that decide none of the soak's connections. */
function ruleFileText(count: number): string {
  const rules: RuleInput[] = [];
  for (let i = 0; i < count; i++) {
    const app =
      i % 5 === 0 ? { kind: 'any' as const } : { kind: 'path' as const, path: `/opt/imported-${i % 500}/bin/x` };
    const kind = i % 4;
    const destination: RuleInput['destination'] =
      app.kind === 'any'
        ? { kind: 'cidr', cidr: importedNetwork(i / 5) }
        : kind === 0
          ? { kind: 'host', name: `h${i}.imported.example` }
          : kind === 1
            ? { kind: 'domain', pattern: `*.d${i}.imported.example` }
            : kind === 2
              ? { kind: 'ip', address: `203.0.${(i >> 8) & 255}.${i & 255}` }
              : { kind: 'cidr', cidr: `10.${(i >> 8) & 255}.${i & 255}.0/24` };
    rules.push({
      app,
      destination,
      port: { kind: 'any' },
      protocol: 'any',
      direction: 'outbound',
      action: i % 2 === 0 ? 'block' : 'allow',
      duration: { kind: 'forever' },
      enabled: true,
      notes: '',
    });
  }
  return JSON.stringify({ format: 'zenithfence-rules', version: 1, rules });
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  if (gc === undefined) console.log('(no --expose-gc: memory figures include uncollected garbage)');
  const dir = mkdtempSync(path.join(tmpdir(), 'zf-soak-'));
  const cleanUp = () => rmSync(dir, { recursive: true, force: true });
  process.once('SIGINT', () => {
    cleanUp();
    process.exit(130);
  });
  try {
    await soak(dir, options);
  } finally {
    cleanUp();
  }
}

async function soak(dir: string, options: Options): Promise<void> {
  const store = openStore(path.join(dir, 'zenithfence.sqlite'));
  let now = START_MS;
  let pid = 10_000;
  let verdicts = 0;
  let pushes = 0;
  let errors = 0;
  let tickErrors = 0;
  const onError = (error: unknown) => {
    if (errors++ < 3) console.log(`engine error: ${error instanceof Error ? error.message : String(error)}`);
  };
  const runtime = new Runtime(
    {
      store,
      driver: { verdict: () => void verdicts++, requestBandwidth: () => undefined },
      system: {
        processAlive: (p) => p > pid - LIVE_PIDS && p <= pid,
        reverseLookup: (ip) => Promise.resolve(ip.endsWith('7') ? [`ptr-${ip}.example`] : []),
      },
      push: () => void pushes++,
      onError,
    },
    now,
  );
  const handlers = createHandlers(runtime, () => now);

  // A connection no rule decides is held (ask mode), then the rule file is imported.
  const held = connection(1, 1, {
    protocol: 6,
    localIp: '192.168.1.2',
    localPort: 1,
    remoteIp: '192.0.2.1',
    remotePort: 443,
  });
  runtime.handleEvent({ ...held, process: { pid: 1, startTime: 1n, uid: 0, path: '/opt/held', commandLine: [] } }, now);
  if (options.importRules > 0) {
    const text = ruleFileText(options.importRules);
    const started = performance.now();
    const result = await dispatch(handlers, 'rules:import', { text });
    const ms = performance.now() - started;
    console.log(
      `rules:import of ${options.importRules.toLocaleString('en-US')} rules with 1 held connection: ${(ms / 1000).toFixed(2)} s (${result.ok ? `ok: ${JSON.stringify(result.value)}` : `failed: ${result.error.message}`})`,
    );
  }
  // No connections, no need of the allow rule (an import of MAX_RULES leaves no room for it).
  if (!options.ask && options.connections > 0) {
    const allow = await dispatch(handlers, 'rules:create', {
      app: { kind: 'any' },
      destination: { kind: 'any' },
      direction: 'any',
      action: 'allow',
    });
    if (!allow.ok) throw new Error(`could not create the allow rule: ${allow.error.message}`);
  }

  console.log(
    `soak: ${options.connections.toLocaleString('en-US')} connections at ${options.rate}/s simulated, ` +
      `${options.ask ? 'no rule (every one prompts)' : 'decided by an allow rule'}, ${APPS} apps, ` +
      `a new pid every ${CONNECTIONS_PER_PID}, ends after ${LIFETIME_S} s (1 in 10 never), bandwidth and DNS`,
  );
  const reportEvery = Math.max(1, Math.round(options.connections / 10));
  const started = performance.now();
  console.log(memoryLine('0', 0, 0));
  // Flows of the last LIFETIME_S seconds, to end them and report their bytes (bounded ring).
  const recent: FlowTuple[] = [];
  let samples: BandwidthSample[] = [];
  const send = (event: DriverEvent) => runtime.handleEvent(event, now);
  for (let i = 1; i <= options.connections; i++) {
    if (i % CONNECTIONS_PER_PID === 0) pid++;
    const destination = Math.floor(i / 3);
    const remoteIp = remoteIpOf(destination);
    // Nine destinations in ten were looked up in DNS first (a name per destination).
    if (i % 3 === 0 && destination % 10 !== 0) {
      send({
        kind: 'dns',
        name: `host${destination}.example${destination % 100}.com`,
        address: remoteIp,
        ttlSeconds: 60,
      });
    }
    const flow: FlowTuple = {
      protocol: 6,
      localIp: '192.168.1.2',
      localPort: 1024 + (i % 64_000),
      remoteIp,
      remotePort: i % 5 === 0 ? 80 : 443,
    };
    send(connection(i + 1, pid, flow));
    recent.push(flow);
    samples.push({ flow, transmitted: 1200n, received: 48_000n });
    if (recent.length > options.rate * LIFETIME_S) {
      const ended = recent.shift() as FlowTuple;
      if (i % 10 !== 0) send({ kind: 'connection-ended', direction: 'outbound', flow: ended, pid });
    }
    if (i % Math.max(1, Math.round(options.rate / 10)) === 0) {
      now += 100;
      runtime.flush(now);
      if (now % 1000 === 0) {
        // Once a simulated second: the driver's byte counts, then the tick; let lookups resolve.
        send({ kind: 'bandwidth', samples });
        samples = [];
        try {
          runtime.tick(now);
        } catch (error) {
          // Headless mode would die here (the tick runs in a timer); the soak counts and goes on.
          if (tickErrors++ < 3) console.log(`tick error: ${error instanceof Error ? error.message : String(error)}`);
        }
        await new Promise((resolve) => setImmediate(resolve));
      }
    }
    if (i % reportEvery === 0) {
      const prompts = options.ask ? `, ${runtime.status(now).pendingPrompts} prompts` : '';
      console.log(memoryLine(i.toLocaleString('en-US'), performance.now() - started, i, prompts));
    }
  }
  runtime.shutdown(now);
  store.close();
  console.log(
    `verdicts: ${verdicts.toLocaleString('en-US')}, pushes: ${pushes.toLocaleString('en-US')}, engine errors: ${errors}, failed ticks: ${tickErrors}`,
  );
}

await main();
