//! The connection cache: what the driver knows of each connection it has decided, so later
//! packets of a flow with a permanent verdict are decided without asking user space.
//!
//! Clean-up (CleanEndedConnections, and the driver's own timer) removes entries that ended more
//! than [`ENDED_TTL_MS`] ago or saw no packet for [`IDLE_TTL_MS`]. Between clean-ups the cache
//! holds at most [`MAX_ENTRIES`]: a process that opens connections as fast as it can (10 000 a
//! second kept 180 bytes each in the Linux daemon until clean-up), or one socket that sends to a
//! million addresses, must not take unbounded memory, on Windows kernel memory.
//!
//! A full cache drops one entry for each new one, chosen among a few ([`EVICTION_SAMPLE`]) taken
//! in key order from where the last choice stopped: an ended connection first, else the one idle
//! longest. That costs every insert into a full cache a small, fixed amount, where one pass over
//! the whole map to free a quarter of it held the caller (the Linux daemon's engine lock) for
//! 16–26 ms at a time (`npm run bench:cache`). The Windows driver stops caching at a smaller
//! size of its own (`MAX_CACHE_ENTRIES`), so it never reaches this bound.

use alloc::collections::BTreeMap;
use core::ops::Bound;

use zenithfence_protocol::{Direction, Verdict};

use crate::flow::FlowKey;
use crate::sliced::{retain_slice, Slice};

/// How long an ended connection is remembered.
pub const ENDED_TTL_MS: u64 = 60_000;
/// How long an idle connection is remembered.
pub const IDLE_TTL_MS: u64 = 600_000;
/// Most connections remembered (tens of MB).
pub const MAX_ENTRIES: usize = 262_144;
/// Entries a full cache looks at to choose the one it drops for a new one: an ended one first,
/// else the one active least recently, so a connection in use outlives a flood.
pub const EVICTION_SAMPLE: usize = 16;

/// One cached connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CacheEntry {
    /// The verdict in force.
    pub verdict: Verdict,
    /// Process id, 0 when unknown.
    pub process_id: u64,
    /// Who opened the connection.
    pub direction: Direction,
    /// When the connection was first seen.
    pub created_ms: u64,
    /// When a packet of it was last seen.
    pub last_active_ms: u64,
    /// When it ended, if it has.
    pub ended_ms: Option<u64>,
    /// The interface its first packet used, 0 when unknown: a socket bound to an interface is
    /// found again (for its byte counts) only by naming it. Fits in the entry's padding.
    pub interface: u32,
}

/// Connections by flow key.
pub struct ConnectionCache {
    entries: BTreeMap<FlowKey, CacheEntry>,
    limit: usize,
    /// Entries dropped to make room, since the start.
    evicted: u64,
    /// How many of those were already reported (see [`ConnectionCache::take_unreported_evictions`]).
    evictions_reported: u64,
    /// The last key looked at when choosing what to drop: the next choice starts after it.
    cursor: Option<FlowKey>,
    /// Where the next slice of a clean-up starts (see [`ConnectionCache::clean_slice`]).
    clean_cursor: Option<FlowKey>,
}

impl Default for ConnectionCache {
    fn default() -> Self {
        Self::with_limit(MAX_ENTRIES)
    }
}

/// Whether clean-up removes an entry: ended over a minute ago, or idle over ten minutes.
fn expired(e: &CacheEntry, now_ms: u64) -> bool {
    let ended_long_ago = e
        .ended_ms
        .is_some_and(|ended| now_ms.saturating_sub(ended) > ENDED_TTL_MS);
    ended_long_ago || now_ms.saturating_sub(e.last_active_ms) > IDLE_TTL_MS
}

impl ConnectionCache {
    /// An empty cache of [`MAX_ENTRIES`].
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty cache that holds at most `limit` connections (at least 4).
    pub fn with_limit(limit: usize) -> Self {
        ConnectionCache {
            entries: BTreeMap::new(),
            limit: limit.max(4),
            evicted: 0,
            evictions_reported: 0,
            cursor: None,
            clean_cursor: None,
        }
    }

    /// Records (or replaces) a decided connection. A new one in a full cache first drops one
    /// (see the module's notes). A flow dropped from the cache is one the driver does not know: the Linux daemon decides
    /// it again at its next queued packet; the Windows packet layer lets it pass, new
    /// connections being decided at ALE.
    pub fn insert(
        &mut self,
        key: FlowKey,
        verdict: Verdict,
        process_id: u64,
        direction: Direction,
        now_ms: u64,
    ) {
        self.insert_on(key, verdict, process_id, direction, 0, now_ms);
    }

