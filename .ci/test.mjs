#!/usr/bin/env node
// `npm test`: every check that decides whether a change lands. Each step runs even when an
// earlier one failed, so one run shows every problem; the exit code is non-zero if any failed.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { run } from './steps.mjs';

// Every step (and the tools it starts: Chromium, Playwright's caches, the daemon's sockets)
// writes its temporary files into one private directory that is removed at the end, so a run
// leaves nothing in the system's temporary directory. What a test left in it is reported.
const privateTmp = mkdtempSync(path.join(tmpdir(), 'zf-test-'));
process.env['TMPDIR'] = privateTmp;

const cargo = (...args) => ['cargo', [...args, '--manifest-path', 'driver/Cargo.toml']];
const steps = [
  ['prerequisites', 'node', ['.ci/preflight.mjs', 'test']],
  ['eslint (includes the layer rules)', 'eslint', ['--max-warnings', '0', '.']],
  ['prettier', 'prettier', ['--check', '.']],
  ['TypeScript (tsc -b)', 'tsc', ['-b']],
  ['cargo fmt', ...cargo('fmt', '--all', '--check')],
  [
    'cargo clippy',
    'cargo',
    ['clippy', '--workspace', '--all-targets', '--manifest-path', 'driver/Cargo.toml', '--', '-D', 'warnings'],
  ],
  // The core alone, as the Windows kernel driver builds it: no_std + alloc, without `std`.
  [
    'cargo clippy (core without std)',
    'cargo',
    [
      'clippy',
      '-p',
      'zenithfence-core',
      '-p',
      'zenithfence-protocol',
      '--manifest-path',
      'driver/Cargo.toml',
      '--',
      '-D',
      'warnings',
    ],
  ],
  // The Windows kernel layer (DriverEntry, WFP registration, injection) only type-checks here.
  [
    'cargo clippy (Windows kernel layer)',
    'cargo',
    [
      'clippy',
      '-p',
      'zenithfence-windows',
      '--features',
      'kernel',
      '--manifest-path',
      'driver/Cargo.toml',
      '--',
      '-D',
      'warnings',
    ],
  ],
  ['cargo test', ...cargo('test', '--workspace', '--no-fail-fast')],
  // The system tools the packaging tests (resources/) run: one sentence per missing one.
  [
    'packaging tools (makensis, shellcheck, systemd-analyze, help2man, lintian, dpkg-shlibdeps)',
    'node',
    ['resources/test-support/tools.ts'],
  ],
  ['vitest', 'vitest', ['run', '-c', '.ci/vitest.config.ts']],
  // Windows user-mode code (the binding, service control, the installer) run for real under Wine;
  // skipped with a printed reason where wine is not installed.
  ['Windows user mode under Wine (vitest)', 'vitest', ['run', '-c', '.ci/vitest.wine.config.ts']],
  ['playwright (e2e in Chromium)', 'playwright', ['test', '-c', 'e2e/playwright.config.ts']],
];

// Caches the tools keep between runs (not test output).
const LEFT_BY_TOOLS = new Set(['jiti', 'playwright-transform-cache-0', 'node-compile-cache']);

const results = [];
for (const [name, command, args] of steps) {
  const result = await run(name, command, args);
  results.push({ name, ...result });
  // Without the prerequisites the other steps only add noise.
  if (!result.ok && name === 'prerequisites') break;
}

const leftovers = readdirSync(privateTmp).filter((name) => !LEFT_BY_TOOLS.has(name));
if (leftovers.length > 0) console.log(`\nnote: tests left in the temporary directory: ${leftovers.join(', ')}`);
rmSync(privateTmp, { recursive: true, force: true });

const failed = results.filter((r) => !r.ok);
console.log('\nSummary:');
for (const r of results) console.log(`  ${r.ok ? 'ok    ' : 'FAILED'} ${r.name} (${r.seconds.toFixed(1)} s)`);
// What each failed step printed about its failures, repeated here where a short log still shows it.
for (const r of failed) {
  console.log(
    `\n${r.name}: ${r.failures.length === 0 ? 'no failure lines recognised; see its output above' : 'what failed'}`,
  );
  for (const line of r.failures) console.log(`  ${line}`);
}
console.log(`steps: ${results.length - failed.length} passed, ${failed.length} failed`);
process.exit(failed.length === 0 ? 0 : 1);
