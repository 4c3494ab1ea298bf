//! Per-connection byte accounting, read and reset by GetBandwidthStats.
//!
//! The Windows driver counts deltas as packets pass; the Linux daemon reads cumulative totals
//! (sock_diag, conntrack) and turns them into deltas with [`BandwidthAccounts::observe_totals`].

use alloc::collections::BTreeMap;
use alloc::vec::Vec;

use zenithfence_protocol::{BandwidthEntry, BandwidthStats, Info};

use crate::flow::{FlowKey, IpAddress};
use crate::sliced::retain_slice;

#[derive(Clone, Copy, Default)]
struct Bytes {
    tx: u64,
    rx: u64,
}

/// The socket a connection's running totals come from: its cookie, or 0 where the source
/// names no socket (a conntrack entry). Two connections on the same addresses, one ending while
/// the next has begun, are two sockets: each one's totals count on from its own.
pub type SocketId = u64;

/// Byte counts per connection since the last [`BandwidthAccounts::take`].
#[derive(Default)]
pub struct BandwidthAccounts {
    deltas: BTreeMap<FlowKey, Bytes>,
    last_totals: BTreeMap<(FlowKey, SocketId), Bytes>,
    /// Where [`BandwidthAccounts::forget_totals_slice`] goes on.
    totals_cursor: Option<(FlowKey, SocketId)>,
}

impl BandwidthAccounts {
    /// Empty accounts.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds bytes sent and received by a connection.
    pub fn add(&mut self, key: FlowKey, transmitted: u64, received: u64) {
        if transmitted == 0 && received == 0 {
            return;
        }
        let entry = self.deltas.entry(key).or_default();
        entry.tx = entry.tx.saturating_add(transmitted);
        entry.rx = entry.rx.saturating_add(received);
    }

    /// Records a connection's running totals from `socket` and adds what grew since its
    /// previous totals. Totals that shrink (a counter was reset) count from zero again.
    pub fn observe_totals(
        &mut self,
        key: FlowKey,
        socket: SocketId,
        transmitted: u64,
        received: u64,
    ) {
        let last = self.last_totals.insert(
            (key, socket),
            Bytes {
                tx: transmitted,
                rx: received,
            },
        );
        let last = last.unwrap_or_default();
        let grown = |now: u64, before: u64| if now >= before { now - before } else { now };
        self.add(key, grown(transmitted, last.tx), grown(received, last.rx));
    }

    /// Records a connection's final totals from a source that may count a little less than
    /// the running totals did (the kernel's `bytes_acked` against `tcp_info`'s bytes sent):
    /// only growth is added, never the whole total again.
    /// The socket's running totals are forgotten: it is over.
    pub fn observe_final_totals(
        &mut self,
        key: FlowKey,
        socket: SocketId,
        transmitted: u64,
        received: u64,
    ) {
        let last = self.last_totals.remove(&(key, socket)).unwrap_or_default();
        self.add(
            key,
            transmitted.saturating_sub(last.tx),
            received.saturating_sub(last.rx),
        );
    }

    /// A connection first seen part-way (held again mid-stream: after a restart, or once its
    /// conntrack entry went): its running totals so far are where its count starts, since
    /// what it carried before was counted by an earlier run, or happened before any. Totals
    /// already known (this run saw the connection before) are kept, so nothing it carried since
    /// is lost.
    pub fn start_totals_at(
        &mut self,
        key: FlowKey,
        socket: SocketId,
        transmitted: u64,
        received: u64,
    ) {
        self.last_totals.entry((key, socket)).or_insert(Bytes {
            tx: transmitted,
            rx: received,
        });
    }

    /// Forgets a connection's running totals once it ended and its final totals were observed:
    /// those of `socket`, or of every socket on `key` when the end names none.
    pub fn forget_totals(&mut self, key: &FlowKey, socket: Option<SocketId>) {
        match socket {
            Some(socket) => {
                self.last_totals.remove(&(*key, socket));
            }
            None => {
                let sockets: Vec<SocketId> = self
                    .last_totals
                    .range((*key, 0)..=(*key, SocketId::MAX))
                    .map(|((_, socket), _)| *socket)
                    .collect();
                for socket in sockets {
                    self.last_totals.remove(&(*key, socket));
                }
            }
        }
    }

    /// One slice (at most `budget` entries) of a pass that forgets the running totals of
    /// connections no longer `known`: one whose end never came (expired idle, or evicted from
    /// a full cache) or one blocked after its totals were started would otherwise keep its
    /// entry for the life of the process. Returns whether the pass reached the end.
    pub fn forget_totals_slice(
        &mut self,
        budget: usize,
        mut known: impl FnMut(&FlowKey) -> bool,
    ) -> bool {
        retain_slice(
            &mut self.last_totals,
            &mut self.totals_cursor,
            budget,
            |(key, _), _| known(key),
        )
        .finished
    }