    /// [`ConnectionCache::insert`] of a connection whose first packet used `interface`.
    pub fn insert_on(
        &mut self,
        key: FlowKey,
        verdict: Verdict,
        process_id: u64,
        direction: Direction,
        interface: u32,
        now_ms: u64,
    ) {
        if self.entries.len() >= self.limit && !self.entries.contains_key(&key) {
            self.drop_one();
        }
        self.entries.insert(
            key,
            CacheEntry {
                verdict,
                process_id,
                direction,
                created_ms: now_ms,
                last_active_ms: now_ms,
                ended_ms: None,
                interface,
            },
        );
    }

    /// The entry of a flow, marking it active now.
    pub fn touch(&mut self, key: &FlowKey, now_ms: u64) -> Option<CacheEntry> {
        let entry = self.entries.get_mut(key)?;
        entry.last_active_ms = now_ms;
        Some(*entry)
    }

    /// The entry of a flow.
    pub fn get(&self, key: &FlowKey) -> Option<&CacheEntry> {
        self.entries.get(key)
    }

    /// UpdateV4/UpdateV6: overwrites the verdict of a cached connection; false if unknown.
    pub fn update(&mut self, key: &FlowKey, verdict: Verdict) -> bool {
        match self.entries.get_mut(key) {
            Some(entry) => {
                entry.verdict = verdict;
                true
            }
            None => false,
        }
    }

    /// Marks a connection ended; returns its entry if it was cached.
    pub fn mark_ended(&mut self, key: &FlowKey, now_ms: u64) -> Option<CacheEntry> {
        let entry = self.entries.get_mut(key)?;
        entry.ended_ms.get_or_insert(now_ms);
        Some(*entry)
    }

    /// Every cached connection, in key order.
    pub fn iter(&self) -> impl Iterator<Item = (&FlowKey, &CacheEntry)> {
        self.entries.iter()
    }

    /// ClearCache: forgets every connection.
    pub fn clear(&mut self) {
        self.entries.clear();
    }

    /// Removes entries ended over a minute ago or idle over ten minutes; returns how many.
    pub fn clean(&mut self, now_ms: u64) -> usize {
        let before = self.entries.len();
        self.entries.retain(|_, e| !expired(e, now_ms));
        before - self.entries.len()
    }

    /// One slice of a clean-up: of the next `budget` entries, those [`Self::clean`] would
    /// remove. A periodic clean-up made of slices never holds its caller's lock for a pass over
    /// a large cache (11.6–14.0 ms for a full one, `npm run bench:cache`).
    pub fn clean_slice(&mut self, now_ms: u64, budget: usize) -> Slice {
        retain_slice(&mut self.entries, &mut self.clean_cursor, budget, |_, e| {
            !expired(e, now_ms)
        })
    }

    /// Drops one entry, chosen among the next [`EVICTION_SAMPLE`] after the cursor (wrapping to
    /// the first key): the earliest ended, else the one least recently active. No allocation:
    /// on Windows this runs in the kernel with a spin lock held.
    fn drop_one(&mut self) {
        let after = self.cursor.map_or(Bound::Unbounded, Bound::Excluded);
        let sample = self
            .entries
            .range((after, Bound::Unbounded))
            .chain(self.entries.iter())
            .take(EVICTION_SAMPLE);
        // Smallest first: ended before live, then by the time it ended or was last active.
        let rank = |e: &CacheEntry| match e.ended_ms {
            Some(ended) => (false, ended),
            None => (true, e.last_active_ms),
        };
        let mut chosen: Option<(FlowKey, (bool, u64))> = None;
        let mut last = None;
        for (key, entry) in sample {
            let ranked = rank(entry);
            if chosen.is_none_or(|(_, best)| ranked < best) {
                chosen = Some((*key, ranked));
            }
            last = Some(*key);
        }
        self.cursor = last;
        if let Some((key, _)) = chosen {
            self.entries.remove(&key);
            self.evicted += 1;
        }
    }

    /// Entries dropped to make room since the start (not those clean-up removed).
    pub fn evicted(&self) -> u64 {
        self.evicted
    }

    /// Entries dropped to make room since the last call: what a driver's clean-up logs, once.
    pub fn take_unreported_evictions(&mut self) -> u64 {
        let new = self.evicted - self.evictions_reported;
        self.evictions_reported = self.evicted;
        new
    }

    /// Connections cached.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether nothing is cached.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::flow::IpAddress;

