//! The connection cache: what the driver knows of each connection it has decided, so later
//! packets of a flow with a permanent verdict are decided without asking user space.
//!
//! Clean-up (CleanEndedConnections, and the driver's own timer) removes entries that ended more
//! than [`ENDED_TTL_MS`] ago or saw no packet for [`IDLE_TTL_MS`].

use alloc::collections::BTreeMap;

use zenithfence_protocol::{Direction, Verdict};

use crate::flow::FlowKey;

/// How long an ended connection is remembered.
pub const ENDED_TTL_MS: u64 = 60_000;
/// How long an idle connection is remembered.
pub const IDLE_TTL_MS: u64 = 600_000;

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
}

/// Connections by flow key.
#[derive(Default)]
pub struct ConnectionCache {
    entries: BTreeMap<FlowKey, CacheEntry>,
}

impl ConnectionCache {
    /// An empty cache.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records (or replaces) a decided connection.
    pub fn insert(
        &mut self,
        key: FlowKey,
        verdict: Verdict,
        process_id: u64,
        direction: Direction,
        now_ms: u64,
    ) {
        self.entries.insert(
            key,
            CacheEntry {
                verdict,
                process_id,
                direction,
                created_ms: now_ms,
                last_active_ms: now_ms,
                ended_ms: None,
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
        self.entries.retain(|_, e| {
            let ended_long_ago = e
                .ended_ms
                .is_some_and(|ended| now_ms.saturating_sub(ended) > ENDED_TTL_MS);
            let idle = now_ms.saturating_sub(e.last_active_ms) > IDLE_TTL_MS;
            !ended_long_ago && !idle
        });
        before - self.entries.len()
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
}
