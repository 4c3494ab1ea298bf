import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { forgetCarriedTotals } from '../../native/test-support/carried-totals.ts';
import { policyFileArgs } from './daemon-args.ts';

/**
 * Two network namespaces joined by veth for tests that send real traffic: `a` holds the driver
 * and the clients, `b` the servers. Everything it starts is stopped, and the namespaces are
 * deleted, by `close()` (call it in afterAll, also after a failure).
 */
export class TestNet {
  readonly a: string;
  readonly b: string;
  readonly ipA: string;
  readonly ipB: string;
  readonly dir: string;
  readonly #children: ChildProcess[] = [];
  /** `/etc/netns/<ns>` directories made by resolvConf, removed by close. */
  readonly #netnsEtc: string[] = [];
  /** Namespaces made by addNetwork, deleted by close. */
  readonly #extra: string[] = [];

  constructor(tag: string) {
    const n = (process.pid % 150) + 50;
    this.a = `zfe${tag}${process.pid}a`;
    this.b = `zfe${tag}${process.pid}b`;
    this.ipA = `10.204.${n}.1`;
    this.ipB = `10.204.${n}.2`;
    this.dir = mkdtempSync(path.join(tmpdir(), 'zf-e2e-'));
    ip('netns', 'add', this.a);
    ip('netns', 'add', this.b);
    ip('-n', this.a, 'link', 'add', 'veth0', 'type', 'veth', 'peer', 'name', 'veth1', 'netns', this.b);
    for (const [ns, dev, address] of [
      [this.a, 'veth0', this.ipA],
      [this.b, 'veth1', this.ipB],
    ] as const) {
      ip('-n', ns, 'addr', 'add', `${address}/24`, 'dev', dev);
      ip('-n', ns, 'link', 'set', dev, 'up');
      ip('-n', ns, 'link', 'set', 'lo', 'up');
    }
  }

  /**
   * Another "network" for `a` (profile tests): namespace `<a>n<index>` joined to `a` by its own
   * veth pair, 10.<205+index>.<n>.1 in `a` and .2 on its side, whose MAC is 02:5a:00:00:00:<index>
   * (a gateway the daemon tells apart by its MAC). `useGateway` makes one the default route.
   * Index 0 is `b` itself, given the MAC 02:5a:00:00:00:00.
   */
  addNetwork(index: number): { readonly ns: string; readonly gateway: string; readonly mac: string } {
    const mac = `02:5a:00:00:00:${index.toString(16).padStart(2, '0')}`;
    if (index === 0) {
      ip('-n', this.b, 'link', 'set', 'veth1', 'address', mac);
      return { ns: this.b, gateway: this.ipB, mac };
    }
    const ns = `${this.a}n${String(index)}`;
    const n = (process.pid % 150) + 50;
    const local = `10.${String(205 + index)}.${String(n)}.1`;
    const gateway = `10.${String(205 + index)}.${String(n)}.2`;
    ip('netns', 'add', ns);
    this.#extra.push(ns);
    ip('-n', this.a, 'link', 'add', `vnet${String(index)}`, 'type', 'veth', 'peer', 'name', 'gw0', 'netns', ns);
    ip('-n', ns, 'link', 'set', 'gw0', 'address', mac);
    for (const [where, dev, address] of [
      [this.a, `vnet${String(index)}`, local],
      [ns, 'gw0', gateway],
    ] as const) {
      ip('-n', where, 'addr', 'add', `${address}/24`, 'dev', dev);
      ip('-n', where, 'link', 'set', dev, 'up');
    }
    ip('-n', ns, 'link', 'set', 'lo', 'up');
    return { ns, gateway, mac };
  }

  /** Makes `gateway` the default route of `a` (joining that network, as DHCP would). */
  useGateway(gateway: string): void {
    ip('-n', this.a, 'route', 'replace', 'default', 'via', gateway);
  }

