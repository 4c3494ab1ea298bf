// Runs one named step of the build or test pipeline with inherited output and reports its time.
import { spawnSync } from 'node:child_process';

/** Runs `command args` from the repository root; returns whether it exited 0 and how long it took. */
export function run(name, command, args) {
  console.log(`\n▶ ${name}: ${command} ${args.join(' ')}`);
  const started = process.hrtime.bigint();
  const result = spawnSync(command, args, { stdio: 'inherit', cwd: new URL('..', import.meta.url).pathname });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const ok = result.status === 0;
  if (result.error) console.error(`${name}: could not start ${command}: ${result.error.message}`);
  console.log(`${ok ? '✔' : '✘'} ${name} (${seconds.toFixed(1)} s)`);
  return { ok, seconds };
}
