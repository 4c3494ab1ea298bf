import type { HistoryRow } from '../../../app/contract/history.ts';
import { Icon } from '../components/Icon.tsx';
import { directionLabel, formatBytes, formatEndpoint, formatTime, protocolName } from '../lib/format.ts';
import { formatElapsed } from '../lib/history-filter.ts';
import { HISTORY } from '../strings/history-strings.ts';

/** Everything the history keeps of one connection. */
export function HistoryDetails({
  row,
  now,
  onClose,
}: {
  readonly row: HistoryRow;
  readonly now: number;
  readonly onClose: () => void;
}): React.JSX.Element {
  const d = HISTORY.details;
  const entries: readonly (readonly [string, string])[] = [
    [d.app, row.appPath === '' ? HISTORY.unknownApp : row.appPath],
    [d.pid, row.pid === 0 ? HISTORY.none : String(row.pid)],
    [d.user, row.uid === null ? HISTORY.none : String(row.uid)],
    [d.direction, directionLabel(row.direction)],
    [d.protocol, protocolName(row.protocol)],
    [d.local, formatEndpoint(row.localIp, row.localPort)],
    [d.remote, formatEndpoint(row.remoteIp, row.remotePort)],
    [d.host, row.host ?? HISTORY.none],
    [d.verdict, HISTORY.verdictNames[row.verdict]],
    [d.rule, row.ruleId === null ? HISTORY.noRule : HISTORY.ruleId(row.ruleId)],
    [d.started, formatTime(row.startedAt, now)],
    [d.ended, row.endedAt === null ? HISTORY.stillOpen : formatTime(row.endedAt, now)],
    [d.duration, row.endedAt === null ? HISTORY.stillOpen : formatElapsed(row.endedAt - row.startedAt)],
    [d.sent, formatBytes(row.bytesSent)],
    [d.received, formatBytes(row.bytesReceived)],
  ];
  return (
    <aside className="card history-details" aria-label={HISTORY.detailsTitle}>
      <div className="history-details-head">
        <h2>{HISTORY.detailsTitle}</h2>
        <button type="button" className="icon-button" aria-label={HISTORY.closeDetails} onClick={onClose}>
          <Icon name="x" size={16} />
        </button>
      </div>
      <dl className="prompt-details">
        {entries.map(([term, value]) => (
          <div key={term} className="history-detail">
            <dt>{term}</dt>
            <dd>{value}</dd>
          </div>
        ))}
      </dl>
    </aside>
  );
}
