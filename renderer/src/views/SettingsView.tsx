import { useEffect, useId, useState } from 'react';
import { NO_APP_ACTION_LABELS, noAppActionConsequence } from '../../../app/contract/no-app-action.ts';
import { MAX_HOLD_SECONDS, type Settings } from '../../../app/contract/views.ts';
import { ViewHeader } from '../components/ViewHeader.tsx';
import { saveSettings } from '../store/commands.ts';
import { useAppStore } from '../store/store.ts';
import { SETTINGS } from '../strings/settings-strings.ts';
import { BlocklistsCard } from './settings/BlocklistsCard.tsx';
import { ConfirmOff, type ConfirmWords } from './settings/ConfirmOff.tsx';

/** One setting: its label and hint, and the control (`children`, whose element has `id`). */
function SettingRow({
  id,
  label,
  hint,
  children,
}: {
  readonly id: string;
  readonly label: string;
  readonly hint: string;
  readonly children: React.ReactNode;
}): React.JSX.Element {
  return (
    <div className="setting">
      <div className="setting-text">
        <label className="setting-label" htmlFor={id}>
          {label}
        </label>
        <p className="setting-hint">{hint}</p>
      </div>
      <div className="setting-control">{children}</div>
    </div>
  );
}

function NumberSetting({
  label,
  hint,
  value,
  min,
  max,
  unit,
  disabled = false,
  onSave,
}: {
  readonly label: string;
  readonly hint: string;
  readonly value: number;
  readonly min: number;
  readonly max: number;
  readonly unit: string;
  readonly disabled?: boolean;
  readonly onSave: (value: number) => void;
}): React.JSX.Element {
  // A label's id: unique on the page, whatever the (translated) label text holds.
  const id = useId();
  const [text, setText] = useState(String(value));
  useEffect(() => setText(String(value)), [value]);
  const n = Number(text);
  const valid = text.trim() !== '' && Number.isInteger(n) && n >= min && n <= max;
  const commit = (): void => {
    if (valid && n !== value) onSave(n);
    else if (!valid) setText(String(value));
  };
  return (
    <SettingRow id={id} label={label} hint={hint}>
      <input
        id={id}
        type="number"
        min={min}
        max={max}
        disabled={disabled}
        value={text}
        aria-invalid={!valid}
        onChange={(event) => setText(event.target.value)}
        onBlur={commit}
        onKeyDown={(event) => {
          if (event.key === 'Enter') commit();
        }}
      />
      <span className="unit">{unit}</span>
    </SettingRow>
  );
}

