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
  const firstVisible = Math.floor(Math.max(0, top) / rowHeight);
  const endVisible = Math.ceil((Math.max(0, top) + Math.max(0, height)) / rowHeight);
  const first = Math.min(count, Math.max(0, firstVisible - overscan));
  return { first, end: Math.min(count, Math.max(first, endVisible + overscan)) };
}

interface Identified {
  readonly id: number;
}

/** Where `id` is in `rows`, searched outward from `near` (rows mostly move by a few places). */
function indexNear(rows: readonly Identified[], id: number, near: number): number {
  const reach = Math.max(near, rows.length - near);
  for (let d = 0; d <= reach; d += 1) {
    if (rows[near + d]?.id === id) return near + d;
    if (d > 0 && rows[near - d]?.id === id) return near - d;
  }
  return -1;
}

/** How many rows from the top of the viewport are tried as the anchor before giving up. */
const ANCHOR_TRIES = 8;

/**
 * The scroll position after `prev` became `next`, keeping the row at the top of the viewport
 * where it is on screen. At the very top nothing is anchored: the view follows the newest rows.
 * The anchor is the first row at the top that is still there (it may have been evicted or
 * filtered out), matched by id since an updated row is a new object; none left: stay at `top`.
 */
export function anchoredTop(
  prev: readonly Identified[],
  next: readonly Identified[],
  top: number,
  rowHeight: number,
): number {
  if (top <= 0 || rowHeight <= 0) return Math.max(0, top);
  const at = Math.floor(top / rowHeight);
  for (let k = at; k < Math.min(prev.length, at + ANCHOR_TRIES); k += 1) {
    const anchor = prev[k];
    if (anchor === undefined) break;
    const moved = indexNear(next, anchor.id, Math.min(k, Math.max(0, next.length - 1)));
    if (moved !== -1) return Math.max(0, top + (moved - k) * rowHeight);
  }
  return top;
}
