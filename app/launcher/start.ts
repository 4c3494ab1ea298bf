// `npm start`: runs the desktop app in Electron where its binary exists, and otherwise says so in
// one sentence. Runs under plain Node, so it never imports `electron`.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { findElectronBinary } from './electron-binary.ts';

const repoRoot = path.resolve(import.meta.dirname, '..', '..');
const binary = findElectronBinary(path.join(repoRoot, 'node_modules', 'electron'));

if (binary === null) {
  console.error(
    'ZenithFence cannot start its desktop window: no Electron binary is installed (node_modules/electron/dist is missing and cannot be downloaded here); use headless mode instead, which serves the same UI in a browser: npm run headless -- --driver-socket PATH --data-dir DIR (see README, "Headless mode").',
  );
  process.exit(1);
}

const child = spawn(binary, [repoRoot], { stdio: 'inherit' });
child.on('exit', (code) => process.exit(code ?? 1));
