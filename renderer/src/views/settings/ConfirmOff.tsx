import { useEffect, useId, useRef } from 'react';

/** The words of one confirmation: the question, and the two answers. */
export interface ConfirmWords {
  readonly question: string;
  readonly confirm: string;
  readonly cancel: string;
}

/**
 * Asks before a switch that deletes data is turned off: the switch stays on until the user
 * confirms here. Inline under the setting, not a modal: the rest of the Settings view stays
 * usable, and Escape or Cancel leave everything as it was. Focus lands on Cancel, so the question
 * is read out (it labels the group) and a stray Enter deletes nothing.
 */
export function ConfirmOff({
  words,
  onConfirm,
  onCancel,
}: {
  readonly words: ConfirmWords;
  readonly onConfirm: () => void;
  readonly onCancel: () => void;
}): React.JSX.Element {
  const questionId = useId();
  const cancel = useRef<HTMLButtonElement>(null);
  useEffect(() => cancel.current?.focus(), []);
  return (
    <div
      className="setting-confirm"
      role="group"
      aria-labelledby={questionId}
      onKeyDown={(event) => {
        if (event.key === 'Escape') onCancel();
      }}
    >
      <p id={questionId}>{words.question}</p>
      <div className="setting-confirm-actions">
        <button ref={cancel} type="button" className="button button-ghost" onClick={onCancel}>
          {words.cancel}
        </button>
        <button type="button" className="button button-danger" onClick={onConfirm}>
          {words.confirm}
        </button>
      </div>
    </div>
  );
}
