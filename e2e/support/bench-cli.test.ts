import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BenchUsageError, parseBenchArgs } from './bench-cli.ts';

const SPEC = { usage: 'usage: bench [--quick] [--rules N]', flags: ['--quick'], valued: ['--rules'] };

describe('parseBenchArgs', () => {
  it('reads flags and valued options', () => {
    const args = parseBenchArgs(['--rules', '500', '--quick'], SPEC);
    expect(args?.has('--quick')).toBe(true);
    expect(args?.value('--rules')).toBe('500');
    const none = parseBenchArgs([], SPEC);
    expect(none?.has('--quick')).toBe(false);
    expect(none?.value('--rules')).toBeUndefined();
  });

  it('gives nothing for help, whatever else is there', () => {
    expect(parseBenchArgs(['--help'], SPEC)).toBeUndefined();
    expect(parseBenchArgs(['--quick', '-h', '--bogus'], SPEC)).toBeUndefined();
    expect(parseBenchArgs(['--bogus', '--help'], SPEC)).toBeUndefined();
    expect(parseBenchArgs(['--rules', '-h'], SPEC)).toBeUndefined();
  });

  it('refuses an unknown option and a valued one without its value, with the usage', () => {
    expect(() => parseBenchArgs(['--quik'], SPEC)).toThrow(BenchUsageError);
    expect(() => parseBenchArgs(['--quik'], SPEC)).toThrow(/unknown option "--quik"; usage: bench/);
    expect(() => parseBenchArgs(['--rules'], SPEC)).toThrow(/--rules needs a value/);
    expect(() => parseBenchArgs(['--rules', '--quick'], SPEC)).toThrow(/--rules needs a value/);
  });
});

describe('cleanUpOnAbort', () => {
  const dirs: string[] = [];
  const children: ChildProcess[] = [];
  afterEach(() => {
    for (const run of children.splice(0)) if (run.exitCode === null && run.signalCode === null) run.kill('SIGKILL');
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  /**
   * Runs a script that registers a clean-up writing `marker` after `cleanUpMs`, then does
   * `then`; `cleanUp()` in `then` is the clean-up, as a benchmark's `finally` calls it.
   */
  function child(then: string, cleanUpMs = 0): { marker: string; run: ChildProcess; stderr: () => string } {
    const dir = mkdtempSync(path.join(tmpdir(), 'zf-bench-cli-'));
    dirs.push(dir);
    const marker = path.join(dir, 'cleaned');
    const module = path.join(import.meta.dirname, 'bench-cli.ts');
    const script = `import { writeFileSync } from 'node:fs';
      import { cleanUpOnAbort } from ${JSON.stringify(module)};
      const cleanUp = cleanUpOnAbort(() => new Promise((resolve) =>
        setTimeout(() => { writeFileSync(${JSON.stringify(marker)}, 'yes'); resolve(); }, ${String(cleanUpMs)})));
      ${then}`;
    const run = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(run);
    let stderr = '';
    run.stderr?.on('data', (data: Buffer) => (stderr += data.toString()));
    return { marker, run, stderr: () => stderr };
  }

  /** The exit code once the child is gone and its output read to the end. */
  function closed(run: ChildProcess): Promise<number | null> {
    return new Promise((resolve) => run.once('close', (code) => resolve(code)));
  }

  function ready(run: ChildProcess): Promise<void> {
    return new Promise((resolve) => run.stdout?.once('data', () => resolve()));
  }

  it('cleans up when the output pipe closes under a write, and says so on stderr', async () => {
    const { marker, run, stderr } = child(`console.log('ready');
      setInterval(() => console.log('x'.repeat(1000)), 1);`);
    await ready(run);
    // The reader goes away, as `| head` does.
    run.stdout?.destroy();
    expect(await closed(run)).toBe(1);
    expect(readFileSync(marker, 'utf8')).toBe('yes');
    expect(stderr()).toMatch(/the output pipe closed: cleaning up/);
  });

  it('cleans up on SIGTERM and on an exception nobody caught', async () => {
    const signalled = child(`console.log('ready'); setInterval(() => undefined, 1000);`);
    await ready(signalled.run);
    signalled.run.kill('SIGTERM');
    expect(await closed(signalled.run)).toBe(143);
    expect(existsSync(signalled.marker)).toBe(true);

    const thrown = child(`setTimeout(() => { throw new Error('a benchmark step failed'); }, 1);`);
    expect(await closed(thrown.run)).toBe(1);
    expect(existsSync(thrown.marker)).toBe(true);
    expect(thrown.stderr()).toMatch(/a benchmark step failed/);
  });

  it('a signal during the clean-up waits for it to finish', async () => {
    // The benchmark's own clean-up takes 300 ms; SIGINT comes while it runs.
    const { marker, run } = child(`console.log('ready'); await cleanUp(); console.log('done');`, 300);
    await ready(run);
    run.kill('SIGINT');
    expect(await closed(run)).toBe(130);
    expect(readFileSync(marker, 'utf8')).toBe('yes');
  });
});
