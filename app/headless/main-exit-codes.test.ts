import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { lockDataDir } from '../runtime/instance-lock.ts';
import { testTempDir } from '../test-support/temp-dirs.ts';
import { EXIT } from './exit-codes.ts';

// Headless mode's exit codes, from the real program (exit-codes.ts says what each means).
const REPO = path.resolve(import.meta.dirname, '..', '..');
const NODE = path.join(REPO, 'node_modules', '.bin', 'node');
const MAIN = path.join(REPO, 'app', 'headless', 'main.ts');

interface Ended {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs headless mode with `args` (after `prefix`) to its end. */
function run(args: readonly string[], prefix: readonly string[] = []): Promise<Ended> {
  const [program = NODE, ...rest] = [...prefix, NODE, MAIN, ...args];
  const child = spawn(program, rest, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  // Whatever it does, the test ends it (a hang is then seen as code null).
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  return new Promise((resolve) =>
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    }),
  );
}

describe('headless mode: --version, --help and exit codes', () => {
  it('--version prints the version of package.json and exits 0', async () => {
    const { version } = JSON.parse(readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { version: string };
    expect(await run(['--version'])).toMatchObject({ code: EXIT.ok, stdout: `zenithfence ${version}\n` });
  });

  it('--help prints the usage with the exit codes and exits 0', async () => {
    const help = await run(['--help']);
    expect(help.code).toBe(EXIT.ok);
    expect(help.stdout).toMatch(/^Usage: npm run headless/);
    expect(help.stdout).toContain('Exit codes: 0');
  });

  it('a wrong command line exits 2 with one sentence', async () => {
    expect(await run(['--frobnicate'])).toMatchObject({
      code: EXIT.usage,
      stderr: "zenithfence: unknown option '--frobnicate' (see --help)\n",
    });
    expect((await run(['--port=70000'])).code).toBe(EXIT.usage);
  });

  it('a data directory another ZenithFence uses exits 4 before anything starts', async () => {
    const dataDir = testTempDir('zf-exit-data-');
    const lock = lockDataDir(dataDir);
    try {
      const ended = await run([`--data-dir=${dataDir}`, `--driver-socket=${path.join(dataDir, 'none.sock')}`]);
      expect(ended.code).toBe(EXIT.database);
      expect(ended.stderr).toContain('another ZenithFence is already running');
      expect(ended.stdout).not.toContain('ZenithFence UI:');
    } finally {
      lock.release();
    }
  });

  it('SIGHUP (the terminal closed) stops it like SIGTERM: exit 0 after it answered what it held', async () => {
    const dir = testTempDir('zf-exit-hup-');
    const child = spawn(
      NODE,
      [MAIN, `--driver-socket=${path.join(dir, 'none.sock')}`, `--data-dir=${path.join(dir, 'data')}`],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    // The URL is printed once the stop signals are handled.
    child.stdout.on('data', (d: Buffer) => {
      if (d.toString().includes('ZenithFence UI:')) child.kill('SIGHUP');
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
      child.on('close', (c, s) => resolve([c, s])),
    );
    clearTimeout(timer);
    expect({ code, signal }, stderr).toEqual({ code: EXIT.ok, signal: null });
    expect(stderr).toContain('SIGHUP: stopped (0 held connections answered)');
  });

  describe('a driver that refuses the connection', () => {
    const dir = testTempDir('zf-exit-driver-');
    const socketPath = path.join(dir, 'driver.sock');
    // A SEQPACKET socket as zenithfenced makes, that nobody may open (mode 000).
    const listener = spawn('python3', [
      '-c',
      'import socket,sys,time\ns=socket.socket(socket.AF_UNIX,socket.SOCK_SEQPACKET)\ns.bind(sys.argv[1])\ns.listen(1)\nprint("up",flush=True)\ntime.sleep(60)',
      socketPath,
    ]);
    afterAll(() => void listener.kill());

    it('exits 3 after saying why', async () => {
      await new Promise((resolve) => listener.stdout.once('data', resolve));
      chmodSync(socketPath, 0);
      // Root opens any file; without its capabilities (an empty bounding set) it is refused like a user.
      const asRoot = process.geteuid?.() === 0;
      if (asRoot) expect(spawnSync('setpriv', ['--version']).status).toBe(0);
      const ended = await run(
        [`--driver-socket=${socketPath}`, `--data-dir=${path.join(dir, 'data')}`],
        asRoot ? ['setpriv', '--bounding-set=-all', '--'] : [],
      );
      expect(ended.code).toBe(EXIT.driver);
      expect(ended.stderr).toContain('driver failed: Permission denied');
      expect(ended.stderr).toContain('the driver refused the connection: stopped');
    });
  });
});