  /** Starts a long-running process (in namespace `ns`, or outside when null). */
  start(ns: string | null, command: string, args: readonly string[]): ChildProcess {
    const [program, all] = ns === null ? [command, args] : ['ip', ['netns', 'exec', ns, command, ...args]];
    const child = spawn(program, all, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.#children.push(child);
    return child;
  }

  /** Runs a command in `ns` to completion: exit code, stdout, and the seconds it took. */
  run(ns: string, command: string, args: readonly string[], timeoutMs = 10_000): Promise<RunResult> {
    const started = performance.now();
    return new Promise((resolve) => {
      const child = spawn('ip', ['netns', 'exec', ns, command, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({ code: code ?? -1, stdout, seconds: (performance.now() - started) / 1000 });
      });
    });
  }

  /** Starts a python HTTP server in `b` on `port` serving `files`. */
  async httpServer(port: number, files: Readonly<Record<string, string | Buffer>>): Promise<void> {
    const www = path.join(this.dir, `www-${port}`);
    execFileSync('mkdir', ['-p', www]);
    for (const [name, body] of Object.entries(files)) writeFileSync(path.join(www, name), body);
    this.start(this.b, '/usr/bin/python3', [
      '-m',
      'http.server',
      String(port),
      '--bind',
      '0.0.0.0',
      '--directory',
      www,
    ]);
    await waitFor(
      async () =>
        (
          await this.run(this.b, 'sh', [
            '-c',
            `cat /proc/net/tcp | grep -qi ':${port.toString(16).padStart(4, '0')} .* 0A '`,
          ])
        ).code === 0,
      10_000,
      `an HTTP server on port ${port}`,
    );
  }

  /**
   * The `/etc/resolv.conf` programs started in `ns` from now on see (`ip netns exec` mounts
   * `/etc/netns/<ns>/resolv.conf` over it). Write it before the daemon starts: it reads its
   * resolvers from there.
   */
  resolvConf(ns: string, text: string): void {
    const dir = path.join('/etc/netns', ns);
    execFileSync('mkdir', ['-p', dir]);
    this.#netnsEtc.push(dir);
    writeFileSync(path.join(dir, 'resolv.conf'), text);
  }

  /**
   * Starts a DNS server in `b` on UDP port 53: A queries for a name of `names` get its address
   * (TTL 60), other queries for such a name an empty NOERROR, any other name NXDOMAIN.
   */
  async dnsServer(names: Readonly<Record<string, string>>): Promise<void> {
    this.start(this.b, '/usr/bin/python3', ['-c', DNS_SERVER, JSON.stringify(names)]);
    await waitFor(
      async () => (await this.run(this.b, 'sh', ['-c', "grep -qi ':0035 ' /proc/net/udp"])).code === 0,
      10_000,
      'the DNS server',
    );
  }

  /** Starts zenithfenced in `a` (its stored policy in this net's directory); resolves once its socket exists. */
  async daemon(binary: string, extra: readonly string[] = []): Promise<string> {
    const socket = path.join(this.dir, 'driver.sock');
    const queue = String(2000 + (process.pid % 1000));
    this.start(this.a, binary, ['--socket', socket, '--queue', queue, ...policyFileArgs(binary, this.dir), ...extra]);
    await waitFor(() => Promise.resolve(existsSync(socket)), 10_000, 'the zenithfenced socket');
    return socket;
  }

  async close(): Promise<void> {
    for (const child of this.#children.reverse()) {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await new Promise((resolve) => {
          const timer = setTimeout(() => {
            child.kill('SIGKILL');
            resolve(undefined);
          }, 5000);
          child.once('exit', () => {
            clearTimeout(timer);
            resolve(undefined);
          });
        });
      }
    }
    for (const ns of [this.a, this.b, ...this.#extra]) {
      forgetCarriedTotals(ns);
      try {
        ip('netns', 'del', ns);
      } catch {
        // Already gone.
      }
    }
    for (const dir of this.#netnsEtc) rmSync(dir, { recursive: true, force: true });
    rmSync(this.dir, { recursive: true, force: true });
  }
}

// The DNS server of dnsServer (Python, argv[1]: a JSON object of lower-case name → IPv4 address).
const DNS_SERVER = `
import json, socket, struct, sys
names = json.loads(sys.argv[1])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(('0.0.0.0', 53))
while True:
    q, peer = s.recvfrom(512)
    end = q.index(b'\\0', 12)
    labels, i = [], 12
    while q[i]:
        labels.append(q[i + 1:i + 1 + q[i]].decode().lower())
        i += 1 + q[i]
    qtype = struct.unpack('>H', q[end + 1:end + 3])[0]
    question = q[12:end + 5]
    name = '.'.join(labels)
    if name not in names:
        flags, answers = 0x8183, b''
    elif qtype == 1:
        address = bytes(int(x) for x in names[name].split('.'))
        flags, answers = 0x8180, b'\\xc0\\x0c' + struct.pack('>HHIH', 1, 1, 60, 4) + address
    else:
        flags, answers = 0x8180, b''
    count = 1 if answers else 0
    s.sendto(q[:2] + struct.pack('>HHHHH', flags, 1, count, 0, 0) + question + answers, peer)
`;

export interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly seconds: number;
}

function ip(...args: string[]): void {
  execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

/** Polls `check` every 20 ms until it holds or `timeoutMs` passes (then throws naming `what`). */
export async function waitFor(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Fails the test with one sentence without root, unless root tests are skipped knowingly. */
export function needsRoot(): 'run' | 'skip' {
  if (process.getuid?.() === 0) return 'run';
  if (process.env['ZF_SKIP_ROOT_TESTS'] === '1') {
    console.log('SKIPPED: ZF_SKIP_ROOT_TESTS=1 and not root (network namespaces need root)');
    return 'skip';
  }
  throw new Error('these tests create network namespaces and need root: run as root, or set ZF_SKIP_ROOT_TESTS=1');
}

/**
 * Stops one child with SIGTERM and resolves its exit code once it has exited (null when it died
 * of a signal); SIGKILL after `timeoutMs`. A child that already exited resolves at once.
 */
export function stopChild(child: ChildProcess, timeoutMs = 5000): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
    child.kill('SIGTERM');
  });
}
