import { describe, expect, it } from 'vitest';
import type { PromptGroup } from '../../../app/contract/views.ts';
import { prompt } from '../lib/test-rows.ts';
import { appendCapped } from './logs-slice.ts';
import { type PromptState, receivePrompts } from './prompts-slice.ts';
import { putRuleIn } from './rules-slice.ts';

const group = (...ids: string[]): PromptGroup[] => [
  { app: 'curl', appPath: '/usr/bin/curl', count: ids.length, prompts: ids.map((id) => prompt(id)) },
];
const initial: PromptState = { promptGroups: [], promptDialogOpen: false, knownPromptIds: new Set() };

describe('receivePrompts', () => {
  it('opens the dialog for a new prompt', () => {
    expect(receivePrompts(initial, group('a')).promptDialogOpen).toBe(true);
  });

  it('stays closed after "Later" until a prompt it has not shown arrives', () => {
    const shown = receivePrompts(initial, group('a'));
    const later = { ...shown, promptDialogOpen: false };
    expect(receivePrompts(later, group('a')).promptDialogOpen).toBe(false);
    expect(receivePrompts(later, group('a', 'b')).promptDialogOpen).toBe(true);
  });

  it('closes when nothing is pending', () => {
    const shown = receivePrompts(initial, group('a'));
    expect(receivePrompts(shown, []).promptDialogOpen).toBe(false);
  });
});

describe('list reducers', () => {
  it('keeps the newest log lines', () => {
    expect(appendCapped([1, 2, 3], [4, 5], 4)).toEqual([2, 3, 4, 5]);
    const same = [1];
    expect(appendCapped(same, [], 4)).toBe(same);
  });

  it('puts a rule in place or at the end', () => {
    const rule = (id: string, hitCount: number) =>
      ({
        id,
        hitCount,
        app: { kind: 'any' },
        destination: { kind: 'any' },
        port: { kind: 'any' },
        protocol: 'any',
        direction: 'outbound',
        action: 'allow',
        duration: { kind: 'forever' },
        enabled: true,
        notes: '',
        createdAt: 0,
        updatedAt: 0,
        expiresAt: null,
        lastHitAt: null,
      }) as const;
    const rules = [rule('a', 0), rule('b', 0)];
    expect(putRuleIn(rules, rule('a', 3)).map((r) => [r.id, r.hitCount])).toEqual([
      ['a', 3],
      ['b', 0],
    ]);
    expect(putRuleIn(rules, rule('c', 0)).map((r) => r.id)).toEqual(['a', 'b', 'c']);
  });
});
