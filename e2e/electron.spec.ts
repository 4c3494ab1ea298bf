import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { _electron as electron, expect, test } from '@playwright/test';
import { APP_NAME } from '../app/contract/product.ts';

// Runs the real desktop app where an Electron binary exists; this machine cannot download one,
// so the test is skipped with the reason printed (the renderer itself is covered in Chromium).
const repoRoot = path.resolve(import.meta.dirname, '..');
const electronPackage = path.join(repoRoot, 'node_modules', 'electron');

function electronBinary(): string | null {
  const pathFile = path.join(electronPackage, 'path.txt');
  if (!existsSync(pathFile)) return null;
  const binary = path.join(electronPackage, 'dist', readFileSync(pathFile, 'utf8').trim());
  return existsSync(binary) ? binary : null;
}

const binary = electronBinary();
const SKIP_REASON = 'no Electron binary in node_modules/electron/dist (it cannot be downloaded on this machine)';
if (binary === null) console.log(`electron.spec.ts: SKIPPED: ${SKIP_REASON}`);

test('the desktop app opens its window', async () => {
  test.skip(binary === null, SKIP_REASON);
  const app = await electron.launch({ executablePath: binary ?? '', args: [repoRoot] });
  const window = await app.firstWindow();
  await expect(window).toHaveTitle(APP_NAME);
  await app.close();
});
