import { useMemo, useState } from 'react';
import { type AppSummary, BANDWIDTH_RANGES, type BandwidthRange } from '../../../app/contract/views.ts';
import { appSeries, listApps } from '../bridge.ts';
import { AppAvatar } from '../components/AppAvatar.tsx';
import { BandwidthChart } from '../components/BandwidthChart.tsx';
import { ConnectionsTable } from '../components/ConnectionsTable.tsx';
import { Segmented } from '../components/Segmented.tsx';
import { ViewHeader } from '../components/ViewHeader.tsx';
import { usePoll } from '../hooks/use-poll.ts';
import { type ChartSeries, rangeLabel, toChartSeries } from '../lib/bandwidth-series.ts';
import { type ConnectionSort, DEFAULT_QUERY } from '../lib/connection-query.ts';
import { ConnectionView } from '../lib/connection-view.ts';
import { appName, formatAgo, formatBytes, formatCount, plural } from '../lib/format.ts';
import { describeDestination, describePort } from '../lib/rule-form.ts';
import { visibleText } from '../lib/visible-text.ts';
import { useAppStore } from '../store/store.ts';
import { connectionDelta } from '../store/sync.ts';
import { APPS } from '../strings/apps-strings.ts';
import { COMMON } from '../strings/common-strings.ts';
import { RULES } from '../strings/rules-strings.ts';
import { AppLearningCard } from './learning/AppLearningCard.tsx';

const EMPTY_SERIES: ChartSeries = { x: [], sent: [], received: [], widthMs: 1000, totalSent: 0, totalReceived: 0 };

