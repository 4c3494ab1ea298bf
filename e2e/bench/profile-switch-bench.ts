// Profile switch benchmark (issue 16, "Done when"): prints numbers, asserts nothing. Needs root
// (network namespaces). Run: node_modules/.bin/node e2e/bench/profile-switch-bench.ts [--quick]
//   [--rules N] (rules in each of Home and Public; default 1 000)
//
// The real stack: zenithfenced in namespace a, headless mode (the engine), two "networks" (gateway
// b with one MAC, gateway c with another) given Home and Public. Each switch replaces a's default
// route through one `ip -batch` process already running (so no process start is timed), then
// waits for headless mode's status push that says the new profile is active, and then for the
// one that says the driver enforces the new policy (its PolicyState: the document the app sent
// after the switch, checked and swapped in). Times are from the route change, in ms:
// - profile: the engine has the new profile (the daemon saw the route on netlink, reported
//   NetworkFacts, the app switched; includes the WebSocket push);
// - enforced: the daemon enforces that profile's policy (includes compiling, encoding and sending
//   the document of 2 × N rules' worth of one profile, and the PolicyState back).
// Interleaved both ways (Home → Public, Public → Home); p50, p95 and max. The daemon resolves a
// gateway's MAC anew each time the route comes back to it, so every switch passes through
// "identifying" (the strictest profile, Public here) until the ARP answer: a switch to Public
// is measured at that first step, which is when the new network's connections are Public's.
import { type ChildProcess, spawn } from 'node:child_process';
import type { StatusView } from '../../app/contract/views.ts';
import { benchArgs, cleanUpOnAbort } from '../support/bench-cli.ts';
import { DAEMON, Headless } from '../support/headless-client.ts';
import { TestNet, waitFor } from '../support/test-net.ts';

const ARGS = benchArgs({
  usage: 'usage: node_modules/.bin/node e2e/bench/profile-switch-bench.ts [--quick] [--rules N]  (root)',
  flags: ['--quick'],
  valued: ['--rules'],
});
const QUICK = ARGS.has('--quick');
const SWITCHES = QUICK ? 20 : 100;
const RULES = Number(ARGS.value('--rules') ?? '1000');
if (!Number.isSafeInteger(RULES) || RULES < 1) {
  console.error('--rules takes a whole number above 0');
  process.exit(2);
}

/** Nearest rank. */
function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)] ?? Number.NaN;
}

function line(label: string, values: readonly number[]): string {
  const f = (n: number): string => n.toFixed(1).padStart(7);
  return `${label.padEnd(28)} p50 ${f(quantile(values, 0.5))}  p95 ${f(quantile(values, 0.95))}  max ${f(Math.max(...values))}  (n=${String(values.length)})`;
}

/**
 * Checks every millisecond (waitFor's 20 ms would be the resolution of the numbers); a push is
 * handled by this process's event loop between checks, so a check sees it at most 1 ms late.
 */
async function pollEveryMs(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    if (check()) return;
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Rules for `profile`: N address rules of one app, enough to make the policy document real. */
function rules(profile: string, action: 'allow' | 'block'): object[] {
  return Array.from({ length: RULES }, (_, i) => ({
    app: { kind: 'path', path: `/usr/bin/zf-bench-${profile}` },
    destination: { kind: 'ip', address: `198.51.${String(Math.floor(i / 250))}.${String(i % 250)}` },
    action,
    profile,
  }));
}

async function main(): Promise<void> {
  const net = new TestNet('ps');
  let batch: ChildProcess | null = null;
  let app: Headless | null = null;
  // Runs once, at the end or at an abort (bench-cli.ts).
  const cleanUp = cleanUpOnAbort(async () => {
    batch?.stdin?.end();
    app?.close();
    await net.close();
  });
  try {
    const home = net.addNetwork(0);
    const cafe = net.addNetwork(1);
    net.useGateway(home.gateway);
    const socket = await net.daemon(DAEMON);
    app = await Headless.start(net, ['--driver-socket', socket, '--data-dir', `${net.dir}/data`]);
    const client = app;
    await waitFor(async () => (await client.call('status:get')).driver === 'connected', 10_000, 'the driver');
    // Both networks known and given their profiles, then the rules.
    await waitFor(async () => (await client.call('status:get')).profile.question !== null, 10_000, 'network 1');
    const first = (await client.call('status:get')).profile.question;
    if (first === null) throw new Error('no question for network 1');
    await client.call('networks:assign', { key: first.key, profileId: 'home' });
    batch = spawn('ip', ['-n', net.a, '-batch', '-'], { stdio: ['pipe', 'ignore', 'inherit'] });
    const route = (gateway: string): void => void batch?.stdin?.write(`route replace default via ${gateway}\n`);
    route(cafe.gateway);
    await waitFor(
      async () => {
        const question = (await client.call('status:get')).profile.question;
        return question !== null && question.key !== first.key;
      },
      10_000,
      'network 2',
    );
    const second = (await client.call('status:get')).profile.question;
    if (second === null) throw new Error('no question for network 2');
    await client.call('networks:assign', { key: second.key, profileId: 'public' });
    const file = {
      format: 'zenithfence-rules',
      version: 1,
      rules: [...rules('home', 'allow'), ...rules('public', 'block')],
    };
    await client.call('rules:import', { text: JSON.stringify(file) });
    await waitFor(async () => (await client.call('status:get')).policy.state === 'enforced', 20_000, 'the policy');

    const toProfile: number[] = [];
    const toEnforced: number[] = [];
    let target: 'home' | 'public' = 'home';
    for (let i = 0; i < SWITCHES; i++) {
      const before = client.pushes('status:changed').length;
      const started = performance.now();
      route(target === 'home' ? home.gateway : cafe.gateway);
      let profileAt: number | null = null;
      let generation: string | null = null;
      await pollEveryMs(
        () => {
          const pushes = client.pushes('status:changed').slice(before) as StatusView[];
          for (const status of pushes) {
            if (profileAt === null && status.profile.active.id === target) {
              profileAt = performance.now();
              generation = status.policy.enforcedGeneration;
            }
            if (
              profileAt !== null &&
              status.profile.active.id === target &&
              status.policy.state === 'enforced' &&
              status.policy.enforcedGeneration !== generation
            ) {
              toProfile.push(profileAt - started);
              toEnforced.push(performance.now() - started);
              return true;
            }
          }
          return false;
        },
        10_000,
        `switch ${String(i)} to ${target}`,
      );
      target = target === 'home' ? 'public' : 'home';
      // Let the daemon's 1 s wait for a MAC never matter: both gateways stay in its table.
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    console.log(`profile switch on a network change: ${String(SWITCHES)} switches, ${String(RULES)} rules per profile`);
    console.log(line('route → profile in engine', toProfile));
    console.log(line('route → policy enforced', toEnforced));
  } finally {
    await cleanUp();
  }
}

await main();
