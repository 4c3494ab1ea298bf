//! The bounded queue of encoded infos between the driver and its one reader.
//!
//! Invariants:
//! - Statistics infos (bandwidth, log lines) may be dropped oldest first when the queue is full;
//!   each drop is counted.
//! - A connection request is never dropped silently: when the queue is full and nothing droppable
//!   can make room, `push` refuses it and the caller answers the packet with its configured
//!   default verdict (and counts that).
//! - Other infos (connection ends, process and DNS details, replies) are likewise refused rather
//!   than silently lost; the refusal is counted.
//! - A read takes as many infos as fit the caller's buffer, splits the one that does not fit and
//!   keeps its rest for the start of the next read, so the stream stays byte-exact.

use alloc::collections::VecDeque;
use alloc::vec::Vec;

use zenithfence_protocol::Info;

/// How the queue treats an info when it is full.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InfoClass {
    /// A held packet waiting for a verdict: refused when full, never dropped once queued.
    ConnectionRequest,
    /// Bandwidth statistics, log lines and DNS exchanges (lines of the app's DNS log): dropped
    /// oldest first to make room, so a flood of DNS answers cannot crowd out held packets.
    Statistics,
    /// Everything else: never dropped once queued; refused when full. Network facts among them:
    /// a lost one would leave the app on the wrong network's profile.
    Essential,
}

impl InfoClass {
    /// The class an info belongs to.
    pub fn of(info: &Info) -> InfoClass {
        match info {
            Info::ConnectionV4(_) | Info::ConnectionV6(_) => InfoClass::ConnectionRequest,
            Info::BandwidthStatsV4(_)
            | Info::BandwidthStatsV6(_)
            | Info::LogLine(_)
            | Info::DnsExchange(_) => InfoClass::Statistics,
            Info::NetworkFacts(_) => InfoClass::Essential,
            _ => InfoClass::Essential,
        }
    }
}

/// Why `push` refused an info.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QueueFull;

/// Loss and volume counters of an [`InfoQueue`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct QueueCounters {
    /// Infos accepted into the queue.
    pub queued: u64,
    /// Statistics infos dropped (oldest first) to make room.
    pub statistics_dropped: u64,
    /// Connection requests refused because the queue was full.
    pub requests_refused: u64,
    /// Other infos refused because the queue was full.
    pub essential_refused: u64,
}

struct Entry {
    class: InfoClass,
    bytes: Vec<u8>,
}

/// A bounded FIFO of encoded infos with split-aware reads.
pub struct InfoQueue {
    entries: VecDeque<Entry>,
    capacity: usize,
    /// The unread rest of an info split by the previous read.
    leftover: Vec<u8>,
    counters: QueueCounters,
}

impl InfoQueue {
    /// A queue that holds at most `capacity` infos (at least 1).
    pub fn new(capacity: usize) -> Self {
        InfoQueue {
            entries: VecDeque::new(),
            capacity: capacity.max(1),
            leftover: Vec::new(),
            counters: QueueCounters::default(),
        }
    }

    /// Encodes and queues `info`, making room by dropping the oldest statistics info if needed.
    pub fn push(&mut self, info: &Info) -> Result<(), QueueFull> {
        let class = InfoClass::of(info);
        if self.entries.len() >= self.capacity && !self.make_room() {
            match class {
                InfoClass::ConnectionRequest => self.counters.requests_refused += 1,
                InfoClass::Essential => self.counters.essential_refused += 1,
                InfoClass::Statistics => self.counters.statistics_dropped += 1,
            }
            return Err(QueueFull);
        }
        let mut bytes = Vec::with_capacity(info.encoded_len());
        info.encode(&mut bytes);
        self.entries.push_back(Entry { class, bytes });
        self.counters.queued += 1;
        Ok(())
    }

    /// Drops the oldest statistics info; returns whether there was one.
    fn make_room(&mut self) -> bool {
        let Some(at) = self
            .entries
            .iter()
            .position(|e| e.class == InfoClass::Statistics)
        else {
            return false;
        };
        self.entries.remove(at);
        self.counters.statistics_dropped += 1;
        true
    }

