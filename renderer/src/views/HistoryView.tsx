import { useDeferredValue, useEffect, useId, useMemo, useReducer, useState } from 'react';
import type { HistoryFilterInput, HistoryRow, HistorySort } from '../../../app/contract/history.ts';
import { exportHistory, historyCount, historyPage } from '../bridge.ts';
import { Icon } from '../components/Icon.tsx';
import { PagedRows } from '../components/PagedRows.tsx';
import { SearchBox } from '../components/SearchBox.tsx';
import { Segmented } from '../components/Segmented.tsx';
import { ViewHeader } from '../components/ViewHeader.tsx';
import { usePagedRows } from '../hooks/use-paged-rows.ts';
import { appName, formatBytes, formatTime, plural } from '../lib/format.ts';
import type { HistoryForm, HistoryFormProblem, HistoryRange } from '../lib/history-filter.ts';
import { EMPTY_HISTORY_FORM, formatElapsed, HISTORY_RANGES, historyFilterOf } from '../lib/history-filter.ts';
import { visibleText } from '../lib/visible-text.ts';
import { useAppStore } from '../store/store.ts';
import { HISTORY } from '../strings/history-strings.ts';
import { HistoryDetails } from './HistoryDetails.tsx';

const ROW_HEIGHT = 32;
type SortKey = HistorySort['key'];
const COLUMNS: readonly SortKey[] = ['startedAt', 'appPath', 'host', 'remotePort', 'duration', 'bytes'];
const RANGE_OPTIONS = HISTORY_RANGES.map((value) => ({ value, label: HISTORY.rangeLabels[value] }));
const VERDICT_OPTIONS = (['all', 'allowed', 'blocked'] as const).map((value) => ({
  value,
  label: HISTORY.verdicts[value],
}));
const DIRECTION_OPTIONS = (['all', 'outbound', 'inbound'] as const).map((value) => ({
  value,
  label: HISTORY.directions[value],
}));

/** One query the table shows: its filter and sort, asked at one moment. */
interface Query {
  readonly filter: HistoryFilterInput;
  readonly sort: HistorySort;
}

/**
 * The stored connection history: a time range, filters and free text, sorted by a column, read
 * page by page from the database as the table scrolls (never the whole history), with the
 * details of the selected connection.
 */
export function HistoryView(): React.JSX.Element {
  const addToast = useAppStore((s) => s.addToast);
  const [form, setForm] = useState<HistoryForm>(EMPTY_HISTORY_FORM);
  const [sort, setSort] = useState<HistorySort>({ key: 'startedAt', descending: true });
  const [showMore, setShowMore] = useState(false);
  const [refreshed, refresh] = useReducer((n: number) => n + 1, 0);
  const deferredForm = useDeferredValue(form);
  // Built again when the form changes or on a refresh (`refreshed`, not read inside): the range
  // then ends at the current time, so connections stored since are in it.
  const built = useMemo(() => historyFilterOf(deferredForm, Date.now()), [deferredForm, refreshed]);
  const problems: readonly HistoryFormProblem[] = 'problems' in built ? built.problems : [];
  // An invalid field keeps the last valid query on screen.
  const [query, setQuery] = useState<Query | null>(null);
  useEffect(() => {
    if ('filter' in built) setQuery({ filter: built.filter, sort });
  }, [built, sort]);

  const { count, pages, virtualizer, items, scrollRef, selected, setSelected } = usePagedRows<Query, HistoryRow>({
    query,
    fetchPage: async (q, offset, limit) => {
      const result = await historyPage({ filter: q.filter, sort: q.sort, offset, limit });
      return result.ok ? result.value : undefined;
    },
    fetchCount: async (q) => {
      const result = await historyCount(q.filter);
      return result.ok ? result.value : undefined;
    },
    rowHeight: ROW_HEIGHT,
  });
  const rows = count?.count ?? 0;

  const update = (patch: Partial<HistoryForm>): void => setForm((f) => ({ ...f, ...patch }));
  const now = Date.now();
  const subtitle =
    count === null
      ? HISTORY.counting
      : HISTORY.subtitle(
          count.capped
            ? HISTORY.moreThan(plural(count.count, HISTORY.connections))
            : plural(count.count, HISTORY.connections),
          HISTORY.ranges[form.range],
        );

  return (
    <section className="view view-fill" aria-label={HISTORY.title}>
      <ViewHeader title={HISTORY.title} subtitle={subtitle}>
        {(['csv', 'jsonl'] as const).map((format) => (
          <button
            key={format}
            type="button"
            className="button button-ghost"
            disabled={query === null}
            onClick={() => {
              if (query === null) return;
              void exportHistory({ filter: query.filter, format }).then((result) =>
                addToast(
                  result.ok ? 'info' : 'error',
                  result.ok
                    ? HISTORY.exported(plural(result.value.rows, HISTORY.connections), result.value.path)
                    : HISTORY.exportFailed(result.error.message),
                ),
              );
            }}
          >
            <Icon name="download" size={15} />
            {format === 'csv' ? HISTORY.exportCsv : HISTORY.exportJsonl}
          </button>
        ))}
        <button type="button" className="button button-ghost" onClick={refresh}>
          <Icon name="clock" size={15} />
          {HISTORY.refresh}
        </button>
      </ViewHeader>
      <div className="toolbar">
        <SearchBox
          label={HISTORY.search}
          placeholder={HISTORY.searchPlaceholder}
          value={form.text}
          onChange={(text) => update({ text })}
        />
        <Segmented<HistoryRange>
          label={HISTORY.range}
          options={RANGE_OPTIONS}
          value={form.range}
          onChange={(range) => update({ range })}
        />
        <Segmented
          label={HISTORY.verdict}
          options={VERDICT_OPTIONS}
          value={form.verdict}
          onChange={(verdict) => update({ verdict })}
        />
        <Segmented
          label={HISTORY.direction}
          options={DIRECTION_OPTIONS}
          value={form.direction}
          onChange={(direction) => update({ direction })}
        />
        <button
          type="button"
          className="button button-ghost"
          aria-expanded={showMore}
          onClick={() => setShowMore((shown) => !shown)}
        >
          {HISTORY.moreFilters}
        </button>
      </div>
      {showMore ? (
        <div className="toolbar history-more">
          <TextFilter label={HISTORY.appPath} value={form.appPath} onChange={(appPath) => update({ appPath })} />
          <TextFilter
            label={HISTORY.host}
            value={form.host}
            problem={problems.includes('host') ? HISTORY.invalid.host : undefined}
            onChange={(host) => update({ host })}
          />
          <TextFilter
            label={HISTORY.address}
            value={form.address}
            problem={problems.includes('address') ? HISTORY.invalid.address : undefined}
            onChange={(address) => update({ address })}
          />
          <TextFilter
            label={HISTORY.port}
            value={form.port}
            problem={problems.includes('port') ? HISTORY.invalid.port : undefined}
            onChange={(port) => update({ port })}
          />
          <button type="button" className="button button-ghost" onClick={() => setForm(EMPTY_HISTORY_FORM)}>
            {HISTORY.clearFilters}
          </button>
        </div>
      ) : null}
      <div className="history-body">
        <div className="data-table history-table">
          <div
            className="table-scroll"
            ref={scrollRef}
            tabIndex={0}
            role="table"
            aria-label={HISTORY.title}
            aria-rowcount={rows + 1}
          >
            <div role="rowgroup" className="table-head">
              <div role="row" className="table-row" aria-rowindex={1}>
                {COLUMNS.map((key) => (
                  <SortHeader key={key} column={key} sort={sort} onSort={setSort} />
                ))}
                <div role="columnheader" className="th">
                  {HISTORY.columns.verdict}
                </div>
              </div>
            </div>
            <PagedRows
              items={items}
              totalHeight={virtualizer.getTotalSize()}
              rowHeight={ROW_HEIGHT}
              pages={pages}
              selected={selected}
              onSelect={setSelected}
              cells={(row) => <HistoryCells row={row} now={now} onOpen={() => setSelected(row)} />}
              empty={count !== null && rows === 0}
              words={HISTORY}
            />
          </div>
        </div>
        {selected === null ? null : <HistoryDetails row={selected} now={now} onClose={() => setSelected(null)} />}
      </div>
    </section>
  );
}

