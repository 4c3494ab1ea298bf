//! The host names the driver saw DNS answers give for each address, so host and domain rules
//! can be decided in the driver. Bounded: at most [`MAX_NAMES_PER_ADDRESS`] names per address
//! and `capacity` addresses, the oldest learned address forgotten first. A name is kept for its
//! TTL but at least [`MIN_RETENTION_MS`], as in the app (connections outlive short CDN TTLs).

use alloc::collections::{BTreeMap, VecDeque};
use alloc::string::String;
use alloc::vec::Vec;

use crate::flow::IpAddress;

/// Names kept per address (the newest win).
pub const MAX_NAMES_PER_ADDRESS: usize = 16;
/// The shortest time a name is kept, whatever its TTL.
pub const MIN_RETENTION_MS: u64 = 5 * 60_000;

struct Entry {
    /// (name, expiry in ms on the caller's clock), newest last.
    names: Vec<(String, u64)>,
    /// The learning order number of the entry's last insertion into `order`.
    stamp: u64,
}

/// Address → names from DNS answers.
pub struct NameTable {
    entries: BTreeMap<IpAddress, Entry>,
    /// Addresses in the order they were (re)learned, with the stamp of that time; a stale
    /// pair (the address was learned again since) is skipped when evicting.
    order: VecDeque<(IpAddress, u64)>,
    next_stamp: u64,
    capacity: usize,
}

impl NameTable {
    /// A table of at most `capacity` addresses.
    pub fn new(capacity: usize) -> NameTable {
        NameTable {
            entries: BTreeMap::new(),
            order: VecDeque::new(),
            next_stamp: 0,
            capacity: capacity.max(1),
        }
    }

    /// Addresses known.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether no address is known.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Learns that `name` (lowercase, no trailing dot) resolved to `address`.
    pub fn learn(&mut self, address: IpAddress, name: &str, ttl_s: u32, now_ms: u64) {
        let expires = now_ms.saturating_add((u64::from(ttl_s) * 1000).max(MIN_RETENTION_MS));
        let stamp = self.next_stamp;
        self.next_stamp += 1;
        let entry = self.entries.entry(address).or_insert(Entry {
            names: Vec::new(),
            stamp,
        });
        entry.names.retain(|(n, _)| n != name);
        entry.names.push((String::from(name), expires));
        if entry.names.len() > MAX_NAMES_PER_ADDRESS {
            entry.names.remove(0);
        }
        entry.stamp = stamp;
        self.order.push_back((address, stamp));
        while self.entries.len() > self.capacity {
            let Some((old, old_stamp)) = self.order.pop_front() else {
                break;
            };
            if self.entries.get(&old).is_some_and(|e| e.stamp == old_stamp) {
                self.entries.remove(&old);
            }
        }
        // Stale pairs are bounded too: at most one per learn, dropped once they pile up.
        if self.order.len() > self.capacity * 4 {
            let entries = &self.entries;
            self.order
                .retain(|(a, s)| entries.get(a).is_some_and(|e| e.stamp == *s));
        }
    }

    /// The unexpired names of `address`, appended to `out`.
    pub fn names_of<'a>(&'a self, address: &IpAddress, now_ms: u64, out: &mut Vec<&'a str>) {
        if let Some(entry) = self.entries.get(address) {
            out.extend(
                entry
                    .names
                    .iter()
                    .filter(|(_, expires)| now_ms < *expires)
                    .map(|(name, _)| name.as_str()),
            );
        }
    }

    /// Forgets addresses whose names all expired.
    pub fn clean(&mut self, now_ms: u64) {
        self.entries.retain(|_, entry| {
            entry.names.retain(|(_, expires)| now_ms < *expires);
            !entry.names.is_empty()
        });
        let entries = &self.entries;
        self.order
            .retain(|(a, s)| entries.get(a).is_some_and(|e| e.stamp == *s));
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const A: IpAddress = IpAddress::V4([93, 184, 216, 34]);
    const B: IpAddress = IpAddress::V4([1, 1, 1, 1]);

    fn names(table: &NameTable, address: IpAddress, now: u64) -> Vec<String> {
        let mut out = Vec::new();
        table.names_of(&address, now, &mut out);
        out.into_iter().map(String::from).collect()
    }

    #[test]
    fn keeps_names_at_least_the_minimum_and_at_most_their_ttl() {
        let mut table = NameTable::new(10);
        table.learn(A, "example.com", 1, 0);
        table.learn(A, "www.example.com", 3600, 0);
        assert_eq!(
            names(&table, A, MIN_RETENTION_MS - 1),
            ["example.com", "www.example.com"]
        );
        assert_eq!(names(&table, A, MIN_RETENTION_MS), ["www.example.com"]);
        assert_eq!(names(&table, A, 3_600_000), Vec::<String>::new());
        table.clean(3_600_000);
        assert!(table.is_empty());
    }

    #[test]
    fn relearning_moves_a_name_to_the_newest_and_bounds_names() {
        let mut table = NameTable::new(10);
        for i in 0..20 {
            table.learn(A, &alloc::format!("n{i}.example"), 60, 0);
        }
        let got = names(&table, A, 1);
        assert_eq!(got.len(), MAX_NAMES_PER_ADDRESS);
        assert_eq!(got.first().unwrap(), "n4.example");
        table.learn(A, "n4.example", 60, 0);
        assert_eq!(names(&table, A, 1).last().unwrap(), "n4.example");
    }

    #[test]
    fn the_oldest_address_goes_first() {
        let mut table = NameTable::new(2);
        table.learn(A, "a.example", 60, 0);
        table.learn(B, "b.example", 60, 0);
        // A is learned again: B is now the oldest.
        table.learn(A, "a2.example", 60, 0);
        table.learn(IpAddress::V4([9, 9, 9, 9]), "c.example", 60, 0);
        assert_eq!(table.len(), 2);
        assert!(names(&table, B, 1).is_empty());
        assert_eq!(names(&table, A, 1), ["a.example", "a2.example"]);
        // Learning one address over and over keeps the order queue bounded.
        for _ in 0..100 {
            table.learn(A, "a.example", 60, 0);
        }
        assert!(table.order.len() <= 8);
    }
}
