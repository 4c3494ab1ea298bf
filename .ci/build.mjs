#!/usr/bin/env node
// `npm install` runs this (postinstall): it builds everything the tests and the app need:
// the TypeScript projects, the Electron main bundle, the renderer bundle and the Rust workspace.
import path from 'node:path';
import { run } from './steps.mjs';

// The tools (tsc, vite) keep Node's compile cache in the system's temporary directory unless
// told otherwise: kept in node_modules instead, an install leaves nothing in /tmp.
process.env['NODE_COMPILE_CACHE'] ??= path.resolve('node_modules', '.cache', 'node-compile-cache');

const steps = [
  ['prerequisites', 'node', ['.ci/preflight.mjs', 'build']],
  ['TypeScript projects', 'tsc', ['-b']],
  ['Electron main process', 'tsc', ['-p', 'app/tsconfig.build.json']],
  ['renderer bundle', 'vite', ['build', '--logLevel', 'warn', '-c', 'renderer/vite.config.ts']],
  ['Rust workspace (release)', 'cargo', ['build', '--release', '--workspace', '--manifest-path', 'driver/Cargo.toml']],
];

for (const [name, command, args] of steps) {
  if (!(await run(name, command, args)).ok) {
    console.error(`build: the step "${name}" failed; see its output above.`);
    process.exit(1);
  }
}
console.log('build: done.');
