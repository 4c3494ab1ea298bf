import { appName } from '../lib/format.ts';

/** A hue per app name, so an app keeps its colour everywhere. */
export function appHue(label: string): number {
  let hash = 0;
  for (let i = 0; i < label.length; i += 1) hash = (hash * 31 + label.charCodeAt(i)) >>> 0;
  return hash % 360;
}

/** The app's initial on a coloured tile (there is no icon source on Linux yet). */
export function AppAvatar({ label, size = 'small' }: { readonly label: string; readonly size?: 'small' | 'large' }) {
  const name = appName(label);
  return (
    <span
      className={`app-avatar app-avatar-${size}`}
      style={{ '--hue': String(appHue(label)) } as React.CSSProperties}
      aria-hidden="true"
    >
      {name.slice(0, 1).toUpperCase()}
    </span>
  );
}
