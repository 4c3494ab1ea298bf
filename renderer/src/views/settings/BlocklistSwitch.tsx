import type { BlocklistView } from '../../../../app/contract/blocklists.ts';
import { setBlocklistEnabled } from '../../bridge.ts';
import { useAskedSwitch } from '../../hooks/use-asked-switch.ts';
import { BLOCKLISTS } from '../../strings/blocklist-strings.ts';

/** A list's on/off switch (Settings → Blocklists and the Rules view's group); `changed` after the engine took it. */
export function BlocklistSwitch({
  list,
  changed,
}: {
  readonly list: BlocklistView;
  readonly changed: () => Promise<void>;
}): React.JSX.Element {
  // Follows a click at once, the engine's answer when it is in (use-asked-switch.ts).
  const enabled = useAskedSwitch(list.id, list.enabled);
  return (
    <label className="switch">
      <input
        type="checkbox"
        role="switch"
        aria-label={BLOCKLISTS.enabled(list.name)}
        checked={enabled.on}
        onChange={(event) => {
          const on = event.target.checked;
          enabled.ask(on, () => setBlocklistEnabled(list.id, on).then(changed));
        }}
      />
      <span className="switch-track" aria-hidden="true" />
    </label>
  );
}
