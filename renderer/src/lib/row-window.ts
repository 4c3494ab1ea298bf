/**
 * Windowing for a table of fixed-height rows: which rows to put in the DOM for a scroll
 * position, and where to scroll when the rows change so that what the user reads stays put.
 * Plain arithmetic, no per-row state: 100 000 rows cost nothing until they are shown.
 */

export interface RowRange {
  /** The first row in the DOM. */
  readonly first: number;
  /** One past the last row in the DOM. */
  readonly end: number;
}

/** The rows visible at `top` in a viewport `height` pixels tall, plus `overscan` on each side. */
export function visibleRange(
  top: number,
  height: number,
  count: number,
  rowHeight: number,
  overscan: number,
): RowRange {
  if (count <= 0 || rowHeight <= 0) return { first: 0, end: 0 };
  // Past the end (the rows shrank and the browser has not clamped the position yet): the last
  // rows, which are what it will show, not an empty frame.
  const at = Math.min(Math.max(0, top), Math.max(0, count * rowHeight - height));
  const firstVisible = Math.floor(at / rowHeight);
  const endVisible = Math.ceil((at + Math.max(0, height)) / rowHeight);
  const first = Math.min(count, Math.max(0, firstVisible - overscan));
  return { first, end: Math.min(count, Math.max(first, endVisible + overscan)) };
}

interface Identified {
  readonly id: number;
}

/** Where `id` is in `rows` within `reach` places of `near`, searched outward from it; -1 if not. */
function indexNear(rows: readonly Identified[], id: number, near: number, reach: number): number {
  for (let d = 0; d <= reach; d += 1) {
    if (rows[near + d]?.id === id) return near + d;
    if (d > 0 && rows[near - d]?.id === id) return near - d;
  }
  return -1;
}

/** How many rows from the top of the viewport may serve as the anchor. */
const ANCHOR_TRIES = 8;
/**
 * How far from its old place an anchor is looked for before one pass over all rows: rows move
 * by as many as arrived or left above them, a few hundred per flush.
 */
const NEAR = 4096;

/**
 * The scroll position after `prev` became `next`, keeping the row at the top of the viewport
 * where it is on screen. At the very top nothing is anchored: the view follows the newest rows.
 * The anchor is a row at the top that is still there (the first may have been evicted or
 * filtered out), matched by id since an updated row is a new object; none left: stay at `top`.
 * Near its old place first; otherwise one pass over all rows (at most some milliseconds at
 * 100 000 rows, and only when the rows at the top went, as at the bottom of a full table).
 */
export function anchoredTop(
  prev: readonly Identified[],
  next: readonly Identified[],
  top: number,
  rowHeight: number,
): number {
  if (top <= 0 || rowHeight <= 0 || next.length === 0) return Math.max(0, top);
  const at = Math.floor(top / rowHeight);
  const candidates = prev.slice(at, at + ANCHOR_TRIES);
  const shifted = (from: number, to: number): number => Math.max(0, top + (to - from) * rowHeight);
  for (const [k, anchor] of candidates.entries()) {
    const moved = indexNear(next, anchor.id, Math.min(at + k, next.length - 1), NEAR);
    if (moved !== -1) return shifted(at + k, moved);
  }
  const wanted = new Map(candidates.map((row, k) => [row.id, k]));
  let best: { k: number; index: number } | null = null;
  for (let index = 0; index < next.length; index += 1) {
    const k = wanted.get((next[index] as Identified).id);
    if (k !== undefined && (best === null || k < best.k)) best = { k, index };
  }
  return best === null ? top : shifted(at + best.k, best.index);
}
