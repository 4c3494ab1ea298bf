import type { KnownNetwork, Profile } from '../../../../app/contract/profiles.ts';
import { formatAgo } from '../../lib/format.ts';
import { visibleText } from '../../lib/visible-text.ts';
import { assignNetwork, forgetNetwork } from '../../store/profile-commands.ts';
import { COMMON } from '../../strings/common-strings.ts';
import { PROFILES } from '../../strings/profile-strings.ts';

/** A fact as a cell: what the OS said, or a dash when it said nothing. */
function fact(text: string | null): string {
  return text === null || text === '' ? COMMON.none : visibleText(text);
}

/** One known network: what the OS said about it, when it was last seen, its profile, Forget. */
export function NetworkRow({
  network,
  profiles,
  current,
  now,
}: {
  readonly network: KnownNetwork;
  readonly profiles: readonly Profile[];
  readonly current: boolean;
  readonly now: number;
}): React.JSX.Element {
  const words = PROFILES.networks;
  const { facts } = network;
  return (
    <tr className={current ? 'is-selected' : undefined}>
      <th scope="row" title={network.key}>
        <span className="profile-name-text">
          <strong>{visibleText(network.label)}</strong>
          {current ? <span className="pill pill-allowed">{words.current}</span> : null}
        </span>
      </th>
      <td className="mono">{fact(facts.interfaceName)}</td>
      <td className="mono">{fact(facts.gatewayIp)}</td>
      <td className="mono">{fact(facts.gatewayMac)}</td>
      <td className="mono cut" title={fact(facts.dnsSuffix)}>
        {fact(facts.dnsSuffix)}
      </td>
      <td className="cut" title={fact(facts.ssid)}>
        {fact(facts.ssid)}
      </td>
      <td>{facts.vpnUp ? words.vpnUp : words.vpnDown}</td>
      <td className="num muted">{formatAgo(network.lastSeenAt, now)}</td>
      <td>
        <select
          aria-label={words.profileOf(network.label)}
          value={network.profileId ?? ''}
          onChange={(event) => void assignNetwork(network.key, event.target.value)}
        >
          {/* Not a choice: a network is given a profile, never taken back to none (Forget does that). */}
          {network.profileId === null ? (
            <option value="" disabled>
              {words.notSet}
            </option>
          ) : null}
          {profiles.map((profile) => (
            <option key={profile.id} value={profile.id}>
              {profile.name}
            </option>
          ))}
        </select>
      </td>
      <td className="row-buttons">
        <button
          type="button"
          className="button button-small button-ghost"
          aria-label={words.forget(network.label)}
          onClick={() => void forgetNetwork(network.key)}
        >
          {words.forgetLabel}
        </button>
      </td>
    </tr>
  );
}
