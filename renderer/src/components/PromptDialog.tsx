import { useEffect, useMemo, useRef, useState } from 'react';
import type { PromptGroup, PromptView } from '../../../app/contract/views.ts';
import { holdPrompt } from '../bridge.ts';
import { useNow } from '../hooks/use-now.ts';
import { appName, formatCount, formatTime, plural, secondsLeft } from '../lib/format.ts';
import { userFormat } from '../lib/locale-format.ts';
import {
  actionLabel,
  answerProfile,
  defaultDurationId,
  type DurationChoiceId,
  durationChoices,
  isLasting,
  orderPrompts,
  promptAddress,
  promptHeadline,
  scopeChoices,
  unknownAppNote,
} from '../lib/prompt-text.ts';
import { visibleText } from '../lib/visible-text.ts';
import { answerApp, answerPrompt } from '../store/commands.ts';
import { useAppStore } from '../store/store.ts';
import { PROMPT } from '../strings/prompt-strings.ts';
import { AppAvatar } from './AppAvatar.tsx';
import { Icon } from './Icon.tsx';
import { LearnedNotice } from './LearnedNotice.tsx';

/**
 * How long the answer buttons stay inert after a prompt appears, and how long the keyboard must
 * have been quiet before a letter answers: a stray keystroke, or one of someone typing elsewhere
 * when the prompt took the focus, is not an answer.
 */
export const INERT_MS = 1000;

/** The user a process runs as: names are not known here, so root by name and others by uid. */
function userLabel(uid: number | null): string {
  if (uid === null) return PROMPT.unknown;
  return uid === 0 ? PROMPT.root : PROMPT.uid(uid);
}
/** How often continued interaction asks the engine to restart the hold. */
const HOLD_REFRESH_MS = 5000;

const FOCUSABLE = 'button:not([disabled]), select:not([disabled]), input:not([disabled]), [tabindex="0"]';

/** Keeps Tab inside the dialog. */
function trapTab(event: React.KeyboardEvent<HTMLElement>): void {
  if (event.key !== 'Tab') return;
  const nodes = [...event.currentTarget.querySelectorAll<HTMLElement>(FOCUSABLE)];
  const first = nodes[0];
  const last = nodes.at(-1);
  if (first === undefined || last === undefined) return;
  if (event.shiftKey && (document.activeElement === first || document.activeElement === event.currentTarget)) {
    event.preventDefault();
    last.focus();
  } else if (!event.shiftKey && document.activeElement === last) {
    event.preventDefault();
    first.focus();
  }
}

function PendingList({
  groups,
  currentId,
  onPick,
  disabled,
}: {
  readonly groups: readonly PromptGroup[];
  readonly currentId: string;
  readonly onPick: (id: string) => void;
  readonly disabled: boolean;
}): React.JSX.Element {
  return (
    <section className="prompt-pending" aria-label={PROMPT.pending}>
      <h3>{PROMPT.pendingByApp}</h3>
      <ul>
        {groups.map((group) => {
          const name = appName(group.app);
          const current = group.prompts.some((p) => p.id === currentId);
          return (
            <li key={group.appPath} aria-label={name} className={current ? 'is-current' : undefined}>
              <button
                type="button"
                className="pending-app"
                onClick={() => {
                  const first = group.prompts[0];
                  if (first !== undefined) onPick(first.id);
                }}
                title={visibleText(group.appPath)}
              >
                <AppAvatar label={group.app} />
                <span className="pending-name">{name}</span>
                <span className="count-badge" title={plural(group.count, PROMPT.askedAbout)}>
                  {formatCount(group.count)}
                </span>
              </button>
              <span className="pending-destinations">
                {group.prompts.length === 1
                  ? (group.prompts[0]?.host ?? group.prompts[0]?.remoteIp)
                  : plural(group.prompts.length, PROMPT.destinations)}
              </span>
              <span className="pending-actions">
                <button
                  type="button"
                  className="button button-small"
                  disabled={disabled}
                  onClick={() => void answerApp(group.appPath, 'allow')}
                >
                  {PROMPT.allowAll}
                </button>
                <button
                  type="button"
                  className="button button-small button-danger-outline"
                  disabled={disabled}
                  onClick={() => void answerApp(group.appPath, 'block')}
                >
                  {PROMPT.blockAll}
                </button>
              </span>
            </li>
          );
        })}
      </ul>
    </section>
  );
}

