import { type RefObject, useLayoutEffect, useRef, useState } from 'react';
import { anchoredTop, nextRowOffset, type RowRange, visibleRange } from '../lib/row-window.ts';

interface Scrolled<Row> {
  readonly rows: readonly Row[];
  readonly resetKey: string;
  /** The scroll position the rows are shown at (the element's, or where it is about to go). */
  readonly top: number;
  /** See RowWindow.offset. */
  readonly offset: number;
}

export interface RowWindow<Row> {
  readonly scrollRef: RefObject<HTMLDivElement | null>;
  /** The rows to show: `rows`, or while the user scrolls the ones shown when the scroll began. */
  readonly rows: readonly Row[];
  /** Which of them to put in the DOM. */
  readonly range: RowRange;
  /**
   * Whether row elements may be keyed by place: at the very top, where every flush replaces
   * the visible rows, the elements are then kept and only their contents change. Never while
   * a row's button is pressed or focused (new rows wait then), so an element never changes
   * connection under the user; it changes only while nothing in the table is held.
   */
  readonly byPlace: boolean;
  /**
   * How far (px) the row elements' container is moved down: the sum of the shifts that kept the
   * rows in place since the view was last at the top. A row goes at `index * rowHeight - offset`
   * in it, so when a flush moves every row down by the same shift only the container moves, and
   * the rows' own positions do not change (one style change per flush instead of one per row).
   */
  readonly offset: number;
}

/** A scroll with no event for this long has ended (for a browser that sends no `scrollend`). */
const SCROLL_QUIET_MS = 200;

/**
 * Windowing for a live table of fixed-height rows in the scroll element `scrollRef` is put on.
 * When `rows` changes and the table is scrolled, the rows at the top of the viewport are kept
 * where they are on screen (rows arriving above them push the scroll position down instead of
 * the rows), so what the user reads does not slide away at every flush, and the rows in the DOM
 * stay the same ones: a flush moves them, it does not rebuild them. At the very top the view
 * follows the newest rows. A new `resetKey` (another sort or filter) scrolls to the top.
 *
 * While the user scrolls, new rows wait until the scroll ends: moving the position under a
 * running scroll would stop it (setting scrollTop ends a smooth scroll), and the content would
 * change under the pointer.
 *
 * The range is computed from the position the rows will be shown at, in the same render, and
 * the element is scrolled there before the browser paints: no frame shows the old position
 * with the new rows. (Arithmetic only: no per-row measurement, so 100 000 rows cost nothing.)
 */
