import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { run } from './wine-env.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'zf-wine-run-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A program that fails with `message` the first `failures` times, then prints "ran". */
function flaky(name: string, failures: number, message: string): string {
  const script = path.join(dir, `${name}.sh`);
  const count = path.join(dir, `${name}.count`);
  writeFileSync(
    script,
    `n=$(cat ${count} 2>/dev/null || echo 0); echo $((n + 1)) > ${count}\n` +
      `if [ "$n" -lt ${String(failures)} ]; then echo '${message}'; exit 1; fi\necho ran\n`,
  );
  return script;
}

/** How many times the program `name` ran. */
const runs = (name: string): number => Number(readFileSync(path.join(dir, `${name}.count`), 'utf8'));

describe('run (the Wine harness)', () => {
  it('runs again a program Wine could not start, and returns its output', () => {
    const script = flaky('launch', 2, 'ShellExecuteEx failed: Internal error.');
    expect(run('sh', [script]).trim()).toBe('ran');
  });

  it('gives up after three launch failures, with the output', () => {
    const script = flaky('never', 5, 'ShellExecuteEx failed: Internal error.');
    expect(() => run('sh', [script])).toThrow(/exit 1\nShellExecuteEx failed/);
    expect(runs('never')).toBe(3);
  });

  it('does not run again a program that ran and failed', () => {
    const script = flaky('fails', 1, 'reg: the key is refused');
    expect(() => run('sh', [script])).toThrow(/reg: the key is refused/);
    expect(runs('fails')).toBe(1);
    expect(run('sh', [script]).trim()).toBe('ran');
  });
});