function Countdown({
  prompt,
  paused,
  defaultAction,
  holdSeconds,
}: {
  readonly prompt: PromptView;
  readonly paused: boolean;
  readonly defaultAction: 'allow' | 'block' | 'drop';
  readonly holdSeconds: number;
}): React.JSX.Element {
  const now = useNow(250);
  const frozen = useRef<number | null>(null);
  if (paused && frozen.current === null) frozen.current = now;
  const shownNow = paused ? (frozen.current ?? now) : now;
  const action = actionLabel(defaultAction);
  if (prompt.holdDeadline === null || prompt.held === 0) {
    return (
      <p className="prompt-countdown is-timed-out" role="status">
        <Icon name="clock" size={14} />
        {PROMPT.timedOut(formatTime(prompt.lastSeenAt, now), action)}
      </p>
    );
  }
  const left = secondsLeft(prompt.holdDeadline, shownNow);
  const fraction = holdSeconds > 0 ? Math.min(1, left / holdSeconds) : 0;
  return (
    <div className={`prompt-countdown ${paused ? 'is-paused' : ''}`}>
      <div className="countdown-text" aria-live="off">
        <Icon name={paused ? 'pause' : 'clock'} size={14} />
        {paused ? (
          <span>{PROMPT.paused(action, formatTime(prompt.holdDeadline, now))}</span>
        ) : (
          <span>
            {PROMPT.runningBefore(action)}
            <strong>{userFormat().duration(left, 'second')}</strong>
            {PROMPT.runningAfter}
          </span>
        )}
      </div>
      <div className="countdown-track" aria-hidden="true">
        <div className="countdown-fill" style={{ width: `${(fraction * 100).toFixed(1)}%` }} />
      </div>
    </div>
  );
}

/** "Only in <active profile>": the answer's rule belongs to that profile (off: always on). */
function OnlyInProfile({
  name,
  checked,
  lasting,
  onChange,
}: {
  readonly name: string;
  readonly checked: boolean;
  /** 'Once' makes no rule, so there is nothing to keep to a profile. */
  readonly lasting: boolean;
  readonly onChange: (checked: boolean) => void;
}): React.JSX.Element {
  return (
    <label className="check prompt-profile" title={PROMPT.onlyInHint}>
      <input
        type="checkbox"
        checked={checked && lasting}
        disabled={!lasting}
        onChange={(event) => onChange(event.target.checked)}
      />
      {PROMPT.onlyIn(name)}
    </label>
  );
}

