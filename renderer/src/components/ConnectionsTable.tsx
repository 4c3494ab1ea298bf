import {
  constructRow,
  createColumnHelper,
  flexRender,
  functionalUpdate,
  type Row,
  rowSortingFeature,
  type SortingState,
  tableFeatures,
  type Updater,
  useTable,
} from '@tanstack/react-table';
import { memo, useRef } from 'react';
import type { ConnectionRow } from '../../../app/contract/views.ts';
import { useRowWindow } from '../hooks/use-row-window.ts';
import {
  CONNECTION_COLUMNS,
  type ConnectionColumn,
  type ConnectionSort,
  verdictGroup,
  verdictLabel,
} from '../lib/connection-query.ts';
import { appName, directionLabel, formatBytes, formatTimeInColumn, protocolName } from '../lib/format.ts';
import { connectionToForm, describeApp, describeDestination } from '../lib/rule-form.ts';
import { verdictOrigin } from '../lib/verdict-origin.ts';
import { visibleText } from '../lib/visible-text.ts';
import { useAppStore } from '../store/store.ts';
import { COMMON } from '../strings/common-strings.ts';
import { CONNECTIONS } from '../strings/connections-strings.ts';
import { AppAvatar } from './AppAvatar.tsx';
import { Icon } from './Icon.tsx';

const ROW_HEIGHT = 34;
/** Rows kept in the DOM above and below the viewport, so a scroll shows no blank row first. */
const OVERSCAN = 6;

const features = tableFeatures({ rowSortingFeature });
const helper = createColumnHelper<typeof features, ConnectionRow>();

/** A rule as the Verdict tooltip names it ("curl → example.org"); '' when it is not in the list. */
function ruleLabel(ruleId: string): string {
  const rule = useAppStore.getState().rules.find((r) => r.id === ruleId);
  return rule === undefined ? '' : CONNECTIONS.ruleName(describeApp(rule.app), describeDestination(rule.destination));
}

function makeRule(row: ConnectionRow): void {
  useAppStore.getState().openRuleEditor({ ruleId: null, form: connectionToForm(row), origin: 'connection' });
}

const appColumn = helper.accessor((row) => row.app, {
  id: 'app',
  header: CONNECTIONS.columns.app,
  cell: (info) => (
    <span className="cell-app" title={visibleText(info.getValue())}>
      <AppAvatar label={info.getValue()} />
      <span className="truncate">{appName(info.getValue())}</span>
    </span>
  ),
});

const otherColumns = [
  helper.accessor((row) => row.direction, {
    id: 'direction',
    header: CONNECTIONS.columns.direction,
    // In a narrow table only the arrow shows (tables.css); the word stays for screen readers and
    // as the tooltip.
    cell: (info) => (
      <span className="cell-direction" title={directionLabel(info.getValue())}>
        <Icon name={info.getValue() === 'inbound' ? 'in' : 'out'} size={13} />
        <span className="direction-label">{directionLabel(info.getValue())}</span>
      </span>
    ),
  }),
  helper.accessor((row) => row.host, {
    id: 'host',
    header: CONNECTIONS.columns.host,
    cell: (info) => info.getValue() ?? <span className="muted">{COMMON.none}</span>,
  }),
  helper.accessor((row) => row.remoteIp, {
    id: 'remoteIp',
    header: CONNECTIONS.columns.remoteIp,
    cell: (info) => info.getValue(),
  }),
  helper.accessor((row) => row.remotePort, {
    id: 'remotePort',
    header: CONNECTIONS.columns.remotePort,
    cell: (info) => info.getValue(),
  }),
  helper.accessor((row) => row.protocol, {
    id: 'protocol',
    header: CONNECTIONS.columns.protocol,
    cell: (info) => protocolName(info.getValue()),
  }),
  helper.accessor((row) => row.verdict, {
    id: 'verdict',
    header: CONNECTIONS.columns.verdict,
    cell: (info) => (
      <span
        className={`pill pill-${verdictGroup(info.getValue())}`}
        title={verdictOrigin(info.row.original, ruleLabel)}
      >
        {verdictLabel(info.getValue())}
      </span>
    ),
  }),
  helper.accessor((row) => row.bytesSent, {
    id: 'sent',
    header: CONNECTIONS.columns.sent,
    sortDescFirst: true,
    cell: (info) => formatBytes(info.getValue()),
  }),
  helper.accessor((row) => row.bytesReceived, {
    id: 'received',
    header: CONNECTIONS.columns.received,
    sortDescFirst: true,
    cell: (info) => formatBytes(info.getValue()),
  }),
  helper.accessor((row) => row.startedAt, {
    id: 'started',
    header: CONNECTIONS.columns.started,
    sortDescFirst: true,
    cell: (info) => columnTime(info.getValue()),
  }),
  helper.accessor((row) => row.endedAt, {
    id: 'ended',
    header: CONNECTIONS.columns.ended,
    sortDescFirst: true,
    cell: (info) => {
      const ended = info.getValue();
      if (ended === null) {
        return (
          <span className="live">
            <span className="dot dot-ok" aria-hidden="true" />
            {CONNECTIONS.live}
          </span>
        );
      }
      if (!info.row.original.endUnseen) return columnTime(ended);
      // A mark after the time, not words: the column is as wide as a time. The words are the
      // mark's text for screen readers, the tooltip says what it means.
      const { text, full } = formatTimeInColumn(ended, Date.now());
      return (
        <span
          className="end-unseen"
          title={full === null ? CONNECTIONS.endUnseenTitle : `${full}. ${CONNECTIONS.endUnseenTitle}`}
        >
          {text}
          <Icon name="alert" size={12} />
          <span className="sr-only"> ({CONNECTIONS.endUnseen})</span>
        </span>
      );
    },
  }),
  helper.display({
    id: 'actions',
    header: () => <span className="sr-only">{CONNECTIONS.columns.actions}</span>,
    enableSorting: false,
    // A narrow table shows a "+" instead of the words (drawn by tables.css: no element more in
    // every row that scrolls in), which stay its accessible name.
    cell: (info) => (
      <button
        type="button"
        className="button button-small row-action"
        title={CONNECTIONS.makeRule}
        onClick={() => makeRule(info.row.original)}
      >
        <span className="row-action-label">{CONNECTIONS.makeRule}</span>
      </button>
    ),
  }),
];

