import { useEffect, useId, useState } from 'react';
import type { BlocklistView } from '../../../../app/contract/blocklists.ts';
import { addBlocklist, listBlocklists, reloadBlocklist, removeBlocklist, setBlocklistEnabled } from '../../bridge.ts';
import { formatTime, plural } from '../../lib/format.ts';
import { BLOCKLISTS } from '../../strings/blocklist-strings.ts';

/** The user's blocklists: add a file, switch one on or off, read it again, remove it. */
export function BlocklistsCard(): React.JSX.Element {
  const [lists, setLists] = useState<readonly BlocklistView[]>([]);
  const [name, setName] = useState('');
  const [path, setPath] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  const nameId = useId();
  const pathId = useId();
  const refresh = async (): Promise<void> => {
    const result = await listBlocklists();
    if (result.ok) setLists(result.value);
  };
  useEffect(() => void refresh(), []);
  const now = Date.now();

  const add = async (event: React.FormEvent): Promise<void> => {
    event.preventDefault();
    const result = await addBlocklist({ name: name.trim(), path: path.trim() });
    if (!result.ok) {
      setProblem(BLOCKLISTS.failed(result.error.message));
      return;
    }
    setProblem(null);
    setName('');
    setPath('');
    await refresh();
  };

  return (
    <div className="card settings-group" role="region" aria-label={BLOCKLISTS.title}>
      <h3>{BLOCKLISTS.title}</h3>
      <p className="setting-hint">{BLOCKLISTS.intro}</p>
      {lists.length === 0 ? <p className="muted">{BLOCKLISTS.none}</p> : null}
      <ul className="blocklists">
        {lists.map((list) => (
          <li key={list.id} className="blocklist">
            <label className="switch">
              <input
                type="checkbox"
                role="switch"
                aria-label={BLOCKLISTS.enabled(list.name)}
                checked={list.enabled}
                onChange={(event) => void setBlocklistEnabled(list.id, event.target.checked).then(refresh)}
              />
              <span className="switch-track" aria-hidden="true" />
            </label>
            <div className="blocklist-text">
              <strong>{list.name}</strong> <span className="mono muted">{list.path}</span>
              <p className="muted">
                {BLOCKLISTS.summary(
                  plural(list.names + list.networks, BLOCKLISTS.entries),
                  plural(list.hits, BLOCKLISTS.hits),
                  formatTime(list.updatedAt, now),
                )}
              </p>
              {list.problem === null ? null : <p className="field-problem">{BLOCKLISTS.problem(list.problem)}</p>}
            </div>
            <button
              type="button"
              className="button button-ghost button-small"
              aria-label={BLOCKLISTS.reload(list.name)}
              onClick={() => void reloadBlocklist(list.id).then(refresh)}
            >
              ↻
            </button>
            <button
              type="button"
              className="button button-ghost button-small"
              aria-label={BLOCKLISTS.remove(list.name)}
              onClick={() => void removeBlocklist(list.id).then(refresh)}
            >
              ✕
            </button>
          </li>
        ))}
      </ul>
      <form className="blocklist-add" onSubmit={(event) => void add(event)}>
        <label className="field" htmlFor={nameId}>
          <span className="field-label">{BLOCKLISTS.name}</span>
          <input id={nameId} type="text" value={name} onChange={(event) => setName(event.target.value)} />
        </label>
        <label className="field blocklist-path" htmlFor={pathId}>
          <span className="field-label">{BLOCKLISTS.path}</span>
          <input
            id={pathId}
            type="text"
            className="mono"
            placeholder={BLOCKLISTS.pathPlaceholder}
            value={path}
            onChange={(event) => setPath(event.target.value)}
          />
        </label>
        <button type="submit" className="button" disabled={name.trim() === '' || path.trim() === ''}>
          {BLOCKLISTS.add}
        </button>
      </form>
      {problem === null ? null : (
        <p className="form-error" role="alert">
          {problem}
        </p>
      )}
    </div>
  );
}
