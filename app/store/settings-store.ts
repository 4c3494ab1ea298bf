import type { DatabaseSync } from 'node:sqlite';
import type { z } from 'zod';
import type { JsonValue, SettingsStore } from './store.ts';

const MAX_KEY = 200;

/** Typed key/value settings stored as JSON; every read is validated against the caller's schema. */
export function createSettingsStore(db: DatabaseSync): SettingsStore {
  const select = db.prepare('SELECT value FROM settings WHERE key = ?');
  const upsert = db.prepare(
    'INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
  );
  const remove = db.prepare('DELETE FROM settings WHERE key = ?');

  return {
    get<S extends z.ZodType>(key: string, schema: S, fallback: z.output<S>): z.output<S> {
      const text = select.get(checkKey(key))?.['value'];
      if (typeof text !== 'string') return fallback;
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch {
        return fallback;
      }
      // A value from an older release (or a hand-edited file) that no longer fits falls back
      // to the default rather than breaking start-up.
      const result = schema.safeParse(value);
      return result.success ? result.data : fallback;
    },
    set(key: string, value: JsonValue): void {
      // JSON.stringify would turn NaN into null and drop undefined or functions; refuse instead.
      if (!isPlainJson(value)) throw new TypeError(`setting "${key}" is not plain JSON`);
      upsert.run(checkKey(key), JSON.stringify(value));
    },
    delete: (key: string) => remove.run(checkKey(key)).changes > 0,
  };
}

function checkKey(key: string): string {
  if (key.length === 0 || key.length > MAX_KEY) throw new RangeError(`bad setting key "${key.slice(0, MAX_KEY)}"`);
  return key;
}

function isPlainJson(value: unknown): boolean {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return true;
  if (typeof value === 'number') return Number.isFinite(value);
  if (Array.isArray(value)) return value.every(isPlainJson);
  if (typeof value === 'object') {
    const proto: unknown = Object.getPrototypeOf(value);
    return (proto === Object.prototype || proto === null) && Object.values(value).every(isPlainJson);
  }
  return false;
}