function SortHeader({
  column,
  sort,
  onSort,
}: {
  readonly column: SortKey;
  readonly sort: HistorySort;
  readonly onSort: (sort: HistorySort) => void;
}): React.JSX.Element {
  const active = sort.key === column;
  const label = HISTORY.columns[column];
  return (
    <div
      role="columnheader"
      className="th"
      aria-sort={active ? (sort.descending ? 'descending' : 'ascending') : undefined}
    >
      <button
        type="button"
        className="sort-button"
        aria-label={HISTORY.sortBy(label)}
        // A new column starts with what users look for first: newest, biggest, longest, A→Z.
        onClick={() =>
          onSort({
            key: column,
            descending: active
              ? !sort.descending
              : column !== 'appPath' && column !== 'host' && column !== 'remotePort',
          })
        }
      >
        <span className="th-label">{label}</span>
        <span className={`sort-mark ${active ? 'is-active' : ''}`} aria-hidden="true">
          <Icon name={active && !sort.descending ? 'arrowUp' : 'arrowDown'} size={12} />
        </span>
      </button>
    </div>
  );
}

function HistoryCells({
  row,
  now,
  onOpen,
}: {
  readonly row: HistoryRow;
  readonly now: number;
  readonly onOpen: () => void;
}): React.JSX.Element {
  return (
    <>
      <div role="cell" className="td num">
        <button type="button" className="link-button" onClick={onOpen}>
          {formatTime(row.startedAt, now)}
        </button>
      </div>
      <div role="cell" className="td" title={visibleText(row.appPath)}>
        {row.appPath === '' ? HISTORY.unknownApp : appName(row.appPath)}
      </div>
      <div role="cell" className="td mono" title={row.remoteIp}>
        {row.host ?? row.remoteIp}
      </div>
      <div role="cell" className="td num">
        {row.remotePort}
      </div>
      <div role="cell" className="td num">
        {row.endedAt === null ? HISTORY.open : formatElapsed(row.endedAt - row.startedAt)}
      </div>
      <div role="cell" className="td num">
        {formatBytes(row.bytesSent + row.bytesReceived)}
      </div>
      <div role="cell" className="td">
        <span className={`pill pill-${row.verdict === 'allow' ? 'allowed' : 'blocked'}`}>
          {HISTORY.verdictNames[row.verdict]}
        </span>
      </div>
    </>
  );
}

function TextFilter({
  label,
  value,
  problem,
  onChange,
}: {
  readonly label: string;
  readonly value: string;
  readonly problem?: string | undefined;
  readonly onChange: (value: string) => void;
}): React.JSX.Element {
  const id = useId();
  return (
    <label className="field history-field">
      <span className="field-label">{label}</span>
      <input
        type="text"
        value={value}
        aria-invalid={problem !== undefined}
        aria-describedby={problem === undefined ? undefined : id}
        onChange={(event) => onChange(event.target.value)}
      />
      {problem === undefined ? null : (
        <span id={id} className="field-problem">
          {problem}
        </span>
      )}
    </label>
  );
}