    /// How many connections' running totals are kept.
    pub fn totals_kept(&self) -> usize {
        self.last_totals.len()
    }

    /// Connections with bytes not yet taken.
    pub fn len(&self) -> usize {
        self.deltas.len()
    }

    /// Whether no bytes wait to be taken.
    pub fn is_empty(&self) -> bool {
        self.deltas.is_empty()
    }

    /// Takes every delta as BandwidthStats infos, one per (IP version, protocol), and resets.
    pub fn take(&mut self) -> Vec<Info> {
        let mut v4: BTreeMap<u8, Vec<BandwidthEntry<4>>> = BTreeMap::new();
        let mut v6: BTreeMap<u8, Vec<BandwidthEntry<16>>> = BTreeMap::new();
        for (key, bytes) in core::mem::take(&mut self.deltas) {
            match (key.local_ip, key.remote_ip) {
                (IpAddress::V4(local_ip), IpAddress::V4(remote_ip)) => {
                    v4.entry(key.protocol).or_default().push(BandwidthEntry {
                        local_ip,
                        local_port: key.local_port,
                        remote_ip,
                        remote_port: key.remote_port,
                        transmitted: bytes.tx,
                        received: bytes.rx,
                    })
                }
                (IpAddress::V6(local_ip), IpAddress::V6(remote_ip)) => {
                    v6.entry(key.protocol).or_default().push(BandwidthEntry {
                        local_ip,
                        local_port: key.local_port,
                        remote_ip,
                        remote_port: key.remote_port,
                        transmitted: bytes.tx,
                        received: bytes.rx,
                    })
                }
                // A key never mixes families; nothing to report if one did.
                _ => {}
            }
        }
        let infos_v4 = v4.into_iter().map(|(protocol, entries)| {
            Info::BandwidthStatsV4(BandwidthStats { protocol, entries })
        });
        let infos_v6 = v6.into_iter().map(|(protocol, entries)| {
            Info::BandwidthStatsV6(BandwidthStats { protocol, entries })
        });
        infos_v4.chain(infos_v6).collect()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]
mod tests {
    use super::*;

    fn key(protocol: u8, port: u16) -> FlowKey {
        FlowKey {
            protocol,
            local_ip: IpAddress::V4([10, 0, 0, 1]),
            local_port: port,
            remote_ip: IpAddress::V4([10, 0, 0, 2]),
            remote_port: 80,
        }
    }

    #[test]
    fn deltas_are_grouped_and_reset_on_take() {
        let mut accounts = BandwidthAccounts::new();
        accounts.add(key(6, 1), 100, 200);
        accounts.add(key(6, 1), 1, 2);
        accounts.add(key(17, 2), 5, 0);
        accounts.add(key(17, 3), 0, 0);
        let infos = accounts.take();
        assert_eq!(infos.len(), 2);
        let Info::BandwidthStatsV4(tcp) = &infos[0] else {
            panic!("expected v4 stats");
        };
        assert_eq!(tcp.protocol, 6);
        assert_eq!(
            (tcp.entries[0].transmitted, tcp.entries[0].received),
            (101, 202)
        );
        assert!(accounts.take().is_empty(), "read and reset");
    }

    #[test]
    fn totals_become_deltas() {
        let mut accounts = BandwidthAccounts::new();
        accounts.observe_totals(key(6, 1), 7, 1_000, 10);
        accounts.take();
        accounts.observe_totals(key(6, 1), 7, 1_500, 10);
        accounts.observe_totals(key(6, 1), 7, 1_700, 30);
        let Info::BandwidthStatsV4(stats) = &accounts.take()[0] else {
            panic!("expected v4 stats");
        };
        assert_eq!(
            (stats.entries[0].transmitted, stats.entries[0].received),
            (700, 20)
        );
        accounts.observe_totals(key(6, 1), 7, 50, 30);
        let Info::BandwidthStatsV4(stats) = &accounts.take()[0] else {
            panic!("expected v4 stats");
        };
        assert_eq!(stats.entries[0].transmitted, 50, "a reset counter restarts");
    }