function PromptCard({
  prompt,
  groups,
  position,
  total,
  onPick,
  onLater,
  onReview,
}: {
  readonly prompt: PromptView;
  readonly groups: readonly PromptGroup[];
  readonly position: number;
  readonly total: number;
  readonly onPick: (id: string) => void;
  /** null in the prompt window, which has no main window behind it to go back to. */
  readonly onLater: (() => void) | null;
  /** Opens the review of what learning learned; null in the prompt window (it has no views). */
  readonly onReview: (() => void) | null;
}): React.JSX.Element {
  const settings = useAppStore((s) => s.settings);
  const defaultAction = settings?.defaultAction ?? 'block';
  const [inert, setInert] = useState(true);
  const [paused, setPausedState] = useState(false);
  const lastHold = useRef(0);
  // Any interaction pauses the countdown: the engine restarts the hold of this prompt's
  // connections (within the driver's limit), at most every few seconds while the user acts.
  const setPaused = (value: boolean): void => {
    setPausedState(value);
    const now = Date.now();
    if (value && now - lastHold.current > HOLD_REFRESH_MS) {
      lastHold.current = now;
      void holdPrompt(prompt.id);
    }
  };
  const [busy, setBusy] = useState(false);
  const durations = durationChoices(prompt);
  const [durationId, setDurationId] = useState<DurationChoiceId>(() => defaultDurationId(prompt));
  const note = unknownAppNote(prompt);
  const scopes = useMemo(() => scopeChoices(prompt), [prompt]);
  const [scopeId, setScopeId] = useState('exact');
  // Off by default: a rule is always on unless the user says it belongs to this profile.
  const activeProfile = useAppStore((s) => s.status?.profile.active ?? null);
  const [onlyInProfile, setOnlyInProfile] = useState(false);
  // Only what the prompt offers: 'once' when the choice is not among them.
  const chosenDuration = durations.find((c) => c.id === durationId)?.duration ?? { kind: 'once' };
  const dialogRef = useRef<HTMLDivElement>(null);
  // When the last key reached the dialog (its first showing counts as one): typing that goes
  // on across the inert second must not answer with whatever letter comes next.
  const lastKeyAt = useRef(performance.now());

  useEffect(() => {
    const timer = setTimeout(() => setInert(false), INERT_MS);
    return () => clearTimeout(timer);
  }, []);

  useEffect(() => {
    // Focus the dialog itself, not a button: Enter or Space cannot answer by accident.
    if (!dialogRef.current?.contains(document.activeElement)) dialogRef.current?.focus();
  }, []);

  const answer = async (action: 'allow' | 'block'): Promise<void> => {
    if (inert || busy) return;
    const scope = scopes.find((s) => s.id === scopeId)?.scope ?? { kind: 'exact' };
    const profile = answerProfile(onlyInProfile, chosenDuration, activeProfile?.id ?? null);
    setBusy(true);
    const ok = await answerPrompt(prompt.id, action, chosenDuration, scope, profile);
    if (!ok) setBusy(false);
  };

  const onKeyDown = (event: React.KeyboardEvent<HTMLDivElement>): void => {
    setPaused(true);
    trapTab(event);
    const target = event.target as HTMLElement;
    if (event.altKey || event.ctrlKey || event.metaKey || target.tagName === 'SELECT') return;
    // Escape closes the modal as "Later" does: the prompt stays pending, nothing is answered.
    if (event.key === 'Escape' && onLater !== null) {
      onLater();
      return;
    }
    const at = performance.now();
    const quiet = at - lastKeyAt.current >= INERT_MS;
    lastKeyAt.current = at;
    if (!quiet) return;
    const key = event.key.toLowerCase();
    if (key === 'a') void answer('allow');
    else if (key === 'b') void answer('block');
  };

  const headlineId = `prompt-headline-${prompt.id}`;
  const showPending = groups.length > 1 || total > 1;
  const locked = inert || busy;
  return (
    <div
      ref={dialogRef}
      className={`prompt ${showPending ? 'has-pending' : ''}`}
      role="dialog"
      aria-modal="true"
      aria-label={PROMPT.dialog}
      aria-describedby={headlineId}
      tabIndex={-1}
      onKeyDown={onKeyDown}
      onPointerDown={() => setPaused(true)}
    >
      <div className="prompt-main">
        <header className="prompt-header">
          <AppAvatar label={prompt.app} size="large" />
          <div className="prompt-title">
            <p className="prompt-kicker">
              <Icon name={prompt.direction === 'inbound' ? 'in' : 'out'} size={13} />
              {prompt.direction === 'inbound' ? PROMPT.incomingConnection : PROMPT.outgoingConnection}
              {total > 1 ? (
                <span className="prompt-position">{PROMPT.position(formatCount(position), formatCount(total))}</span>
              ) : null}
            </p>
            <h2 id={headlineId}>{promptHeadline(prompt)}</h2>
          </div>
        </header>

        <dl className="prompt-details">
          <dt>{PROMPT.details.executable}</dt>
          <dd className="mono" title={visibleText(prompt.appPath)}>
            {visibleText(prompt.appPath === '' ? prompt.app : prompt.appPath)}
          </dd>
          <dt>{PROMPT.details.process}</dt>
          <dd>{prompt.pids.length === 0 ? PROMPT.unknown : PROMPT.pids(prompt.pids)}</dd>
          <dt>{PROMPT.details.user}</dt>
          <dd>{userLabel(prompt.uid)}</dd>
          <dt>{PROMPT.details.direction}</dt>
          <dd>{prompt.direction === 'inbound' ? PROMPT.incoming : PROMPT.outgoing}</dd>
          <dt>{PROMPT.details.address}</dt>
          <dd className="mono">{promptAddress(prompt)}</dd>
          {prompt.host !== null ? (
            <>
              <dt>{PROMPT.details.host}</dt>
              <dd className="mono">{prompt.host}</dd>
            </>
          ) : null}
          {prompt.count > 1 ? (
            <>
              <dt>{PROMPT.details.attempts}</dt>
              <dd>
                {plural(prompt.count, PROMPT.attempts)}
                {prompt.held > 0 ? PROMPT.waiting(formatCount(prompt.held)) : ''}
              </dd>
            </>
          ) : null}
        </dl>

        <Countdown
          prompt={prompt}
          paused={paused}
          defaultAction={defaultAction}
          holdSeconds={settings?.holdTimeoutSeconds ?? 30}
        />

        <div className="prompt-options">
          <label className="field">
            <span className="field-label">{PROMPT.duration}</span>
            <select
              value={durationId}
              onChange={(event) => {
                setPaused(true);
                setDurationId(event.target.value as DurationChoiceId);
              }}
            >
              {durations.map((choice) => (
                <option key={choice.id} value={choice.id}>
                  {choice.label}
                </option>
              ))}
            </select>
          </label>
          <label className="field">
            <span className="field-label">{PROMPT.scope}</span>
            <select
              value={scopeId}
              onChange={(event) => {
                setPaused(true);
                setScopeId(event.target.value);
              }}
            >
              {scopes.map((choice) => (
                <option key={choice.id} value={choice.id}>
                  {choice.label}
                </option>
              ))}
            </select>
          </label>
        </div>

        {activeProfile !== null ? (
          <OnlyInProfile
            name={activeProfile.name}
            checked={onlyInProfile}
            lasting={isLasting(chosenDuration)}
            onChange={(checked) => {
              setPaused(true);
              setOnlyInProfile(checked);
            }}
          />
        ) : null}

        {note !== null ? (
          <p className="prompt-note" role="note">
            {note}
          </p>
        ) : null}

        <footer className="prompt-actions">
          {onLater !== null ? (
            <button type="button" className="button button-ghost" onClick={onLater} title={PROMPT.laterTitle}>
              {PROMPT.later}
            </button>
          ) : null}
          <span className="prompt-keys" aria-hidden="true">
            <kbd>A</kbd>
            {PROMPT.keyAllow}
            <kbd>B</kbd>
            {PROMPT.keyBlock}
          </span>
          <button
            type="button"
            className={`button button-danger ${defaultAction !== 'allow' ? 'is-default' : ''}`}
            aria-label={PROMPT.block}
            aria-keyshortcuts="B"
            disabled={locked}
            onClick={() => void answer('block')}
          >
            <Icon name="x" size={15} />
            {PROMPT.block}
          </button>
          <button
            type="button"
            className={`button button-primary ${defaultAction === 'allow' ? 'is-default' : ''}`}
            aria-label={PROMPT.allow}
            aria-keyshortcuts="A"
            disabled={locked}
            onClick={() => void answer('allow')}
          >
            <Icon name="check" size={15} />
            {PROMPT.allow}
          </button>
        </footer>
      </div>
      {showPending ? <PendingList groups={groups} currentId={prompt.id} onPick={onPick} disabled={locked} /> : null}
      {/* The inbox says what learning took out of it meanwhile, with the way to its review. */}
      <LearnedNotice onReview={onReview} />
    </div>
  );
}

