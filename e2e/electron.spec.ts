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

test.describe('the desktop app', () => {
  test.skip(binary === null, SKIP_REASON);

  test('opens its window, with the prompt window made hidden beforehand', async () => {
    const app = await electron.launch({ executablePath: binary ?? '', args: [repoRoot] });
    const window = await app.firstWindow();
    await expect(window).toHaveTitle(APP_NAME);
    const windows = await app.evaluate(({ BrowserWindow }) =>
      BrowserWindow.getAllWindows().map((w) => ({
        title: w.getTitle(),
        visible: w.isVisible(),
        onTop: w.isAlwaysOnTop(),
      })),
    );
    expect(windows).toContainEqual({ title: `${APP_NAME}: connection request`, visible: false, onTop: true });
    await app.close();
  });

  test('started at login, it waits in the tray, and its log file says where it writes', async () => {
    const app = await electron.launch({ executablePath: binary ?? '', args: [repoRoot, '--started-at-login'] });
    // Both windows are made, and neither is shown (app/main/startup.ts).
    await expect.poll(() => app.evaluate(({ BrowserWindow }) => BrowserWindow.getAllWindows().length)).toBe(2);
    const visible = await app.evaluate(({ BrowserWindow }) => BrowserWindow.getAllWindows().map((w) => w.isVisible()));
    expect(visible).toEqual([false, false]);
    // main.log in Electron's log folder, with time and level, names itself and the crash dumps folder.
    const [logs, dumps] = await app.evaluate(({ app: electronApp }) => [
      electronApp.getPath('logs'),
      electronApp.getPath('crashDumps'),
    ]);
    const log = readFileSync(path.join(logs ?? '', 'main.log'), 'utf8');
    expect(log).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z INFO {2}ZenithFence \S+ starts \(log: /m);
    expect(log).toContain(`crash reports: ${dumps ?? ''}`);
    await app.close();
  });

  test('refuses an IPC request with a bad payload, and one from an untrusted frame', async () => {
    const app = await electron.launch({ executablePath: binary ?? '', args: [repoRoot] });
    const window = await app.firstWindow();
    const bad = await window.evaluate(() =>
      (window as unknown as { zenithfence: { invoke(c: string, p: unknown): Promise<unknown> } }).zenithfence.invoke(
        'rules:delete',
        { id: 42 },
      ),
    );
    expect(bad).toMatchObject({ ok: false, error: { code: 'bad-request' } });
    const unknown = await window.evaluate(() =>
      (window as unknown as { zenithfence: { invoke(c: string, p: unknown): Promise<unknown> } }).zenithfence.invoke(
        'shell:exec',
        'rm -rf /',
      ),
    );
    expect(unknown).toMatchObject({ ok: false, error: { code: 'bad-request' } });
    await app.close();
  });
});