    fn key(port: u16) -> FlowKey {
        FlowKey {
            protocol: 6,
            local_ip: IpAddress::V6([1; 16]),
            local_port: port,
            remote_ip: IpAddress::V6([2; 16]),
            remote_port: 443,
        }
    }

    #[test]
    fn update_touch_and_end() {
        let mut cache = ConnectionCache::new();
        assert!(!cache.update(&key(1), Verdict::Block));
        cache.insert(
            key(1),
            Verdict::PermanentAccept,
            42,
            Direction::Outbound,
            1_000,
        );
        assert!(cache.update(&key(1), Verdict::PermanentBlock));
        assert_eq!(
            cache.touch(&key(1), 2_000).unwrap().verdict,
            Verdict::PermanentBlock
        );
        assert_eq!(cache.get(&key(1)).unwrap().last_active_ms, 2_000);
        assert_eq!(
            cache.mark_ended(&key(1), 3_000).unwrap().ended_ms,
            Some(3_000)
        );
        assert_eq!(
            cache.mark_ended(&key(1), 9_000).unwrap().ended_ms,
            Some(3_000)
        );
    }

    #[test]
    fn an_entry_keeps_the_interface_it_was_inserted_on_and_stays_small() {
        let mut cache = ConnectionCache::new();
        cache.insert_on(key(1), Verdict::Accept, 7, Direction::Inbound, 4, 10);
        cache.insert(key(2), Verdict::Accept, 7, Direction::Outbound, 10);
        assert_eq!(cache.get(&key(1)).unwrap().interface, 4);
        assert_eq!(cache.get(&key(2)).unwrap().interface, 0, "unknown");
        // A verdict's update keeps it.
        assert!(cache.update(&key(1), Verdict::PermanentAccept));
        assert_eq!(cache.touch(&key(1), 20).unwrap().interface, 4);
        // The interface sits in what was padding: a full cache costs no more memory.
        assert_eq!(core::mem::size_of::<CacheEntry>(), 48);
    }

    #[test]
    fn clean_drops_ended_after_a_minute_and_idle_after_ten() {
        let mut cache = ConnectionCache::new();
        cache.insert(key(1), Verdict::PermanentAccept, 1, Direction::Outbound, 0);
        cache.insert(key(2), Verdict::PermanentAccept, 1, Direction::Outbound, 0);
        cache.insert(key(3), Verdict::PermanentAccept, 1, Direction::Inbound, 0);
        cache.mark_ended(&key(1), 10_000);
        cache.touch(&key(3), 500_000);
        assert_eq!(cache.clean(70_000), 0, "ended exactly 60 s ago stays");
        assert_eq!(cache.clean(70_001), 1);
        assert_eq!(cache.clean(600_001), 1, "key 2 idle for over ten minutes");
        assert_eq!(cache.len(), 1);
        cache.clear();
        assert!(cache.is_empty());
    }

    fn insert(cache: &mut ConnectionCache, port: u16, now_ms: u64) {
        cache.insert(
            key(port),
            Verdict::PermanentAccept,
            1,
            Direction::Outbound,
            now_ms,
        );
    }

    #[test]
    fn a_flood_never_holds_more_than_the_limit_and_keeps_the_newest() {
        let mut cache = ConnectionCache::with_limit(8);
        for port in 0..1_000 {
            insert(&mut cache, port, u64::from(port));
            assert!(
                cache.len() <= 8,
                "{} entries after port {port}",
                cache.len()
            );
            assert!(cache.get(&key(port)).is_some(), "the new one is kept");
        }
        assert_eq!(cache.evicted(), 1_000 - 8, "one dropped per new one");
        assert_eq!(cache.len(), 8);
        assert_eq!(cache.take_unreported_evictions(), 1_000 - 8);
        assert_eq!(cache.take_unreported_evictions(), 0, "reported once");
        insert(&mut cache, 5_000, 5_000);
        assert_eq!(cache.take_unreported_evictions(), 1);
    }

    #[test]
    fn a_full_cache_drops_ended_connections_before_live_ones() {
        let mut cache = ConnectionCache::with_limit(8);
        for port in 0..8 {
            insert(&mut cache, port, 0);
        }
        // Ended: the most recently active ones, so only the ended mark can send them first.
        for port in 4..8 {
            cache.touch(&key(port), 100);
            cache.mark_ended(&key(port), 100);
        }
        for port in 100..104 {
            insert(&mut cache, port, 200);
        }
        assert_eq!(cache.evicted(), 4);
        for port in 0..4 {
            assert!(cache.get(&key(port)).is_some(), "live port {port} kept");
        }
        for port in 4..8 {
            assert!(cache.get(&key(port)).is_none(), "ended port {port} dropped");
        }
        assert_eq!(cache.len(), 8);
    }

