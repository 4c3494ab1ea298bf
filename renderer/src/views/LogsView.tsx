import { useVirtualizer } from '@tanstack/react-virtual';
import { useDeferredValue, useEffect, useMemo, useRef, useState } from 'react';
import { SearchBox } from '../components/SearchBox.tsx';
import { Segmented } from '../components/Segmented.tsx';
import { ViewHeader } from '../components/ViewHeader.tsx';
import { formatTime, plural, severityName } from '../lib/format.ts';
import { useAppStore } from '../store/store.ts';
import { COMMON } from '../strings/common-strings.ts';
import { LOGS } from '../strings/logs-strings.ts';

const ROW_HEIGHT = 28;
type Level = 'all' | 'warnings' | 'errors';
const LEVELS: readonly { value: Level; label: string }[] = (['all', 'warnings', 'errors'] as const).map((value) => ({
  value,
  label: LOGS.levels[value],
}));
const MIN_SEVERITY: Readonly<Record<Level, number>> = { all: 0, warnings: 4, errors: 5 };

/** The driver's log lines, newest at the bottom; follows new lines while scrolled to the end. */
export function LogsView(): React.JSX.Element {
  const logs = useAppStore((s) => s.logs);
  const [search, setSearch] = useState('');
  const [level, setLevel] = useState<Level>('all');
  const deferred = useDeferredValue(search);
  const lines = useMemo(() => {
    const needle = deferred.trim().toLowerCase();
    return logs.filter(
      (l) => l.severity >= MIN_SEVERITY[level] && (needle === '' || l.message.toLowerCase().includes(needle)),
    );
  }, [logs, deferred, level]);
  const scrollRef = useRef<HTMLDivElement>(null);
  const atEnd = useRef(true);
  const virtualizer = useVirtualizer({
    count: lines.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 20,
  });
  useEffect(() => {
    if (atEnd.current && lines.length > 0) virtualizer.scrollToIndex(lines.length - 1, { align: 'end' });
  }, [lines.length, virtualizer]);
  const now = Date.now();

  return (
    <section className="view view-fill" aria-label={LOGS.title}>
      <ViewHeader title={LOGS.title} subtitle={LOGS.subtitle(plural(logs.length, LOGS.lines))} />
      <div className="toolbar">
        <SearchBox label={LOGS.search} placeholder={LOGS.searchPlaceholder} value={search} onChange={setSearch} />
        <Segmented label={LOGS.level} options={LEVELS} value={level} onChange={setLevel} />
      </div>
      <div className="data-table logs-table">
        <div
          className="table-scroll"
          ref={scrollRef}
          tabIndex={0}
          role="table"
          aria-label={LOGS.title}
          aria-rowcount={lines.length + 1}
          onScroll={(event) => {
            const el = event.currentTarget;
            atEnd.current = el.scrollHeight - el.scrollTop - el.clientHeight < ROW_HEIGHT * 2;
          }}
        >
          <div role="rowgroup" className="table-head">
            <div role="row" className="table-row" aria-rowindex={1}>
              <div role="columnheader" className="th">
                {LOGS.columns.time}
              </div>
              <div role="columnheader" className="th">
                {LOGS.columns.severity}
              </div>
              <div role="columnheader" className="th">
                {LOGS.columns.message}
              </div>
            </div>
          </div>
          <div role="rowgroup" className="table-body" style={{ height: virtualizer.getTotalSize() }}>
            {virtualizer.getVirtualItems().map((item) => {
              const line = lines[item.index];
              if (line === undefined) return null;
              const severity = severityName(line.severity);
              return (
                <div
                  role="row"
                  key={item.key}
                  aria-rowindex={item.index + 2}
                  className={`table-row log-${severity}`}
                  style={{ transform: `translateY(${item.start}px)`, height: ROW_HEIGHT }}
                >
                  <div role="cell" className="td num">
                    {formatTime(line.at, now)}
                  </div>
                  <div role="cell" className="td">
                    <span className={`severity severity-${severity}`}>{LOGS.severity(severity)}</span>
                  </div>
                  <div role="cell" className="td mono log-message" title={line.message}>
                    {line.message}
                  </div>
                </div>
              );
            })}
          </div>
          {lines.length === 0 ? (
            <p className="table-empty">{logs.length === 0 ? LOGS.empty : COMMON.nothingMatches}</p>
          ) : null}
        </div>
      </div>
    </section>
  );
}
