import type { VirtualItem } from '@tanstack/react-virtual';
import type { HistoryPages } from '../lib/history-pages.ts';

/**
 * The body of a paged table (History, DNS log): the virtual rows in view, each its cells once its
 * page has come and a loading cell before; a click selects a row. Then the sentence for an empty
 * result and the alert for a page the engine would not give.
 */
export function PagedRows<R extends { readonly id: string | number }>(props: {
  readonly items: readonly VirtualItem[];
  readonly totalHeight: number;
  readonly rowHeight: number;
  readonly pages: HistoryPages<R> | null;
  readonly selected: R | null;
  readonly onSelect: (row: R) => void;
  readonly cells: (row: R) => React.JSX.Element;
  /** Whether the count came back as zero. */
  readonly empty: boolean;
  readonly words: { readonly loading: string; readonly empty: string; readonly failed: string };
}): React.JSX.Element {
  const { items, pages, selected, onSelect, words } = props;
  return (
    <>
      <div role="rowgroup" className="table-body" style={{ height: props.totalHeight }}>
        {items.map((item) => {
          const row = pages?.row(item.index);
          return (
            <div
              role="row"
              key={item.key}
              aria-rowindex={item.index + 2}
              aria-selected={row !== undefined && row.id === selected?.id}
              className="table-row history-row"
              style={{ transform: `translateY(${item.start}px)`, height: props.rowHeight }}
              onClick={() => {
                if (row !== undefined) onSelect(row);
              }}
            >
              {row === undefined ? (
                <div role="cell" className="td history-loading">
                  {words.loading}
                </div>
              ) : (
                props.cells(row)
              )}
            </div>
          );
        })}
      </div>
      {props.empty ? <p className="table-empty">{words.empty}</p> : null}
      {pages?.failed === true ? (
        <p className="table-empty" role="alert">
          {words.failed}
        </p>
      ) : null}
    </>
  );
}
