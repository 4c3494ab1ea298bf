import { useId, useState } from 'react';
import { DEFAULT_NO_APP_ACTION } from '../../../../app/contract/no-app-action.ts';
import { Icon } from '../../components/Icon.tsx';
import { addProfileProblem, checkProfileName } from '../../lib/profile-form.ts';
import { createProfile } from '../../store/profile-commands.ts';
import { useAppStore } from '../../store/store.ts';
import { PROFILES } from '../../strings/profile-strings.ts';

/**
 * Adds a profile by name. It starts asking, with the default no-app action: the user tunes it in
 * its row, and until a network or a switch makes it active it changes nothing.
 */
export function AddProfile(): React.JSX.Element {
  const profiles = useAppStore((s) => s.profiles);
  const [text, setText] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const errorId = useId();
  const full = addProfileProblem(profiles);

  const add = async (): Promise<void> => {
    const checked = checkProfileName(text, profiles);
    if (!checked.ok) return setError(checked.error);
    setBusy(true);
    const ok = await createProfile({ name: checked.name, mode: 'ask', noAppAction: DEFAULT_NO_APP_ACTION });
    setBusy(false);
    if (ok) setText('');
  };

  return (
    <form
      className="inline-form add-profile"
      onSubmit={(event) => {
        event.preventDefault();
        void add();
      }}
      noValidate
    >
      <input
        type="text"
        aria-label={PROFILES.newName}
        placeholder={PROFILES.newNamePlaceholder}
        aria-invalid={error !== null}
        aria-describedby={error !== null ? errorId : undefined}
        disabled={full !== null}
        value={text}
        onChange={(event) => {
          setText(event.target.value);
          setError(null);
        }}
      />
      <button type="submit" className="button button-primary" disabled={busy || full !== null}>
        <Icon name="plus" size={15} />
        {PROFILES.add}
      </button>
      {(error ?? full) !== null ? (
        <span id={errorId} className="field-problem" role="alert">
          {error ?? full}
        </span>
      ) : null}
    </form>
  );
}
