import { afterAll } from 'vitest';
import type { PushChannel, RequestChannel } from '../../../app/contract/ipc.ts';
import type { Result } from '../../../app/contract/result.ts';
import type { ZenithFenceApi } from '../bridge.ts';
import { startSync } from './sync.ts';

/**
 * For the store's tests (not used in production): a stand-in for the Electron preload that
 * answers each request with `answer`, records the calls, and pushes what a test says; installed
 * before the bridge's first call (which picks its transport), with the store's sync started on
 * it and both undone after the file.
 */
export function standInPreload(answer: (channel: RequestChannel, payload: unknown) => unknown) {
  const calls: Array<{ channel: RequestChannel; payload: unknown }> = [];
  const listeners = new Set<(channel: PushChannel, payload: unknown) => void>();
  const api: ZenithFenceApi = {
    invoke: (channel, payload) => {
      calls.push({ channel, payload });
      const result: Result<unknown> = { ok: true, value: answer(channel, payload) };
      return Promise.resolve(result);
    },
    onPush: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
  Reflect.set(globalThis, 'zenithfence', api);
  const stopSync = startSync();
  afterAll(() => {
    stopSync();
    Reflect.deleteProperty(globalThis, 'zenithfence');
  });
  return {
    calls,
    push(channel: PushChannel, payload: unknown): void {
      for (const listener of listeners) listener(channel, payload);
    },
    channels: (): RequestChannel[] => calls.map((call) => call.channel),
    /** Lets what the last call started (the initial load, a push's handling) settle. */
    settled: (): Promise<unknown> => new Promise((resolve) => setTimeout(resolve, 0)),
  };
}
