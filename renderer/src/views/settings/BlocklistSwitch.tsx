import type { BlocklistView } from '../../../../app/contract/blocklists.ts';
import { setBlocklistEnabled } from '../../bridge.ts';
import { BLOCKLISTS } from '../../strings/blocklist-strings.ts';

/** A list's on/off switch (Settings → Blocklists and the Rules view's group); `changed` after the engine took it. */
export function BlocklistSwitch({
  list,
  changed,
}: {
  readonly list: BlocklistView;
  readonly changed: () => Promise<void>;
}): React.JSX.Element {
  return (
    <label className="switch">
      <input
        type="checkbox"
        role="switch"
        aria-label={BLOCKLISTS.enabled(list.name)}
        checked={list.enabled}
        onChange={(event) => void setBlocklistEnabled(list.id, event.target.checked).then(changed)}
      />
      <span className="switch-track" aria-hidden="true" />
    </label>
  );
}