function AppsTable({
  apps,
  selected,
  onSelect,
  now,
}: {
  readonly apps: readonly AppSummary[];
  readonly selected: string | null;
  readonly onSelect: (app: string | null) => void;
  readonly now: number;
}): React.JSX.Element {
  const total = apps.reduce(
    (t, a) => ({
      sent: t.sent + a.sent,
      received: t.received + a.received,
      connections: t.connections + a.connections,
    }),
    { sent: 0, received: 0, connections: 0 },
  );
  return (
    <div className="card card-flush apps-list">
      <table className="plain-table" aria-label={APPS.title}>
        <thead>
          <tr>
            <th scope="col">{APPS.columns.app}</th>
            <th scope="col" className="num">
              {APPS.columns.connections}
            </th>
            <th scope="col" className="num">
              {APPS.columns.sent}
            </th>
            <th scope="col" className="num">
              {APPS.columns.received}
            </th>
            <th scope="col" className="num">
              {APPS.columns.lastSeen}
            </th>
          </tr>
        </thead>
        <tbody>
          <tr className={selected === null ? 'is-selected' : undefined} onClick={() => onSelect(null)}>
            <td>
              <button type="button" className="row-select" aria-pressed={selected === null}>
                <span className="app-avatar app-avatar-small app-avatar-all" aria-hidden="true">
                  {APPS.allAppsMark}
                </span>
                {APPS.allApps}
              </button>
            </td>
            <td className="num">{formatCount(total.connections)}</td>
            <td className="num">{formatBytes(total.sent)}</td>
            <td className="num">{formatBytes(total.received)}</td>
            <td className="num muted">{COMMON.none}</td>
          </tr>
          {apps.map((app) => (
            <tr
              key={app.app}
              className={selected === app.app ? 'is-selected' : undefined}
              onClick={() => onSelect(app.app)}
            >
              <td title={visibleText(app.app)}>
                <button type="button" className="row-select" aria-pressed={selected === app.app}>
                  <AppAvatar label={app.app} />
                  <span className="truncate">{appName(app.app)}</span>
                </button>
              </td>
              <td className="num">{formatCount(app.connections)}</td>
              <td className="num">{formatBytes(app.sent)}</td>
              <td className="num">{formatBytes(app.received)}</td>
              <td className="num muted">{formatAgo(app.lastSeenAt, now)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {apps.length === 0 ? <p className="table-empty">{APPS.empty}</p> : null}
    </div>
  );
}

function AppRules({ app }: { readonly app: string }): React.JSX.Element {
  const rules = useAppStore((s) => s.rules);
  const mine = rules.filter((r) => r.app.kind === 'path' && r.app.path === app);
  if (mine.length === 0) return <p className="muted small">{APPS.noRules}</p>;
  return (
    <ul className="rule-chips" aria-label={APPS.rulesOfApp}>
      {mine.map((rule) => (
        <li key={rule.id} className={`rule-chip action-${rule.action} ${rule.enabled ? '' : 'is-disabled'}`}>
          <strong>{RULES.actions[rule.action]}</strong>
          {describeDestination(rule.destination)}
          {rule.port.kind === 'any' ? '' : `:${describePort(rule.port)}`}
          <span className="muted">{plural(rule.hitCount, APPS.hits)}</span>
        </li>
      ))}
    </ul>
  );
}

/** Per-app totals, a bandwidth chart per app or for all, and the selected app's connections and rules. */
export function AppsView(): React.JSX.Element {
  const [apps, setApps] = useState<readonly AppSummary[]>([]);
  const selected = useAppStore((s) => s.selectedApp);
  const select = useAppStore((s) => s.selectApp);
  const [range, setRange] = useState<BandwidthRange>('5m');
  const [series, setSeries] = useState<ChartSeries>(EMPTY_SERIES);
  const [now, setNow] = useState(() => Date.now());
  const [sort, setSort] = useState<ConnectionSort>(DEFAULT_QUERY.sort);
  const rows = useAppStore((s) => s.connectionRows);

  usePoll(() => {
    void listApps().then((result) => {
      if (result.ok) setApps(result.value);
      setNow(Date.now());
    });
  }, 2000);

  usePoll(
    () => {
      const asked = Date.now();
      void appSeries(selected, range).then((result) => {
        if (result.ok) setSeries(toChartSeries(result.value, range, asked));
      });
    },
    range === '5m' ? 2000 : 15_000,
    `${selected ?? ''}|${range}`,
  );

  // Kept between renders: a flush updates the sorted rows in place instead of sorting them all.
  const [view] = useState(() => new ConnectionView());
  const appRows = useMemo(
    () => (selected === null ? [] : view.rows(rows, { ...DEFAULT_QUERY, app: selected, sort }, connectionDelta(rows))),
    [view, rows, selected, sort],
  );
  const title = selected === null ? APPS.allApps : appName(selected);
  const rangeOptions = BANDWIDTH_RANGES.map((value) => ({ value, label: rangeLabel(value) }));

  return (
    <section className="view apps-view" aria-label={APPS.title}>
      <ViewHeader title={APPS.title} subtitle={APPS.subtitle} />
      <div className="apps-layout">
        <AppsTable
          apps={apps}
          selected={selected}
          onSelect={(app) => {
            if (app === selected) return;
            select(app);
            setSeries(EMPTY_SERIES);
          }}
          now={now}
        />
        <div className="apps-detail">
          <div className="card">
            <div className="card-header">
              <div>
                <h3 title={title}>{title}</h3>
                <p className="muted small mono truncate">{selected ?? APPS.everyApp}</p>
              </div>
              <Segmented label={APPS.range} options={rangeOptions} value={range} onChange={setRange} />
            </div>
            <div className="totals">
              <div className="total total-received" role="group" aria-label={APPS.receivedInRange}>
                <span className="total-label">{APPS.received}</span>
                <span className="total-value">{formatBytes(series.totalReceived)}</span>
              </div>
              <div className="total total-sent" role="group" aria-label={APPS.sentInRange}>
                <span className="total-label">{APPS.sent}</span>
                <span className="total-value">{formatBytes(series.totalSent)}</span>
              </div>
              <div className="total">
                <span className="total-label">{APPS.range}</span>
                <span className="total-value">{rangeLabel(range)}</span>
              </div>
            </div>
            <BandwidthChart data={series} label={APPS.chart(title, rangeLabel(range))} />
          </div>
          {selected !== null ? (
            <>
              <div className="card">
                <h3>{APPS.rules}</h3>
                <AppRules app={selected} />
              </div>
              <AppLearningCard app={selected} />
              <div className="card card-flush app-connections">
                <h3 className="card-title-pad">{APPS.connections}</h3>
                <ConnectionsTable
                  rows={appRows}
                  sort={sort}
                  onSort={setSort}
                  resetKey={selected}
                  label={APPS.connectionsOf(title)}
                  withApp={false}
                  emptyText={APPS.noConnections}
                />
              </div>
            </>
          ) : null}
        </div>
      </div>
    </section>
  );
}
