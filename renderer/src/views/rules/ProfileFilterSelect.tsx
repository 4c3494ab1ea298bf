import { parseProfileFilter, type ProfileFilter, profileFilterValue } from '../../lib/rule-profile.ts';
import { useAppStore } from '../../store/store.ts';
import { RULES } from '../../strings/rules-strings.ts';

/** The Rules view's profile filter: all rules, the always-on ones, or one profile's. */
export function ProfileFilterSelect({
  value,
  onChange,
}: {
  readonly value: ProfileFilter;
  readonly onChange: (filter: ProfileFilter) => void;
}): React.JSX.Element {
  const profiles = useAppStore((s) => s.profiles);
  return (
    <select
      aria-label={RULES.profileFilter}
      value={profileFilterValue(value)}
      onChange={(event) => onChange(parseProfileFilter(event.target.value))}
    >
      <option value={profileFilterValue({ kind: 'all' })}>{RULES.allProfiles}</option>
      <option value={profileFilterValue({ kind: 'always' })}>{RULES.alwaysOn}</option>
      {profiles.map((profile) => (
        <option key={profile.id} value={profileFilterValue({ kind: 'profile', id: profile.id })}>
          {RULES.profileRules(profile.name)}
        </option>
      ))}
    </select>
  );
}
