//! A pass over a map in slices: each call looks at a bounded number of entries after where the
//! last one stopped and removes those that are not to be kept. A caller that holds a lock (the
//! Linux engine's, the Windows driver's spin lock) then never holds it for a pass over a whole
//! large map, only for a slice of it.

use alloc::collections::BTreeMap;
use core::ops::Bound;

/// What one slice did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Slice {
    /// Entries removed.
    pub removed: usize,
    /// Whether the pass reached the last key: the next slice starts a new pass.
    pub finished: bool,
}

/// Looks at up to `budget` entries (at least one) after `cursor` and removes those `keep`
/// refuses (`keep` may also change what it keeps). No allocation: each removal restarts the
/// walk after the removed key.
pub fn retain_slice<K: Ord + Copy, V>(
    map: &mut BTreeMap<K, V>,
    cursor: &mut Option<K>,
    budget: usize,
    mut keep: impl FnMut(&K, &mut V) -> bool,
) -> Slice {
    let budget = budget.max(1);
    let mut looked = 0;
    let mut removed = 0;
    loop {
        let after = cursor.map_or(Bound::Unbounded, Bound::Excluded);
        let mut to_remove = None;
        let mut reached_end = true;
        for (key, value) in map.range_mut((after, Bound::Unbounded)) {
            if looked == budget {
                reached_end = false;
                break;
            }
            looked += 1;
            *cursor = Some(*key);
            if !keep(key, value) {
                to_remove = Some(*key);
                break;
            }
        }
        match to_remove {
            Some(key) => {
                map.remove(&key);
                removed += 1;
            }
            None => {
                if reached_end {
                    *cursor = None;
                }
                return Slice {
                    removed,
                    finished: reached_end,
                };
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use alloc::vec::Vec;

    fn map(n: u32) -> BTreeMap<u32, u32> {
        (0..n).map(|k| (k, k)).collect()
    }

    #[test]
    fn slices_of_a_pass_look_at_no_more_than_the_budget_and_together_remove_all_refused() {
        let mut m = map(100);
        let mut cursor = None;
        let mut looked = Vec::new();
        let mut slices = 0;
        loop {
            let before = looked.len();
            let slice = retain_slice(&mut m, &mut cursor, 16, |k, _| {
                looked.push(*k);
                k % 3 != 0
            });
            slices += 1;
            assert!(looked.len() - before <= 16, "slice {slices}");
            if slice.finished {
                break;
            }
        }
        assert_eq!(slices, 7, "100 entries in slices of 16");
        assert_eq!(
            looked,
            (0..100).collect::<Vec<_>>(),
            "each looked at once, in order"
        );
        assert!(m.keys().all(|k| k % 3 != 0));
        assert_eq!(m.len(), 66);
        assert_eq!(cursor, None, "the next pass starts at the first key");
    }

    #[test]
    fn a_slice_counts_what_it_removed_and_an_empty_map_is_finished_at_once() {
        let mut m = map(10);
        let mut cursor = None;
        let slice = retain_slice(&mut m, &mut cursor, 4, |k, _| *k >= 2);
        assert_eq!(
            slice,
            Slice {
                removed: 2,
                finished: false
            }
        );
        assert_eq!(cursor, Some(3));
        let mut empty: BTreeMap<u32, u32> = BTreeMap::new();
        let mut none = None;
        let slice = retain_slice(&mut empty, &mut none, 4, |_, _| true);
        assert!(slice.finished && slice.removed == 0);
    }

    #[test]
    fn a_zero_budget_still_moves_and_only_keys_after_the_cursor_are_left_in_the_pass() {
        let mut m = map(10);
        let mut cursor = None;
        retain_slice(&mut m, &mut cursor, 5, |_, _| true);
        m.insert(1_000, 0);
        let slice = retain_slice(&mut m, &mut cursor, 0, |_, _| false);
        assert_eq!(slice.removed, 1, "one looked at, even with a budget of 0");
        assert!(!m.contains_key(&5));
        let slice = retain_slice(&mut m, &mut cursor, 100, |k, _| *k >= 6 && *k != 1_000);
        assert!(slice.finished);
        assert!(
            !m.contains_key(&1_000),
            "added after the cursor: reached in this pass"
        );
        assert!(
            (0..5).all(|k| m.contains_key(&k)),
            "behind the cursor: left for the next pass"
        );
    }
}
