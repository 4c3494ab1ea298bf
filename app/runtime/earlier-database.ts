import { existsSync } from 'node:fs';
import { moveDatabase } from '../store/index.ts';
import type { RateLimitedLog } from './rate-limited-log.ts';

/**
 * Brings the database an earlier release kept at `from` (the desktop app's Electron userData) to
 * `to`, the data directory both hosts now share, once: only when `to` has none yet. What the
 * user decided (rules, settings, history) follows them instead of starting over. A move that
 * fails is logged and the earlier file stays where it was, whole.
 */
export function adoptEarlierDatabase(from: string, to: string, log: RateLimitedLog): void {
  if (from === to || !existsSync(from) || existsSync(to)) return;
  moveDatabase(from, to);
  log.line('data-dir', `moved the database of an earlier release from ${from} to ${to}`);
}
