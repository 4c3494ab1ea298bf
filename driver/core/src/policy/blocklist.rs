//! The blocklists of a policy (protocol README, "Deciding"), compiled once per install into
//! lookups that allocate nothing: the listed names sorted and deduplicated in one byte buffer
//! (a name is looked up by binary search, once per label suffix: `ads.example.com`, then
//! `example.com`, then `com`), and the listed networks merged into sorted disjoint address ranges,
//! one list per family (an address is looked up by binary search too).
//!
//! Why sorted and not hashed: the lists come from the internet. A hash table's probe lengths
//! depend on its contents, and without a secret seed (the kernel core has no randomness) a list
//! could be made to collide; a binary search costs at most log2(n) comparisons whatever the
//! list holds. A small bit filter in front answers most names that are not listed with one or
//! two memory reads; a list can only make the filter say "maybe", never skip a listed name. An
//! index of every 16th name's first bytes narrows the search before the names are read.
//!
//! Cost (`examples/blocklist_bench.rs`, 2 vCPUs): 1 000 000 names and 100 000 networks hold
//! 21.4 MiB and take about 0.6 s to decode and compile (43 MiB more at the peak); a listed name
//! is found 1.4-1.9 million times a second, a name not listed is refused 13 million times.

use alloc::vec::Vec;

use zenithfence_protocol::policy::{BlockedNetwork, PolicyBlocklist};

use super::matcher::{unmapped, RuleNames};
use crate::flow::IpAddress;

/// Filter bits per listed name (a power of two): about 1.5 % of the names not listed get past it.
const FILTER_BITS_PER_NAME: usize = 16;
/// One name in this many has its first bytes in `samples`.
const SAMPLE_EVERY: usize = 16;

/// A policy's blocklists, ready for lookups.
#[derive(Default)]
pub struct CompiledBlocklist {
    /// Every listed name once, sorted bytewise, back to back.
    text: Vec<u8>,
    /// Where each name of `text` ends; name i starts where name i - 1 ends.
    ends: Vec<u32>,
    /// Two bits set per listed name; a name with either bit clear is not listed.
    filter: Vec<u64>,
    /// The first 8 bytes of every SAMPLE_EVERY-th name ([`head`]): an index small enough to stay
    /// in the cache, which narrows a search to a few dozen names before `text` is read.
    samples: Vec<u64>,
    /// Disjoint, sorted, inclusive IPv4 ranges (IPv4-mapped networks included).
    v4: Vec<(u32, u32)>,
    /// Disjoint, sorted, inclusive IPv6 ranges.
    v6: Vec<(u128, u128)>,
    /// The entries the document listed (before duplicates were merged), for log lines.
    listed: (usize, usize),
}

impl CompiledBlocklist {
    /// Compiles `list` (names deduplicated, networks merged).
    pub fn new(list: &PolicyBlocklist) -> CompiledBlocklist {
        let mut out = CompiledBlocklist {
            listed: (list.names.len(), list.networks.len()),
            ..CompiledBlocklist::default()
        };
        out.add_names(list);
        out.build_filter();
        out.samples = (0..out.ends.len())
            .step_by(SAMPLE_EVERY)
            .map(|i| head(out.name(i)))
            .collect();
        for network in &list.networks {
            match range_of(network) {
                Range::V4(start, end) => out.v4.push((start, end)),
                Range::V6(start, end) => out.v6.push((start, end)),
            }
        }
        merge(&mut out.v4, |end| end.checked_add(1));
        merge(&mut out.v6, |end| end.checked_add(1));
        out
    }

