import { Fragment, useState } from 'react';
import { NO_APP_ACTION_LABELS } from '../../../../app/contract/no-app-action.ts';
import { type Profile, PROFILE_MODES } from '../../../../app/contract/profiles.ts';
import type { RuleAction } from '../../../../app/contract/rules.ts';
import { Icon } from '../../components/Icon.tsx';
import { formatCount, plural } from '../../lib/format.ts';
import { deleteProfile, updateProfile } from '../../store/profile-commands.ts';
import { COUNTED } from '../../strings/common-strings.ts';
import { PROFILES } from '../../strings/profile-strings.ts';
import { ConfirmOff } from '../settings/ConfirmOff.tsx';
import { RenameProfile } from './RenameProfile.tsx';

/** The order the no-app actions are offered in, the default first (as in Settings and the tray). */
const NO_APP_ACTIONS = ['block', 'drop', 'allow'] as const satisfies readonly RuleAction[];

/**
 * One profile: its name (renamed in place), mode and no-app action (saved on change), how many
 * rules and networks it has, and for a profile the user added, Delete, which asks first: its rules
 * go with it.
 */
export function ProfileRow({
  profile,
  active,
  rules,
  networks,
}: {
  readonly profile: Profile;
  readonly active: boolean;
  readonly rules: number;
  readonly networks: number;
}): React.JSX.Element {
  const [renaming, setRenaming] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const name = profile.name;
  return (
    <Fragment>
      <tr className={active ? 'is-selected' : undefined}>
        <th scope="row" className="profile-name">
          {renaming ? (
            <RenameProfile profile={profile} onDone={() => setRenaming(false)} />
          ) : (
            <span className="profile-name-text">
              <strong>{name}</strong>
              {active ? <span className="pill pill-allowed">{PROFILES.active}</span> : null}
              {profile.builtIn ? <span className="pill pill-muted">{PROFILES.builtIn}</span> : null}
            </span>
          )}
        </th>
        <td>
          <select
            aria-label={PROFILES.modeOf(name)}
            value={profile.mode}
            onChange={(event) => void updateProfile(profile.id, { mode: event.target.value as Profile['mode'] })}
          >
            {PROFILE_MODES.map((mode) => (
              <option key={mode} value={mode}>
                {PROFILES.modes[mode]}
              </option>
            ))}
          </select>
        </td>
        <td>
          <select
            aria-label={PROFILES.noAppActionOf(name)}
            value={profile.noAppAction}
            onChange={(event) =>
              void updateProfile(profile.id, { noAppAction: event.target.value as Profile['noAppAction'] })
            }
          >
            {NO_APP_ACTIONS.map((action) => (
              <option key={action} value={action}>
                {NO_APP_ACTION_LABELS[action]}
              </option>
            ))}
          </select>
        </td>
        <td className="num">{formatCount(rules)}</td>
        <td className="num">{formatCount(networks)}</td>
        <td className="row-buttons">
          <button
            type="button"
            className="icon-button"
            aria-label={PROFILES.rename(name)}
            title={PROFILES.rename(name)}
            onClick={() => setRenaming(true)}
          >
            <Icon name="edit" size={15} />
          </button>
          {profile.builtIn ? null : (
            <button
              type="button"
              className="icon-button"
              aria-label={PROFILES.remove(name)}
              title={PROFILES.remove(name)}
              onClick={() => setConfirming(true)}
            >
              <Icon name="trash" size={15} />
            </button>
          )}
        </td>
      </tr>
      {confirming ? (
        <tr className="confirm-row">
          <td colSpan={6}>
            <ConfirmOff
              words={{
                question: PROFILES.confirmDelete.question(name, plural(rules, COUNTED.rule)),
                confirm: PROFILES.confirmDelete.confirm,
                cancel: PROFILES.confirmDelete.cancel,
              }}
              onConfirm={() => {
                setConfirming(false);
                void deleteProfile(profile.id, name);
              }}
              onCancel={() => setConfirming(false)}
            />
          </td>
        </tr>
      ) : null}
    </Fragment>
  );
}
