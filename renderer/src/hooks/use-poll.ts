import { useEffect, useRef } from 'react';

/**
 * Runs `task` now and every `intervalMs` while mounted (always the latest `task`); a new `key`
 * runs it again at once (say, another app or range was chosen).
 */
export function usePoll(task: () => void, intervalMs: number, key = ''): void {
  const latest = useRef(task);
  useEffect(() => {
    latest.current = task;
  });
  useEffect(() => {
    latest.current();
    const timer = setInterval(() => latest.current(), intervalMs);
    return () => clearInterval(timer);
  }, [intervalMs, key]);
}