    fn add_names(&mut self, list: &PolicyBlocklist) {
        let names = &list.names;
        // Positions, not the names: 4 bytes each while sorting a few million of them.
        let mut order: Vec<u32> = (0..u32::try_from(names.len()).unwrap_or(u32::MAX)).collect();
        let name = |i: u32| names.get(i as usize).map_or(&[][..], str::as_bytes);
        order.sort_unstable_by(|&a, &b| name(a).cmp(name(b)));
        order.dedup_by(|a, b| name(*a) == name(*b));
        self.text = Vec::with_capacity(order.iter().map(|&i| name(i).len()).sum());
        self.ends = Vec::with_capacity(order.len());
        for i in order {
            self.text.extend_from_slice(name(i));
            self.ends
                .push(u32::try_from(self.text.len()).unwrap_or(u32::MAX));
        }
    }

    fn build_filter(&mut self) {
        if self.ends.is_empty() {
            return;
        }
        // At least one word: a few names must not make a filter of none.
        let bits = (self.ends.len() * FILTER_BITS_PER_NAME)
            .next_power_of_two()
            .max(64);
        self.filter = alloc::vec![0u64; bits / 64];
        for i in 0..self.ends.len() {
            let (a, b) = self.filter_bits(hash(self.name(i)));
            for bit in [a, b] {
                if let Some(word) = self.filter.get_mut(bit / 64) {
                    *word |= 1 << (bit % 64);
                }
            }
        }
    }

    /// The two filter bits of a name's hash.
    fn filter_bits(&self, hash: u64) -> (usize, usize) {
        let mask = (self.filter.len() * 64).saturating_sub(1) as u64;
        ((hash & mask) as usize, ((hash >> 32) & mask) as usize)
    }

    /// Whether the lists hold nothing.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty() && self.v4.is_empty() && self.v6.is_empty()
    }

    /// (names, networks) as the document listed them.
    pub fn listed(&self) -> (usize, usize) {
        self.listed
    }

    /// Bytes the lookups hold on the heap.
    pub fn heap_bytes(&self) -> usize {
        self.text.capacity()
            + self.ends.capacity() * 4
            + self.filter.capacity() * 8
            + self.samples.capacity() * 8
            + self.v4.capacity() * 8
            + self.v6.capacity() * 32
    }

    /// Whether the lists hold the connection: its address, or one of its names (`Unseen`: no
    /// name can match).
    pub fn lists(&self, remote: IpAddress, names: RuleNames<'_>) -> bool {
        if self.lists_address(remote) {
            return true;
        }
        match names {
            RuleNames::Seen(names) => names.iter().any(|name| self.lists_name(name)),
            RuleNames::Unseen => false,
        }
    }

    /// Whether a listed network holds `address` (an IPv4-mapped address counts as IPv4).
    pub fn lists_address(&self, address: IpAddress) -> bool {
        match unmapped(address) {
            IpAddress::V4(bytes) => within(&self.v4, u32::from_be_bytes(bytes)),
            IpAddress::V6(bytes) => within(&self.v6, u128::from_be_bytes(bytes)),
        }
    }

    /// Whether `name` (lowercase, no trailing dot) or a name above it is listed.
    pub fn lists_name(&self, name: &str) -> bool {
        if self.ends.is_empty() {
            return false;
        }
        let mut rest = name.as_bytes();
        loop {
            if self.holds(rest) {
                return true;
            }
            match rest.iter().position(|&b| b == b'.') {
                Some(dot) => rest = rest.get(dot + 1..).unwrap_or_default(),
                None => return false,
            }
        }
    }

    /// Whether `key` is a listed name.
    fn holds(&self, key: &[u8]) -> bool {
        let (a, b) = self.filter_bits(hash(key));
        let set = |bit: usize| {
            self.filter
                .get(bit / 64)
                .is_some_and(|word| word & (1 << (bit % 64)) != 0)
        };
        if !(set(a) && set(b)) {
            return false;
        }
        // Heads grow with the names (zero padding keeps the order), so the names with the key's
        // head lie after the last sample below it and before the first sample above it.
        let key_head = head(key);
        let below = self.samples.partition_point(|&s| s < key_head);
        let up_to = self.samples.partition_point(|&s| s <= key_head);
        let mut low = below.saturating_sub(1) * SAMPLE_EVERY;
        let mut high = (up_to * SAMPLE_EVERY).min(self.ends.len());
        while low < high {
            let middle = low + (high - low) / 2;
            match self.name(middle).cmp(key) {
                core::cmp::Ordering::Less => low = middle + 1,
                core::cmp::Ordering::Greater => high = middle,
                core::cmp::Ordering::Equal => return true,
            }
        }
        false
    }

    /// The i-th listed name.
    fn name(&self, i: usize) -> &[u8] {
        let start = i
            .checked_sub(1)
            .and_then(|before| self.ends.get(before))
            .map_or(0, |&end| end as usize);
        let end = self.ends.get(i).map_or(0, |&end| end as usize);
        self.text.get(start..end).unwrap_or_default()
    }
}