/** All columns; the Apps view leaves out App (it shows one app's connections). */
const ALL_COLUMNS = helper.columns([appColumn, ...otherColumns]);
const COLUMNS_WITHOUT_APP = helper.columns(otherColumns);
const NO_DATA: readonly ConnectionRow[] = [];

type TableRow = Row<typeof features, ConnectionRow>;

/**
 * Started or Ended: the clock time today, the day before (the whole as its tooltip). A plain
 * function, not a component: two per row, made for every row that scrolls in.
 */
function columnTime(at: number): React.JSX.Element | string {
  const { text, full } = formatTimeInColumn(at, Date.now());
  return full === null ? text : <span title={full}>{text}</span>;
}

/** Columns whose text a narrow column cuts with an ellipsis: the whole text is the tooltip. */
const CUT_COLUMNS: ReadonlySet<string> = new Set(['host', 'remoteIp']);

function cutText(id: string, value: unknown): string | undefined {
  return CUT_COLUMNS.has(id) && typeof value === 'string' ? value : undefined;
}

/**
 * The cells of one row. Memoized on the row object alone, which stays the same until its
 * connection changes (rows are cached per ConnectionRow): newest first, every flush moves every
 * row down, and only the position (VirtualRow) has to follow, not the cells. Keyed by column, so
 * a row element kept by place keeps its cells and only their contents change.
 */
const RowCells = memo(function RowCells({ row }: { readonly row: TableRow }): React.JSX.Element {
  return (
    <>
      {row.getAllCells().map((cell) => (
        <div
          role="cell"
          key={cell.column.id}
          className={`td td-${cell.column.id}`}
          title={cutText(cell.column.id, cell.getValue())}
        >
          {flexRender(cell.column.columnDef.cell, cell.getContext())}
        </div>
      ))}
    </>
  );
});

/** One body row: its position, its row index for ARIA, and its (memoized) cells. */
const VirtualRow = memo(function VirtualRow({
  row,
  index,
  start,
}: {
  readonly row: TableRow;
  readonly index: number;
  readonly start: number;
}): React.JSX.Element {
  const group = verdictGroup(row.original.verdict);
  return (
    <div
      role="row"
      aria-rowindex={index + 2}
      className={`table-row row-${group} ${row.original.endedAt === null ? '' : 'is-ended'}`}
      style={{ transform: `translateY(${start}px)`, height: ROW_HEIGHT }}
    >
      <RowCells row={row} />
    </div>
  );
});

function isColumn(id: string): id is ConnectionColumn {
  return (CONNECTION_COLUMNS as readonly string[]).includes(id);
}

/**
 * The live connections: an ARIA table whose body is virtualized (only visible rows are in the
 * DOM). Rows arrive filtered and sorted (lib/connection-query.ts); the table owns the columns,
 * the header sorting interaction and the cell rendering.
 */
