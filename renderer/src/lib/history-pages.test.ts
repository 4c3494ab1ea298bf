import { describe, expect, it } from 'vitest';
import type { HistoryRow } from '../../../app/contract/history.ts';
import { HISTORY_PAGE_SIZE, HistoryPages, KEPT_PAGES } from './history-pages.ts';

function rowAt(index: number): HistoryRow {
  return {
    id: `r${index}`,
    startedAt: index,
    endedAt: null,
    pid: 1,
    appPath: '/usr/bin/curl',
    uid: 1000,
    localIp: '10.0.0.1',
    localPort: 40000,
    direction: 'outbound',
    protocol: 6,
    remoteIp: '10.0.0.2',
    remotePort: 443,
    host: null,
    verdict: 'allow',
    ruleId: null,
    bytesSent: 0,
    bytesReceived: 0,
  };
}

/** A fetch that records its calls and answers when told to. */
function deferredFetch() {
  const calls: { offset: number; limit: number; answer: (ok: boolean) => void }[] = [];
  const fetch = (offset: number, limit: number) =>
    new Promise<readonly HistoryRow[] | undefined>((resolve) => {
      calls.push({
        offset,
        limit,
        answer: (ok) => resolve(ok ? Array.from({ length: limit }, (_, i) => rowAt(offset + i)) : undefined),
      });
    });
  return { calls, fetch };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('HistoryPages', () => {
  it('fetches each page once, only when rows on it are wanted, and tells when one arrives', async () => {
    const { calls, fetch } = deferredFetch();
    let changes = 0;
    const pages = new HistoryPages(fetch, () => changes++);
    pages.want(0, 150);
    pages.want(10, 120);
    expect(calls.map((c) => c.offset)).toEqual([0, HISTORY_PAGE_SIZE]);
    expect(pages.row(5)).toBeUndefined();
    calls[0]?.answer(true);
    await settle();
    expect(pages.row(5)?.id).toBe('r5');
    expect(pages.row(150)).toBeUndefined();
    expect(changes).toBe(1);
    pages.want(0, 50);
    expect(calls).toHaveLength(2);
  });

  it('asks again for a page whose fetch failed, and says it failed meanwhile', async () => {
    const { calls, fetch } = deferredFetch();
    const pages = new HistoryPages(fetch, () => undefined);
    pages.want(0, 10);
    calls[0]?.answer(false);
    await settle();
    expect(pages.failed).toBe(true);
    pages.want(0, 10);
    expect(calls).toHaveLength(2);
    calls[1]?.answer(true);
    await settle();
    expect(pages.failed).toBe(false);
    expect(pages.row(0)?.id).toBe('r0');
  });

  it('a fetch that throws counts as a failure, not as an unhandled rejection', async () => {
    const pages = new HistoryPages(
      () => Promise.reject(new Error('gone')),
      () => undefined,
    );
    pages.want(0, 10);
    await settle();
    expect(pages.failed).toBe(true);
  });

  it('keeps the pages near the last one asked for and lets far ones go', async () => {
    const { calls, fetch } = deferredFetch();
    const pages = new HistoryPages(fetch, () => undefined);
    const total = KEPT_PAGES + 10;
    for (let page = 0; page < total; page++) {
      pages.want(page * HISTORY_PAGE_SIZE, page * HISTORY_PAGE_SIZE);
      calls[page]?.answer(true);
      await settle();
    }
    // The last asked was the last page: the first ten are gone, the rest kept.
    expect(pages.row(0)).toBeUndefined();
    expect(pages.row(9 * HISTORY_PAGE_SIZE)).toBeUndefined();
    expect(pages.row(10 * HISTORY_PAGE_SIZE)?.id).toBe(`r${10 * HISTORY_PAGE_SIZE}`);
    expect(pages.row((total - 1) * HISTORY_PAGE_SIZE)).toBeDefined();
  });
});