/// A name's first 8 bytes as a big-endian number, zero-padded: a ≤ b implies head(a) ≤ head(b).
fn head(name: &[u8]) -> u64 {
    let mut bytes = [0u8; 8];
    for (slot, byte) in bytes.iter_mut().zip(name) {
        *slot = *byte;
    }
    u64::from_be_bytes(bytes)
}

/// FNV-1a, 64 bits: fast on short names. Only the filter uses it, so collisions cost a binary
/// search, never a wrong answer.
fn hash(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &byte in bytes {
        h ^= u64::from(byte);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    // FNV's high bits mix poorly on short keys: fold them in, as the filter uses both halves.
    h ^ (h >> 29)
}

enum Range {
    V4(u32, u32),
    V6(u128, u128),
}

/// The first 12 bytes of an IPv4-mapped IPv6 address (`::ffff:0:0/96`).
const MAPPED_PREFIX: [u8; 12] = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff];

/// A network's first and last address; an IPv6 network inside `::ffff:0:0/96` is the IPv4
/// network it covers (connections to mapped addresses are looked up as IPv4).
fn range_of(network: &BlockedNetwork) -> Range {
    match *network {
        BlockedNetwork::V4 { network, prefix } => {
            let start = u32::from_be_bytes(network);
            let host = u32::MAX.checked_shr(u32::from(prefix)).unwrap_or(0);
            Range::V4(start, start | host)
        }
        BlockedNetwork::V6 { network, prefix } => {
            let (head, tail) = network.split_at(12);
            if prefix >= 96 && head == MAPPED_PREFIX {
                let mut v4 = [0u8; 4];
                v4.copy_from_slice(tail);
                return range_of(&BlockedNetwork::V4 {
                    network: v4,
                    prefix: prefix - 96,
                });
            }
            let start = u128::from_be_bytes(network);
            let host = u128::MAX.checked_shr(u32::from(prefix)).unwrap_or(0);
            Range::V6(start, start | host)
        }
    }
}

/// Sorts `ranges` and merges those that overlap or touch (`next`: the address after one, None
/// after the last address), so at most one range can hold an address.
fn merge<T: Ord + Copy>(ranges: &mut Vec<(T, T)>, next: impl Fn(T) -> Option<T>) {
    ranges.sort_unstable();
    let mut merged: Vec<(T, T)> = Vec::with_capacity(ranges.len());
    for &(start, end) in ranges.iter() {
        match merged.last_mut() {
            Some(last) if next(last.1).is_none_or(|after| start <= after) => {
                last.1 = last.1.max(end);
            }
            _ => merged.push((start, end)),
        }
    }
    merged.shrink_to_fit();
    *ranges = merged;
}

/// Whether one of `ranges` (disjoint, sorted) holds `address`.
fn within<T: Ord + Copy>(ranges: &[(T, T)], address: T) -> bool {
    let after = ranges.partition_point(|&(start, _)| start <= address);
    after
        .checked_sub(1)
        .and_then(|i| ranges.get(i))
        .is_some_and(|&(_, end)| address <= end)
}

#[cfg(test)]
#[path = "blocklist_tests.rs"]
mod tests;