    #[test]
    fn a_connection_first_seen_part_way_counts_only_what_it_carries_after() {
        let mut accounts = BandwidthAccounts::new();
        accounts.start_totals_at(key(6, 1), 7, 100_000, 2_000);
        accounts.observe_totals(key(6, 1), 7, 150_000, 2_500);
        let Info::BandwidthStatsV4(stats) = &accounts.take()[0] else {
            panic!("expected v4 stats");
        };
        assert_eq!(
            (stats.entries[0].transmitted, stats.entries[0].received),
            (50_000, 500)
        );
        // Seen before in this run: its totals stay, and what it carried meanwhile counts.
        accounts.start_totals_at(key(6, 1), 7, 170_000, 2_500);
        accounts.observe_final_totals(key(6, 1), 7, 180_000, 2_500);
        let Info::BandwidthStatsV4(stats) = &accounts.take()[0] else {
            panic!("expected v4 stats");
        };
        assert_eq!(stats.entries[0].transmitted, 30_000);
    }

    #[test]
    fn totals_of_connections_no_longer_known_are_forgotten_a_slice_at_a_time() {
        let mut accounts = BandwidthAccounts::new();
        for port in 1..=10 {
            accounts.observe_totals(key(6, port), 7, 100, 10);
        }
        accounts.take();
        let gone = |k: &FlowKey| k.local_port % 2 == 1;
        // Slices of four: the pass reaches the end on the third.
        assert!(!accounts.forget_totals_slice(4, |k| !gone(k)));
        assert!(!accounts.forget_totals_slice(4, |k| !gone(k)));
        assert!(accounts.forget_totals_slice(4, |k| !gone(k)));
        assert_eq!(accounts.totals_kept(), 5);
        // A kept connection counts on from its totals; a forgotten one from zero.
        accounts.observe_totals(key(6, 2), 7, 150, 10);
        accounts.observe_totals(key(6, 3), 7, 40, 0);
        let Info::BandwidthStatsV4(stats) = &accounts.take()[0] else {
            panic!("expected v4 stats");
        };
        let sent: Vec<(u16, u64)> = stats
            .entries
            .iter()
            .map(|e| (e.local_port, e.transmitted))
            .collect();
        assert_eq!(sent, [(2, 50), (3, 40)]);
    }

    #[test]
    fn two_sockets_on_the_same_addresses_count_on_from_their_own_totals() {
        // The first connection's last running totals, then its end comes after the next
        // connection on the same addresses was counted once: each counts only its own growth.
        let mut accounts = BandwidthAccounts::new();
        accounts.observe_totals(key(6, 1), 11, 900_000, 0);
        accounts.observe_totals(key(6, 1), 12, 3_000, 0);
        accounts.observe_final_totals(key(6, 1), 11, 1_000_000, 0);
        accounts.observe_totals(key(6, 1), 12, 5_000, 0);
        accounts.observe_final_totals(key(6, 1), 12, 6_000, 0);
        let Info::BandwidthStatsV4(stats) = &accounts.take()[0] else {
            panic!("expected v4 stats");
        };
        assert_eq!(stats.entries[0].transmitted, 1_006_000);
        assert_eq!(accounts.totals_kept(), 0);
        // An end that names no socket forgets every socket's totals on its addresses.
        accounts.observe_totals(key(6, 1), 13, 10, 0);
        accounts.observe_totals(key(6, 1), 14, 10, 0);
        accounts.observe_totals(key(6, 2), 15, 10, 0);
        accounts.forget_totals(&key(6, 1), None);
        assert_eq!(accounts.totals_kept(), 1);
        accounts.forget_totals(&key(6, 2), Some(16));
        assert_eq!(accounts.totals_kept(), 1, "another socket's end");
        accounts.forget_totals(&key(6, 2), Some(15));
        assert_eq!(accounts.totals_kept(), 0);
    }

    #[test]
    fn final_totals_a_little_below_the_running_ones_add_nothing_again() {
        let mut accounts = BandwidthAccounts::new();
        accounts.observe_totals(key(6, 1), 7, 1_000_000, 500);
        accounts.take();
        // The kernel's acknowledged count, one byte short of tcp_info's sent count.
        accounts.observe_final_totals(key(6, 1), 7, 999_999, 510);
        let Info::BandwidthStatsV4(stats) = &accounts.take()[0] else {
            panic!("expected v4 stats");
        };
        assert_eq!(
            (stats.entries[0].transmitted, stats.entries[0].received),
            (0, 10)
        );
        // The running totals are gone with the connection: a new one counts from zero.
        accounts.observe_totals(key(6, 1), 7, 40, 0);
        let Info::BandwidthStatsV4(stats) = &accounts.take()[0] else {
            panic!("expected v4 stats");
        };
        assert_eq!(stats.entries[0].transmitted, 40);
    }
}
