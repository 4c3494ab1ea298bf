import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { EXIT } from '../headless/exit-codes.ts';
import { testTempDir } from '../test-support/temp-dirs.ts';
import { startDaemon } from './daemon-process.ts';
import { launchHeadless, stopDaemon } from './headless-launch.ts';

// What `npm start` answers before it starts anything. What it starts (the daemon, the engine,
// the stop on Ctrl-C) and its non-root path run for real in e2e/first-run.spec.ts.
const REPO = path.resolve(import.meta.dirname, '..', '..');

afterEach(() => vi.restoreAllMocks());

describe('launchHeadless', () => {
  it('prints the version and the usage, exit 0', async () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    const { version } = JSON.parse(readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { version: string };
    expect(await launchHeadless(REPO, ['--version'])).toBe(EXIT.ok);
    expect(log).toHaveBeenLastCalledWith(`zenithfence ${version}`);
    expect(await launchHeadless(REPO, ['--help'])).toBe(EXIT.ok);
    expect(log.mock.lastCall?.[0]).toMatch(/^Usage: npm start -- \[--no-browser\]/);
    expect(log.mock.lastCall?.[0]).toContain('--max-connections N');
  });

  it('refuses a wrong command line with exit code 2 before starting anything', async () => {
    const error = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    expect(await launchHeadless(REPO, ['--port=70000'])).toBe(EXIT.usage);
    expect(error).toHaveBeenCalledTimes(1);
    expect(error.mock.lastCall?.[0]).toMatch(/^zenithfence: --port: /);
    expect(await launchHeadless(REPO, ['--browser'])).toBe(EXIT.usage);
    expect(error).toHaveBeenLastCalledWith("zenithfence: unknown option '--browser' (see --help)");
  });
});

describe('stopDaemon', () => {
  // Stand-ins for zenithfenced that listen as it does and end with `code` on SIGTERM.
  const dir = testTempDir('zf-stop-');
  function daemonExiting(code: number): string {
    const file = path.join(dir, `exits-${String(code)}`);
    const body = [
      'import signal, socket, sys, time',
      `signal.signal(signal.SIGTERM, lambda *_: sys.exit(${String(code)}))`,
      "s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET); s.bind(sys.argv[sys.argv.index('--socket') + 1]); s.listen(1)",
      'time.sleep(60)',
    ].join('\n');
    writeFileSync(file, `#!/usr/bin/env python3\n${body}\n`, { mode: 0o755 });
    return file;
  }

  it('keeps the exit code when the daemon stops cleanly', async () => {
    vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const daemon = await startDaemon({ binary: daemonExiting(0), socket: path.join(dir, 'clean.sock') });
    expect(await stopDaemon(daemon, EXIT.ok)).toBe(EXIT.ok);
  });

  it("is the driver's exit code when the daemon does not stop cleanly (its rules may be left)", async () => {
    const error = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const daemon = await startDaemon({ binary: daemonExiting(1), socket: path.join(dir, 'unclean.sock') });
    expect(await stopDaemon(daemon, EXIT.ok)).toBe(EXIT.driver);
    expect(error).toHaveBeenLastCalledWith('zenithfence: zenithfenced did not stop cleanly (exit code 1)');
    // A failure already known is what the exit code says.
    const again = await startDaemon({ binary: daemonExiting(1), socket: path.join(dir, 'unclean2.sock') });
    expect(await stopDaemon(again, EXIT.database)).toBe(EXIT.database);
  });
});
