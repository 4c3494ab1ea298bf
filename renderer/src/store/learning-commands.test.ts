import { describe, expect, it, vi } from 'vitest';
import type { RequestChannel } from '../../../app/contract/ipc.ts';
import type { LearningStatus, ProposalGroup } from '../../../app/contract/learning.ts';
import type { RuleInput } from '../../../app/contract/rules.ts';
import type { StatusView } from '../../../app/contract/views.ts';
import { learningStatus, profileStatus, proposal, proposalGroup } from '../lib/test-rows.ts';
import { applyReview, startLearning, stopLearning } from './learning-commands.ts';
import { useAppStore } from './store.ts';
import { standInPreload } from './testing-preload.ts';

// Learning through the real bridge and sync, over a stand-in for the Electron preload that
// answers like the engine, except that starting and stopping push no status: the reply alone
// must show it (the engine's push that comes with it says the same).

let groups: ProposalGroup[] = [];
let learning: LearningStatus = learningStatus();
const status = (): StatusView =>
  ({ driver: 'connected', pendingPrompts: 0, profile: profileStatus(), learning }) as unknown as StatusView;

function answer(channel: RequestChannel, payload: unknown): unknown {
  switch (channel) {
    case 'status:get':
      return status();
    case 'learning:start':
      learning = { ...learning, until: Date.now() + 15 * 60_000 };
      return learning;
    case 'learning:stop':
      learning = { ...learning, until: null, apps: [] };
      return learning;
    case 'learning:proposals':
      return groups;
    case 'learning:review': {
      const { decisions } = payload as { decisions: Array<{ proposalId: string; action: string }> };
      const ids = new Set(decisions.map((d) => d.proposalId));
      groups = groups
        .map((g) => ({ ...g, proposals: g.proposals.filter((p) => !ids.has(p.id)) }))
        .filter((g) => g.proposals.length > 0);
      learning = { ...learning, proposals: groups.reduce((n, g) => n + g.proposals.length, 0) };
      push('status:changed', status());
      const kept = decisions.filter((d) => d.action === 'keep').length;
      return { kept, discarded: decisions.length - kept, ruleIds: [] };
    }
    default:
      return [];
  }
}

const { calls, push, channels } = standInPreload(answer);

const shownIds = (): string[] =>
  useAppStore.getState().proposalGroups.flatMap((group) => group.proposals.map((p) => p.id));

describe('learning in the store', () => {
  it('starting and stopping show the learning status the engine answers with', async () => {
    await vi.waitFor(() => expect(useAppStore.getState().status).not.toBeNull());
    expect(await startLearning({ kind: 'minutes', minutes: 15 })).toBe(true);
    expect(calls.at(-1)).toEqual({ channel: 'learning:start', payload: { kind: 'minutes', minutes: 15 } });
    expect(useAppStore.getState().status?.learning.until).toBe(learning.until);
    await stopLearning();
    expect(useAppStore.getState().status?.learning.until).toBeNull();
    // Nothing learned yet: the proposals were never asked for.
    expect(channels()).not.toContain('learning:proposals');
  });

  it('reads the proposals when a status push says some wait', async () => {
    groups = [
      proposalGroup('/usr/bin/curl', [proposal('a', 'example.org', { connections: 3 }), proposal('b', 'example.net')]),
      proposalGroup('/usr/bin/git', [proposal('c', 'github.com')]),
    ];
    learning = { ...learning, proposals: 3 };
    push('status:changed', status());
    await vi.waitFor(() => expect(shownIds()).toEqual(['a', 'b', 'c']), { timeout: 3000 });
  });

  it('applies the review in one request with every decision made, and shows what is left', async () => {
    const narrowed: RuleInput = { ...proposal('a', 'example.org').rule, profile: 'home' };
    const store = useAppStore.getState();
    store.decideProposals(['a'], { action: 'keep', rule: narrowed });
    store.decideProposals(['c'], { action: 'discard' });
    calls.length = 0;
    expect(await applyReview()).toBe(true);
    expect(calls.filter((call) => call.channel === 'learning:review')).toEqual([
      {
        channel: 'learning:review',
        payload: {
          decisions: [
            { proposalId: 'a', action: 'keep', rule: narrowed },
            { proposalId: 'c', action: 'discard' },
          ],
        },
      },
    ]);
    // Left at once; the kept ones' rules are read into the Rules view.
    expect(shownIds()).toEqual(['b']);
    expect(channels()).toContain('rules:list');
    expect(useAppStore.getState().toasts.at(-1)?.text).toBe('Kept 1 rule; discarded 1 proposal.');
    expect(useAppStore.getState().reviewDraft.size).toBe(0);
  });

  it('sends nothing when nothing is decided', async () => {
    calls.length = 0;
    expect(await applyReview()).toBe(false);
    expect(channels()).not.toContain('learning:review');
  });
});
