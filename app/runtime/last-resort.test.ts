import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const CHILD = path.join(import.meta.dirname, 'test-support', 'faulty-host.ts');

function run(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [CHILD, ...args], { encoding: 'utf8', timeout: 10_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('installLastResort', () => {
  it('logs an uncaught exception and an unhandled rejection, and the process runs on', () => {
    const result = run('installed');
    expect(result.stdout).toBe('still deciding\n');
    expect(result.status).toBe(0);
    expect(result.stderr).toMatch(/^unhandled rejection: a promise failed/m);
    expect(result.stderr).toMatch(/^uncaught exception: a timer failed/m);
  });

  it('is what keeps it running: without it, Node ends the process', () => {
    const result = run();
    expect(result.stdout).toBe('');
    expect(result.status).not.toBe(0);
  });
});
