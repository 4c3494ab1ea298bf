//! Held packets waiting for a decision.
//!
//! Invariants:
//! - Request ids start at 1 and are never 0 (0 is invalid on the wire); they wrap past `u64::MAX`
//!   back to 1 and skip ids still in use.
//! - Every request leaves the table exactly once: by [`PendingTable::decide`], by
//!   [`PendingTable::expire`] (the hold timeout) or by [`PendingTable::drain`] (shutdown, a client
//!   leaving). Each returns the held packets so the caller answers every one of them.
//! - Packets of a flow that already waits join its request, so one decision answers them all;
//!   a flow holds at most `max_per_flow` packets and further ones are handed back at once.
//!
//! `P` is the OS handle of a held packet (an NFQUEUE packet id on Linux, a pended classify or a
//! cloned NET_BUFFER_LIST on Windows).

use alloc::collections::{BTreeMap, BTreeSet};
use alloc::vec;
use alloc::vec::Vec;

use crate::flow::FlowKey;

/// A request that left the table, with everything needed to answer its packets.
#[derive(Debug, PartialEq, Eq)]
pub struct Released<P> {
    /// The request id the client saw.
    pub id: u64,
    /// The flow the packets belong to.
    pub flow: FlowKey,
    /// Every packet held for the request, oldest first.
    pub packets: Vec<P>,
}

/// What [`PendingTable::hold`] did with a packet.
#[derive(Debug, PartialEq, Eq)]
pub enum Held<P> {
    /// A new request: the caller queues a connection info with this id.
    New(u64),
    /// The flow already waits under this id; the packet will be answered with it.
    Joined(u64),
    /// The flow holds its maximum; the packet is handed back for the caller to answer now.
    FlowFull(P),
}

struct Request<P> {
    flow: FlowKey,
    packets: Vec<P>,
    deadline_ms: u64,
}

/// The pending-packet table.
pub struct PendingTable<P> {
    next_id: u64,
    requests: BTreeMap<u64, Request<P>>,
    by_flow: BTreeMap<FlowKey, u64>,
    deadlines: BTreeSet<(u64, u64)>,
    max_per_flow: usize,
}

impl<P> PendingTable<P> {
    /// An empty table; each flow holds at most `max_per_flow` packets (at least 1).
    pub fn new(max_per_flow: usize) -> Self {
        PendingTable {
            next_id: 1,
            requests: BTreeMap::new(),
            by_flow: BTreeMap::new(),
            deadlines: BTreeSet::new(),
            max_per_flow: max_per_flow.max(1),
        }
    }

    /// Holds `packet` of `flow` until a decision or `deadline_ms`.
    pub fn hold(&mut self, flow: FlowKey, packet: P, deadline_ms: u64) -> Held<P> {
        if let Some(&id) = self.by_flow.get(&flow) {
            if let Some(request) = self.requests.get_mut(&id) {
                if request.packets.len() >= self.max_per_flow {
                    return Held::FlowFull(packet);
                }
                request.packets.push(packet);
                return Held::Joined(id);
            }
        }
        let id = self.allocate_id();
        self.requests.insert(
            id,
            Request {
                flow,
                packets: vec![packet],
                deadline_ms,
            },
        );
        self.by_flow.insert(flow, id);
        self.deadlines.insert((deadline_ms, id));
        Held::New(id)
    }

    fn allocate_id(&mut self) -> u64 {
        loop {
            let id = self.next_id;
            self.next_id = match self.next_id.wrapping_add(1) {
                0 => 1,
                next => next,
            };
            if !self.requests.contains_key(&id) {
                return id;
            }
        }
    }

    /// Takes the request `id` out for its verdict; `None` if no such request waits (already
    /// answered, timed out, or never issued).
    pub fn decide(&mut self, id: u64) -> Option<Released<P>> {
        let request = self.requests.remove(&id)?;
        self.by_flow.remove(&request.flow);
        self.deadlines.remove(&(request.deadline_ms, id));
        Some(Released {
            id,
            flow: request.flow,
            packets: request.packets,
        })
    }

    /// Takes out every request whose deadline is at or before `now_ms`, oldest deadline first.
    pub fn expire(&mut self, now_ms: u64) -> Vec<Released<P>> {
        let due: Vec<u64> = self
            .deadlines
            .iter()
            .take_while(|(deadline, _)| *deadline <= now_ms)
            .map(|&(_, id)| id)
            .collect();
        due.into_iter().filter_map(|id| self.decide(id)).collect()
    }

