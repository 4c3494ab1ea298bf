import type { ProfileStatus } from '../../../app/contract/profiles.ts';
import { type ProfileChoice, profileChoices } from '../lib/profile-menu.ts';
import { profileBadge, profileReasonText } from '../lib/profile-text.ts';
import { activateProfile, followNetwork } from '../store/profile-commands.ts';
import { useAppStore } from '../store/store.ts';
import { PROFILES } from '../strings/profile-strings.ts';
import { Icon } from './Icon.tsx';
import { Menu, type MenuItem } from './Menu.tsx';

function menuItem(choice: ProfileChoice, index: number, all: readonly ProfileChoice[]): MenuItem {
  // A line between the profiles and what follows them.
  const separated = choice.kind !== 'switch' && all[index - 1]?.kind === 'switch';
  switch (choice.kind) {
    case 'switch':
      return {
        label: choice.label,
        checked: choice.checked,
        onSelect: () => void activateProfile(choice.id, choice.pin),
      };
    case 'pin':
      return { label: choice.label, separated, onSelect: () => void activateProfile(choice.id, true) };
    case 'follow':
      return { label: choice.label, separated, onSelect: () => void followNetwork() };
  }
}

/** The status bar's profile: its name, why it is active (the tooltip), and the switcher. */
export function ProfileMenu({ status }: { readonly status: ProfileStatus }): React.JSX.Element {
  const profiles = useAppStore((s) => s.profiles);
  const badge = profileBadge(status);
  return (
    <span className="status-profile" title={profileReasonText(status)}>
      <Menu label={PROFILES.menu} items={profileChoices(status, profiles).map(menuItem)} className="profile-menu">
        <Icon name="wifi" size={14} />
        <span>
          {PROFILES.prefix} <strong>{status.active.name}</strong>
        </span>
        {badge !== null ? <span className="profile-badge">{badge}</span> : null}
        <Icon name="chevronDown" size={12} />
      </Menu>
    </span>
  );
}
