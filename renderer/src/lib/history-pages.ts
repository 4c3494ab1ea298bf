import type { HistoryRow } from '../../../app/contract/history.ts';

/**
 * The pages of one History query, fetched as the table scrolls to them and kept while they are
 * near: the History view never holds the stored history, only the pages around what is shown.
 * The DNS log view pages its rows the same way (`HistoryPages<DnsLogRow>`).
 *
 * A query is one filter and sort; when either changes the view makes a new HistoryPages, and
 * answers to the old one's requests are dropped (they land in an object nobody reads).
 */
export const HISTORY_PAGE_SIZE = 100;
/** Pages kept at most (5 000 rows): the ones furthest from the last one asked for go first. */
export const KEPT_PAGES = 50;

/** Fetches one page: rows [offset, offset + limit); rejects or resolves undefined on failure. */
export type PageFetch<R = HistoryRow> = (offset: number, limit: number) => Promise<readonly R[] | undefined>;

export class HistoryPages<R = HistoryRow> {
  readonly #fetch: PageFetch<R>;
  readonly #onChange: () => void;
  readonly #pages = new Map<number, readonly R[]>();
  readonly #pending = new Set<number>();
  #failed = false;
  #lastAsked = 0;

  constructor(fetch: PageFetch<R>, onChange: () => void) {
    this.#fetch = fetch;
    this.#onChange = onChange;
  }

  /** The row at `index`, or undefined while its page is not here (it is then being fetched). */
  row(index: number): R | undefined {
    return this.#pages.get(Math.floor(index / HISTORY_PAGE_SIZE))?.[index % HISTORY_PAGE_SIZE];
  }

  /** Whether the last fetch failed (the view says so; scrolling asks again). */
  get failed(): boolean {
    return this.#failed;
  }

  /** Makes sure the pages holding rows [first, last] are here or on their way. */
  want(first: number, last: number): void {
    if (last < first) return;
    const from = Math.floor(Math.max(0, first) / HISTORY_PAGE_SIZE);
    const to = Math.floor(Math.max(0, last) / HISTORY_PAGE_SIZE);
    this.#lastAsked = from;
    for (let page = from; page <= to; page++) {
      if (!this.#pages.has(page) && !this.#pending.has(page)) void this.#load(page);
    }
  }

  async #load(page: number): Promise<void> {
    this.#pending.add(page);
    let rows: readonly R[] | undefined;
    try {
      rows = await this.#fetch(page * HISTORY_PAGE_SIZE, HISTORY_PAGE_SIZE);
    } catch {
      rows = undefined;
    }
    this.#pending.delete(page);
    this.#failed = rows === undefined;
    if (rows !== undefined) {
      this.#pages.set(page, rows);
      this.#evict();
    }
    this.#onChange();
  }

  /** Keeps the KEPT_PAGES pages nearest to the last one asked for. */
  #evict(): void {
    if (this.#pages.size <= KEPT_PAGES) return;
    const byDistance = [...this.#pages.keys()].sort(
      (a, b) => Math.abs(b - this.#lastAsked) - Math.abs(a - this.#lastAsked),
    );
    for (const page of byDistance.slice(0, this.#pages.size - KEPT_PAGES)) this.#pages.delete(page);
  }
}
