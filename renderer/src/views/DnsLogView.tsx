import { useDeferredValue, useEffect, useId, useMemo, useReducer, useState } from 'react';
import type { DnsLogFilterInput, DnsLogRow, DnsOutcome } from '../../../app/contract/dns-log.ts';
import { DNS_OUTCOMES, dnsTypeName } from '../../../app/contract/dns-log.ts';
import { dnsCount, dnsPage } from '../bridge.ts';
import { Icon } from '../components/Icon.tsx';
import { PagedRows } from '../components/PagedRows.tsx';
import { SearchBox } from '../components/SearchBox.tsx';
import { Segmented } from '../components/Segmented.tsx';
import { ViewHeader } from '../components/ViewHeader.tsx';
import { usePagedRows } from '../hooks/use-paged-rows.ts';
import type { DnsLogForm, DnsLogFormProblem } from '../lib/dns-log-filter.ts';
import { dnsLogFilterOf, EMPTY_DNS_LOG_FORM, knownAppPaths } from '../lib/dns-log-filter.ts';
import { dnsAppText, dnsCountLine, dnsResultText, dnsTtlText } from '../lib/dns-log-text.ts';
import { formatTime } from '../lib/format.ts';
import { HISTORY_RANGES, type HistoryRange } from '../lib/history-filter.ts';
import { visibleText } from '../lib/visible-text.ts';
import { useAppStore } from '../store/store.ts';
import { DNS_LOG } from '../strings/dns-log-strings.ts';
import { DnsLogDetails } from './DnsLogDetails.tsx';

const ROW_HEIGHT = 32;
const COLUMNS = ['at', 'app', 'name', 'type', 'result', 'ttl'] as const;
const RANGE_OPTIONS = HISTORY_RANGES.map((value) => ({ value, label: DNS_LOG.rangeLabels[value] }));
const OUTCOME_OPTIONS = (['all', ...DNS_OUTCOMES] as const).map((value) => ({
  value,
  label: DNS_LOG.outcomes[value],
}));

/** One query the table shows: its filter, asked at one moment, and the range it covers. */
interface Query {
  readonly filter: DnsLogFilterInput;
  readonly range: HistoryRange;
}

/**
 * The DNS log: which app asked for which name and what it got. When the user keeps no DNS
 * history it says so (and where to turn it on) instead of asking the engine for an empty log.
 */
export function DnsLogView(): React.JSX.Element {
  // Until the settings arrive the log is assumed on: it is the default, and an empty table is
  // what a log switched off would show anyway.
  const keep = useAppStore((s) => s.settings?.keepDnsHistory ?? true);
  return keep ? <DnsLog /> : <DnsHistoryOff />;
}

function DnsHistoryOff(): React.JSX.Element {
  const setView = useAppStore((s) => s.setView);
  return (
    <section className="view" aria-label={DNS_LOG.title}>
      <ViewHeader title={DNS_LOG.title} />
      <div className="card dns-off">
        <p>{DNS_LOG.off}</p>
        <p className="muted">{DNS_LOG.offHint}</p>
        <div>
          <button type="button" className="button" onClick={() => setView('settings')}>
            <Icon name="settings" size={15} />
            {DNS_LOG.openSettings}
          </button>
        </div>
      </div>
    </section>
  );
}

/**
 * The log itself: a time range, an outcome, an app and free text, read page by page from the
 * database as the table scrolls (never the whole log), newest first, with the details of the
 * selected answer.
 */