export function useRowWindow<Row extends { readonly id: number }>(
  rows: readonly Row[],
  rowHeight: number,
  overscan: number,
  resetKey: string,
): RowWindow<Row> {
  const scrollRef = useRef<HTMLDivElement>(null);
  const [height, setHeight] = useState(0);
  const [scrolled, setScrolled] = useState<Scrolled<Row>>({ rows, resetKey, top: 0, offset: 0 });
  const [userScrolling, setUserScrolling] = useState(false);
  // A pointer pressed in the table, or the focus on something in a row: new rows wait.
  const [pressed, setPressed] = useState(false);
  const [focusInRow, setFocusInRow] = useState(false);
  const held = userScrolling || pressed || focusInRow;
  const [byPlace, setByPlace] = useState(true);
  // The element's scroll position as last read or written, and whether the next scroll event
  // is the one our own write causes (not the user's).
  const elementTop = useRef(0);
  const ownWrite = useRef(false);

  let current = scrolled;
  const reset = scrolled.resetKey !== resetKey;
  if (reset || (scrolled.rows !== rows && !held)) {
    // Derived during render (React re-renders at once, before committing): the new rows are
    // never shown at the old position.
    const top = reset ? 0 : anchoredTop(scrolled.rows, rows, scrolled.top, rowHeight);
    const offset = reset ? 0 : nextRowOffset(scrolled.offset, scrolled.top, top);
    current = { rows, resetKey, top, offset };
    setScrolled(current);
  }
  // The keying follows the position only while nothing is held (see RowWindow.byPlace).
  if (!held && byPlace !== current.top <= 0) setByPlace(current.top <= 0);

  useLayoutEffect(() => {
    const element = scrollRef.current;
    if (element === null) return undefined;
    setHeight(element.clientHeight);
    let quiet: ReturnType<typeof setTimeout> | undefined;
    const ended = (): void => {
      clearTimeout(quiet);
      setUserScrolling(false);
    };
    const onScroll = (): void => {
      const top = element.scrollTop;
      const ours = ownWrite.current && Math.abs(top - elementTop.current) < 1;
      ownWrite.current = false;
      elementTop.current = top;
      if (ours) return;
      // Sub-pixel differences are rounding at a zoom level, not a move: the intended position
      // is kept, so anchoring does not accumulate them.
      setScrolled((s) => (Math.abs(s.top - top) < 1 ? s : { ...s, top }));
      setUserScrolling(true);
      clearTimeout(quiet);
      quiet = setTimeout(ended, SCROLL_QUIET_MS);
    };
    const resized = new ResizeObserver(() => setHeight(element.clientHeight));
    const press = (): void => setPressed(true);
    // Released after the click that the release makes has been dispatched (same task), so the
    // click lands on the connection that was pressed.
    let release: ReturnType<typeof setTimeout> | undefined;
    const released = (): void => {
      clearTimeout(release);
      release = setTimeout(() => setPressed(false), 0);
    };
    // Only a control in a body row holds: not the table itself (it takes the focus for keyboard
    // scrolling) and not a header's sort button, which keeps the focus after a click.
    const focusMoved = (): void => {
      const focused = document.activeElement;
      const row = focused?.closest('[role="row"]');
      setFocusInRow(
        row !== null && row !== undefined && element.contains(row) && row.getAttribute('aria-rowindex') !== '1',
      );
    };
    element.addEventListener('scroll', onScroll, { passive: true });
    element.addEventListener('scrollend', ended, { passive: true });
    element.addEventListener('pointerdown', press);
    window.addEventListener('pointerup', released);
    window.addEventListener('pointercancel', released);
    element.addEventListener('focusin', focusMoved);
    // Where the focus went is known only once the move is done.
    let moved: ReturnType<typeof setTimeout> | undefined;
    const focusLeft = (): void => {
      clearTimeout(moved);
      moved = setTimeout(focusMoved, 0);
    };
    element.addEventListener('focusout', focusLeft);
    resized.observe(element);
    return () => {
      clearTimeout(quiet);
      clearTimeout(release);
      element.removeEventListener('scroll', onScroll);
      element.removeEventListener('scrollend', ended);
      element.removeEventListener('pointerdown', press);
      window.removeEventListener('pointerup', released);
      window.removeEventListener('pointercancel', released);
      element.removeEventListener('focusin', focusMoved);
      element.removeEventListener('focusout', focusLeft);
      clearTimeout(moved);
      resized.disconnect();
    };
  }, []);

  useLayoutEffect(() => {
    const element = scrollRef.current;
    if (element === null || Math.abs(current.top - elementTop.current) < 1) return;
    ownWrite.current = true;
    element.scrollTop = current.top;
    // The browser clamps a position past the end; the rows must be computed for the real one.
    const actual = element.scrollTop;
    elementTop.current = actual;
    if (Math.abs(actual - current.top) >= 1) setScrolled((s) => ({ ...s, top: actual }));
  }, [current]);

  return {
    scrollRef,
    rows: current.rows,
    // Before the first measurement (or while hidden) a screenful's worth rather than no rows.
    range: visibleRange(current.top, height > 0 ? height : 1000, current.rows.length, rowHeight, overscan),
    byPlace,
    offset: current.offset,
  };
}
