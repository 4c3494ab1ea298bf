import { afterEach, describe, expect, it } from 'vitest';
import { dispatch } from '../contract/dispatch.ts';
import type { PushChannel, PushMap } from '../contract/ipc.ts';
import type { PromptGroup } from '../contract/views.ts';
import type { Store } from '../store/index.ts';
import { connection, CURL, startRuntime } from './test-support/harness.ts';

// Prompt changes reach the UI as one `prompts:changed` push right after the request that made
// them (the renderer no longer asks `prompts:list` after an answer), whatever the number of
// prompts the request answered.

let stores: Store[] = [];
afterEach(() => {
  for (const store of stores) store.close();
  stores = [];
});

type Pushed = { [C in PushChannel]: { channel: C; payload: PushMap[C] } }[PushChannel];

/** A runtime on a real store holding `count` curl connections, one prompt each, pushes recorded. */
function holding(count: number) {
  const pushed: Pushed[] = [];
  const h = startRuntime({ push: (channel, payload) => pushed.push({ channel, payload } as Pushed) });
  stores.push(h.store);
  for (let i = 0; i < count; i++) {
    h.runtime.handleEvent(connection(BigInt(i + 1), 40_000 + i, 443, `198.51.100.${String(i + 1)}`), h.clock.now);
  }
  expect(h.runtime.engine.listPrompts()[0]?.prompts).toHaveLength(count);
  pushed.length = 0; // the pushes of the new prompts themselves
  /** The prompt lists pushed since the last call. */
  const promptPushes = (): Array<readonly PromptGroup[]> => {
    const lists = pushed.flatMap((p) => (p.channel === 'prompts:changed' ? [p.payload] : []));
    pushed.length = 0;
    return lists;
  };
  return { ...h, promptPushes };
}

const ids = (groups: readonly PromptGroup[]): string[] => groups.flatMap((g) => g.prompts.map((p) => p.id));

describe('prompt changes are pushed by the request that made them', () => {
  it("'prompts:answer-app' for 50 prompts pushes once, with the list left", async () => {
    const h = holding(50);
    expect(await dispatch(h.handlers, 'prompts:answer-app', { appPath: CURL, action: 'block' })).toEqual({
      ok: true,
      value: { released: 50 },
    });
    expect(h.promptPushes()).toEqual([[]]);
    expect(h.verdicts).toHaveLength(50);
  });

  it("'prompts:answer' pushes once, with the answered prompt gone", async () => {
    const h = holding(3);
    const [first, ...rest] = ids(h.runtime.engine.listPrompts());
    const answer = { action: 'allow', duration: { kind: 'once' }, scope: { kind: 'exact' } } as const;
    expect(await dispatch(h.handlers, 'prompts:answer', { promptId: first, ...answer })).toMatchObject({ ok: true });
    const pushes = h.promptPushes();
    expect(pushes.map(ids)).toEqual([rest]);
    expect(pushes[0]).toEqual(h.runtime.engine.listPrompts());
  });

  it("'rules:create' pushes once when its rule decides the held prompts", async () => {
    const h = holding(4);
    const rule = {
      app: { kind: 'path', path: CURL },
      destination: { kind: 'cidr', cidr: '198.51.100.0/24' },
      action: 'allow',
    } as const;
    expect(await dispatch(h.handlers, 'rules:create', rule)).toMatchObject({ ok: true });
    // Its held connections are released and the prompts it covers leave the list.
    expect(h.promptPushes()).toEqual([[]]);
    expect(h.verdicts.map(([, verdict]) => verdict)).toEqual(Array(4).fill('permanent-accept'));
  });

  it('a request that changes no prompt pushes none', async () => {
    const h = holding(2);
    const answer = { action: 'allow', duration: { kind: 'once' }, scope: { kind: 'exact' } } as const;
    expect(await dispatch(h.handlers, 'prompts:answer', { promptId: 'p999', ...answer })).toMatchObject({ ok: false });
    expect(await dispatch(h.handlers, 'prompts:list', undefined)).toMatchObject({ ok: true });
    expect(await dispatch(h.handlers, 'prompts:answer-app', { appPath: '/usr/bin/ssh', action: 'allow' })).toEqual({
      ok: true,
      value: { released: 0 },
    });
    expect(h.promptPushes()).toEqual([]);
  });
});
