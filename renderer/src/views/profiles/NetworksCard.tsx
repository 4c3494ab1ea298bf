import { useNow } from '../../hooks/use-now.ts';
import { usePoll } from '../../hooks/use-poll.ts';
import { useAppStore } from '../../store/store.ts';
import { reloadNetworks } from '../../store/sync.ts';
import { PROFILES } from '../../strings/profile-strings.ts';
import { NetworkRow } from './NetworkRow.tsx';

/**
 * The networks the engine remembers, newest first. Read when shown, again every few seconds and
 * at once when the machine changes network or the engine asks about one: no push carries them.
 */
export function NetworksCard(): React.JSX.Element {
  const networks = useAppStore((s) => s.networks);
  const profiles = useAppStore((s) => s.profiles);
  const currentKey = useAppStore((s) => s.status?.profile.network?.key ?? null);
  const questionKey = useAppStore((s) => s.status?.profile.question?.key ?? null);
  const now = useNow(30_000);
  usePoll(() => void reloadNetworks(), 10_000, `${currentKey ?? ''}\n${questionKey ?? ''}`);
  const words = PROFILES.networks;
  const sorted = [...networks].sort((a, b) => b.lastSeenAt - a.lastSeenAt);
  return (
    <section className="card card-flush" aria-label={words.title}>
      <header className="card-title-pad">
        <h3>{words.title}</h3>
        <p className="setting-hint">{words.hint}</p>
      </header>
      {sorted.length === 0 ? (
        <p className="table-empty">{words.empty}</p>
      ) : (
        <div className="table-scroll">
          <table className="plain-table networks-table" aria-label={words.title}>
            <thead>
              <tr>
                <th scope="col">{words.columns.network}</th>
                <th scope="col">{words.columns.interface}</th>
                <th scope="col">{words.columns.gateway}</th>
                <th scope="col">{words.columns.mac}</th>
                <th scope="col">{words.columns.dnsSuffix}</th>
                <th scope="col">{words.columns.ssid}</th>
                <th scope="col">{words.columns.vpn}</th>
                <th scope="col" className="num">
                  {words.columns.lastSeen}
                </th>
                <th scope="col">{words.columns.profile}</th>
                <th scope="col">
                  <span className="sr-only">{words.columns.actions}</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {sorted.map((network) => (
                <NetworkRow
                  key={network.key}
                  network={network}
                  profiles={profiles}
                  current={network.key === currentKey}
                  now={now}
                />
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
