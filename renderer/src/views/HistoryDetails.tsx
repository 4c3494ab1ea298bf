import type { HistoryRow } from '../../../app/contract/history.ts';
import { DetailsPanel } from '../components/DetailsPanel.tsx';
import { directionLabel, formatBytes, formatEndpoint, formatTime, protocolName } from '../lib/format.ts';
import { formatElapsed } from '../lib/history-filter.ts';
import { visibleText } from '../lib/visible-text.ts';
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
    [d.app, row.appPath === '' ? HISTORY.unknownApp : visibleText(row.appPath)],
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
    <DetailsPanel title={HISTORY.detailsTitle} closeLabel={HISTORY.closeDetails} entries={entries} onClose={onClose} />
  );
}
