import { useId, useState } from 'react';
import { visibleText } from '../lib/visible-text.ts';
import { assignNetwork } from '../store/profile-commands.ts';
import { useAppStore } from '../store/store.ts';
import { PROFILES } from '../strings/profile-strings.ts';
import { Icon } from './Icon.tsx';

/**
 * "You joined ‘X’. Treat it as:" with a button per profile, while the engine has a network
 * waiting for one (`status.profile.question`). A banner above the status bar, not a modal: the
 * strictest profile applies meanwhile, so nothing is urgent and the rest of the window stays
 * usable. It goes away when the engine's status no longer asks.
 */
export function NetworkQuestion(): React.JSX.Element | null {
  const profileStatus = useAppStore((s) => s.status?.profile ?? null);
  const profiles = useAppStore((s) => s.profiles);
  const [busy, setBusy] = useState(false);
  const noteId = useId();
  const question = profileStatus?.question ?? null;
  if (profileStatus === null || question === null) return null;
  const answer = async (profileId: string): Promise<void> => {
    setBusy(true);
    await assignNetwork(question.key, profileId);
    setBusy(false);
  };
  const words = PROFILES.question;
  return (
    <div
      className="network-question"
      role="dialog"
      aria-modal="false"
      aria-label={words.label}
      aria-describedby={noteId}
    >
      <Icon name="wifi" size={15} />
      <strong className="network-question-text">{words.joined(visibleText(question.label))}</strong>
      <div className="network-question-actions">
        {profiles.map((profile) => (
          <button
            key={profile.id}
            type="button"
            className="button button-small"
            disabled={busy}
            onClick={() => void answer(profile.id)}
          >
            {profile.name}
          </button>
        ))}
      </div>
      <span className="network-question-note" id={noteId}>
        {/* The engine applies the strictest profile meanwhile, unless the user chose one by hand. */}
        {profileStatus.reason === 'unknown-network'
          ? words.untilAnswered(profileStatus.active.name)
          : words.whileChosen(profileStatus.active.name)}
      </span>
    </div>
  );
}
