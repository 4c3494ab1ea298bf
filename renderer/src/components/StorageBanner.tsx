import { useAppStore } from '../store/store.ts';
import { SHELL } from '../strings/shell-strings.ts';
import { Icon } from './Icon.tsx';

/** Says, while it lasts, that the database refuses writes and what that means (the engine's sentence). */
export function StorageBanner(): React.JSX.Element | null {
  const status = useAppStore((s) => s.status);
  if (status === null || status.storage === 'ok') return null;
  return (
    <div className="storage-banner" role="alert" aria-label={SHELL.storage}>
      <Icon name="logs" size={15} />
      <span>
        <strong>{SHELL.storageTitles[status.storage]}</strong> {status.storageMessage}
      </span>
    </div>
  );
}
