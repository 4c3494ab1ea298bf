import type { DnsLogRow } from '../../../app/contract/dns-log.ts';
import { dnsRcodeName, dnsTypeName } from '../../../app/contract/dns-log.ts';
import { DetailsPanel } from '../components/DetailsPanel.tsx';
import { dnsTtlText } from '../lib/dns-log-text.ts';
import { formatTime } from '../lib/format.ts';
import { visibleText } from '../lib/visible-text.ts';
import { DNS_LOG } from '../strings/dns-log-strings.ts';

/** Everything the DNS log keeps of one answer, and a way to see only its app's answers. */
export function DnsLogDetails({
  row,
  now,
  onOnlyApp,
  onClose,
}: {
  readonly row: DnsLogRow;
  readonly now: number;
  readonly onOnlyApp: (appPath: string) => void;
  readonly onClose: () => void;
}): React.JSX.Element {
  const d = DNS_LOG.details;
  const entries: readonly (readonly [string, React.ReactNode])[] = [
    [d.at, formatTime(row.at, now)],
    [d.app, row.appPath === '' ? DNS_LOG.unknownApp : visibleText(row.appPath)],
    [d.pid, row.pid === 0 ? DNS_LOG.none : String(row.pid)],
    [d.user, row.uid === null ? DNS_LOG.none : String(row.uid)],
    [d.name, row.name],
    [d.type, DNS_LOG.typeWithNumber(dnsTypeName(row.qtype), row.qtype)],
    [d.rcode, dnsRcodeName(row.rcode)],
    [d.outcome, DNS_LOG.outcomes[row.outcome]],
    [
      d.addresses,
      row.addresses.length === 0 ? (
        DNS_LOG.none
      ) : (
        // Every address, one a line: the table's cell may cut them off.
        <ul className="dns-addresses">
          {row.addresses.map((address) => (
            <li key={address}>{address}</li>
          ))}
        </ul>
      ),
    ],
    [d.ttl, dnsTtlText(row)],
    [d.resolver, row.resolver === '' ? DNS_LOG.none : row.resolver],
  ];
  return (
    <DetailsPanel title={DNS_LOG.detailsTitle} closeLabel={DNS_LOG.closeDetails} entries={entries} onClose={onClose}>
      {/* An unknown app ('') is no path to filter by from the app field. */}
      {row.appPath === '' ? null : (
        <button type="button" className="button button-ghost" onClick={() => onOnlyApp(row.appPath)}>
          {DNS_LOG.onlyThisApp}
        </button>
      )}
    </DetailsPanel>
  );
}
