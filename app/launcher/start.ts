// `npm start`: runs the desktop app in Electron where its binary exists, and otherwise headless
// mode as one command (headless-launch.ts). Runs under plain Node, so it never imports `electron`.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { findElectronBinary } from './electron-binary.ts';

const repoRoot = path.resolve(import.meta.dirname, '..', '..');
const binary = findElectronBinary(path.join(repoRoot, 'node_modules', 'electron'));

if (binary === null) {
  // Loaded only here: it brings the platform and the driver binding, which Electron's path does not need.
  const { launchHeadless } = await import('./headless-launch.ts');
  try {
    process.exitCode = await launchHeadless(repoRoot, process.argv.slice(2));
  } catch (error) {
    console.error(`zenithfence: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  }
} else {
  const child = spawn(binary, [repoRoot], { stdio: 'inherit' });
  // A stop signal sent to this process (a service manager, kill; Ctrl-C reaches both) is the
  // app's to handle: it answers every held connection before it quits.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => child.kill(signal));
  child.on('exit', (code) => process.exit(code ?? 1));
}
