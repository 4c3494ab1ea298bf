/**
 * Eviction for Maps used as LRU lists (a hit is moved to the end by delete + set).
 *
 * Why in batches: V8 keeps a hole for each deleted Map entry until the next rehash, and every
 * fresh iterator walks over the holes, so evicting one entry at a time from the front costs
 * O(holes) per eviction. Evicting 1/16 of the capacity per walk makes it O(1) amortized.
 */
export function evictOldest<K, V>(map: Map<K, V>, capacity: number, evicted?: (key: K, value: V) => void): void {
  let excess = map.size - capacity + Math.max(1, capacity >> 4);
  for (const [key, value] of map) {
    if (excess-- <= 0) break;
    map.delete(key);
    evicted?.(key, value);
  }
}
