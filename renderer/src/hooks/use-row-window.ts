import { type RefObject, useLayoutEffect, useRef, useState } from 'react';
import { anchoredTop, type RowRange, visibleRange } from '../lib/row-window.ts';

interface Scrolled<Row> {
  readonly rows: readonly Row[];
  readonly resetKey: string;
  /** The scroll position the rows are shown at (the element's, or where it is about to go). */
  readonly top: number;
}

export interface RowWindow {
  readonly scrollRef: RefObject<HTMLDivElement | null>;
  /** The rows to put in the DOM. */
  readonly range: RowRange;
  /** At the very top: the view follows the newest rows instead of keeping its rows in place. */
  readonly atTop: boolean;
}

/**
 * Windowing for a live table of fixed-height rows in the scroll element `scrollRef` is put on.
 * When `rows` changes and the table is scrolled, the row at the top of the viewport is kept
 * where it is on screen (rows arriving above it push the scroll position down instead of the
 * rows), so what the user reads does not slide away at every flush, and the rows in the DOM stay
 * the same ones: a flush moves them, it does not rebuild them. A new `resetKey` (another sort or
 * filter) scrolls to the top instead.
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
): RowWindow {
  const scrollRef = useRef<HTMLDivElement>(null);
  const [height, setHeight] = useState(0);
  const [scrolled, setScrolled] = useState<Scrolled<Row>>({ rows, resetKey, top: 0 });
  // The element's scroll position as last read or written: the effect below writes only a change.
  const elementTop = useRef(0);

  let current = scrolled;
  if (scrolled.rows !== rows || scrolled.resetKey !== resetKey) {
    // Derived during render (React re-renders at once, before committing): the new rows are
    // never shown at the old position.
    const top = scrolled.resetKey === resetKey ? anchoredTop(scrolled.rows, rows, scrolled.top, rowHeight) : 0;
    current = { rows, resetKey, top };
    setScrolled(current);
  }

  useLayoutEffect(() => {
    const element = scrollRef.current;
    if (element === null) return undefined;
    setHeight(element.clientHeight);
    const onScroll = (): void => {
      const top = element.scrollTop;
      elementTop.current = top;
      setScrolled((s) => (s.top === top ? s : { ...s, top }));
    };
    const resized = new ResizeObserver(() => setHeight(element.clientHeight));
    element.addEventListener('scroll', onScroll, { passive: true });
    resized.observe(element);
    return () => {
      element.removeEventListener('scroll', onScroll);
      resized.disconnect();
    };
  }, []);

  useLayoutEffect(() => {
    const element = scrollRef.current;
    if (element === null || current.top === elementTop.current) return;
    element.scrollTop = current.top;
    // The browser clamps a position past the end; the rows must be computed for the real one.
    const actual = element.scrollTop;
    elementTop.current = actual;
    if (actual !== current.top) setScrolled((s) => (s.top === actual ? s : { ...s, top: actual }));
  }, [current]);

  return {
    scrollRef,
    // Before the first measurement (or while hidden) a screenful's worth rather than no rows.
    range: visibleRange(current.top, height > 0 ? height : 1000, rows.length, rowHeight, overscan),
    atTop: current.top <= 0,
  };
}