    /// Takes out every request, oldest id first (shutdown, or the client went away).
    pub fn drain(&mut self) -> Vec<Released<P>> {
        let ids: Vec<u64> = self.requests.keys().copied().collect();
        ids.into_iter().filter_map(|id| self.decide(id)).collect()
    }

    /// The earliest deadline, for the caller's timer.
    pub fn next_deadline(&self) -> Option<u64> {
        self.deadlines.first().map(|&(deadline, _)| deadline)
    }

    /// The request a flow waits under, if any.
    pub fn request_of(&self, flow: &FlowKey) -> Option<u64> {
        self.by_flow.get(flow).copied()
    }

    /// Requests waiting.
    pub fn len(&self) -> usize {
        self.requests.len()
    }

    /// Whether nothing waits.
    pub fn is_empty(&self) -> bool {
        self.requests.is_empty()
    }

    /// Packets held in all requests.
    pub fn packet_count(&self) -> usize {
        self.requests.values().map(|r| r.packets.len()).sum()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::flow::IpAddress;

    fn flow(port: u16) -> FlowKey {
        FlowKey {
            protocol: 17,
            local_ip: IpAddress::V4([10, 0, 0, 1]),
            local_port: port,
            remote_ip: IpAddress::V4([10, 0, 0, 2]),
            remote_port: 53,
        }
    }

    #[test]
    fn ids_start_at_one_and_packets_of_a_flow_share_one_request() {
        let mut table = PendingTable::new(64);
        assert_eq!(table.hold(flow(1), 100u32, 10), Held::New(1));
        assert_eq!(table.hold(flow(1), 101, 20), Held::Joined(1));
        assert_eq!(table.hold(flow(2), 102, 20), Held::New(2));
        assert_eq!(table.packet_count(), 3);
        let released = table.decide(1).unwrap();
        assert_eq!(released.packets, vec![100, 101]);
        assert_eq!(released.flow, flow(1));
        assert_eq!(table.decide(1), None, "answered exactly once");
        assert_eq!(table.hold(flow(1), 103, 30), Held::New(3));
    }

    #[test]
    fn a_full_flow_hands_the_packet_back() {
        let mut table = PendingTable::new(2);
        table.hold(flow(1), 1u32, 10);
        table.hold(flow(1), 2, 10);
        assert_eq!(table.hold(flow(1), 3, 10), Held::FlowFull(3));
    }

    #[test]
    fn expire_takes_due_requests_oldest_deadline_first() {
        let mut table = PendingTable::new(8);
        table.hold(flow(1), 1u32, 300);
        table.hold(flow(2), 2, 100);
        table.hold(flow(3), 3, 200);
        assert_eq!(table.next_deadline(), Some(100));
        let due: Vec<u64> = table.expire(250).iter().map(|r| r.id).collect();
        assert_eq!(due, vec![2, 3]);
        assert_eq!(table.len(), 1);
        assert!(table.expire(299).is_empty());
        assert_eq!(table.drain().len(), 1);
        assert!(table.is_empty());
        assert_eq!(table.next_deadline(), None);
    }

    #[test]
    fn ids_wrap_to_one_and_skip_ids_in_use() {
        let mut table = PendingTable::new(8);
        assert_eq!(table.hold(flow(1), 0u32, 10), Held::New(1));
        table.next_id = u64::MAX;
        assert_eq!(table.hold(flow(2), 0, 10), Held::New(u64::MAX));
        // 0 is skipped, 1 is still pending, so the next id is 2.
        assert_eq!(table.hold(flow(3), 0, 10), Held::New(2));
    }

    #[test]
    fn every_request_is_released_exactly_once_whatever_the_order() {
        let mut table = PendingTable::new(4);
        let mut answered = alloc::collections::BTreeMap::new();
        let mut packet = 0u32;
        for round in 0..200u64 {
            for port in 0..5u16 {
                packet += 1;
                let key = flow(port + (round % 7) as u16);
                if let Held::FlowFull(p) = table.hold(key, packet, round * 3 + u64::from(port)) {
                    assert!(answered.insert(p, 0).is_none());
                }
            }
            let mut released = table.expire(round * 2);
            if round % 5 == 0 {
                released.extend(table.decide(round));
            }
            for r in released {
                for p in r.packets {
                    assert!(
                        answered.insert(p, r.id).is_none(),
                        "packet {p} answered twice"
                    );
                }
            }
        }
        for r in table.drain() {
            for p in r.packets {
                assert!(answered.insert(p, r.id).is_none());
            }
        }
        assert_eq!(answered.len() as u32, packet, "every packet answered");
        assert!(table.is_empty());
    }
}
