import { useEffect, useId, useState } from 'react';
import {
  BLOCKLIST_INTERVALS,
  type BlocklistView,
  DEFAULT_BLOCKLIST_INTERVAL,
} from '../../../../app/contract/blocklists.ts';
import { addBlocklist, listBlocklists, reloadBlocklist, removeBlocklist, setBlocklistInterval } from '../../bridge.ts';
import { formatCount, formatTime, plural } from '../../lib/format.ts';
import { BLOCKLISTS } from '../../strings/blocklist-strings.ts';
import { BlocklistSwitch } from './BlocklistSwitch.tsx';

/**
 * The user's blocklists: add a file or a web address, switch one on or off, choose how often it is
 * checked, check it now, remove it.
 */
export function BlocklistsCard(): React.JSX.Element {
  const [lists, setLists] = useState<readonly BlocklistView[]>([]);
  const [name, setName] = useState('');
  const [source, setSource] = useState('');
  const [intervalHours, setIntervalHours] = useState<number>(DEFAULT_BLOCKLIST_INTERVAL);
  const [adding, setAdding] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const nameId = useId();
  const sourceId = useId();
  const intervalId = useId();
  const refresh = async (): Promise<void> => {
    const result = await listBlocklists();
    if (result.ok) setLists(result.value);
  };
  useEffect(() => void refresh(), []);
  const now = Date.now();

  const add = async (event: React.FormEvent): Promise<void> => {
    event.preventDefault();
    const where = source.trim();
    setAdding(true);
    // A web address is fetched; anything else is a file path (the main process checks both).
    const result = await addBlocklist(
      /^https?:\/\//i.test(where)
        ? { name: name.trim(), url: where, intervalHours }
        : { name: name.trim(), path: where, intervalHours },
    );
    setAdding(false);
    if (!result.ok) {
      setProblem(BLOCKLISTS.failed(result.error.message));
      return;
    }
    setProblem(null);
    setName('');
    setSource('');
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
            <BlocklistSwitch list={list} changed={refresh} />
            <div className="blocklist-text">
              <strong>{list.name}</strong> <span className="mono muted">{list.source}</span>
              <p className="muted">
                {BLOCKLISTS.summary(
                  plural(list.names + list.networks, BLOCKLISTS.entries),
                  plural(list.hits, BLOCKLISTS.hits),
                  formatTime(list.updatedAt, now),
                  formatTime(list.checkedAt, now),
                )}
              </p>
              {list.problem === null ? null : <p className="field-problem">{list.problem}</p>}
              {list.driverNames === null || list.driverNames >= list.names ? null : (
                <p className="setting-hint">
                  {BLOCKLISTS.driverCut(formatCount(list.driverNames), formatCount(list.names))}
                </p>
              )}
            </div>
            <IntervalSelect
              label={BLOCKLISTS.intervalOf(list.name)}
              value={list.intervalHours}
              onChange={(hours) => void setBlocklistInterval(list.id, hours).then(refresh)}
            />
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
        <label className="field blocklist-path" htmlFor={sourceId}>
          <span className="field-label">{BLOCKLISTS.source}</span>
          <input
            id={sourceId}
            type="text"
            className="mono"
            placeholder={BLOCKLISTS.sourcePlaceholder}
            value={source}
            onChange={(event) => setSource(event.target.value)}
          />
        </label>
        <label className="field" htmlFor={intervalId}>
          <span className="field-label">{BLOCKLISTS.interval}</span>
          <IntervalSelect id={intervalId} value={intervalHours} onChange={setIntervalHours} />
        </label>
        <button type="submit" className="button" disabled={adding || name.trim() === '' || source.trim() === ''}>
          {adding ? BLOCKLISTS.adding : BLOCKLISTS.add}
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

/** The offered intervals; labelled by `label`, or by the field around it when `id` is given. */
function IntervalSelect(props: {
  readonly id?: string;
  readonly label?: string;
  readonly value: number;
  readonly onChange: (hours: number) => void;
}): React.JSX.Element {
  return (
    <select
      id={props.id}
      aria-label={props.label}
      value={props.value}
      onChange={(event) => props.onChange(Number(event.target.value))}
    >
      {BLOCKLIST_INTERVALS.map((hours) => (
        <option key={hours} value={hours}>
          {BLOCKLISTS.every(hours)}
        </option>
      ))}
    </select>
  );
}
