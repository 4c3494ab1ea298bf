import { useState } from 'react';
import type { BlocklistView } from '../../../../app/contract/blocklists.ts';
import { listBlocklists } from '../../bridge.ts';
import { usePoll } from '../../hooks/use-poll.ts';
import { formatAgo, formatCount, plural } from '../../lib/format.ts';
import { useAppStore } from '../../store/store.ts';
import { BLOCKLIST_GROUP, BLOCKLISTS } from '../../strings/blocklist-strings.ts';
import { BlocklistSwitch } from '../settings/BlocklistSwitch.tsx';

/**
 * The blocklists as a group of the Rules view: they block like rules, after every rule (a rule
 * that allows a listed name wins), so they are shown where the rules are, each with its switch
 * and its hit count. Adding, removing and the check schedule stay in Settings → Blocklists.
 */
export function BlocklistGroup(): React.JSX.Element {
  const [lists, setLists] = useState<readonly BlocklistView[]>([]);
  const setView = useAppStore((s) => s.setView);
  const refresh = async (): Promise<void> => {
    const result = await listBlocklists();
    if (result.ok) setLists(result.value);
  };
  // As the rules around it: hit counts move while the view is open.
  usePoll(() => void refresh(), 3000);
  const now = Date.now();
  return (
    <section className="card card-flush table-card blocklist-group" aria-label={BLOCKLIST_GROUP.title}>
      <header className="blocklist-group-header">
        <h3>{BLOCKLIST_GROUP.title}</h3>
        <p className="setting-hint">{BLOCKLIST_GROUP.precedence}</p>
        <button type="button" className="button button-ghost button-small" onClick={() => setView('settings')}>
          {BLOCKLIST_GROUP.manage}
        </button>
      </header>
      {lists.length === 0 ? (
        <p className="table-empty">{BLOCKLIST_GROUP.none}</p>
      ) : (
        <table className="plain-table" aria-label={BLOCKLIST_GROUP.title}>
          <thead>
            <tr>
              <th scope="col">{BLOCKLIST_GROUP.columns.enabled}</th>
              <th scope="col">{BLOCKLIST_GROUP.columns.name}</th>
              <th scope="col" className="num">
                {BLOCKLIST_GROUP.columns.entries}
              </th>
              <th scope="col" className="num">
                {BLOCKLIST_GROUP.columns.hits}
              </th>
              <th scope="col" className="num">
                {BLOCKLIST_GROUP.columns.updated}
              </th>
            </tr>
          </thead>
          <tbody>
            {lists.map((list) => (
              <tr key={list.id} className={list.enabled ? undefined : 'is-disabled'}>
                <td>
                  <BlocklistSwitch list={list} changed={refresh} />
                </td>
                <td title={list.source}>
                  <strong>{list.name}</strong>
                  {list.problem === null ? null : <p className="field-problem">{list.problem}</p>}
                </td>
                <td className="num">{plural(list.names + list.networks, BLOCKLISTS.entries)}</td>
                <td className="num">{formatCount(list.hits)}</td>
                <td className="num muted">{formatAgo(list.updatedAt, now)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
