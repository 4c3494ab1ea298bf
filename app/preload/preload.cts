// The renderer's only door to the main process: `window.zenithfence` with invoke(channel,
// payload) for the contract's request channels and onPush(callback). No ipcRenderer, no Node,
// nothing else is exposed; main checks the sender and validates every request.
// CommonJS and self-contained on purpose: a sandboxed preload is a script that can require
// only `electron`.
import type * as Electron from 'electron';

// eslint-disable-next-line @typescript-eslint/no-require-imports -- a sandboxed preload has no ESM loader
const { contextBridge, ipcRenderer } = require('electron') as typeof Electron;

// Keep in sync with app/main/ipc-main.ts.
const REQUEST_IPC = 'zenithfence:request';
const PUSH_IPC = 'zenithfence:push';

contextBridge.exposeInMainWorld('zenithfence', {
  invoke(channel: string, payload: unknown): Promise<unknown> {
    return ipcRenderer.invoke(REQUEST_IPC, String(channel), payload) as Promise<unknown>;
  },
  onPush(callback: (channel: string, payload: unknown) => void): () => void {
    // Main sends `{ push, payload }` (app/main/ipc-main.ts); the renderer gets both apart.
    const listener = (_event: unknown, message: { push: string; payload: unknown }): void =>
      callback(message.push, message.payload);
    ipcRenderer.on(PUSH_IPC, listener);
    return () => ipcRenderer.off(PUSH_IPC, listener);
  },
});
