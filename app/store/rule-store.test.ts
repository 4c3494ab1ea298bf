import { DatabaseSync } from 'node:sqlite';
import { afterEach, describe, expect, it } from 'vitest';
import { openStore } from './open-store.ts';
import type { Store } from './store.ts';
import { StoreDataError } from './store-errors.ts';
import { ruleInput } from './test-support/fixtures.ts';
import { tempDbPath } from './test-support/temp-db.ts';

const MINUTE = 60_000;
let store: Store;
let path: string;

function fresh(): Store {
  path = tempDbPath();
  store = openStore(path);
  return store;
}
afterEach(() => store.close());

describe('rules: create, read, update, delete', () => {
  it('creates a rule with a UUID, bookkeeping fields and no expiry for "forever"', () => {
    const s = fresh();
    const rule = s.rules.create(ruleInput({ notes: 'curl may talk to example.com' }), 1000);
    expect(rule.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(rule).toMatchObject({ createdAt: 1000, updatedAt: 1000, expiresAt: null, hitCount: 0, lastHitAt: null });
    expect(s.rules.get(rule.id)).toEqual(rule);
    expect(s.rules.get('no-such-id')).toBeNull();
  });

  it('puts a complete rule by its id: inserts it, then replaces it', () => {
    const s = fresh();
    const rule = { ...s.rules.create(ruleInput(), 1000), id: 'engine-1', hitCount: 3, lastHitAt: 900 };
    s.rules.put(rule);
    expect(s.rules.get('engine-1')).toEqual(rule);
    s.rules.put({ ...rule, action: 'block', updatedAt: 2000 });
    expect(s.rules.get('engine-1')).toMatchObject({ action: 'block', updatedAt: 2000, hitCount: 3 });
    expect(() => s.rules.put({ ...rule, id: '' })).toThrow();
  });

  it('lists rules oldest first, keeping creation order for equal times', () => {
    const s = fresh();
    const a = s.rules.create(ruleInput({ notes: 'a' }), 5);
    const b = s.rules.create(ruleInput({ notes: 'b' }), 5);
    const c = s.rules.create(ruleInput({ notes: 'c' }), 1);
    expect(s.rules.list().map((r) => r.notes)).toEqual([c, a, b].map((r) => r.notes));
  });

  it('stores every matcher kind and reads it back unchanged', () => {
    const s = fresh();
    const inputs = [
      ruleInput({ app: { kind: 'any' }, destination: { kind: 'any' }, port: { kind: 'any' }, protocol: 'any' }),
      ruleInput({ destination: { kind: 'domain', pattern: '*.example.org' }, port: { kind: 'range', from: 1, to: 9 } }),
      ruleInput({ destination: { kind: 'cidr', cidr: '10.0.0.0/8' }, direction: 'inbound', action: 'drop' }),
      ruleInput({ destination: { kind: 'ip', address: '::1' }, enabled: false, action: 'block' }),
      ruleInput({ destination: { kind: 'lan' }, direction: 'any', duration: { kind: 'until-app-quits' } }),
      ruleInput({ destination: { kind: 'localhost' }, protocol: 17, duration: { kind: 'once' } }),
    ];
    const created = inputs.map((input) => s.rules.create(input, 1));
    expect(s.rules.list()).toEqual(created);
    for (const [i, rule] of created.entries()) expect(rule).toMatchObject(inputs[i] ?? {});
  });

  it('rejects an invalid input and stores nothing', () => {
    const s = fresh();
    const bad = ruleInput({ port: { kind: 'range', from: 10, to: 1 } });
    expect(() => s.rules.create(bad, 1)).toThrow(/low to high/);
    expect(s.rules.list()).toEqual([]);
  });

  it('updates user fields, keeps bookkeeping and bumps updatedAt', () => {
    const s = fresh();
    const rule = s.rules.create(ruleInput(), 1);
    const updated = s.rules.update(rule.id, { action: 'block', enabled: false }, 50);
    expect(updated).toEqual({ ...rule, action: 'block', enabled: false, updatedAt: 50 });
    expect(s.rules.get(rule.id)).toEqual(updated);
    expect(s.rules.update('no-such-id', { action: 'block' }, 50)).toBeNull();
  });

  it('refuses a patch that tries to set bookkeeping fields or invalid values', () => {
    const s = fresh();
    const rule = s.rules.create(ruleInput(), 1);
    const sneaky = JSON.parse('{"hitCount": 999, "id": "x"}') as Record<string, never>;
    expect(() => s.rules.update(rule.id, sneaky, 2)).toThrow(/cannot set: hitCount, id/);
    const wrong = JSON.parse('{"action": "explode"}') as Record<string, never>;
    expect(() => s.rules.update(rule.id, wrong, 2)).toThrow();
    expect(s.rules.get(rule.id)).toEqual(rule);
  });

  it('deletes a rule', () => {
    const s = fresh();
    const rule = s.rules.create(ruleInput(), 1);
    expect(s.rules.delete(rule.id)).toBe(true);
    expect(s.rules.delete(rule.id)).toBe(false);
    expect(s.rules.list()).toEqual([]);
  });

  it('refuses a stored row that no longer matches the rule schema', () => {
    const s = fresh();
    const rule = s.rules.create(ruleInput(), 1);
    const raw = new DatabaseSync(path);
    raw.prepare(`UPDATE rules SET destination = '{"kind":"moon"}' WHERE id = ?`).run(rule.id);
    raw.close();
    expect(() => s.rules.list()).toThrow(StoreDataError);
    expect(() => s.rules.get(rule.id)).toThrow(new RegExp(`rule ${rule.id} is invalid: destination`));
  });
});

describe('rules: durations and expiry', () => {
  it("gives 'minutes' rules an expiry and deletes them once it has passed", () => {
    const s = fresh();
    const temp = s.rules.create(ruleInput({ duration: { kind: 'minutes', minutes: 5 } }), 1000);
    const keep = s.rules.create(ruleInput(), 1000);
    expect(temp.expiresAt).toBe(1000 + 5 * MINUTE);
    expect(s.rules.deleteExpired(1000 + 5 * MINUTE - 1)).toEqual([]);
    expect(s.rules.deleteExpired(1000 + 5 * MINUTE)).toEqual([temp.id]);
    expect(s.rules.list()).toEqual([keep]);
  });

  it('restarts the clock when the duration changes, and clears it for other kinds', () => {
    const s = fresh();
    const rule = s.rules.create(ruleInput({ duration: { kind: 'minutes', minutes: 1 } }), 0);
    expect(s.rules.update(rule.id, { notes: 'x' }, 30_000)?.expiresAt).toBe(MINUTE);
    expect(s.rules.update(rule.id, { duration: { kind: 'minutes', minutes: 2 } }, 30_000)?.expiresAt).toBe(
      30_000 + 2 * MINUTE,
    );
    expect(s.rules.update(rule.id, { duration: { kind: 'forever' } }, 40_000)?.expiresAt).toBeNull();
    expect(s.rules.deleteExpired(Number.MAX_SAFE_INTEGER)).toEqual([]);
  });

  it('deletes rules by duration kind (until-restart at start-up)', () => {
    const s = fresh();
    const restart = s.rules.create(ruleInput({ duration: { kind: 'until-restart' } }), 1);
    const quits = s.rules.create(ruleInput({ duration: { kind: 'until-app-quits' } }), 2);
    const forever = s.rules.create(ruleInput(), 3);
    expect(s.rules.deleteByDuration(['until-restart'])).toEqual([restart.id]);
    expect(s.rules.deleteByDuration(['until-restart', 'until-app-quits']).sort()).toEqual([quits.id]);
    expect(s.rules.deleteByDuration([])).toEqual([]);
    expect(s.rules.list()).toEqual([forever]);
  });
});

describe('rules: hits', () => {
  it('adds hit counts in one batch, keeps the latest hit time and skips unknown ids', () => {
    const s = fresh();
    const a = s.rules.create(ruleInput(), 1);
    const b = s.rules.create(ruleInput(), 1);
    s.rules.recordHits(
      new Map([
        [a.id, { count: 3, lastHitAt: 100 }],
        ['gone', { count: 1, lastHitAt: 100 }],
      ]),
    );
    s.rules.recordHits(
      new Map([
        [a.id, { count: 2, lastHitAt: 90 }],
        [b.id, { count: 1, lastHitAt: 120 }],
      ]),
    );
    expect(s.rules.get(a.id)).toMatchObject({ hitCount: 5, lastHitAt: 100, updatedAt: 1 });
    expect(s.rules.get(b.id)).toMatchObject({ hitCount: 1, lastHitAt: 120 });
    s.rules.recordHits(new Map());
  });
});
