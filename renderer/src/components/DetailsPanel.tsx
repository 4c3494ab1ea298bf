import { Icon } from './Icon.tsx';

/**
 * The side panel of one stored row (History, DNS log): a title with a close button, the row's
 * terms and values, then whatever the view adds (`children`).
 */
export function DetailsPanel(props: {
  readonly title: string;
  readonly closeLabel: string;
  readonly entries: readonly (readonly [string, React.ReactNode])[];
  readonly onClose: () => void;
  readonly children?: React.ReactNode;
}): React.JSX.Element {
  return (
    <aside className="card history-details" aria-label={props.title}>
      <div className="history-details-head">
        <h2>{props.title}</h2>
        <button type="button" className="icon-button" aria-label={props.closeLabel} onClick={props.onClose}>
          <Icon name="x" size={16} />
        </button>
      </div>
      <dl className="prompt-details">
        {props.entries.map(([term, value]) => (
          <div key={term} className="history-detail">
            <dt>{term}</dt>
            <dd>{value}</dd>
          </div>
        ))}
      </dl>
      {props.children}
    </aside>
  );
}
