import { useEffect, useId, useRef, useState } from 'react';
import type { Profile } from '../../../../app/contract/profiles.ts';
import { checkProfileName } from '../../lib/profile-form.ts';
import { updateProfile } from '../../store/profile-commands.ts';
import { useAppStore } from '../../store/store.ts';
import { PROFILES } from '../../strings/profile-strings.ts';

/** A profile's name as a text box: Enter or Save renames, Escape or Cancel leave it as it was. */
export function RenameProfile({
  profile,
  onDone,
}: {
  readonly profile: Profile;
  readonly onDone: () => void;
}): React.JSX.Element {
  const profiles = useAppStore((s) => s.profiles);
  const [text, setText] = useState(profile.name);
  const [error, setError] = useState<string | null>(null);
  const errorId = useId();
  const input = useRef<HTMLInputElement>(null);
  useEffect(() => input.current?.select(), []);

  const save = async (): Promise<void> => {
    const checked = checkProfileName(text, profiles, profile.id);
    if (!checked.ok) return setError(checked.error);
    if (checked.name === profile.name || (await updateProfile(profile.id, { name: checked.name }))) onDone();
  };

  return (
    <form
      className="inline-form"
      onSubmit={(event) => {
        event.preventDefault();
        void save();
      }}
      onKeyDown={(event) => {
        if (event.key === 'Escape') onDone();
      }}
      noValidate
    >
      <input
        ref={input}
        type="text"
        aria-label={PROFILES.nameOf(profile.name)}
        aria-invalid={error !== null}
        aria-describedby={error !== null ? errorId : undefined}
        value={text}
        onChange={(event) => {
          setText(event.target.value);
          setError(null);
        }}
      />
      <button type="submit" className="button button-small button-primary">
        {PROFILES.save}
      </button>
      <button type="button" className="button button-small button-ghost" onClick={onDone}>
        {PROFILES.cancel}
      </button>
      {error !== null ? (
        <span id={errorId} className="field-problem" role="alert">
          {error}
        </span>
      ) : null}
    </form>
  );
}