    /// Whether a read would return at least one byte.
    pub fn has_data(&self) -> bool {
        !self.leftover.is_empty() || !self.entries.is_empty()
    }

    /// Infos waiting (a split info's rest not counted).
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether no info waits.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The loss and volume counters.
    pub fn counters(&self) -> QueueCounters {
        self.counters
    }

    /// Copies as many infos as fit into `buf`, splitting the last one if it does not fit whole;
    /// returns the number of bytes written.
    pub fn read(&mut self, buf: &mut [u8]) -> usize {
        let mut written = self.take_leftover(buf);
        while written < buf.len() {
            let Some(entry) = self.entries.pop_front() else {
                break;
            };
            let room = buf.len() - written;
            let (now, later) = entry.bytes.split_at(entry.bytes.len().min(room));
            if let Some(dst) = buf.get_mut(written..written + now.len()) {
                dst.copy_from_slice(now);
            }
            written += now.len();
            if !later.is_empty() {
                self.leftover = later.to_vec();
            }
        }
        written
    }

    /// Puts bytes a read returned back at the front of the stream, before everything still
    /// queued (a writer that took them could not send them now and leaves them to another).
    pub fn unread(&mut self, bytes: &[u8]) {
        if bytes.is_empty() {
            return;
        }
        let mut front = Vec::with_capacity(bytes.len() + self.leftover.len());
        front.extend_from_slice(bytes);
        front.append(&mut self.leftover);
        self.leftover = front;
    }

    fn take_leftover(&mut self, buf: &mut [u8]) -> usize {
        if self.leftover.is_empty() {
            return 0;
        }
        let n = self.leftover.len().min(buf.len());
        if let (Some(dst), Some(src)) = (buf.get_mut(..n), self.leftover.get(..n)) {
            dst.copy_from_slice(src);
        }
        self.leftover.drain(..n);
        n
    }

