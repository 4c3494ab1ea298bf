import { DatabaseSync } from 'node:sqlite';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { openStore } from './open-store.ts';
import type { JsonValue, Store } from './store.ts';
import { tempDbPath } from './test-support/temp-db.ts';

let store: Store;
let path: string;
function fresh(): Store {
  path = tempDbPath();
  store = openStore(path);
  return store;
}
afterEach(() => store.close());

const retention = z.object({ days: z.number().int().min(1), rows: z.number().int() }).strict();

describe('settings', () => {
  it('returns the fallback for a missing key, and the stored value once set', () => {
    const s = fresh();
    expect(s.settings.get('retention', retention, { days: 30, rows: 1e6 })).toEqual({ days: 30, rows: 1e6 });
    s.settings.set('retention', { days: 7, rows: 500 });
    expect(s.settings.get('retention', retention, { days: 30, rows: 1e6 })).toEqual({ days: 7, rows: 500 });
    s.settings.set('retention', { days: 8, rows: 1 });
    expect(s.settings.get('retention', retention, { days: 30, rows: 1e6 })).toEqual({ days: 8, rows: 1 });
  });

  it('round-trips every JSON type', () => {
    const s = fresh();
    const value = { a: [1, 'two', true, null, { b: -0.5 }], c: '' };
    s.settings.set('x', value);
    expect(s.settings.get('x', z.unknown(), null)).toEqual(value);
    s.settings.set('n', null);
    expect(s.settings.get('n', z.null(), null)).toBeNull();
  });

  it('falls back when the stored value does not fit the schema or is not JSON', () => {
    const s = fresh();
    s.settings.set('retention', { days: 0, rows: 1 });
    expect(s.settings.get('retention', retention, { days: 30, rows: 5 })).toEqual({ days: 30, rows: 5 });
    s.settings.set('theme', 'dark');
    const raw = new DatabaseSync(path);
    // json_valid is a CHECK constraint, so a broken value can only appear if it is bypassed.
    raw.exec("PRAGMA ignore_check_constraints = ON; UPDATE settings SET value = '{oops' WHERE key = 'theme'");
    raw.close();
    expect(s.settings.get('theme', z.string(), 'light')).toBe('light');
  });

  it('refuses values JSON cannot hold faithfully, and bad keys', () => {
    const s = fresh();
    const bad: unknown[] = [Number.NaN, Number.POSITIVE_INFINITY, { a: undefined }, [() => 1], new Date(0)];
    for (const value of bad) expect(() => s.settings.set('k', value as JsonValue)).toThrow(/not plain JSON/);
    expect(() => s.settings.set('', 1)).toThrow(/bad setting key/);
    expect(() => s.settings.set('k'.repeat(201), 1)).toThrow(/bad setting key/);
  });

  it('deletes a key', () => {
    const s = fresh();
    s.settings.set('k', 1);
    expect(s.settings.delete('k')).toBe(true);
    expect(s.settings.delete('k')).toBe(false);
    expect(s.settings.get('k', z.number(), 2)).toBe(2);
  });
});
