import { APP_NAME } from '../../../app/contract/product.ts';
import { formatCount } from '../lib/format.ts';
import { useAppStore } from '../store/store.ts';
import type { ViewId } from '../store/ui-slice.ts';
import { SHELL } from '../strings/shell-strings.ts';
import { Icon, type IconName } from './Icon.tsx';

const LINKS: readonly { view: ViewId; label: string; icon: IconName }[] = [
  { view: 'connections', label: SHELL.links.connections, icon: 'activity' },
  { view: 'apps', label: SHELL.links.apps, icon: 'apps' },
  { view: 'history', label: SHELL.links.history, icon: 'clock' },
  { view: 'dns', label: SHELL.links.dns, icon: 'globe' },
  { view: 'rules', label: SHELL.links.rules, icon: 'rules' },
  { view: 'learning', label: SHELL.links.learning, icon: 'learn' },
  { view: 'profiles', label: SHELL.links.profiles, icon: 'wifi' },
  { view: 'settings', label: SHELL.links.settings, icon: 'settings' },
  { view: 'logs', label: SHELL.links.logs, icon: 'logs' },
];

function Badge({ view }: { readonly view: ViewId }): React.JSX.Element | null {
  const live = useAppStore((s) => (view === 'connections' ? s.connectionRows.length : 0));
  const rules = useAppStore((s) => (view === 'rules' ? s.rules.length : 0));
  // Learned proposals waiting for review.
  const proposals = useAppStore((s) => (view === 'learning' ? (s.status?.learning.proposals ?? 0) : 0));
  const count = view === 'connections' ? live : view === 'rules' ? rules : proposals;
  if (count === 0) return null;
  return (
    <span className="nav-badge" aria-hidden="true">
      {count > 9999 ? SHELL.thousands(formatCount(Math.floor(count / 1000))) : formatCount(count)}
    </span>
  );
}

/** The brand and the main navigation. */
export function Sidebar(): React.JSX.Element {
  const view = useAppStore((s) => s.view);
  const setView = useAppStore((s) => s.setView);
  return (
    <aside className="sidebar">
      <div className="brand">
        <span className="brand-mark" aria-hidden="true">
          <Icon name="shield" size={18} />
        </span>
        <h1>{APP_NAME}</h1>
      </div>
      <nav aria-label={SHELL.navigation}>
        <ul>
          {LINKS.map((link) => (
            <li key={link.view}>
              <a
                href={`#${link.view}`}
                className="nav-link"
                aria-current={view === link.view ? 'page' : undefined}
                onClick={(event) => {
                  // The fragment holds the headless token: switch views without touching it.
                  event.preventDefault();
                  setView(link.view);
                }}
              >
                <Icon name={link.icon} size={18} />
                <span>{link.label}</span>
                <Badge view={link.view} />
              </a>
            </li>
          ))}
        </ul>
      </nav>
    </aside>
  );
}
