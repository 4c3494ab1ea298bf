import type { ReactNode } from 'react';

/** A view's title line: heading, one sentence of context, and actions on the right. */
export function ViewHeader({
  title,
  subtitle,
  children,
}: {
  readonly title: string;
  readonly subtitle?: ReactNode;
  readonly children?: ReactNode;
}): React.JSX.Element {
  return (
    <header className="view-header">
      <div>
        <h2>{title}</h2>
        {subtitle !== undefined ? <p className="view-subtitle">{subtitle}</p> : null}
      </div>
      {children !== undefined ? <div className="view-actions">{children}</div> : null}
    </header>
  );
}
