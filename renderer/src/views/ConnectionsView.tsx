import { useDeferredValue, useMemo, useState } from 'react';
import { ConnectionsTable } from '../components/ConnectionsTable.tsx';
import { SearchBox } from '../components/SearchBox.tsx';
import { Segmented } from '../components/Segmented.tsx';
import { ViewHeader } from '../components/ViewHeader.tsx';
import { DEFAULT_QUERY, queryConnections, type ConnectionSort, type VerdictFilter } from '../lib/connection-query.ts';
import { plural } from '../lib/format.ts';
import { useAppStore } from '../store/store.ts';

const FILTERS: readonly { value: VerdictFilter; label: string }[] = [
  { value: 'all', label: 'All' },
  { value: 'live', label: 'Live' },
  { value: 'allowed', label: 'Allowed' },
  { value: 'blocked', label: 'Blocked' },
  { value: 'pending', label: 'Waiting' },
];

/** Every connection the engine saw, live: search, filter by verdict, sort by any column. */
export function ConnectionsView(): React.JSX.Element {
  const rows = useAppStore((s) => s.connectionRows);
  const [search, setSearch] = useState('');
  const [filter, setFilter] = useState<VerdictFilter>('all');
  const [sort, setSort] = useState<ConnectionSort>(DEFAULT_QUERY.sort);
  const deferredSearch = useDeferredValue(search);
  const visible = useMemo(
    () => queryConnections(rows, { search: deferredSearch, filter, sort, app: null }),
    [rows, deferredSearch, filter, sort],
  );
  const live = useMemo(() => rows.reduce((n, r) => n + (r.endedAt === null ? 1 : 0), 0), [rows]);
  return (
    <section className="view view-fill" aria-label="Connections">
      <ViewHeader
        title="Connections"
        subtitle={`${plural(rows.length, 'connection')} recorded, ${live.toLocaleString('en-US')} live`}
      />
      <div className="toolbar">
        <SearchBox
          label="Search connections"
          placeholder="Search app, host, address, port…"
          value={search}
          onChange={setSearch}
        />
        <Segmented label="Show" options={FILTERS} value={filter} onChange={setFilter} />
        <span className="toolbar-count">
          {visible.length === rows.length ? '' : `${visible.length.toLocaleString('en-US')} shown`}
        </span>
      </div>
      <ConnectionsTable
        rows={visible}
        sort={sort}
        onSort={setSort}
        label="Connections"
        emptyText={
          rows.length === 0 ? 'No connections yet. They appear here as apps use the network.' : 'Nothing matches.'
        }
      />
    </section>
  );
}