export function ConnectionsTable({
  rows,
  sort,
  onSort,
  label,
  emptyText,
  withApp = true,
  resetKey = '',
}: {
  readonly rows: readonly ConnectionRow[];
  readonly sort: ConnectionSort;
  readonly onSort: (sort: ConnectionSort) => void;
  readonly label: string;
  readonly emptyText: string;
  readonly withApp?: boolean;
  /** Changes when the rows are another query (sort, filter, search): the table scrolls to the top. */
  readonly resetKey?: string;
}): React.JSX.Element {
  const sorting: SortingState = [{ id: sort.column, desc: sort.desc }];
  // The table gets no data: building 100 000 row objects on every flush costs tens of
  // milliseconds. Rows are filtered and sorted outside (lib/connection-query.ts) and the
  // window (hooks/use-row-window.ts) takes the few visible ones, made here on demand and cached per row object.
  const table = useTable({
    features,
    columns: withApp ? ALL_COLUMNS : COLUMNS_WITHOUT_APP,
    data: NO_DATA,
    manualSorting: true,
    enableSortingRemoval: false,
    state: { sorting },
    onSortingChange: (updater: Updater<SortingState>) => {
      const next = functionalUpdate(updater, sorting)[0];
      if (next !== undefined && isColumn(next.id)) onSort({ column: next.id, desc: next.desc });
    },
  });
  const cache = useRef(new WeakMap<ConnectionRow, TableRow>());
  const shown = useRowWindow(rows, ROW_HEIGHT, OVERSCAN, `${sort.column}|${sort.desc}|${resetKey}`);
  const rowAt = (index: number): TableRow | null => {
    const original = shown.rows[index];
    if (original === undefined) return null;
    let row = cache.current.get(original);
    if (row === undefined) {
      row = constructRow(table, String(original.id), original, index, 0);
      cache.current.set(original, row);
    }
    return row;
  };
  const rowElements: React.JSX.Element[] = [];
  for (let index = shown.range.first; index < shown.range.end; index += 1) {
    const row = rowAt(index);
    if (row === null) continue;
    // Scrolled: keyed by connection, so a flush that moves rows moves the same elements. At the
    // top, where a flush replaces every visible row, keyed by place: the elements stay and only
    // their contents change (use-row-window.ts says when that is safe).
    const key = shown.byPlace ? `at-${String(index)}` : `id-${String(row.id)}`;
    rowElements.push(<VirtualRow key={key} row={row} index={index} start={index * ROW_HEIGHT - shown.offset} />);
  }

  return (
    <div className={`data-table connections-table ${withApp ? '' : 'without-app'}`}>
      <div
        className="table-scroll"
        ref={shown.scrollRef}
        tabIndex={0}
        role="table"
        aria-label={label}
        aria-rowcount={shown.rows.length + 1}
      >
        <div role="rowgroup" className="table-head">
          {table.getHeaderGroups().map((group) => (
            <div role="row" className="table-row" key={group.id} aria-rowindex={1}>
              {group.headers.map((header) => {
                const sorted = header.column.getIsSorted();
                const canSort = header.column.getCanSort();
                // The name as a tooltip: a narrow table cuts some ("Remote addr…") and shows
                // Direction's not at all.
                const name = header.column.columnDef.header;
                return (
                  <div
                    role="columnheader"
                    key={header.id}
                    className={`th th-${header.id}`}
                    title={typeof name === 'string' ? name : undefined}
                    aria-sort={sorted === 'asc' ? 'ascending' : sorted === 'desc' ? 'descending' : undefined}
                  >
                    {canSort ? (
                      <button type="button" className="sort-button" onClick={header.column.getToggleSortingHandler()}>
                        <span className="th-label">
                          <table.FlexRender header={header} />
                        </span>
                        <span className={`sort-mark ${sorted === false ? '' : 'is-active'}`} aria-hidden="true">
                          <Icon name={sorted === 'asc' ? 'arrowUp' : 'arrowDown'} size={12} />
                        </span>
                      </button>
                    ) : (
                      <table.FlexRender header={header} />
                    )}
                  </div>
                );
              })}
            </div>
          ))}
        </div>
        <div role="rowgroup" className="table-body" style={{ height: shown.rows.length * ROW_HEIGHT }}>
          <div
            role="presentation"
            className="table-rows"
            style={{ transform: `translateY(${String(shown.offset)}px)` }}
          >
            {rowElements}
          </div>
        </div>
        {shown.rows.length === 0 ? <p className="table-empty">{emptyText}</p> : null}
      </div>
    </div>
  );
}
