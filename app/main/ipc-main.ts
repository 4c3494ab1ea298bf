// The only module that imports ipcMain: every request is checked for its sender, validated
// against the contract and answered with a Result; pushes go to our windows only.
import { type BrowserWindow, ipcMain } from 'electron';
import { dispatch, type Handlers } from '../contract/dispatch.ts';
import type { PushChannel, PushMap } from '../contract/ipc.ts';
import { fail } from '../contract/result.ts';
import type { TrustedSenders } from './trusted-senders.ts';

/** The channel names between preload and main (the contract's names travel inside). */
// Keep in sync with app/preload/preload.ts (a sandboxed preload cannot import this file).
export const REQUEST_IPC = 'zenithfence:request';
export const PUSH_IPC = 'zenithfence:push';

export function registerIpc(handlers: Handlers, senders: TrustedSenders, log: (message: string) => void): void {
  ipcMain.handle(REQUEST_IPC, async (event, channel: unknown, payload: unknown) => {
    if (!senders.isTrusted(event.sender.id, event.senderFrame?.url)) {
      log(`refused an IPC request from an untrusted sender (${event.senderFrame?.url ?? 'no frame'})`);
      return fail('bad-request', 'untrusted sender');
    }
    if (typeof channel !== 'string') return fail('bad-request', 'the channel must be a string');
    return dispatch(handlers, channel, payload);
  });
}

/** Sends a push to every window we trust. */
export function pushToWindows<C extends PushChannel>(
  windows: readonly BrowserWindow[],
  channel: C,
  payload: PushMap[C],
): void {
  for (const window of windows) {
    if (!window.isDestroyed()) window.webContents.send(PUSH_IPC, { push: channel, payload });
  }
}
