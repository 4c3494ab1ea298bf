import { spawn } from 'node:child_process';
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
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  /** Runs a script that registers a clean-up writing `marker`, then does `then`. */
  function child(then: string): { marker: string; run: ReturnType<typeof spawn> } {
    const dir = mkdtempSync(path.join(tmpdir(), 'zf-bench-cli-'));
    dirs.push(dir);
    const marker = path.join(dir, 'cleaned');
    const module = path.join(import.meta.dirname, 'bench-cli.ts');
    const script = `import { writeFileSync } from 'node:fs';
      import { cleanUpOnAbort } from ${JSON.stringify(module)};
      cleanUpOnAbort(async () => writeFileSync(${JSON.stringify(marker)}, 'yes'));
      ${then}`;
    const run = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    return { marker, run };
  }

  function exit(run: ReturnType<typeof spawn>): Promise<number | null> {
    return new Promise((resolve) => run.once('exit', (code) => resolve(code)));
  }

  it('cleans up when the output pipe closes under a write', async () => {
    const { marker, run } = child(`console.log('ready');
      setInterval(() => console.log('x'.repeat(1000)), 1);`);
    await new Promise<void>((resolve) => run.stdout?.once('data', () => resolve()));
    // The reader goes away, as `| head` does.
    run.stdout?.destroy();
    expect(await exit(run)).toBe(1);
    expect(readFileSync(marker, 'utf8')).toBe('yes');
  });

  it('cleans up on SIGTERM and on an exception nobody caught', async () => {
    const signalled = child(`console.log('ready'); setInterval(() => undefined, 1000);`);
    await new Promise<void>((resolve) => signalled.run.stdout?.once('data', () => resolve()));
    signalled.run.kill('SIGTERM');
    expect(await exit(signalled.run)).toBe(130);
    expect(existsSync(signalled.marker)).toBe(true);

    const thrown = child(`setTimeout(() => { throw new Error('a benchmark step failed'); }, 1);`);
    let stderr = '';
    thrown.run.stderr?.on('data', (data: Buffer) => (stderr += data.toString()));
    expect(await exit(thrown.run)).toBe(1);
    expect(existsSync(thrown.marker)).toBe(true);
    expect(stderr).toMatch(/a benchmark step failed/);
  });
});
