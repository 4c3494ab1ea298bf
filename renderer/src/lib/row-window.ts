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
 * The scroll position after `prev` became `next`, keeping the rows at the top of the viewport
 * where they are on screen. At the very top nothing is anchored: the view follows the newest rows.
 *
 * The rows at the top (up to ANCHOR_TRIES of them) are found again by id (an updated row is a new
 * object; one may have been evicted or filtered out), and the view moves by the shift most of
 * them agree on: under a sort by a changing value (bytes, end time) one of them may have moved
 * far on its own, and following it would throw the user to another part of the list. Found rows
 * that all disagree, or none found: stay at `top`. Each is looked for near its old place first,
 * then in one pass over all rows (some milliseconds at 100 000 rows, and only when rows at the
 * top went or moved far, as at the bottom of a full table).
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
  const found = candidates.map((row, k) => indexNear(next, row.id, Math.min(at + k, next.length - 1), NEAR));
  if (found.includes(-1)) {
    const missing = new Map<number, number>();
    found.forEach((index, k) => {
      const row = candidates[k];
      if (index === -1 && row !== undefined) missing.set(row.id, k);
    });
    for (let index = 0; index < next.length && missing.size > 0; index += 1) {
      const id = (next[index] as Identified).id;
      const k = missing.get(id);
      if (k === undefined) continue;
      found[k] = index;
      missing.delete(id);
    }
  }
  // The shift each found row made, and how many made it; ties go to the row nearest the top.
  const votes = new Map<number, number>();
  found.forEach((index, k) => {
    if (index !== -1) votes.set(index - (at + k), (votes.get(index - (at + k)) ?? 0) + 1);
  });
  let shift: number | null = null;
  let most = 0;
  for (const [candidate, count] of votes) {
    if (count > most) [shift, most] = [candidate, count];
  }
  if (shift === null || (most === 1 && votes.size > 1)) return top;
  return Math.max(0, top + shift * rowHeight);
}

/**
 * Far below where Chromium starts to lose pixels in translated boxes (2^24 px): past it the row
 * container goes back to its place, and the visible rows are restyled once.
 */
export const MAX_ROW_OFFSET = 2 ** 20;

/**
 * The row container's offset after the view moved from `fromTop` to `top` to keep its rows in
 * place (use-row-window.ts, RowWindow.offset): the shift is added, so the rows keep their own
 * positions. At the top it is 0 (the rows are replaced there, not moved). It grows with every
 * such flush (at the end of a full table the browser pulls the position back each time while the
 * offset keeps growing), so it is brought back to 0 once it passes MAX_ROW_OFFSET.
 */
export function nextRowOffset(offset: number, fromTop: number, top: number): number {
  if (top <= 0) return 0;
  const next = offset + (top - fromTop);
  return Math.abs(next) > MAX_ROW_OFFSET ? 0 : next;
}
