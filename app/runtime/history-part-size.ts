/** How `HistoryPartSize` sizes the parts of the history backlog. */
export interface HistoryPartSizeOptions {
  /** About how long one part may hold the engine's thread, in ms. */
  readonly budgetMs: number;
  /** Never fewer rows a part: a commit's own cost stays small beside its rows'. */
  readonly minRows: number;
  /** Never more rows a part (the runtime's `historyRowsPerWrite`). */
  readonly maxRows: number;
  /** The guess before the first measured part, in ms per row. */
  readonly startMsPerRow: number;
}

/** How much of a new measure the estimate takes (the rest is the estimate before it). */
const WEIGHT_OF_NEW = 0.3;

/**
 * Sizes each part of the history backlog by the time rows have been taking, so that a part holds
 * the engine's thread for about `budgetMs` whatever the disk and the database's size. A row's cost
 * is not fixed: on this machine a new row cost 20–30 µs in a fresh database and about 90 µs in one
 * of 100 000 rows when the rows came from many apps, hosts and addresses (each row then changes a
 * different page of most indexes, and every changed page is written to the WAL at the commit), so
 * a fixed count of rows was a 20 ms pause on one machine and a 90 ms one on another. Connections
 * that arrive during a part wait for it to end.
 */
export class HistoryPartSize {
  readonly #options: HistoryPartSizeOptions;
  #msPerRow: number;

  constructor(options: HistoryPartSizeOptions) {
    const { budgetMs, minRows, maxRows, startMsPerRow } = options;
    if (!(budgetMs > 0) || !(startMsPerRow > 0)) throw new RangeError('budget and start must be above 0');
    if (!Number.isInteger(minRows) || minRows < 1 || !(maxRows >= minRows)) {
      throw new RangeError(`bad part bounds ${String(minRows)}..${String(maxRows)}`);
    }
    this.#options = options;
    this.#msPerRow = startMsPerRow;
  }

  /** The rows the next part may take. */
  get rows(): number {
    const { budgetMs, minRows, maxRows } = this.#options;
    return Math.min(maxRows, Math.max(minRows, Math.floor(budgetMs / this.#msPerRow)));
  }

  /** The estimate in use, in ms per row. */
  get msPerRow(): number {
    return this.#msPerRow;
  }

  /**
   * Notes that a write of `rows` rows took `ms`. A write of fewer than `minRows` rows says more
   * about the commit than about the rows, and a clock that went wrong (a negative or non-finite
   * time) says nothing: neither changes the estimate.
   */
  took(rows: number, ms: number): void {
    if (!(rows >= this.#options.minRows) || !Number.isFinite(ms) || ms < 0) return;
    this.#msPerRow = (1 - WEIGHT_OF_NEW) * this.#msPerRow + WEIGHT_OF_NEW * Math.max(ms / rows, 1e-6);
  }
}
