import { useMemo, useState } from 'react';
import { BANDWIDTH_RANGES, type AppSummary, type BandwidthRange } from '../../../app/contract/views.ts';
import { appSeries, listApps } from '../bridge.ts';
import { AppAvatar } from '../components/AppAvatar.tsx';
import { BandwidthChart } from '../components/BandwidthChart.tsx';
import { ConnectionsTable } from '../components/ConnectionsTable.tsx';
import { Segmented } from '../components/Segmented.tsx';
import { ViewHeader } from '../components/ViewHeader.tsx';
import { usePoll } from '../hooks/use-poll.ts';
import { RANGE_LABELS, toChartSeries, type ChartSeries } from '../lib/bandwidth-series.ts';
import { DEFAULT_QUERY, queryConnections, type ConnectionSort } from '../lib/connection-query.ts';
import { appName, formatAgo, formatBytes, plural } from '../lib/format.ts';
import { describeDestination, describePort } from '../lib/rule-form.ts';
import { useAppStore } from '../store/store.ts';

const RANGE_OPTIONS = BANDWIDTH_RANGES.map((range) => ({ value: range, label: RANGE_LABELS[range] }));
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
      <table className="plain-table" aria-label="Apps">
        <thead>
          <tr>
            <th scope="col">App</th>
            <th scope="col" className="num">
              Connections
            </th>
            <th scope="col" className="num">
              Sent
            </th>
            <th scope="col" className="num">
              Received
            </th>
            <th scope="col" className="num">
              Last seen
            </th>
          </tr>
        </thead>
        <tbody>
          <tr className={selected === null ? 'is-selected' : undefined} onClick={() => onSelect(null)}>
            <td>
              <button type="button" className="row-select" aria-pressed={selected === null}>
                <span className="app-avatar app-avatar-small app-avatar-all" aria-hidden="true">
                  ∑
                </span>
                All apps
              </button>
            </td>
            <td className="num">{total.connections.toLocaleString('en-US')}</td>
            <td className="num">{formatBytes(total.sent)}</td>
            <td className="num">{formatBytes(total.received)}</td>
            <td className="num muted">—</td>
          </tr>
          {apps.map((app) => (
            <tr
              key={app.app}
              className={selected === app.app ? 'is-selected' : undefined}
              onClick={() => onSelect(app.app)}
            >
              <td title={app.app}>
                <button type="button" className="row-select" aria-pressed={selected === app.app}>
                  <AppAvatar label={app.app} />
                  <span className="truncate">{appName(app.app)}</span>
                </button>
              </td>
              <td className="num">{app.connections.toLocaleString('en-US')}</td>
              <td className="num">{formatBytes(app.sent)}</td>
              <td className="num">{formatBytes(app.received)}</td>
              <td className="num muted">{formatAgo(app.lastSeenAt, now)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {apps.length === 0 ? <p className="table-empty">No app has used the network yet.</p> : null}
    </div>
  );
}

function AppRules({ app }: { readonly app: string }): React.JSX.Element {
  const rules = useAppStore((s) => s.rules);
  const mine = rules.filter((r) => r.app.kind === 'path' && r.app.path === app);
  if (mine.length === 0) return <p className="muted small">No rules for this app yet.</p>;
  return (
    <ul className="rule-chips" aria-label="Rules of this app">
      {mine.map((rule) => (
        <li key={rule.id} className={`rule-chip action-${rule.action} ${rule.enabled ? '' : 'is-disabled'}`}>
          <strong>{rule.action === 'allow' ? 'Allow' : rule.action === 'block' ? 'Block' : 'Drop'}</strong>
          {describeDestination(rule.destination)}
          {rule.port.kind === 'any' ? '' : `:${describePort(rule.port)}`}
          <span className="muted">{plural(rule.hitCount, 'hit')}</span>
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

  const appRows = useMemo(
    () => (selected === null ? [] : queryConnections(rows, { ...DEFAULT_QUERY, app: selected, sort })),
    [rows, selected, sort],
  );
  const title = selected === null ? 'All apps' : appName(selected);

  return (
    <section className="view" aria-label="Apps">
      <ViewHeader title="Apps" subtitle="What each app sent and received, and when." />
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
                <h3>{title}</h3>
                <p className="muted small mono truncate">{selected ?? 'Every app together'}</p>
              </div>
              <Segmented label="Range" options={RANGE_OPTIONS} value={range} onChange={setRange} />
            </div>
            <div className="totals">
              <div className="total total-received" role="group" aria-label="Received in range">
                <span className="total-label">Received</span>
                <span className="total-value">{formatBytes(series.totalReceived)}</span>
              </div>
              <div className="total total-sent" role="group" aria-label="Sent in range">
                <span className="total-label">Sent</span>
                <span className="total-value">{formatBytes(series.totalSent)}</span>
              </div>
              <div className="total">
                <span className="total-label">Range</span>
                <span className="total-value">{RANGE_LABELS[range]}</span>
              </div>
            </div>
            <BandwidthChart data={series} label={`Bandwidth of ${title} over ${RANGE_LABELS[range]}`} />
          </div>
          {selected !== null ? (
            <>
              <div className="card">
                <h3>Rules</h3>
                <AppRules app={selected} />
              </div>
              <div className="card card-flush app-connections">
                <h3 className="card-title-pad">Connections</h3>
                <ConnectionsTable
                  rows={appRows}
                  sort={sort}
                  onSort={setSort}
                  label={`Connections of ${title}`}
                  withApp={false}
                  emptyText="No connections of this app are kept."
                />
              </div>
            </>
          ) : null}
        </div>
      </div>
    </section>
  );
}