function SelectSetting<T extends string>({
  label,
  hint,
  value,
  options,
  onSave,
}: {
  readonly label: string;
  readonly hint: string;
  readonly value: T;
  readonly options: readonly { value: T; label: string }[];
  readonly onSave: (value: T) => void;
}): React.JSX.Element {
  const id = useId();
  return (
    <SettingRow id={id} label={label} hint={hint}>
      <select id={id} value={value} onChange={(event) => onSave(event.target.value as T)}>
        {options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
    </SettingRow>
  );
}

function SwitchSetting({
  label,
  hint,
  value,
  confirmOff,
  onSave,
}: {
  readonly label: string;
  readonly hint: string;
  readonly value: boolean;
  /** Asked before turning it off (it deletes data); absent: the switch saves at once. */
  readonly confirmOff?: ConfirmWords;
  readonly onSave: (value: boolean) => void;
}): React.JSX.Element {
  // A label's id: unique on the page, whatever the (translated) label text holds.
  const id = useId();
  const [asking, setAsking] = useState(false);
  // Turned off by other means (another window): nothing is left to ask.
  useEffect(() => {
    if (!value) setAsking(false);
  }, [value]);
  return (
    <>
      <SettingRow id={id} label={label} hint={hint}>
        <label className="switch">
          <input
            id={id}
            type="checkbox"
            role="switch"
            // Controlled: while the question is open the switch still shows what is in force.
            checked={value}
            onChange={(event) => {
              if (!event.target.checked && confirmOff !== undefined) {
                setAsking(true);
                return;
              }
              setAsking(false);
              onSave(event.target.checked);
            }}
          />
          <span className="switch-track" aria-hidden="true" />
        </label>
      </SettingRow>
      {asking && confirmOff !== undefined ? (
        <ConfirmOff
          words={confirmOff}
          onConfirm={() => {
            setAsking(false);
            onSave(false);
          }}
          onCancel={() => setAsking(false)}
        />
      ) : null}
    </>
  );
}

/** Filtering defaults, the prompt, startup and history. Every change is saved at once. */
export function SettingsView(): React.JSX.Element {
  const settings = useAppStore((s) => s.settings);
  const policy = useAppStore((s) => s.status?.policy ?? null);
  const save = (patch: Partial<Settings>): void => void saveSettings(patch);
  if (settings === null) {
    return (
      <section className="view" aria-label={SETTINGS.title}>
        <ViewHeader title={SETTINGS.title} />
        <p className="muted">{SETTINGS.waiting}</p>
      </section>
    );
  }
  return (
    <section className="view" aria-label={SETTINGS.title}>
      <ViewHeader title={SETTINGS.title} subtitle={SETTINGS.subtitle} />
      <div className="card settings-group">
        <h3>{SETTINGS.unanswered}</h3>
        <SelectSetting
          label={SETTINGS.defaultAction}
          hint={SETTINGS.defaultActionHint}
          value={settings.defaultAction}
          options={(['block', 'drop', 'allow'] as const).map((value) => ({
            value,
            label: SETTINGS.defaultActions[value],
          }))}
          onSave={(defaultAction) => save({ defaultAction })}
        />
        <NumberSetting
          label={SETTINGS.holdTimeout}
          hint={SETTINGS.holdTimeoutHint}
          value={settings.holdTimeoutSeconds}
          min={0}
          max={MAX_HOLD_SECONDS}
          unit={SETTINGS.seconds}
          onSave={(holdTimeoutSeconds) => save({ holdTimeoutSeconds })}
        />
      </div>
      <div className="card settings-group">
        <h3>{SETTINGS.whileClosed}</h3>
        <SelectSetting
          label={SETTINGS.noAppAction}
          hint={noAppActionConsequence(settings.noAppAction)}
          value={settings.noAppAction}
          options={(['block', 'drop', 'allow'] as const).map((value) => ({
            value,
            label: NO_APP_ACTION_LABELS[value],
          }))}
          onSave={(noAppAction) => save({ noAppAction })}
        />
        {policy === null ? null : (
          <p className={`setting-status setting-status-${policy.state}`} role="status">
            {policy.message}
          </p>
        )}
      </div>
      <div className="card settings-group">
        <h3>{SETTINGS.promptAndStartup}</h3>
        <SelectSetting
          label={SETTINGS.promptPosition}
          hint={SETTINGS.promptPositionHint}
          value={settings.promptPosition}
          options={(['near-tray', 'center'] as const).map((value) => ({
            value,
            label: SETTINGS.promptPositions[value],
          }))}
          onSave={(promptPosition) => save({ promptPosition })}
        />
        <SwitchSetting
          label={SETTINGS.startAtLogin}
          hint={SETTINGS.startAtLoginHint}
          value={settings.startAtLogin}
          onSave={(startAtLogin) => save({ startAtLogin })}
        />
        <SwitchSetting
          label={SETTINGS.checkForUpdates}
          hint={SETTINGS.checkForUpdatesHint}
          value={settings.checkForUpdates}
          onSave={(checkForUpdates) => save({ checkForUpdates })}
        />
      </div>
      <div className="card settings-group">
        <h3>{SETTINGS.history}</h3>
        <NumberSetting
          label={SETTINGS.historyRetention}
          hint={SETTINGS.historyRetentionHint}
          value={settings.historyRetentionDays}
          min={1}
          max={3650}
          unit={SETTINGS.days}
          onSave={(historyRetentionDays) => save({ historyRetentionDays })}
        />
        <SwitchSetting
          label={SETTINGS.connectionLog}
          hint={SETTINGS.connectionLogHint}
          value={settings.connectionLog}
          onSave={(connectionLog) => save({ connectionLog })}
        />
        <SwitchSetting
          label={SETTINGS.keepDnsHistory}
          hint={SETTINGS.keepDnsHistoryHint}
          value={settings.keepDnsHistory}
          confirmOff={SETTINGS.dnsOff}
          onSave={(keepDnsHistory) => save({ keepDnsHistory })}
        />
        <NumberSetting
          label={SETTINGS.dnsRetention}
          hint={SETTINGS.dnsRetentionHint}
          value={settings.dnsRetentionDays}
          min={1}
          max={3650}
          unit={SETTINGS.days}
          // Nothing is kept while the DNS history is off, so there is nothing to keep for long.
          disabled={!settings.keepDnsHistory}
          onSave={(dnsRetentionDays) => save({ dnsRetentionDays })}
        />
      </div>
      <BlocklistsCard />
    </section>
  );
}