function DnsLog(): React.JSX.Element {
  const [form, setForm] = useState<DnsLogForm>(EMPTY_DNS_LOG_FORM);
  const [refreshed, refresh] = useReducer((n: number) => n + 1, 0);
  const deferredForm = useDeferredValue(form);
  // Built again when the form changes or on a refresh (`refreshed`, not read inside): the range
  // then ends at the current time, so answers logged since are in it.
  const built = useMemo(() => dnsLogFilterOf(deferredForm, Date.now()), [deferredForm, refreshed]);
  const problems: readonly DnsLogFormProblem[] = 'problems' in built ? built.problems : [];
  // An invalid field keeps the last valid query on screen.
  const [query, setQuery] = useState<Query | null>(null);
  useEffect(() => {
    if ('filter' in built) setQuery({ filter: built.filter, range: deferredForm.range });
  }, [built, deferredForm.range]);

  const { count, pages, virtualizer, items, scrollRef, selected, setSelected } = usePagedRows<Query, DnsLogRow>({
    query,
    fetchPage: async (q, offset, limit) => {
      const result = await dnsPage({ filter: q.filter, offset, limit });
      return result.ok ? result.value : undefined;
    },
    fetchCount: async (q) => {
      const result = await dnsCount(q.filter);
      return result.ok ? result.value : undefined;
    },
    rowHeight: ROW_HEIGHT,
  });
  const rows = count?.count ?? 0;

  const update = (patch: Partial<DnsLogForm>): void => setForm((f) => ({ ...f, ...patch }));
  const now = Date.now();
  const textProblemId = useId();
  const appProblemId = useId();
  const filtered = form.outcome !== 'all' || form.text !== '' || form.app !== '';

  return (
    <section className="view view-fill" aria-label={DNS_LOG.title}>
      <ViewHeader title={DNS_LOG.title} subtitle={dnsCountLine(count, query?.range ?? form.range)}>
        <button type="button" className="button button-ghost" onClick={refresh}>
          <Icon name="clock" size={15} />
          {DNS_LOG.refresh}
        </button>
      </ViewHeader>
      <div className="toolbar">
        <SearchBox
          label={DNS_LOG.search}
          placeholder={DNS_LOG.searchPlaceholder}
          value={form.text}
          problemId={problems.includes('text') ? textProblemId : undefined}
          onChange={(text) => update({ text })}
        />
        <AppFilter
          value={form.app}
          problemId={problems.includes('app') ? appProblemId : undefined}
          onChange={(app) => update({ app })}
        />
        <Segmented<HistoryRange>
          label={DNS_LOG.range}
          options={RANGE_OPTIONS}
          value={form.range}
          onChange={(range) => update({ range })}
        />
        <Segmented<'all' | DnsOutcome>
          label={DNS_LOG.outcome}
          options={OUTCOME_OPTIONS}
          value={form.outcome}
          onChange={(outcome) => update({ outcome })}
        />
        {filtered ? (
          <button
            type="button"
            className="button button-ghost"
            onClick={() => update({ outcome: 'all', text: '', app: '' })}
          >
            {DNS_LOG.clearFilters}
          </button>
        ) : null}
      </div>
      {problems.length > 0 ? (
        <div className="dns-problems">
          {problems.includes('text') ? (
            <p id={textProblemId} className="field-problem">
              {DNS_LOG.invalid.text}
            </p>
          ) : null}
          {problems.includes('app') ? (
            <p id={appProblemId} className="field-problem">
              {DNS_LOG.invalid.app}
            </p>
          ) : null}
        </div>
      ) : null}
      <div className="history-body">
        <div className="data-table dns-log-table">
          <div
            className="table-scroll"
            ref={scrollRef}
            tabIndex={0}
            role="table"
            aria-label={DNS_LOG.title}
            aria-rowcount={rows + 1}
          >
            <div role="rowgroup" className="table-head">
              <div role="row" className="table-row" aria-rowindex={1}>
                {COLUMNS.map((column) => (
                  <div key={column} role="columnheader" className="th">
                    {DNS_LOG.columns[column]}
                  </div>
                ))}
              </div>
            </div>
            <PagedRows
              items={items}
              totalHeight={virtualizer.getTotalSize()}
              rowHeight={ROW_HEIGHT}
              pages={pages}
              selected={selected}
              onSelect={setSelected}
              cells={(row) => <DnsCells row={row} now={now} onOpen={() => setSelected(row)} />}
              empty={count !== null && rows === 0}
              words={DNS_LOG}
            />
          </div>
        </div>
        {selected === null ? null : (
          <DnsLogDetails
            row={selected}
            now={now}
            onOnlyApp={(app) => update({ app })}
            onClose={() => setSelected(null)}
          />
        )}
      </div>
    </section>
  );
}

/** The app field: a full path, typed or picked from the apps seen (the engine matches it exactly). */
function AppFilter({
  value,
  problemId,
  onChange,
}: {
  readonly value: string;
  /** The element saying why the path is not valid, when it is not. */
  readonly problemId: string | undefined;
  readonly onChange: (value: string) => void;
}): React.JSX.Element {
  const listId = useId();
  // The live connections' apps, read when the field is focused rather than on every flush of
  // the connections table (up to 100 000 rows, four times a second).
  const [apps, setApps] = useState<readonly string[]>([]);
  const readApps = (): void => setApps(knownAppPaths(useAppStore.getState().connectionRows));
  return (
    <>
      <input
        type="text"
        aria-label={DNS_LOG.app}
        placeholder={DNS_LOG.appPlaceholder}
        list={listId}
        value={value}
        className="mono dns-app-filter"
        aria-invalid={problemId !== undefined}
        aria-describedby={problemId}
        onFocus={readApps}
        onChange={(event) => onChange(event.target.value)}
      />
      <datalist id={listId}>
        {apps.map((app) => (
          <option key={app} value={app} />
        ))}
      </datalist>
    </>
  );
}

function DnsCells({
  row,
  now,
  onOpen,
}: {
  readonly row: DnsLogRow;
  readonly now: number;
  readonly onOpen: () => void;
}): React.JSX.Element {
  const result = dnsResultText(row);
  return (
    <>
      <div role="cell" className="td num">
        {/* The keyboard's way to open the details. */}
        <button type="button" className="link-button" onClick={onOpen}>
          {formatTime(row.at, now)}
        </button>
      </div>
      <div role="cell" className="td" title={row.appPath === '' ? undefined : visibleText(row.appPath)}>
        {dnsAppText(row.appPath)}
      </div>
      <div role="cell" className="td mono" title={row.name}>
        {row.name}
      </div>
      <div role="cell" className="td">
        {dnsTypeName(row.qtype)}
      </div>
      <div role="cell" className={`td dns-result dns-result-${row.outcome}`} title={result}>
        {result}
      </div>
      <div role="cell" className="td num">
        {dnsTtlText(row)}
      </div>
    </>
  );
}
