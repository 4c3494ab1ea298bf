import { appPathProblem } from '../../../../app/contract/app-path.ts';
import { Icon } from '../../components/Icon.tsx';
import { useAskedSwitch } from '../../hooks/use-asked-switch.ts';
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
  // The box follows a click at once, the engine's answer when it is in (use-asked-switch.ts).
  const alwaysAsk = useAskedSwitch(app, learning !== null && appListed(learning.alwaysAsk, app));
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
            checked={alwaysAsk.on}
            onChange={(event) => {
              const on = event.target.checked;
              alwaysAsk.ask(on, () => setAlwaysAsk(app, on));
            }}
          />
          {words.alwaysAsk}
        </label>
      </div>
      <p className="muted small">{words.alwaysAskHint}</p>
    </div>
  );
}
