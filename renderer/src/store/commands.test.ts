import { describe, expect, it } from 'vitest';
import type { RequestChannel } from '../../../app/contract/ipc.ts';
import type { Rule } from '../../../app/contract/rules.ts';
import type { PromptGroup, StatusView } from '../../../app/contract/views.ts';
import { learningStatus, profileStatus, prompt } from '../lib/test-rows.ts';
import { answerApp, answerPrompt, updateRule } from './commands.ts';
import { useAppStore } from './store.ts';
import { standInPreload } from './testing-preload.ts';

// The store through the real bridge, over a stand-in for the Electron preload that answers like
// the engine: a change to the prompts is pushed (prompts:changed) before the request's reply.

const group = (...ids: string[]): PromptGroup[] =>
  ids.length === 0
    ? []
    : [{ app: 'curl', appPath: '/usr/bin/curl', count: ids.length, prompts: ids.map((id) => prompt(id)) }];

const rule: Rule = {
  id: 'r1',
  app: { kind: 'path', path: '/usr/bin/curl' },
  destination: { kind: 'host', name: 'example.org' },
  port: { kind: 'port', port: 443 },
  protocol: 6,
  direction: 'outbound',
  action: 'allow',
  duration: { kind: 'forever' },
  enabled: true,
  notes: '',
  createdAt: 0,
  updatedAt: 0,
  expiresAt: null,
  hitCount: 0,
  lastHitAt: null,
};

let pending = group('a', 'b');

function answer(channel: RequestChannel, payload: unknown): unknown {
  switch (channel) {
    case 'status:get':
      return {
        driver: 'connected',
        pendingPrompts: 2,
        profile: profileStatus(),
        learning: learningStatus(),
      } as unknown as StatusView;
    case 'prompts:list':
      return pending;
    case 'prompts:answer': {
      const id = (payload as { promptId: string }).promptId;
      pending = group(...pending.flatMap((g) => g.prompts.map((p) => p.id)).filter((p) => p !== id));
      push('prompts:changed', pending);
      return { released: 1, rule: null };
    }
    case 'prompts:answer-app':
      pending = [];
      push('prompts:changed', pending);
      return { released: 2 };
    case 'rules:update':
      return { ...rule, ...(payload as { patch: Partial<Rule> }).patch, updatedAt: 5 };
    default:
      return [];
  }
}

const { calls, push, channels, settled } = standInPreload(answer);

describe('the prompt list after an answer', () => {
  it('comes from the push: an answer does not ask prompts:list again', async () => {
    await settled();
    expect(channels().filter((c) => c === 'prompts:list')).toEqual(['prompts:list']); // the initial load
    expect(useAppStore.getState().promptGroups).toEqual(group('a', 'b'));
    calls.length = 0;

    expect(await answerPrompt('a', 'allow', { kind: 'once' }, { kind: 'exact' })).toBe(true);
    expect(channels()).toEqual(['prompts:answer']);
    expect(useAppStore.getState().promptGroups).toEqual(group('b'));

    await answerApp('/usr/bin/curl', 'block');
    expect(channels()).toEqual(['prompts:answer', 'prompts:answer-app']);
    expect(useAppStore.getState().promptGroups).toEqual([]);
    expect(useAppStore.getState().promptDialogOpen).toBe(false);
  });

  it('a push alone updates the list and opens the dialog for a new prompt', () => {
    calls.length = 0;
    push('prompts:changed', group('c'));
    expect(useAppStore.getState().promptGroups).toEqual(group('c'));
    expect(useAppStore.getState().promptDialogOpen).toBe(true);
    expect(calls).toEqual([]);
  });
});

describe('an answer that keeps its rule to a profile', () => {
  it('sends the profile, and sends none for an always-on rule', async () => {
    pending = group('x', 'y');
    calls.length = 0;
    await answerPrompt('x', 'allow', { kind: 'forever' }, { kind: 'host' }, 'work');
    await answerPrompt('y', 'block', { kind: 'forever' }, { kind: 'host' });
    expect(calls.map((call) => call.payload)).toEqual([
      { promptId: 'x', action: 'allow', duration: { kind: 'forever' }, scope: { kind: 'host' }, profile: 'work' },
      // The contract reads an absent profile as always on; the wire stays as it was before profiles.
      { promptId: 'y', action: 'block', duration: { kind: 'forever' }, scope: { kind: 'host' } },
    ]);
  });
});

describe('updateRule', () => {
  it('sends only the patch and shows the rule the engine answers with', async () => {
    useAppStore.getState().setRules([rule]);
    calls.length = 0;
    expect(await updateRule('r1', { enabled: false })).toBe(true);
    expect(calls).toEqual([{ channel: 'rules:update', payload: { id: 'r1', patch: { enabled: false } } }]);
    expect(useAppStore.getState().rules).toEqual([{ ...rule, enabled: false, updatedAt: 5 }]);
  });
});
