import { type ChildProcessWithoutNullStreams, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openClient, type RawClient, rawClient, request } from './test-support/raw-clients.ts';

/** The child's descriptor limit: Node takes about 25 at start; 300 sockets would not fit. */
const NOFILE = 96;
const hasPrlimit = spawnSync('prlimit', ['--version']).status === 0;

/** A headless server in a child process under NOFILE descriptors, holding a link socket. */
interface Child {
  readonly port: number;
  /** Asks it to connect to the link socket anew (as a driver reconnect does); its answer line. */
  probe(): Promise<string>;
  stderr(): string;
  exitCode(): number | null;
  stop(): Promise<void>;
}

// The whole process under a descriptor limit lower than the sockets a local user opens: the
// server must keep room for the driver link's reconnect and for the UI.
describe.skipIf(!hasPrlimit)('headless server under a low descriptor limit', () => {
  let dir = '';
  let linkPath = '';
  let link: net.Server;
  const children: Child[] = [];
  const idle: RawClient[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'zf-fd-limit-'));
    writeFileSync(path.join(dir, 'index.html'), '<title>ZenithFence</title>');
    linkPath = path.join(dir, 'link.sock');
    link = net.createServer((socket) => socket.on('error', () => undefined));
    await new Promise<void>((resolve) => link.listen(linkPath, resolve));
  });
  afterEach(async () => {
    for (const client of idle.splice(0)) client.socket.destroy();
    for (const child of children.splice(0)) await child.stop();
  });
  afterAll(async () => {
    await new Promise((resolve) => link.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  async function startChild(maxConnections: number): Promise<Child> {
    const limits = JSON.stringify({ maxConnections, maxClients: 4 });
    const script = path.join(import.meta.dirname, 'test-support', 'limited-server-child.ts');
    const proc: ChildProcessWithoutNullStreams = spawn('prlimit', [
      `--nofile=${String(NOFILE)}`,
      process.execPath,
      script,
      dir,
      limits,
      linkPath,
    ]);
    let stdout = '';
    let stderr = '';
    proc.stderr.on('data', (data: Buffer) => (stderr += data.toString()));
    proc.stdout.on('data', (data: Buffer) => (stdout += data.toString()));
    const port = await new Promise<number>((resolve, reject) => {
      proc.stdout.on('data', () => {
        const match = /port (\d+)/.exec(stdout);
        if (match?.[1] !== undefined) resolve(Number(match[1]));
      });
      proc.once('exit', (code) => reject(new Error(`the server child exited (${String(code)}): ${stderr}`)));
    });
    const child: Child = {
      port,
      probe: () => {
        const before = stdout.length;
        proc.stdin.write('probe\n');
        return new Promise((resolve) => {
          const onData = (): void => {
            const line = /probe [^\n]*/.exec(stdout.slice(before))?.[0];
            if (line === undefined) return;
            proc.stdout.off('data', onData);
            resolve(line);
          };
          proc.stdout.on('data', onData);
        });
      },
      stderr: () => stderr,
      exitCode: () => proc.exitCode,
      stop: async () => {
        if (proc.exitCode !== null) return;
        const exited = new Promise((resolve) => proc.once('exit', resolve));
        proc.stdin.end();
        await exited;
      },
    };
    children.push(child);
    return child;
  }

  async function expectUiServed(child: Child): Promise<void> {
    const ws = await openClient(child.port);
    expect(await request(ws, { id: 1, channel: 'status:get' })).toMatchObject({ id: 1, result: { ok: true } });
    ws.close();
    expect(child.exitCode(), child.stderr()).toBeNull();
  }

  it('holds at most its budget of idle sockets and keeps room for the driver link and the UI', async () => {
    const cap = 16;
    const held = 300;
    const child = await startChild(cap);
    expect(await child.probe()).toBe('probe ok link up');
    for (let i = 0; i < held; i += 1) idle.push(await rawClient(child.port));
    // Once the child has accepted them all, it has closed every one but the newest `cap`.
    await Promise.all(idle.slice(0, held - cap).map((client) => client.closed));

    expect(await child.probe()).toBe('probe ok link up');
    await expectUiServed(child);
    expect(child.stderr()).not.toMatch(/EMFILE/);
  });

  // A budget larger than the descriptors (a misconfiguration, or descriptors taken elsewhere):
  // accept fails with EMFILE. libuv then accepts and closes the waiting connections on a
  // descriptor it keeps in reserve, and Node is not told. The process must not end, and its
  // event loop must still turn (the probes are answered: accept is not spinning); once the
  // peers let go, it serves again.
  it('survives running out of descriptors, keeps turning and serves again when they free up', async () => {
    const child = await startChild(1000);
    for (let i = 0; i < 150; i += 1) idle.push(await rawClient(child.port));
    let answer = await child.probe();
    while (answer !== 'probe EMFILE link up') {
      await new Promise((resolve) => setTimeout(resolve, 20));
      answer = await child.probe();
    }
    // The refused peers were closed, not left waiting in the backlog.
    await Promise.race(idle.map((client) => client.closed));

    for (const client of idle.splice(0)) client.socket.destroy();
    answer = await child.probe();
    while (answer !== 'probe ok link up') {
      await new Promise((resolve) => setTimeout(resolve, 20));
      answer = await child.probe();
    }
    await expectUiServed(child);
  });
});
