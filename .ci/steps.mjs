// Runs one named step of the build or test pipeline, passing its output through, and reports its
// time and the lines that say what failed.
import { spawn } from 'node:child_process';

// Lines that name a failure in the tools' own output: cargo test's "test x ... FAILED" and
// panics, Vitest's and Playwright's failed-test marks. A log viewer that keeps only the head and
// tail of a long run still shows these, because the summary repeats them.
const FAILURE_LINE =
  /(\.\.\. FAILED$|^---- .* stdout ----$|panicked at|^\s*(FAIL|×|✘)\s|^\s*\d+\) \S|^\s*✘\s+\d+ |AssertionError|^error(\[E\d+\])?:)/;
// How many failure lines a step keeps for the summary; the full text is in the log above it.
const KEPT_FAILURE_LINES = 40;

/**
 * Runs `command args` from the repository root with its output passed through; resolves with
 * whether it exited 0, how long it took and the failure lines it printed (at most 40).
 */
export function run(name, command, args) {
  console.log(`\n▶ ${name}: ${command} ${args.join(' ')}`);
  const started = process.hrtime.bigint();
  return new Promise((resolve) => {
    const child = spawn(command, args, {
      stdio: ['inherit', 'pipe', 'pipe'],
      cwd: new URL('..', import.meta.url).pathname,
    });
    const failures = [];
    const watch = (stream, out) => {
      let partial = '';
      stream.on('data', (chunk) => {
        out.write(chunk);
        const lines = (partial + chunk.toString('utf8')).split('\n');
        partial = lines.pop() ?? '';
        for (const line of lines) keep(line);
      });
      stream.on('end', () => keep(partial));
    };
    const keep = (line) => {
      // Colour codes would hide the marks from the pattern.
      // eslint-disable-next-line no-control-regex
      const plain = line.replace(/\x1b\[[0-9;]*m/g, '').trimEnd();
      if (failures.length < KEPT_FAILURE_LINES && FAILURE_LINE.test(plain)) failures.push(plain.trim());
    };
    watch(child.stdout, process.stdout);
    watch(child.stderr, process.stderr);
    let startError;
    child.on('error', (error) => {
      startError = error;
    });
    child.on('close', (status) => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const ok = status === 0 && startError === undefined;
      if (startError) console.error(`${name}: could not start ${command}: ${startError.message}`);
      console.log(`${ok ? '✔' : '✘'} ${name} (${seconds.toFixed(1)} s)`);
      resolve({ ok, seconds, failures: ok ? [] : failures });
    });
  });
}