/**
 * The prompt: the current connection request, its countdown, and the pending prompts by app.
 * In the main window it is a modal over the views ("Later" puts it off until a new prompt);
 * `standalone` renders it alone, for Electron's prompt window (`index.html?window=prompt`).
 */
export function PromptDialog({ standalone = false }: { readonly standalone?: boolean }): React.JSX.Element | null {
  const groups = useAppStore((s) => s.promptGroups);
  const open = useAppStore((s) => s.promptDialogOpen);
  const close = useAppStore((s) => s.closePromptDialog);
  const setView = useAppStore((s) => s.setView);
  const prompts = useMemo(() => orderPrompts(groups), [groups]);
  const [pickedId, setPickedId] = useState<string | null>(null);
  if ((!open && !standalone) || prompts.length === 0) return null;
  const index = Math.max(
    0,
    prompts.findIndex((p) => p.id === pickedId),
  );
  const current = prompts[index];
  if (current === undefined) return null;
  return (
    <div className={standalone ? 'prompt-window' : 'overlay prompt-overlay'}>
      <PromptCard
        key={current.id}
        prompt={current}
        groups={groups}
        position={index + 1}
        total={prompts.length}
        onPick={setPickedId}
        onLater={standalone ? null : close}
        onReview={
          standalone
            ? null
            : () => {
                close();
                setView('learning');
              }
        }
      />
    </div>
  );
}
