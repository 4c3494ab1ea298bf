import type { SQLOutputValue } from 'node:sqlite';
import type { z } from 'zod';
import { StoreDataError } from './store-errors.ts';

/** A row as node:sqlite returns it. */
export type Row = Record<string, SQLOutputValue>;

/**
 * Parses a JSON text column. Rows are a trust boundary (the file may have been edited or
 * damaged), so a wrong type or bad JSON is a StoreDataError naming the row, not a crash later.
 */
export function jsonColumn(row: Row, column: string, what: string): unknown {
  const text = row[column];
  if (typeof text !== 'string') throw new StoreDataError(what, `${column} is not text`);
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new StoreDataError(what, `${column} is not valid JSON`);
  }
}

/** SQLite has no boolean: 0/1 become false/true; anything else passes through for zod to reject. */
export function booleanColumn(row: Row, column: string): unknown {
  const value = row[column];
  return value === 1 ? true : value === 0 ? false : value;
}

/** Validates a mapped row, turning a zod failure into a StoreDataError. */
export function validRow<S extends z.ZodType>(schema: S, candidate: unknown, what: string): z.output<S> {
  const result = schema.safeParse(candidate);
  if (!result.success) {
    const detail = result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ');
    throw new StoreDataError(what, detail);
  }
  return result.data;
}

/** The `id` column of RETURNING rows, as strings. */
export function idsOf(rows: readonly Row[]): string[] {
  return rows.map((row) => String(row['id']));
}
