// Two network namespaces `a` (the daemon's host) and `b` (the peer) joined by veth, as the Rust
// harness builds them (driver/linux/tests/support/net.rs), plus the daemon and an HTTP server.
// cleanup() kills every process started here and deletes the namespaces, also after a failure.
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { forgetCarriedTotals } from './carried-totals.ts';
import { attempt, Background, must } from './processes.ts';
import { waitFor } from './wait-for.ts';

/** The daemon binary `npm install` builds. */
export const DAEMON_BINARY = fileURLToPath(new URL('../../driver/target/release/zenithfenced', import.meta.url));

/** The test network. */
export class TestNet {
  readonly a: string;
  readonly b: string;
  readonly ipA: string;
  readonly ipB: string;
  readonly tag: string;
  readonly #processes: Background[] = [];
  readonly #files: string[] = [];
  #namespaces: string[] = [];

  private constructor(tag: string, subnet: number) {
    this.tag = tag;
    this.a = `${tag}a`;
    this.b = `${tag}b`;
    this.ipA = `10.202.${subnet}.1`;
    this.ipB = `10.202.${subnet}.2`;
  }

  /** Creates the namespaces and the veth pair with 10.202.N.1 (a) and 10.202.N.2 (b). */
  static create(): TestNet {
    // The pid keeps concurrent runs (and the Rust tests, on 10.201.x) apart.
    const net = new TestNet(`zfn${process.pid}`, (process.pid % 250) + 1);
    try {
      for (const ns of [net.a, net.b]) {
        must('ip', ['netns', 'add', ns]);
        net.#namespaces.push(ns);
      }
      must('ip', ['-n', net.a, 'link', 'add', 'veth0', 'type', 'veth', 'peer', 'name', 'veth1', 'netns', net.b]);
      for (const [ns, ip, dev] of [
        [net.a, net.ipA, 'veth0'],
        [net.b, net.ipB, 'veth1'],
      ] as const) {
        must('ip', ['-n', ns, 'addr', 'add', `${ip}/24`, 'dev', dev]);
        must('ip', ['-n', ns, 'link', 'set', dev, 'up']);
        must('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
      }
    } catch (error) {
      net.#deleteNamespaces();
      throw error;
    }
    return net;
  }

  /** Starts a tracked process in namespace `ns`. */
  spawn(ns: string, label: string, program: string, args: readonly string[]): Background {
    const child = new Background(label, 'ip', ['netns', 'exec', ns, program, ...args]);
    this.#processes.push(child);
    return child;
  }

  /** Starts `python3 -m http.server 8080` in `b` serving `body` as index.html; waits for it. */
  async httpServer(body: string): Promise<void> {
    const dir = `/tmp/${this.tag}-www`;
    mkdirSync(dir, { recursive: true });
    writeFileSync(`${dir}/index.html`, body);
    this.#files.push(dir);
    const server = this.spawn(this.b, 'http.server', '/usr/bin/python3', [
      '-m',
      'http.server',
      '8080',
      '--bind',
      this.ipB,
      '--directory',
      dir,
    ]);
    await waitFor(() => {
      if (!server.running) throw new Error(`the HTTP server exited: ${server.output}`);
      return this.#listening(this.b, 8080);
    }, 'the HTTP server in b');
  }

  /** Starts zenithfenced in `a` on a fresh socket and waits for the socket; returns its path. */
  async startDaemon(queue: number, extra: readonly string[] = []): Promise<{ socketPath: string; daemon: Background }> {
    if (!existsSync(DAEMON_BINARY)) {
      throw new Error(`${DAEMON_BINARY} is missing: build it with npm run build (or npm install).`);
    }
    // In /tmp itself, not the run's private TMPDIR (mode 700): a test opens it as another user
    // (nobody), who must reach it to be refused by its permissions. Removed by close().
    const socketPath = `/tmp/${this.tag}.sock`;
    // A policy file of its own: the default one (/var/lib/zenithfence/policy) belongs to the
    // machine, and a test must neither load nor overwrite it.
    const policyPath = `/tmp/${this.tag}.policy`;
    rmSync(socketPath, { force: true });
    rmSync(policyPath, { force: true });
    this.#files.push(socketPath, policyPath, `${policyPath}.tmp`);
    const daemon = this.spawn(this.a, 'zenithfenced', DAEMON_BINARY, [
      '--socket',
      socketPath,
      '--queue',
      String(queue),
      '--policy-file',
      policyPath,
      ...extra,
    ]);
    await waitFor(
      () => {
        if (!daemon.running) throw new Error(`zenithfenced exited at start: ${daemon.output}`);
        return existsSync(socketPath);
      },
      'zenithfenced to create its socket',
      10_000,
    );
    return { socketPath, daemon };
  }

  /** Stops every process (SIGTERM, then SIGKILL), deletes the namespaces and the files. */
  async cleanup(): Promise<void> {
    await Promise.all(this.#processes.map((child) => child.stop('SIGTERM', 3000)));
    this.#deleteNamespaces();
    for (const file of this.#files) rmSync(file, { recursive: true, force: true });
  }

  #listening(ns: string, port: number): boolean {
    const table = must('ip', ['netns', 'exec', ns, 'cat', '/proc/net/tcp']);
    const needle = `:${port.toString(16).toUpperCase().padStart(4, '0')} `;
    return table.split('\n').some((line) => line.includes(needle) && line.includes(' 0A '));
  }

  #deleteNamespaces(): void {
    for (const ns of this.#namespaces) {
      forgetCarriedTotals(ns);
      attempt('ip', ['netns', 'del', ns]);
    }
    this.#namespaces = [];
  }
}
