import { useEffect, useMemo } from 'react';
import { ViewHeader } from '../components/ViewHeader.tsx';
import { rulesPerProfile } from '../lib/rule-profile.ts';
import { useAppStore } from '../store/store.ts';
import { reloadProfiles } from '../store/sync.ts';
import { PROFILES } from '../strings/profile-strings.ts';
import { AddProfile } from './profiles/AddProfile.tsx';
import { NetworksCard } from './profiles/NetworksCard.tsx';
import { ProfileRow } from './profiles/ProfileRow.tsx';

/** The profiles (mode, no-app action, name; add and delete) and the networks they are given to. */
export function ProfilesView(): React.JSX.Element {
  const profiles = useAppStore((s) => s.profiles);
  const rules = useAppStore((s) => s.rules);
  const networks = useAppStore((s) => s.networks);
  const activeId = useAppStore((s) => s.status?.profile.active.id ?? null);
  // The list is loaded at start and kept by this window's changes; read it again when shown.
  useEffect(() => void reloadProfiles(), []);
  const ruleCounts = useMemo(() => rulesPerProfile(rules), [rules]);
  const networkCounts = useMemo(() => {
    const counts = new Map<string, number>();
    for (const n of networks) if (n.profileId !== null) counts.set(n.profileId, (counts.get(n.profileId) ?? 0) + 1);
    return counts;
  }, [networks]);
  const columns = PROFILES.columns;
  return (
    <section className="view" aria-label={PROFILES.title}>
      <ViewHeader title={PROFILES.title} subtitle={PROFILES.subtitle} />
      <div className="card card-flush">
        <table className="plain-table profiles-table" aria-label={PROFILES.title}>
          <thead>
            <tr>
              <th scope="col">{columns.name}</th>
              <th scope="col">{columns.mode}</th>
              <th scope="col">{columns.noAppAction}</th>
              <th scope="col" className="num">
                {columns.rules}
              </th>
              <th scope="col" className="num">
                {columns.networks}
              </th>
              <th scope="col">
                <span className="sr-only">{columns.actions}</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {profiles.map((profile) => (
              <ProfileRow
                key={profile.id}
                profile={profile}
                active={profile.id === activeId}
                rules={ruleCounts.get(profile.id) ?? 0}
                networks={networkCounts.get(profile.id) ?? 0}
              />
            ))}
          </tbody>
        </table>
        <div className="card-footer">
          <AddProfile />
        </div>
      </div>
      <NetworksCard />
    </section>
  );
}
