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
 * are found by a binary search (by their old sort key and arrival rank): an update that keeps
 * its key is swapped in where it is, other changed rows are taken out and put back at their new
 * places, and the runs in between are copied whole and joined: a flush costs a binary search per
 * changed row and two native copies of the list, not a sort of 100 000 rows. (A copy of 100 000
 * rows is itself about a millisecond in the renderer, so the list is kept in the order shown and
 * handed out as it is, never changed after.) Anything else (a reset, a new query, a skipped snapshot, a row not where its old
 * key says) queries from scratch. Both give exactly queryConnections' order.
 */
export class ConnectionView {
  #input: readonly ConnectionRow[] | null = null;
  #query: ConnectionQuery | null = null;
  /** The rows in the order shown: ascending, or its exact reverse for a descending sort. */
  #list: readonly ConnectionRow[] = [];
  #descending = false;
  /** Each shown row as it is in #list, and the arrival rank it was placed by. */
  #shown = new Map<number, { readonly row: ConnectionRow; readonly rank: number }>();
  /**
   * Whether #shown holds the buffer's arrival ranks (from a delta). After a query without one
   * (the first snapshot, a reset) it does not, and the next delta queries from scratch once.
   */
  #ranked = false;

  /** The rows `query` shows, in order. The array is the view's own: it is never changed later. */
  rows(
    input: readonly ConnectionRow[],
    query: ConnectionQuery,
    delta: ConnectionDelta | undefined,
  ): readonly ConnectionRow[] {
    const unchanged = this.#query !== null && sameQuery(query, this.#query);
    if (unchanged && input === this.#input) return this.#list;
    const updated =
      unchanged && this.#ranked && delta !== undefined && delta.from === this.#input
        ? this.#applyDelta(delta, query)
        : null;
    if (updated === null) this.#requery(input, query, delta);
    else this.#list = updated;
    this.#input = input;
    this.#query = query;
    return this.#list;
  }

  #requery(input: readonly ConnectionRow[], query: ConnectionQuery, delta: ConnectionDelta | undefined): void {
    const ascending = queryConnections(input, { ...query, sort: { ...query.sort, desc: false } });
    this.#ranked = delta !== undefined;
    this.#shown =
      delta === undefined ? new Map() : new Map(ascending.map((row) => [row.id, { row, rank: delta.rank(row.id) }]));
    this.#descending = query.sort.desc;
    // In place: the array is new and not handed out yet.
    this.#list = query.sort.desc ? ascending.reverse() : ascending;
  }

  /** The row at ascending position `i` of `list` (a list in the order shown). */
  #at(list: readonly ConnectionRow[], i: number): ConnectionRow | undefined {
    return list[this.#descending ? list.length - 1 - i : i];
  }

  /** The first ascending position in `list` whose row sorts at or after (key, rank). */
  #lowerBound(
    list: readonly ConnectionRow[],
    key: Key,
    rank: number,
    column: ConnectionQuery['sort']['column'],
  ): number {
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const other = this.#at(list, mid) as ConnectionRow;
      const otherRank = this.#shown.get(other.id)?.rank ?? -1;
      if (before(sortKey(other, column), otherRank, key, rank)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Where a shown row is in `list` (ascending position), or null when it is not where its key and rank say. */
  #placeOf(
    list: readonly ConnectionRow[],
    shown: { readonly row: ConnectionRow; readonly rank: number },
    column: ConnectionQuery['sort']['column'],
  ): number | null {
    const at = this.#lowerBound(list, sortKey(shown.row, column), shown.rank, column);
    return this.#at(list, at)?.id === shown.row.id ? at : null;
  }

  /** The new list in the order shown, or null when the delta cannot be applied in place. */
  #applyDelta(delta: ConnectionDelta, query: ConnectionQuery): ConnectionRow[] | null {
    const column = query.sort.column;
    const list = this.#list;
    // Past this many changes one sort of everything is cheaper.
    if (delta.removed.length + delta.upserted.length > MAX_IN_PLACE) return null;
    const needle = searchNeedle(query);
    // Every place below is an ascending position in the current list, found by the key and rank
    // each row was placed by (#shown changes only at the end, so the list and its ranks agree).
    const leaving = new Set<number>(delta.removed);
    // Most changes are updates that keep the row's key (new byte counts under a sort by start
    // time), its arrival rank (a row removed and back in one flush has a new one) and its match:
    // such a row is swapped in where it is. The others leave their place and come back at a new one.
    const swaps: { readonly at: number; readonly row: ConnectionRow }[] = [];
    for (const row of delta.upserted) {
      const shown = this.#shown.get(row.id);
      if (
        shown !== undefined &&
        shown.rank === delta.rank(row.id) &&
        sortKey(shown.row, column) === sortKey(row, column) &&
        matchesQuery(row, query, needle)
      ) {
        const at = this.#placeOf(list, shown, column);
        if (at === null) return null;
        swaps.push({ at, row });
      } else leaving.add(row.id);
    }
    const cuts: number[] = [];
    for (const id of leaving) {
      const shown = this.#shown.get(id);
      if (shown === undefined) continue; // not shown (filtered out)
      const at = this.#placeOf(list, shown, column);
      if (at === null) return null;
      cuts.push(at);
    }
    cuts.sort((a, b) => a - b);
    swaps.sort((a, b) => a.at - b.at);
    const added = delta.upserted
      .filter((row) => leaving.has(row.id) && matchesQuery(row, query, needle))
      .map((row) => ({ row, key: sortKey(row, column), rank: delta.rank(row.id) }))
      .sort((a, b) => (before(a.key, a.rank, b.key, b.rank) ? -1 : before(b.key, b.rank, a.key, a.rank) ? 1 : 0));
    // Sorted like `added`, so the points never decrease. A leaving row still in the list sorts
    // by its old place, which is harmless: it is not copied.
    const points = added.map(({ key, rank }) => this.#lowerBound(list, key, rank, column));
    // The new list is the old one's runs between the changes, copied whole (native copies: a
    // loop in script over 100 000 rows measured slower in the renderer), joined once. A run of a
    // descending list is already descending, so only the order of the pieces is reversed.
    const n = list.length;
    const descending = this.#descending;
    const pieces: ConnectionRow[][] = [];
    const run = (from: number, to: number): void => {
      if (to > from) pieces.push(descending ? list.slice(n - to, n - from) : list.slice(from, to));
    };
    let from = 0;
    let cut = 0;
    let swap = 0;
    let add = 0;
    for (;;) {
      const point = points[add] ?? Infinity;
      const cutAt = cuts[cut] ?? Infinity;
      const swapped = swaps[swap];
      const at = Math.min(point, cutAt, swapped?.at ?? Infinity);
      if (at === Infinity) break;
      run(from, at);
      from = at;
      if (point === at) {
        // A new row goes before the row now at its point.
        pieces.push([(added[add] as { row: ConnectionRow }).row]);
        add += 1;
      } else if (cutAt === at) {
        from = at + 1;
        cut += 1;
      } else if (swapped !== undefined) {
        pieces.push([swapped.row]);
        from = at + 1;
        swap += 1;
      }
    }
    run(from, n);
    if (descending) pieces.reverse();
    const next = ([] as ConnectionRow[]).concat(...pieces);
    // Each change placed once (a row found twice would be cut twice): otherwise query anew.
    if (next.length !== n - cuts.length + added.length) return null;
    for (const id of leaving) this.#shown.delete(id);
    for (const { row } of swaps) this.#shown.set(row.id, { row, rank: delta.rank(row.id) });
    for (const { row, rank } of added) this.#shown.set(row.id, { row, rank });
    return next;
  }
}