    #[test]
    fn without_ended_ones_the_longest_idle_go_first() {
        let mut cache = ConnectionCache::with_limit(8);
        // Last active, as ms before 100 000: port 7 idle longest, then 6, … (against key order,
        // so only the idle times can pick them).
        let idle = [100, 1_000, 2_500, 5_000, 10_000, 20_000, 40_000, 100_000];
        for (port, idle) in (0u16..).zip(idle) {
            insert(&mut cache, port, 100_000 - idle);
        }
        insert(&mut cache, 100, 100_000);
        insert(&mut cache, 101, 100_000);
        assert_eq!(cache.evicted(), 2);
        assert!(cache.get(&key(7)).is_none());
        assert!(cache.get(&key(6)).is_none());
        for port in 0..6 {
            assert!(cache.get(&key(port)).is_some(), "port {port} kept");
        }
        assert_eq!(cache.len(), 8);
    }

    #[test]
    fn a_connection_in_use_outlives_a_flood_of_new_ones() {
        let mut cache = ConnectionCache::with_limit(256);
        // Port 0 sorts first, where every wrap of the sample passes; it is active before each
        // new connection, as a download's packets mark it on Windows.
        for port in 0..256 {
            insert(&mut cache, port, 0);
        }
        for (now, port) in (1u64..).zip(256u16..20_000) {
            cache.touch(&key(0), now);
            insert(&mut cache, port, now);
            assert!(cache.get(&key(0)).is_some(), "dropped at port {port}");
        }
        assert_eq!(cache.len(), 256);
        assert_eq!(cache.evicted(), 20_000 - 256);
    }

    #[test]
    fn a_full_cache_looks_at_only_a_few_entries_per_new_one() {
        // Key order against age: the oldest entries sort last. With the whole cache looked at,
        // they would go first; the sample of the first keys drops the oldest among those.
        let mut cache = ConnectionCache::with_limit(64);
        for port in 0..64 {
            insert(&mut cache, port, 1_000 - u64::from(port));
        }
        insert(&mut cache, 1_000, 2_000);
        let sample = EVICTION_SAMPLE as u16;
        assert!(
            cache.get(&key(sample - 1)).is_none(),
            "the oldest of the sample"
        );
        assert!(
            cache.get(&key(63)).is_some(),
            "the oldest of all was not looked at"
        );
        // The next choice starts where this one stopped.
        insert(&mut cache, 1_001, 2_000);
        assert!(cache.get(&key(2 * sample - 1)).is_none());
        assert_eq!(cache.evicted(), 2);
    }

    #[test]
    fn a_clean_up_in_slices_removes_what_one_pass_would() {
        let mut sliced = ConnectionCache::new();
        let mut whole = ConnectionCache::new();
        for cache in [&mut sliced, &mut whole] {
            for port in 0..100 {
                insert(cache, port, 0);
                if port % 4 == 0 {
                    cache.mark_ended(&key(port), 1_000);
                }
                if port % 5 == 0 {
                    cache.touch(&key(port), 650_000);
                }
            }
        }
        let now = 700_000;
        let mut removed = 0;
        let mut slices = 0;
        loop {
            let slice = sliced.clean_slice(now, 8);
            removed += slice.removed;
            slices += 1;
            if slice.finished {
                break;
            }
        }
        assert_eq!(slices, 13, "100 entries, 8 at a time");
        assert_eq!(removed, whole.clean(now));
        let left = |c: &ConnectionCache| c.iter().map(|(k, _)| *k).collect::<alloc::vec::Vec<_>>();
        assert_eq!(left(&sliced), left(&whole));
        // Ended a minute ago go; idle ten minutes go unless touched (and not ended).
        assert!(sliced.get(&key(5)).is_some() && sliced.get(&key(4)).is_none());
    }

    #[test]
    fn replacing_a_cached_connection_in_a_full_cache_evicts_nothing() {
        let mut cache = ConnectionCache::with_limit(8);
        for port in 0..8 {
            insert(&mut cache, port, 0);
        }
        cache.insert(key(3), Verdict::PermanentBlock, 1, Direction::Outbound, 50);
        assert_eq!(cache.evicted(), 0);
        assert_eq!(cache.len(), 8);
        assert_eq!(cache.get(&key(3)).unwrap().verdict, Verdict::PermanentBlock);
    }
}