    /// Forgets everything queued (a new client starts with a fresh stream).
    pub fn clear(&mut self) {
        self.entries.clear();
        self.leftover.clear();
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use alloc::string::String;
    use alloc::vec;
    use zenithfence_protocol::{
        BandwidthStats, Connection, DnsExchange, InfoReader, LogLine, NetworkFacts, Process,
        ReadItem,
    };

    fn request(id: u64) -> Info {
        Info::ConnectionV4(Connection {
            id,
            process_id: 7,
            direction: 0,
            protocol: 6,
            local_ip: [10, 0, 0, 1],
            remote_ip: [10, 0, 0, 2],
            local_port: 40000,
            remote_port: 80,
            payload_layer: 4,
            payload: vec![],
        })
    }

    fn stats() -> Info {
        Info::BandwidthStatsV4(BandwidthStats {
            protocol: 6,
            entries: vec![],
        })
    }

    fn process() -> Info {
        Info::Process(Process {
            process_id: 7,
            start_time: 1,
            uid: 0,
            path: "/bin/true".into(),
            command_line: vec![],
        })
    }

    fn drain(queue: &mut InfoQueue, chunk: usize) -> Vec<Info> {
        let mut reader = InfoReader::new();
        let mut items: Vec<ReadItem> = Vec::new();
        let mut buf = vec![0u8; chunk];
        while queue.has_data() {
            let n = queue.read(&mut buf);
            assert!(n > 0);
            reader.push(&buf[..n], &mut items);
        }
        assert_eq!(reader.pending_len(), 0);
        items.into_iter().map(Result::unwrap).collect()
    }

    #[test]
    fn reads_split_infos_across_small_buffers_without_losing_bytes() {
        for chunk in [1, 2, 5, 7, 40, 64, 4096] {
            let mut queue = InfoQueue::new(100);
            let infos: Vec<Info> = (1..=10)
                .map(|i| {
                    if i % 3 == 0 {
                        Info::LogLine(LogLine {
                            severity: 3,
                            text: String::from("a log line that is longer than a small read"),
                        })
                    } else {
                        request(i)
                    }
                })
                .collect();
            infos.iter().for_each(|i| queue.push(i).unwrap());
            assert_eq!(drain(&mut queue, chunk), infos, "chunk {chunk}");
        }
    }

    fn exchange() -> Info {
        Info::DnsExchange(DnsExchange {
            process_id: 7,
            local_port: 40000,
            resolver_port: 53,
            ip_version: 4,
            local_ip: [0; 16],
            resolver_ip: [0; 16],
            qtype: 1,
            rcode: 3,
            ttl_s: 0,
            name: "nope.example".into(),
            v4_addresses: vec![],
            v6_addresses: vec![],
        })
    }

    #[test]
    fn dns_exchanges_give_way_to_held_packets_in_a_full_queue() {
        let mut queue = InfoQueue::new(2);
        queue.push(&exchange()).unwrap();
        queue.push(&exchange()).unwrap();
        // A flood of answers filled the queue: the next held packets still get in.
        queue.push(&request(1)).unwrap();
        queue.push(&request(2)).unwrap();
        assert_eq!(queue.counters().statistics_dropped, 2);
        assert_eq!(drain(&mut queue, 64), vec![request(1), request(2)]);
    }

    fn facts() -> Info {
        Info::NetworkFacts(NetworkFacts {
            epoch: 2,
            ..NetworkFacts::default()
        })
    }

    #[test]
    fn network_facts_are_never_dropped_for_room() {
        assert_eq!(InfoClass::of(&facts()), InfoClass::Essential);
        let mut queue = InfoQueue::new(2);
        queue.push(&facts()).unwrap();
        queue.push(&exchange()).unwrap();
        // The DNS exchange makes room for the held packet; the facts stay.
        queue.push(&request(1)).unwrap();
        assert_eq!(queue.push(&request(2)), Err(QueueFull));
        assert_eq!(queue.counters().statistics_dropped, 1);
        assert_eq!(drain(&mut queue, 64), vec![facts(), request(1)]);
    }

    #[test]
    fn full_queue_drops_oldest_statistics_first_and_counts_it() {
        let mut queue = InfoQueue::new(3);
        queue.push(&stats()).unwrap();
        queue.push(&request(1)).unwrap();
        queue.push(&stats()).unwrap();
        queue.push(&request(2)).unwrap();
        queue.push(&request(3)).unwrap();
        assert_eq!(queue.counters().statistics_dropped, 2);
        assert_eq!(queue.push(&request(4)), Err(QueueFull));
        assert_eq!(queue.push(&process()), Err(QueueFull));
        assert_eq!(queue.push(&stats()), Err(QueueFull));
        let counters = queue.counters();
        assert_eq!(counters.requests_refused, 1);
        assert_eq!(counters.essential_refused, 1);
        assert_eq!(counters.statistics_dropped, 3);
        assert_eq!(counters.queued, 5);
        assert_eq!(
            drain(&mut queue, 64),
            vec![request(1), request(2), request(3)]
        );
    }

    #[test]
    fn unread_bytes_come_back_first_in_their_order_even_inside_a_split_info() {
        for (first, second) in [(10, 7), (3, 40), (64, 5)] {
            let mut queue = InfoQueue::new(8);
            let infos = vec![request(1), process(), request(2), request(3)];
            infos.iter().for_each(|i| queue.push(i).unwrap());
            // Two reads taken and both given back, the later one first, as two writers that
            // failed in turn would: the stream reads as if nothing had been taken.
            let mut a = vec![0u8; first];
            let mut b = vec![0u8; second];
            let n = queue.read(&mut a);
            let m = queue.read(&mut b);
            queue.unread(&b[..m]);
            queue.unread(&a[..n]);
            queue.unread(&[]);
            assert_eq!(
                drain(&mut queue, 13),
                infos,
                "reads of {first} and {second}"
            );
        }
    }

    #[test]
    fn clear_forgets_the_split_rest_too() {
        let mut queue = InfoQueue::new(4);
        queue.push(&request(1)).unwrap();
        let mut buf = [0u8; 10];
        assert_eq!(queue.read(&mut buf), 10);
        assert!(queue.has_data());
        queue.clear();
        assert!(!queue.has_data());
    }
}
