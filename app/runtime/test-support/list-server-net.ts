// A network namespace with the blocklist server (list-server.ts) in it, reachable from the test
// process over a veth pair: the host end gets 10.206.N.1/30, the namespace end 10.206.N.2. No
// outside network is involved; close() stops the server and deletes the namespace (which takes
// the veth pair with it).
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { readFileSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { testTempDir } from '../../test-support/temp-dirs.ts';

const SERVER = fileURLToPath(new URL('./list-server.ts', import.meta.url));
export const HTTP_PORT = 8080;
export const HTTPS_PORT = 8443;

export interface ServedRequest {
  readonly path: string;
  readonly ifNoneMatch: string | null;
  readonly ifModifiedSince: string | null;
}

function ip(...args: string[]): void {
  execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'], timeout: 15_000 });
}

export class ListServerNet {
  readonly ns: string;
  readonly hostDevice: string;
  readonly ip: string;
  readonly dir: string;
  /** The PEM of the server's self-signed certificate (trusted by the tests through `ca`). */
  readonly ca: string;
  readonly requests: ServedRequest[] = [];
  /** The paths of answers whose connection ended (the client let go, or the answer was whole). */
  readonly closed: string[] = [];
  #server: ChildProcess | null = null;

  private constructor() {
    const n = (process.pid % 250) + 1;
    this.ns = `zfbl${String(process.pid)}`;
    this.hostDevice = `zfbl${String(process.pid)}`;
    this.ip = `10.206.${String(n)}.2`;
    this.dir = testTempDir('zf-list-server-');
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=zenithfence list server',
        '-addext',
        `subjectAltName=IP:${this.ip}`,
        '-keyout',
        path.join(this.dir, 'key.pem'),
        '-out',
        path.join(this.dir, 'cert.pem'),
      ],
      { stdio: 'ignore', timeout: 15_000 },
    );
    this.ca = readFileSync(path.join(this.dir, 'cert.pem'), 'utf8');
  }

  get http(): string {
    return `http://${this.ip}:${String(HTTP_PORT)}`;
  }

  get https(): string {
    return `https://${this.ip}:${String(HTTPS_PORT)}`;
  }

  /** Creates the namespace and the link, starts the server and waits until it listens. */
  static async start(): Promise<ListServerNet> {
    const net = new ListServerNet();
    const hostIp = net.ip.replace(/\.2$/, '.1');
    try {
      ip('netns', 'add', net.ns);
      ip('link', 'add', net.hostDevice, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', net.ns);
      ip('addr', 'add', `${hostIp}/30`, 'dev', net.hostDevice);
      ip('link', 'set', net.hostDevice, 'up');
      ip('-n', net.ns, 'addr', 'add', `${net.ip}/30`, 'dev', 'eth0');
      ip('-n', net.ns, 'link', 'set', 'eth0', 'up');
      ip('-n', net.ns, 'link', 'set', 'lo', 'up');
      await net.#startServer();
    } catch (error) {
      net.close();
      throw error;
    }
    return net;
  }

  /** Writes list `name` in the served directory, with `mtime` (seconds) when given. */
  writeList(name: string, text: string | Buffer, mtimeSeconds?: number): void {
    const file = path.join(this.dir, name);
    writeFileSync(file, text);
    if (mtimeSeconds !== undefined) utimesSync(file, mtimeSeconds, mtimeSeconds);
  }

  /** Requests the server saw for `pathname`. */
  seen(pathname: string): ServedRequest[] {
    return this.requests.filter((r) => r.path === pathname);
  }

  /** Kills the server (the namespace stays): as a list host that went away. */
  stopServer(): void {
    this.#server?.kill('SIGKILL');
    this.#server = null;
  }

  close(): void {
    this.stopServer();
    // Deleting the namespace deletes the veth pair; the host end is removed on its own if not.
    for (const args of [
      ['netns', 'del', this.ns],
      ['link', 'del', this.hostDevice],
    ]) {
      try {
        ip(...args);
      } catch {
        // already gone
      }
    }
  }

  #startServer(): Promise<void> {
    const args = [
      'netns',
      'exec',
      this.ns,
      process.execPath,
      SERVER,
      this.ip,
      String(HTTP_PORT),
      this.dir,
      String(HTTPS_PORT),
      path.join(this.dir, 'cert.pem'),
      path.join(this.dir, 'key.pem'),
    ];
    const server = spawn('ip', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.#server = server;
    let stderr = '';
    server.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    return new Promise((resolve, reject) => {
      let listening = 0;
      let pending = '';
      const timer = setTimeout(() => reject(new Error(`the list server did not start: ${stderr}`)), 15_000);
      server.on('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`the list server exited (${String(code)}): ${stderr}`));
      });
      server.stdout.on('data', (chunk: Buffer) => {
        pending += chunk.toString();
        let end = pending.indexOf('\n');
        while (end >= 0) {
          const line = JSON.parse(pending.slice(0, end)) as ServedRequest | { listening: string } | { closed: string };
          pending = pending.slice(end + 1);
          end = pending.indexOf('\n');
          if ('listening' in line) {
            listening += 1;
            if (listening === 2) {
              clearTimeout(timer);
              resolve();
            }
          } else if ('closed' in line) this.closed.push(line.closed);
          else this.requests.push(line);
        }
      });
    });
  }
}
