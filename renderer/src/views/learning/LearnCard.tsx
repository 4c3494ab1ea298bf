import { useId, useState } from 'react';
import { MAX_LEARNING_MINUTES } from '../../../../app/contract/learning.ts';
import { Icon } from '../../components/Icon.tsx';
import { useNow } from '../../hooks/use-now.ts';
import { formatCount } from '../../lib/format.ts';
import { parseMinutes } from '../../lib/learning-menu.ts';
import { isLearning, learningSummary } from '../../lib/learning-text.ts';
import { startLearning, stopLearning } from '../../store/learning-commands.ts';
import { useAppStore } from '../../store/store.ts';
import { LEARNING } from '../../strings/learning-strings.ts';

/**
 * What learning does now (the status's sentences), learning for any number of minutes (the
 * menus offer 15 minutes and an hour), and Stop.
 */
export function LearnCard(): React.JSX.Element | null {
  const learning = useAppStore((s) => s.status?.learning ?? null);
  const now = useNow(30_000);
  const [text, setText] = useState('15');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const errorId = useId();
  if (learning === null) return null;

  const start = async (): Promise<void> => {
    const minutes = parseMinutes(text, MAX_LEARNING_MINUTES);
    if (minutes === null) return setError(LEARNING.minutesError(formatCount(MAX_LEARNING_MINUTES)));
    setBusy(true);
    await startLearning({ kind: 'minutes', minutes });
    setBusy(false);
  };

  return (
    <div className="card learn-card" role="group" aria-label={LEARNING.controls}>
      <p className="learn-summary">{learningSummary(learning, now)}</p>
      <form
        className="inline-form"
        onSubmit={(event) => {
          event.preventDefault();
          void start();
        }}
        noValidate
      >
        <label className="inline-field">
          <span>{LEARNING.minutes}</span>
          <input
            type="number"
            min={1}
            max={MAX_LEARNING_MINUTES}
            className="learn-minutes"
            aria-invalid={error !== null}
            aria-describedby={error !== null ? errorId : undefined}
            value={text}
            onChange={(event) => {
              setText(event.target.value);
              setError(null);
            }}
          />
        </label>
        <button type="submit" className="button button-primary" disabled={busy}>
          <Icon name="learn" size={15} />
          {LEARNING.start}
        </button>
        {isLearning(learning, now) ? (
          <button type="button" className="button" onClick={() => void stopLearning()}>
            <Icon name="x" size={15} />
            {LEARNING.stop}
          </button>
        ) : null}
        {error !== null ? (
          <span id={errorId} className="field-problem" role="alert">
            {error}
          </span>
        ) : null}
      </form>
    </div>
  );
}
