import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

// steps.mjs is plain JavaScript run by `npm test`: it is driven here through a child Node, as the
// pipeline runs it, and its result read back as JSON.
const STEPS = new URL('./steps.mjs', import.meta.url).href;

interface StepResult {
  ok: boolean;
  seconds: number;
  failures: string[];
}

function runStep(command: string, args: string[]): { result: StepResult; output: string } {
  const script = `import(${JSON.stringify(STEPS)}).then(async ({ run }) => {
    const result = await run('demo', ${JSON.stringify(command)}, ${JSON.stringify(args)});
    process.stderr.write('RESULT ' + JSON.stringify(result) + '\\n');
  });`;
  const child = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
  const line = child.stderr.split('\n').find((l) => l.startsWith('RESULT '));
  if (line === undefined) throw new Error(`no result; stderr: ${child.stderr}`);
  return { result: JSON.parse(line.slice('RESULT '.length)) as StepResult, output: child.stdout + child.stderr };
}

describe('a pipeline step', () => {
  it('passes its output through and keeps the lines that name failures, from both streams, without colour codes', () => {
    const { result, output } = runStep('sh', [
      '-c',
      [
        'echo "test flows::a ... ok"',
        'echo "test flows::b ... FAILED"',
        String.raw`printf '\033[31m × \033[39mapp/x.test.ts > a case\n' >&2`,
        'echo "thread \'b\' panicked at src/b.rs:3:5:"',
        'echo "  1) [chromium] › e2e/ui.spec.ts:9:1 › a view"',
        'exit 3',
      ].join('; '),
    ]);
    expect(output).toContain('test flows::a ... ok');
    expect(result.ok).toBe(false);
    // The two streams are read apart, so only the order within each is fixed.
    expect([...result.failures].sort()).toEqual(
      [
        'test flows::b ... FAILED',
        "thread 'b' panicked at src/b.rs:3:5:",
        '1) [chromium] › e2e/ui.spec.ts:9:1 › a view',
        '× app/x.test.ts > a case',
      ].sort(),
    );
  });

  it('keeps no failure lines when the step passes, and at most 40 when it fails', () => {
    expect(runStep('sh', ['-c', 'echo "test a ... FAILED"; exit 0']).result).toMatchObject({ ok: true, failures: [] });
    const flood = runStep('sh', ['-c', 'for i in $(seq 100); do echo "test t$i ... FAILED"; done; exit 1']).result;
    expect(flood.failures).toHaveLength(40);
    expect(flood.failures[0]).toBe('test t1 ... FAILED');
  });

  it('fails, with no failure lines, when the command cannot be started', () => {
    const { result, output } = runStep('zf-no-such-command', []);
    expect(result).toMatchObject({ ok: false, failures: [] });
    expect(output).toContain('demo: could not start zf-no-such-command');
  });
});
