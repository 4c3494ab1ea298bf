import { useEffect, useId, useRef, useState } from 'react';
import {
  IMPORT_FORMATS,
  type ImportFormat,
  type ImportPreview,
  MAX_IMPORT_CHARS,
  MAX_IMPORT_FILES,
} from '../../../../app/contract/import-preview.ts';
import { deleteRules, importPicked, previewImport } from '../../bridge.ts';
import { plural } from '../../lib/format.ts';
import { importSizeProblem, initialPicks, pickedRules, togglePick } from '../../lib/import-picks.ts';
import { describeApp, describeDestination, describePort, describeProtocol } from '../../lib/rule-form.ts';
import { reloadRules } from '../../store/sync.ts';
import { IMPORT } from '../../strings/import-strings.ts';
import { RULES } from '../../strings/rules-strings.ts';

type Step =
  | { readonly kind: 'choose'; readonly problem: string | null; readonly busy: boolean }
  | { readonly kind: 'preview'; readonly preview: ImportPreview; readonly picks: ReadonlySet<number> }
  | { readonly kind: 'done'; readonly message: string; readonly ids: readonly string[] };

/**
 * Rules from another firewall, in three steps: pick the format and the files; see what the import
 * would do (rules to create with their caveats, rules already in force, conflicts, what cannot be
 * expressed and why) and pick; then the import, one transaction, with an undo that removes
 * exactly what it added, also one transaction. Nothing is written before the confirmation.
 */
export function ImportDialog({ onClose }: { readonly onClose: () => void }): React.JSX.Element {
  const [format, setFormat] = useState<ImportFormat>('opensnitch');
  const [step, setStep] = useState<Step>({ kind: 'choose', problem: null, busy: false });
  const formatId = useId();
  const filesId = useId();
  const hintId = useId();
  const first = useRef<HTMLSelectElement>(null);
  useEffect(() => first.current?.focus(), []);

  const read = async (files: readonly File[]): Promise<void> => {
    if (files.length === 0) return;
    const tooBig = importSizeProblem(
      files.map((f) => f.size),
      MAX_IMPORT_CHARS,
      IMPORT.tooBig,
    );
    if (tooBig !== null || files.length > MAX_IMPORT_FILES) {
      setStep({
        kind: 'choose',
        problem: tooBig ?? IMPORT.tooBig(String(files.length), String(MAX_IMPORT_FILES)),
        busy: false,
      });
      return;
    }
    setStep({ kind: 'choose', problem: null, busy: true });
    const texts = await Promise.all(files.map(async (file) => ({ name: file.name, text: await file.text() })));
    const result = await previewImport({ format, files: texts });
    if (!result.ok) {
      setStep({ kind: 'choose', problem: result.error.message, busy: false });
      return;
    }
    setStep({ kind: 'preview', preview: result.value, picks: initialPicks(result.value) });
  };

  const confirm = async (preview: ImportPreview, picks: ReadonlySet<number>): Promise<void> => {
    const result = await importPicked(pickedRules(preview, picks));
    if (!result.ok) {
      setStep({ kind: 'done', message: result.error.message, ids: [] });
      return;
    }
    await reloadRules();
    const { imported, ids } = result.value;
    setStep({
      kind: 'done',
      message: imported === 0 ? IMPORT.importedNone : plural(imported, IMPORT.imported),
      ids,
    });
  };

  const undo = async (ids: readonly string[]): Promise<void> => {
    const result = await deleteRules(ids);
    await reloadRules();
    setStep({
      kind: 'done',
      message: result.ok ? plural(result.value.deleted, IMPORT.undone) : result.error.message,
      ids: [],
    });
  };

  return (
    <div
      className="modal import-dialog"
      role="dialog"
      aria-modal="true"
      aria-label={IMPORT.title}
      onKeyDown={(event) => {
        if (event.key === 'Escape') onClose();
      }}
    >
      <header className="modal-header">
        <h2>{IMPORT.title}</h2>
        <p>{IMPORT.intro}</p>
      </header>
      {step.kind === 'choose' ? (
        <div className="form-grid">
          <div className="field span-2">
            <label className="field-label" htmlFor={formatId}>
              {IMPORT.format}
            </label>
            <select
              id={formatId}
              ref={first}
              value={format}
              onChange={(event) => setFormat(event.target.value as ImportFormat)}
            >
              {IMPORT_FORMATS.map((f) => (
                <option key={f} value={f}>
                  {IMPORT.formats[f]}
                </option>
              ))}
            </select>
          </div>
          <div className="field span-2">
            <label className="field-label" htmlFor={filesId}>
              {IMPORT.files}
            </label>
            <input
              id={filesId}
              type="file"
              aria-describedby={hintId}
              multiple={format === 'opensnitch'}
              disabled={step.busy}
              onChange={(event) => {
                const files = [...(event.target.files ?? [])];
                event.target.value = '';
                void read(files);
              }}
            />
            <span id={hintId} className="setting-hint">
              {IMPORT.hints[format]}
            </span>
          </div>
          {step.busy ? <p className="span-2 muted">{IMPORT.reading}</p> : null}
          {step.problem === null ? null : (
            <p className="span-2 form-error" role="alert">
              {step.problem}
            </p>
          )}
        </div>
      ) : null}
      {step.kind === 'preview' ? (
        <PreviewList preview={step.preview} picks={step.picks} onPicks={(picks) => setStep({ ...step, picks })} />
      ) : null}
      {step.kind === 'done' ? (
        <p className="import-done" role="status">
          {step.message}
        </p>
      ) : null}
      <footer className="modal-actions">
        {step.kind === 'preview' ? (
          <>
            <button
              type="button"
              className="button button-ghost"
              onClick={() => setStep({ kind: 'choose', problem: null, busy: false })}
            >
              {IMPORT.back}
            </button>
            <button type="button" className="button button-ghost" onClick={onClose}>
              {IMPORT.cancel}
            </button>
            <button
              type="button"
              className="button button-primary"
              disabled={step.picks.size === 0}
              onClick={() => void confirm(step.preview, step.picks)}
            >
              {plural(step.picks.size, IMPORT.importPicked)}
            </button>
          </>
        ) : step.kind === 'done' ? (
          <>
            {step.ids.length > 0 ? (
              <button type="button" className="button button-danger-outline" onClick={() => void undo(step.ids)}>
                {IMPORT.undo}
              </button>
            ) : null}
            <button type="button" className="button button-primary" onClick={onClose}>
              {IMPORT.close}
            </button>
          </>
        ) : (
          <button type="button" className="button button-ghost" onClick={onClose}>
            {IMPORT.cancel}
          </button>
        )}
      </footer>
    </div>
  );
}

