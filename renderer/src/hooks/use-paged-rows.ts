import { useVirtualizer } from '@tanstack/react-virtual';
import { useEffect, useMemo, useReducer, useRef, useState } from 'react';
import { HistoryPages } from '../lib/history-pages.ts';

/** A count as the stored views' count requests answer it. */
export interface CappedCount {
  readonly count: number;
  readonly capped: boolean;
}

/**
 * The rows of a stored view (History, DNS log) for `query`: counted, then read page by page from
 * the engine as the table scrolls (never all of them), in a virtualized list of rows of `rowHeight`
 * pixels. A new query starts at the top with nothing selected. `fetchPage` and `fetchCount`
 * answer undefined when the engine refused (the view shows what it has).
 */
export function usePagedRows<Q, R>(options: {
  readonly query: Q | null;
  readonly fetchPage: (query: Q, offset: number, limit: number) => Promise<readonly R[] | undefined>;
  readonly fetchCount: (query: Q) => Promise<CappedCount | undefined>;
  readonly rowHeight: number;
}) {
  const { query, fetchPage, fetchCount, rowHeight } = options;
  const [count, setCount] = useState<CappedCount | null>(null);
  const [, redraw] = useReducer((n: number) => n + 1, 0);
  // Made again only for a new query (the fetchers are the caller's, new at every render).
  const pages = useMemo(
    () => (query === null ? null : new HistoryPages<R>((offset, limit) => fetchPage(query, offset, limit), redraw)),
    [query],
  );
  useEffect(() => {
    if (query === null) return;
    let current = true;
    setCount(null);
    void fetchCount(query).then((counted) => {
      if (current && counted !== undefined) setCount(counted);
    });
    return () => {
      current = false;
    };
  }, [query]);

  const [selected, setSelected] = useState<R | null>(null);
  const scrollRef = useRef<HTMLDivElement>(null);
  const virtualizer = useVirtualizer({
    count: count?.count ?? 0,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => rowHeight,
    overscan: 20,
  });
  const items = virtualizer.getVirtualItems();
  const first = items[0]?.index ?? 0;
  const last = items[items.length - 1]?.index ?? -1;
  useEffect(() => pages?.want(first, last), [pages, first, last]);
  // A new query starts at the top.
  useEffect(() => {
    scrollRef.current?.scrollTo({ top: 0 });
    setSelected(null);
  }, [query]);
  return { count, pages, virtualizer, items, scrollRef, selected, setSelected };
}
