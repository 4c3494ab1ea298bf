import { describe, expect, it } from 'vitest';
import { Engine } from './engine.ts';
import { patchedRuleInput } from './rule-patch.ts';
import { makeRequest, makeRule, MemoryRepository, RecordingVerdicts } from './testing.ts';

const CURL = '/usr/bin/curl';

const narrow = makeRule({
  id: 'r1',
  app: { kind: 'path', path: CURL },
  destination: { kind: 'host', name: 'example.org' },
  port: { kind: 'port', port: 443 },
  protocol: 6,
  direction: 'outbound',
  action: 'allow',
  duration: { kind: 'minutes', minutes: 60 },
  enabled: true,
  notes: 'keep me',
  createdAt: 5,
  updatedAt: 5,
  expiresAt: 3_600_005,
  hitCount: 7,
  lastHitAt: 6,
});

describe('patchedRuleInput', () => {
  it('changes only the fields the patch names: disabling a rule does not widen it', () => {
    expect(patchedRuleInput(narrow, { enabled: false })).toEqual({
      app: { kind: 'path', path: CURL },
      destination: { kind: 'host', name: 'example.org' },
      port: { kind: 'port', port: 443 },
      protocol: 6,
      direction: 'outbound',
      action: 'allow',
      duration: { kind: 'minutes', minutes: 60 },
      enabled: false,
      notes: 'keep me',
    });
  });

  it("takes false, '' and 0 as values and undefined as a gap", () => {
    const disabled = { ...narrow, enabled: false };
    const patched = patchedRuleInput(disabled, { enabled: true, notes: '', protocol: 0, action: undefined });
    expect(patched).toMatchObject({ enabled: true, notes: '', protocol: 0, action: 'allow' });
  });

  it('takes every field of a full input (what the rule editor sends)', () => {
    const full = {
      app: { kind: 'any' },
      destination: { kind: 'any' },
      port: { kind: 'any' },
      protocol: 'any',
      direction: 'any',
      action: 'block',
      duration: { kind: 'forever' },
      enabled: true,
      notes: 'new',
    } as const;
    expect(patchedRuleInput(narrow, full)).toEqual(full);
  });
});

describe('Engine.patchRule', () => {
  it('applies a patch to the rule in force, keeps its id, and refuses an unknown id', () => {
    const engine = new Engine({ verdicts: new RecordingVerdicts(), repository: new MemoryRepository() });
    engine.attachRules([narrow]);
    const result = engine.patchRule('r1', { action: 'block' }, 10);
    expect(result).toMatchObject({
      ok: true,
      rule: { id: 'r1', action: 'block', port: { kind: 'port', port: 443 }, notes: 'keep me' },
    });
    expect(engine.patchRule('nope', { action: 'block' }, 10)).toEqual({ ok: false, error: 'unknown-rule' });
  });

  it('releases a held connection that the patched rule now decides', () => {
    const verdicts = new RecordingVerdicts();
    const engine = new Engine({ verdicts, repository: new MemoryRepository() });
    engine.attachRules([{ ...narrow, enabled: false, duration: { kind: 'forever' }, expiresAt: null }]);
    engine.handle({ kind: 'dns', name: 'example.org', address: '93.184.216.34', ttlSeconds: 60 }, 10);
    engine.handle(makeRequest({ id: 1n, path: CURL, remoteIp: '93.184.216.34' }), 11);
    expect(verdicts.for(1n)).toEqual([]);
    expect(engine.patchRule('r1', { enabled: true }, 12)).toMatchObject({ ok: true });
    expect(verdicts.for(1n)).toEqual(['permanent-accept']);
  });
});
