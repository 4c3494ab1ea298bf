import { useDeferredValue, useMemo, useState } from 'react';
import { ConnectionsTable } from '../components/ConnectionsTable.tsx';
import { SearchBox } from '../components/SearchBox.tsx';
import { Segmented } from '../components/Segmented.tsx';
import { ViewHeader } from '../components/ViewHeader.tsx';
import { type ConnectionSort, DEFAULT_QUERY, type VerdictFilter } from '../lib/connection-query.ts';
import { ConnectionView } from '../lib/connection-view.ts';
import { formatCount, plural } from '../lib/format.ts';
import { useAppStore } from '../store/store.ts';
import { connectionDelta, liveConnectionCount } from '../store/sync.ts';
import { COMMON, COUNTED } from '../strings/common-strings.ts';
import { CONNECTIONS } from '../strings/connections-strings.ts';

const FILTERS: readonly { value: VerdictFilter; label: string }[] = (
  ['all', 'live', 'allowed', 'blocked', 'pending'] as const
).map((value) => ({ value, label: CONNECTIONS.filters[value] }));

/** Every connection the engine saw, live: search, filter by verdict, sort by any column. */
export function ConnectionsView(): React.JSX.Element {
  const rows = useAppStore((s) => s.connectionRows);
  const [search, setSearch] = useState('');
  const [filter, setFilter] = useState<VerdictFilter>('all');
  const [sort, setSort] = useState<ConnectionSort>(DEFAULT_QUERY.sort);
  const deferredSearch = useDeferredValue(search);
  // Kept between renders: a flush updates the sorted rows in place instead of sorting them all.
  const [view] = useState(() => new ConnectionView());
  const visible = useMemo(
    () => view.rows(rows, { search: deferredSearch, filter, sort, app: null }, connectionDelta(rows)),
    [view, rows, deferredSearch, filter, sort],
  );
  const live = useMemo(() => liveConnectionCount(rows), [rows]);
  return (
    <section className="view view-fill" aria-label={CONNECTIONS.title}>
      <ViewHeader
        title={CONNECTIONS.title}
        subtitle={CONNECTIONS.subtitle(plural(rows.length, COUNTED.connection), formatCount(live))}
      />
      <div className="toolbar">
        <SearchBox
          label={CONNECTIONS.search}
          placeholder={CONNECTIONS.searchPlaceholder}
          value={search}
          onChange={setSearch}
        />
        <Segmented label={CONNECTIONS.show} options={FILTERS} value={filter} onChange={setFilter} />
        <span className="toolbar-count">
          {visible.length === rows.length ? '' : COMMON.shown(formatCount(visible.length))}
        </span>
      </div>
      <ConnectionsTable
        rows={visible}
        sort={sort}
        onSort={setSort}
        resetKey={`${filter}|${deferredSearch}`}
        label={CONNECTIONS.title}
        emptyText={rows.length === 0 ? CONNECTIONS.empty : COMMON.nothingMatches}
      />
    </section>
  );
}
