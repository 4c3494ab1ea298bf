import { useState } from 'react';
import { Icon } from '../../components/Icon.tsx';
import { plural } from '../../lib/format.ts';
import { type DraftTally, tallyText } from '../../lib/review-draft.ts';
import { applyReview } from '../../store/learning-commands.ts';
import { LEARNING } from '../../strings/learning-strings.ts';

/** The review's tally and Apply: one `learning:review` with every decision made. */
export function ReviewBar({ tally }: { readonly tally: DraftTally }): React.JSX.Element {
  const [busy, setBusy] = useState(false);
  const decided = tally.keep + tally.discard;
  return (
    <div className="review-bar">
      <span className="review-tally" role="status">
        {tallyText(tally)}
      </span>
      <button
        type="button"
        className="button button-primary"
        disabled={busy || decided === 0}
        onClick={() => {
          setBusy(true);
          void applyReview().finally(() => setBusy(false));
        }}
      >
        <Icon name="check" size={15} />
        {plural(decided, LEARNING.apply)}
      </button>
    </div>
  );
}
