import { useEffect, useId, useMemo, useRef, useState } from 'react';
import { profileName } from '../lib/profile-text.ts';
import {
  DESTINATION_KINDS,
  DURATION_KINDS,
  formToRuleInput,
  PROTOCOL_CHOICES,
  type RuleForm,
} from '../lib/rule-form.ts';
import { createRule, updateRule } from '../store/commands.ts';
import { useAppStore } from '../store/store.ts';
import type { RuleEditorState } from '../store/ui-slice.ts';
import { LEARNING } from '../strings/learning-strings.ts';
import { RULES } from '../strings/rules-strings.ts';

/** The dialog's title, first line and submit button, by what it edits. */
function editorText(editor: RuleEditorState): { title: string; intro: string; submit: string } {
  const words = RULES.editor;
  if (editor.origin === 'proposal') {
    return { title: LEARNING.narrowTitle, intro: LEARNING.narrowIntro, submit: LEARNING.narrowKeep };
  }
  if (editor.ruleId !== null) return { title: words.edit, intro: words.intro, submit: words.save };
  return {
    title: editor.origin === 'connection' ? words.make : words.create,
    intro: words.intro,
    submit: words.createButton,
  };
}

function Editor({ editor }: { readonly editor: RuleEditorState }): React.JSX.Element {
  const close = useAppStore((s) => s.closeRuleEditor);
  const rows = useAppStore((s) => s.connectionRows);
  const profiles = useAppStore((s) => s.profiles);
  const [form, setForm] = useState<RuleForm>(editor.form);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const listId = useId();
  const firstField = useRef<HTMLInputElement>(null);
  const knownApps = useMemo(() => [...new Set(rows.map((r) => r.appPath).filter((p) => p !== ''))].sort(), [rows]);
  const kind = DESTINATION_KINDS.find((k) => k.kind === form.destinationKind);
  const needsValue = kind !== undefined && kind.placeholder !== '';

  // Focus goes back where it was when the editor closes (the row's Make rule button, New rule,
  // Edit), not to the page: a keyboard user goes on from there.
  useEffect(() => {
    const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    firstField.current?.focus();
    return () => {
      if (opener?.isConnected === true) opener.focus();
    };
  }, []);

  const update = <K extends keyof RuleForm>(key: K, value: RuleForm[K]): void => {
    setForm((f) => ({ ...f, [key]: value }));
    setError(null);
  };

  const submit = async (event: React.FormEvent): Promise<void> => {
    event.preventDefault();
    const result = formToRuleInput(form);
    if (!result.ok) {
      setError(result.error);
      return;
    }
    if (editor.origin === 'proposal') {
      // A narrowed proposal is kept in the review as edited; nothing reaches the engine before Apply.
      useAppStore.getState().decideProposals([editor.proposalId], { action: 'keep', rule: result.input });
      close();
      return;
    }
    setBusy(true);
    const ok = editor.ruleId === null ? await createRule(result.input) : await updateRule(editor.ruleId, result.input);
    setBusy(false);
    if (ok) close();
  };

  const words = RULES.editor;
  const text = editorText(editor);
  return (
    <div
      className="modal"
      role="dialog"
      aria-modal="true"
      aria-label={text.title}
      onKeyDown={(event) => {
        if (event.key === 'Escape') close();
      }}
    >
      <form onSubmit={(event) => void submit(event)} noValidate>
        <header className="modal-header">
          <h2>{text.title}</h2>
          <p>{text.intro}</p>
        </header>
        <div className="form-grid">
          <label className="field span-2">
            <span className="field-label">{words.appPath}</span>
            <input
              ref={firstField}
              type="text"
              className="mono"
              list={listId}
              placeholder={words.anyApp}
              value={form.appPath}
              onChange={(e) => update('appPath', e.target.value)}
            />
            <datalist id={listId}>
              {knownApps.map((app) => (
                <option key={app} value={app} />
              ))}
            </datalist>
          </label>
          <label className="field">
            <span className="field-label">{words.destination}</span>
            <select
              value={form.destinationKind}
              onChange={(e) => update('destinationKind', e.target.value as RuleForm['destinationKind'])}
            >
              {DESTINATION_KINDS.map((k) => (
                <option key={k.kind} value={k.kind}>
                  {k.label}
                </option>
              ))}
            </select>
          </label>
          <label className="field">
            <span className="field-label">{needsValue ? kind.label : words.value}</span>
            <input
              type="text"
              className="mono"
              disabled={!needsValue}
              placeholder={kind?.placeholder ?? ''}
              value={needsValue ? form.destinationValue : ''}
              onChange={(e) => update('destinationValue', e.target.value)}
            />
          </label>
          <label className="field">
            <span className="field-label">{words.port}</span>
            <input
              type="text"
              inputMode="numeric"
              className="mono"
              placeholder={words.anyPort}
              value={form.port}
              onChange={(e) => update('port', e.target.value)}
            />
          </label>
          <label className="field">
            <span className="field-label">{words.protocol}</span>
            <select value={form.protocol} onChange={(e) => update('protocol', e.target.value)}>
              {PROTOCOL_CHOICES.map((p) => (
                <option key={p.value} value={p.value}>
                  {p.label}
                </option>
              ))}
            </select>
          </label>
          <label className="field">
            <span className="field-label">{words.direction}</span>
            <select
              value={form.direction}
              onChange={(e) => update('direction', e.target.value as RuleForm['direction'])}
            >
              <option value="outbound">{words.directions.outbound}</option>
              <option value="inbound">{words.directions.inbound}</option>
              <option value="any">{words.directions.any}</option>
            </select>
          </label>
          <label className="field">
            <span className="field-label">{words.action}</span>
            <select value={form.action} onChange={(e) => update('action', e.target.value as RuleForm['action'])}>
              <option value="allow">{words.actions.allow}</option>
              <option value="block">{words.actions.block}</option>
              <option value="drop">{words.actions.drop}</option>
            </select>
          </label>
          <label className="field">
            <span className="field-label">{words.duration}</span>
            <select
              value={form.durationKind}
              onChange={(e) => update('durationKind', e.target.value as RuleForm['durationKind'])}
            >
              {DURATION_KINDS.map((d) => (
                <option key={d.kind} value={d.kind}>
                  {d.label}
                </option>
              ))}
            </select>
          </label>
          <label className="field">
            <span className="field-label">{words.minutes}</span>
            <input
              type="number"
              min={1}
              disabled={form.durationKind !== 'minutes'}
              value={form.minutes}
              onChange={(e) => update('minutes', e.target.value)}
            />
          </label>
          <label className="field span-2">
            <span className="field-label">{words.appliesIn}</span>
            <select value={form.profile} onChange={(e) => update('profile', e.target.value)}>
              <option value="">{words.always}</option>
              {profiles.map((p) => (
                <option key={p.id} value={p.id}>
                  {words.onlyIn(p.name)}
                </option>
              ))}
              {/* A rule of a profile this window does not know (yet): kept as it is, said as such. */}
              {form.profile !== '' && !profiles.some((p) => p.id === form.profile) ? (
                <option value={form.profile}>{profileName(profiles, form.profile)}</option>
              ) : null}
            </select>
          </label>
          <label className="field span-2">
            <span className="field-label">{words.notes}</span>
            <input type="text" value={form.notes} onChange={(e) => update('notes', e.target.value)} />
          </label>
          <label className="check span-2">
            <input type="checkbox" checked={form.enabled} onChange={(e) => update('enabled', e.target.checked)} />
            {words.enabled}
          </label>
        </div>
        {error !== null ? (
          <p className="form-error" role="alert">
            {error}
          </p>
        ) : null}
        <footer className="modal-actions">
          <button type="button" className="button button-ghost" onClick={close}>
            {words.cancel}
          </button>
          <button type="submit" className="button button-primary" disabled={busy}>
            {text.submit}
          </button>
        </footer>
      </form>
    </div>
  );
}

/** Creates or edits one rule; opened from the Rules view or a connection row. */
export function RuleEditorDialog(): React.JSX.Element | null {
  const editor = useAppStore((s) => s.ruleEditor);
  if (editor === null) return null;
  return (
    <div className="overlay">
      <Editor key={editor.origin === 'proposal' ? editor.proposalId : (editor.ruleId ?? 'new')} editor={editor} />
    </div>
  );
}
