// Electron entry point: wiring only. The window serves the built renderer from the app:// scheme
// with the security baseline of ARCHITECTURE.md; engine, IPC and tray arrive with later issues.
import { app, BrowserWindow, net, protocol, shell } from 'electron';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { APP_ID, APP_NAME } from '../contract/product.ts';
import { resolveRendererFile } from './renderer-files.ts';

// app/dist/main/main.js → the repository (or app.asar) root → renderer/dist.
const RENDERER_DIR = path.join(import.meta.dirname, '..', '..', '..', 'renderer', 'dist');

// Must run before `ready`: app:// behaves like a secure, standard origin for the renderer.
protocol.registerSchemesAsPrivileged([{ scheme: 'app', privileges: { standard: true, secure: true } }]);

function createMainWindow(): BrowserWindow {
  const window = new BrowserWindow({
    title: APP_NAME,
    width: 1100,
    height: 720,
    webPreferences: { contextIsolation: true, sandbox: true, nodeIntegration: false },
  });
  window.webContents.on('will-navigate', (event) => event.preventDefault());
  window.webContents.setWindowOpenHandler(({ url }) => {
    if (url.startsWith('https://')) void shell.openExternal(url);
    return { action: 'deny' };
  });
  void window.loadURL('app://renderer/index.html');
  return window;
}

app.setAppUserModelId(APP_ID);
void app.whenReady().then(() => {
  protocol.handle('app', (request) => {
    const file = resolveRendererFile(RENDERER_DIR, new URL(request.url).pathname);
    if (file === null) return new Response('not found', { status: 404 });
    return net.fetch(pathToFileURL(file).toString());
  });
  createMainWindow();
});
app.on('window-all-closed', () => app.quit());
