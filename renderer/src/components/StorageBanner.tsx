import type { StorageState } from '../../../app/contract/views.ts';
import { useAppStore } from '../store/store.ts';
import { Icon } from './Icon.tsx';

const TITLES: Readonly<Record<Exclude<StorageState, 'ok'>, string>> = {
  full: 'Disk full.',
  failed: 'Database error.',
  unavailable: 'No database.',
};

/** Says, while it lasts, that the database refuses writes and what that means (the engine's sentence). */
export function StorageBanner(): React.JSX.Element | null {
  const status = useAppStore((s) => s.status);
  if (status === null || status.storage === 'ok') return null;
  return (
    <div className="storage-banner" role="alert" aria-label="Storage">
      <Icon name="logs" size={15} />
      <span>
        <strong>{TITLES[status.storage]}</strong> {status.storageMessage}
      </span>
    </div>
  );
}