function PreviewList({
  preview,
  picks,
  onPicks,
}: {
  readonly preview: ImportPreview;
  readonly picks: ReadonlySet<number>;
  readonly onPicks: (picks: ReadonlySet<number>) => void;
}): React.JSX.Element {
  return (
    <div className="import-preview">
      <h3>{IMPORT.rulesHeading}</h3>
      {preview.rules.length === 0 ? <p className="muted">{IMPORT.noRules}</p> : null}
      <ul className="import-rules">
        {preview.rules.map((candidate, index) => {
          const { rule } = candidate;
          const summary = `${RULES.actions[rule.action]} ${describeApp(rule.app)} → ${describeDestination(rule.destination)} ${describePort(rule.port)} ${describeProtocol(rule.protocol)}`;
          return (
            <li key={`${candidate.source}-${String(index)}`}>
              <label className="check">
                <input
                  type="checkbox"
                  aria-label={IMPORT.pick(summary)}
                  checked={picks.has(index)}
                  onChange={() => onPicks(togglePick(picks, index))}
                />
                <span>{summary}</span>
              </label>
              <p className="muted">
                {IMPORT.from} {candidate.source}
              </p>
              {candidate.duplicateOf === undefined ? null : <p className="import-note">{IMPORT.duplicate}</p>}
              {candidate.conflictsWith === undefined ? null : (
                <p className="import-note import-conflict">{IMPORT.conflict}</p>
              )}
              {candidate.caveats.map((caveat) => (
                <p key={caveat} className="import-note">
                  {caveat}
                </p>
              ))}
            </li>
          );
        })}
      </ul>
      {preview.skipped.length === 0 ? null : (
        <>
          <h3>{IMPORT.skippedHeading}</h3>
          <ul className="import-skipped">
            {preview.skipped.map((skipped, index) => (
              <li key={`${skipped.source}-${String(index)}`}>
                <span className="mono">{skipped.source}</span>: {skipped.reason}
              </li>
            ))}
          </ul>
        </>
      )}
    </div>
  );
}
