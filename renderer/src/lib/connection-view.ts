import type { ConnectionRow } from '../../../app/contract/views.ts';
import type { ConnectionDelta } from './connection-buffer.ts';
import {
  type ConnectionQuery,
  type Key,
  matchesQuery,
  queryConnections,
  searchNeedle,
  sortKey,
} from './connection-query.ts';

function sameQuery(a: ConnectionQuery, b: ConnectionQuery): boolean {
  return (
    a.search === b.search &&
    a.filter === b.filter &&
    a.app === b.app &&
    a.sort.column === b.sort.column &&
    a.sort.desc === b.sort.desc
  );
}

/** Changes per flush up to which the view is updated in place. */
const MAX_IN_PLACE = 5000;

/** Ascending by key, ties by arrival rank: the order queryConnections gives ascending. */
function before(ka: Key, ra: number, kb: Key, rb: number): boolean {
  return ka < kb || (ka === kb && ra < rb);
}

/**
 * The filtered, sorted rows of one table, kept between flushes. When the store's new snapshot
 * comes with the delta from the snapshot shown last and the query is the same, the changed rows
 * are taken out at the places a binary search finds (by their old sort key and arrival rank) and
 * put back at their new ones, and the rows in between are copied in whole slices: a flush costs
 * a binary search per changed row plus one native copy of the list, not a pass in script over
 * 100 000 rows. Anything else (a reset, a new query, a skipped snapshot, a row not where its old
 * key says) queries from scratch. Both give exactly queryConnections' order.
 */
export class ConnectionView {
  #input: readonly ConnectionRow[] | null = null;
  #query: ConnectionQuery | null = null;
  /** The rows in ascending order; descending is its exact reverse. */
  #ascending: ConnectionRow[] = [];
  /** Each shown row as it is in #ascending, and the arrival rank it was placed by. */
  #shown = new Map<number, { readonly row: ConnectionRow; readonly rank: number }>();
  /**
   * Whether #shown holds the buffer's arrival ranks (from a delta). After a query without one
   * (the first snapshot, a reset) it does not, and the next delta queries from scratch once.
   */
  #ranked = false;

  rows(input: readonly ConnectionRow[], query: ConnectionQuery, delta: ConnectionDelta | undefined): ConnectionRow[] {
    const unchanged = this.#query !== null && sameQuery(query, this.#query);
    if (unchanged && input === this.#input) return this.#result(query);
    const updated =
      unchanged && this.#ranked && delta !== undefined && delta.from === this.#input
        ? this.#applyDelta(delta, query)
        : null;
    if (updated === null) this.#requery(input, query, delta);
    else this.#ascending = updated;
    this.#input = input;
    this.#query = query;
    return this.#result(query);
  }

  #result(query: ConnectionQuery): ConnectionRow[] {
    return query.sort.desc ? this.#ascending.toReversed() : this.#ascending.slice();
  }

  #requery(input: readonly ConnectionRow[], query: ConnectionQuery, delta: ConnectionDelta | undefined): void {
    this.#ascending = queryConnections(input, { ...query, sort: { ...query.sort, desc: false } });
    this.#ranked = delta !== undefined;
    this.#shown =
      delta === undefined
        ? new Map()
        : new Map(this.#ascending.map((row) => [row.id, { row, rank: delta.rank(row.id) }]));
  }

  /** The first index in #ascending whose row sorts at or after (key, rank). */
  #lowerBound(
    rows: readonly ConnectionRow[],
    key: Key,
    rank: number,
    column: ConnectionQuery['sort']['column'],
  ): number {
    let lo = 0;
    let hi = rows.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const other = rows[mid] as ConnectionRow;
      const otherRank = this.#shown.get(other.id)?.rank ?? -1;
      if (before(sortKey(other, column), otherRank, key, rank)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** The new ascending list, or null when the delta cannot be applied in place. */
  #applyDelta(delta: ConnectionDelta, query: ConnectionQuery): ConnectionRow[] | null {
    const column = query.sort.column;
    const ascending = this.#ascending;
    // Past this many changes one sort of everything is cheaper (and slices stay few).
    if (delta.removed.length + delta.upserted.length > MAX_IN_PLACE) return null;
    const gone = new Set<number>(delta.removed);
    for (const row of delta.upserted) gone.add(row.id);
    // Where the changed rows are now: found by the key and rank they were placed by.
    const cuts: number[] = [];
    for (const id of gone) {
      const shown = this.#shown.get(id);
      if (shown === undefined) continue; // not shown (filtered out)
      const at = this.#lowerBound(ascending, sortKey(shown.row, column), shown.rank, column);
      if (ascending[at]?.id !== id) return null;
      cuts.push(at);
    }
    cuts.sort((a, b) => a - b);
    const pieces: ConnectionRow[][] = [];
    let from = 0;
    for (const at of cuts) {
      pieces.push(ascending.slice(from, at));
      from = at + 1;
    }
    pieces.push(ascending.slice(from));
    const kept = cuts.length === 0 ? ascending : ([] as ConnectionRow[]).concat(...pieces);
    for (const id of gone) this.#shown.delete(id);
    const needle = searchNeedle(query);
    const added = delta.upserted
      .filter((row) => matchesQuery(row, query, needle))
      .map((row) => ({ row, key: sortKey(row, column), rank: delta.rank(row.id) }))
      .sort((a, b) => (before(a.key, a.rank, b.key, b.rank) ? -1 : before(b.key, b.rank, a.key, a.rank) ? 1 : 0));
    if (added.length === 0) return kept === ascending ? ascending.slice() : kept;
    // Insertion points in `kept`, found before any row is added (ranks of kept rows are known).
    const points = added.map(({ key, rank }) => this.#lowerBound(kept, key, rank, column));
    const merged: ConnectionRow[][] = [];
    let start = 0;
    added.forEach(({ row }, i) => {
      const at = points[i] ?? kept.length;
      merged.push(kept.slice(start, at), [row]);
      start = at;
    });
    merged.push(kept.slice(start));
    for (const { row, rank } of added) this.#shown.set(row.id, { row, rank });
    return ([] as ConnectionRow[]).concat(...merged);
  }
}
