import type { ModeStatus } from '../../../app/contract/views.ts';
import { useNow } from '../hooks/use-now.ts';
import { driverStatusText } from '../lib/driver-text.ts';
import { formatClock, plural } from '../lib/format.ts';
import { userFormat } from '../lib/locale-format.ts';
import { policyBadge } from '../lib/policy-text.ts';
import { setMode } from '../store/commands.ts';
import { useAppStore } from '../store/store.ts';
import { SHELL } from '../strings/shell-strings.ts';
import { Icon } from './Icon.tsx';
import { LearningMenu } from './LearningMenu.tsx';
import { Menu, type MenuItem } from './Menu.tsx';
import { ProfileMenu } from './ProfileMenu.tsx';

/** "Ask", "Paused until 14:35 (then Ask)". */
export function modeText(mode: ModeStatus): string {
  if (mode.mode !== 'pause') return SHELL.modes[mode.mode];
  return SHELL.paused(mode.resumesAt === null ? null : formatClock(mode.resumesAt));
}

function modeItems(mode: ModeStatus, now: number): MenuItem[] {
  const items: MenuItem[] = [
    { label: SHELL.askItem, checked: mode.mode === 'ask', onSelect: () => void setMode({ mode: 'ask' }) },
    {
      label: SHELL.modes['allow-all'],
      checked: mode.mode === 'allow-all',
      onSelect: () => void setMode({ mode: 'allow-all' }),
    },
    {
      label: SHELL.modes['block-all'],
      checked: mode.mode === 'block-all',
      onSelect: () => void setMode({ mode: 'block-all' }),
    },
  ];
  const format = userFormat();
  for (const minutes of [5, 15, 60]) {
    const span = minutes === 60 ? format.duration(1, 'hour', 'long') : format.duration(minutes, 'minute', 'long');
    items.push({
      label: SHELL.pauseFor(span, formatClock(now + minutes * 60_000, format)),
      separated: minutes === 5,
      onSelect: () => void setMode({ mode: 'pause', minutes }),
    });
  }
  if (mode.mode === 'pause') {
    items.push({
      label: SHELL.resumeNow(SHELL.modes[mode.resumesTo ?? 'ask']),
      separated: true,
      onSelect: () => void setMode({ mode: mode.resumesTo ?? 'ask' }),
    });
  }
  return items;
}

/**
 * Driver state, the network profile (with its switcher), filtering mode (with the pause menu),
 * learning (with its menu and the proposals waiting) and the pending prompts.
 */
export function StatusBar(): React.JSX.Element {
  const status = useAppStore((s) => s.status);
  const transport = useAppStore((s) => s.transport);
  const pending = useAppStore((s) => s.promptGroups.reduce((n, g) => n + g.prompts.length, 0));
  const openPrompts = useAppStore((s) => s.openPromptDialog);
  const now = useNow(30_000);

  const driver = status?.driver ?? 'disconnected';
  const engineDown = transport !== 'open';
  const policy = status === null || engineDown ? null : policyBadge(status.policy);
  return (
    <footer className="statusbar" aria-label={SHELL.status}>
      {engineDown ? (
        <span className="status-item status-warn" role="status">
          <span className="dot dot-warn" aria-hidden="true" />
          {transport === 'connecting'
            ? SHELL.connecting
            : transport === 'unavailable'
              ? SHELL.noEngine
              : SHELL.engineUnreachable}
        </span>
      ) : (
        <span className={`status-item status-driver-${driver}`} title={status?.driverMessage ?? ''} role="status">
          <span
            className={`dot dot-${driver === 'connected' ? 'ok' : driver === 'reconnecting' || driver === 'installing' ? 'warn' : 'bad'}`}
            aria-hidden="true"
          />
          {driverStatusText(driver, status?.driverMessage ?? '')}
        </span>
      )}
      {policy !== null && status !== null ? (
        <span className={`status-item status-policy-${status.policy.state}`} title={status.policy.message}>
          <span className={`dot dot-${policy.tone}`} aria-hidden="true" />
          {policy.label}
        </span>
      ) : null}
      {status !== null ? <ProfileMenu status={status.profile} /> : null}
      {status !== null ? (
        <Menu
          label={SHELL.filteringMode}
          items={modeItems(status.mode, now)}
          className={`mode-menu mode-${status.mode.mode}`}
        >
          <Icon name={status.mode.mode === 'pause' ? 'pause' : 'shield'} size={14} />
          <span>
            {SHELL.modePrefix} <strong>{modeText(status.mode)}</strong>
          </span>
          <Icon name="chevronDown" size={12} />
        </Menu>
      ) : null}
      {status !== null ? <LearningMenu status={status.learning} now={now} /> : null}
      <span className="statusbar-spacer" />
      <button
        type="button"
        className={`status-item status-pending ${pending > 0 ? 'has-pending' : ''}`}
        onClick={openPrompts}
        disabled={pending === 0}
      >
        <Icon name="bell" size={14} />
        {pending === 0 ? SHELL.noPendingPrompts : plural(pending, SHELL.pendingPrompts)}
      </button>
    </footer>
  );
}
