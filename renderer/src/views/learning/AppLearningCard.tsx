import { useState } from 'react';
import { appPathProblem } from '../../../../app/contract/app-path.ts';
import { Icon } from '../../components/Icon.tsx';
import { appListed } from '../../lib/learning-text.ts';
import { setAlwaysAsk, startLearning } from '../../store/learning-commands.ts';
import { useAppStore } from '../../store/store.ts';
import { LEARNING } from '../../strings/learning-strings.ts';

/**
 * The Apps view's learning for the selected app: learn until it quits, and "Always ask" (its
 * connections ask even while learning). Only for an app known by its path: learning one that is
 * not (an unknown app) would make rules for every app, so the engine never learns those.
 */
export function AppLearningCard({ app }: { readonly app: string }): React.JSX.Element | null {
  const learning = useAppStore((s) => s.status?.learning ?? null);
  // What the user just asked for, shown until the engine answers: the box follows the click at
  // once (a box that waits for the round trip looks like it missed the click), and shows the
  // engine's value again when the answer is in, also when it refused. Kept per app, so choosing
  // another app meanwhile does not show this one's.
  const [asked, setAsked] = useState<{ readonly app: string; readonly alwaysAsk: boolean } | null>(null);
  if (learning === null) return null;
  const words = LEARNING.app;
  if (appPathProblem(app) !== null) {
    return (
      <div className="card">
        <h3>{words.title}</h3>
        <p className="muted small">{words.notAnApp}</p>
      </div>
    );
  }
  const untilQuits = appListed(learning.apps, app);
  const alwaysAsk = asked?.app === app ? asked.alwaysAsk : appListed(learning.alwaysAsk, app);
  return (
    <div className="card app-learning" role="group" aria-label={words.title}>
      <h3>{words.title}</h3>
      <div className="inline-form">
        <button
          type="button"
          className="button"
          disabled={untilQuits}
          onClick={() => void startLearning({ kind: 'until-app-quits', appPath: app })}
        >
          <Icon name="learn" size={15} />
          {untilQuits ? words.learningUntilQuits : words.untilQuits}
        </button>
        <label className="check" title={words.alwaysAskHint}>
          <input
            type="checkbox"
            checked={alwaysAsk}
            onChange={(event) => {
              const wanted = { app, alwaysAsk: event.target.checked };
              setAsked(wanted);
              void setAlwaysAsk(app, wanted.alwaysAsk).finally(() =>
                setAsked((current) => (current === wanted ? null : current)),
              );
            }}
          />
          {words.alwaysAsk}
        </label>
      </div>
      <p className="muted small">{words.alwaysAskHint}</p>
    </div>
  );
}
