import { describe, expect, it } from 'vitest';
import { dispatch } from '../contract/dispatch.ts';
import type { ImportPreview } from '../contract/import-preview.ts';
import { connection, CURL, startRuntime } from './test-support/harness.ts';

/** The handlers and the clock at 2 000 ms, as the runtime's other handler tests have them. */
function start() {
  const h = startRuntime();
  h.clock.now = 2_000;
  return h;
}

/** curl to `remoteIp`:443. */
function curlTo(id: bigint, remoteIp: string) {
  return connection(id, 40_000 + Number(id), 443, remoteIp);
}

/** A Little Snitch group: curl may reach 192.0.2.10; one rule it cannot express. */
const GROUP = JSON.stringify({
  name: 'Tools',
  rules: [
    { process: CURL, action: 'allow', 'remote-addresses': '192.0.2.10' },
    { process: CURL, action: 'allow', remote: 'bonjour' },
  ],
});

describe("'rules:import-preview' and 'rules:import-picked'", () => {
  it('previews without writing anything, then puts the picked rules in force in store and memory', async () => {
    const h = start();
    const answer = await dispatch(h.handlers, 'rules:import-preview', {
      format: 'little-snitch',
      files: [{ name: 'tools.lsrules', text: GROUP }],
    });
    if (!answer.ok) throw new Error(answer.error.message);
    // dispatch() answers any channel; this one's value is a preview (the contract's ResponseMap).
    const preview = { value: answer.value as ImportPreview };
    expect(preview.value.rules).toHaveLength(1);
    expect(preview.value.skipped).toEqual([
      { source: 'tools.lsrules rules[1]', reason: expect.stringMatching(/bonjour/) },
    ]);
    expect(h.store.rules.list()).toEqual([]);
    h.runtime.handleEvent(curlTo(1n, '192.0.2.10'), 2_100);
    expect(h.verdicts).toEqual([]); // held for a prompt: nothing in force yet

    const picked = await dispatch(h.handlers, 'rules:import-picked', { rules: preview.value.rules.map((r) => r.rule) });
    expect(picked).toMatchObject({ ok: true, value: { imported: 1, skipped: 0, ids: [expect.any(String)] } });
    const ids = (rules: ReadonlyArray<{ id: string }>) => rules.map((rule) => rule.id);
    expect(ids(h.runtime.engine.listRules())).toEqual(ids(h.store.rules.list()));
    expect(h.store.rules.list()[0]).toMatchObject({ notes: 'From Little Snitch', app: { kind: 'path', path: CURL } });
    // The held connection is decided by the rule as it comes into force, and so is the next.
    expect(h.verdicts).toEqual([[1n, 'permanent-accept']]);
    h.runtime.handleEvent(curlTo(2n, '192.0.2.10'), 2_200);
    expect(h.verdicts).toEqual([
      [1n, 'permanent-accept'],
      [2n, 'permanent-accept'],
    ]);
    // Picking the same again adds nothing.
    const again = await dispatch(h.handlers, 'rules:import-picked', { rules: preview.value.rules.map((r) => r.rule) });
    expect(again).toEqual({ ok: true, value: { imported: 0, skipped: 1, ids: [] } });
  });

  it('marks preview rules that are already in force, or that decide the same connections otherwise', async () => {
    const h = start();
    const same = await dispatch(h.handlers, 'rules:create', {
      app: { kind: 'path', path: CURL },
      destination: { kind: 'ip', address: '192.0.2.10' },
      action: 'allow',
    });
    const other = await dispatch(h.handlers, 'rules:create', {
      app: { kind: 'path', path: CURL },
      destination: { kind: 'ip', address: '192.0.2.11' },
      action: 'block',
    });
    if (!same.ok || !other.ok) throw new Error('rules not created');
    const file = JSON.stringify({
      name: 'Tools',
      rules: [
        { process: CURL, action: 'allow', 'remote-addresses': '192.0.2.10' },
        { process: CURL, action: 'allow', 'remote-addresses': '192.0.2.11' },
        { process: CURL, action: 'allow', 'remote-addresses': '192.0.2.12' },
      ],
    });
    const answer = await dispatch(h.handlers, 'rules:import-preview', {
      format: 'little-snitch',
      files: [{ name: 'tools.lsrules', text: file }],
    });
    if (!answer.ok) throw new Error(answer.error.message);
    const rules = (answer.value as ImportPreview).rules;
    expect(rules.map((r) => [r.duplicateOf, r.conflictsWith])).toEqual([
      [(same.value as { id: string }).id, undefined],
      [undefined, (other.value as { id: string }).id],
      [undefined, undefined],
    ]);
  });

  it('undoes an import as one step: every rule it added, in store and memory, or none', async () => {
    const h = start();
    const keep = await dispatch(h.handlers, 'rules:create', {
      app: { kind: 'any' },
      destination: { kind: 'ip', address: '198.51.100.1' },
      action: 'block',
    });
    const inputs = ['192.0.2.1', '192.0.2.2', '192.0.2.3'].map((address) => ({
      app: { kind: 'any' },
      destination: { kind: 'ip', address },
      action: 'allow',
    }));
    const picked = await dispatch(h.handlers, 'rules:import-picked', { rules: inputs });
    if (!picked.ok || !keep.ok) throw new Error('import failed');
    const ids = (picked.value as { ids: string[] }).ids;
    expect(ids).toHaveLength(3);
    // An unknown id among them: nothing is deleted.
    expect(await dispatch(h.handlers, 'rules:delete-many', { ids: [...ids, 'no-such-rule'] })).toMatchObject({
      ok: false,
      error: { code: 'not-found' },
    });
    expect(h.store.rules.list()).toHaveLength(4);
    expect(h.runtime.engine.listRules()).toHaveLength(4);
    expect(await dispatch(h.handlers, 'rules:delete-many', { ids })).toEqual({ ok: true, value: { deleted: 3 } });
    const left = [(keep.value as { id: string }).id];
    expect(h.store.rules.list().map((r) => r.id)).toEqual(left);
    expect(h.runtime.engine.listRules().map((r) => r.id)).toEqual(left);
  });

  it('refuses picked rules the contract refuses, and keeps none of the others', async () => {
    const h = start();
    const good = { app: { kind: 'any' }, destination: { kind: 'ip', address: '192.0.2.1' }, action: 'allow' };
    const bad = { ...good, destination: { kind: 'ip', address: '999.0.0.1' } };
    const result = await dispatch(h.handlers, 'rules:import-picked', { rules: [good, bad] });
    expect(result).toMatchObject({ ok: false, error: { code: 'bad-request' } });
    expect(h.store.rules.list()).toEqual([]);
    expect(h.runtime.engine.listRules()).toEqual([]);
  });

  it('refuses an unknown format and an empty file list at the contract', async () => {
    const h = start();
    expect(
      await dispatch(h.handlers, 'rules:import-preview', { format: 'iptables', files: [{ name: 'x', text: '' }] }),
    ).toMatchObject({
      ok: false,
      error: { code: 'bad-request' },
    });
    expect(await dispatch(h.handlers, 'rules:import-preview', { format: 'opensnitch', files: [] })).toMatchObject({
      ok: false,
      error: { code: 'bad-request' },
    });
  });
});
