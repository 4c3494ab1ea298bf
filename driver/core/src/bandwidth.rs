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

/// One connection's running totals from one socket, as recorded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RunningTotals {
    /// The connection.
    pub key: FlowKey,
    /// The socket they come from.
    pub socket: SocketId,
    /// Bytes sent, as [`BandwidthAccounts::observe_totals`] was given them.
    pub transmitted: u64,
    /// Bytes received.
    pub received: u64,
}

/// A connection held again part-way, as its socket counts now: where
/// [`BandwidthAccounts::start_totals_at`] starts its count.
#[derive(Clone, Copy, Debug)]
pub struct PartWay {
    /// Bytes the peer acknowledged: where the sent side starts when no earlier run's totals
    /// are carried (the held segment and any queued behind it, counted as sent by the socket
    /// already, are not acknowledged yet, so they still count).
    pub acknowledged: u64,
    /// The running count of bytes sent (the unit of [`BandwidthAccounts::observe_totals`]).
    pub transmitted: u64,
    /// Bytes received.
    pub received: u64,
}

/// Byte counts per connection since the last [`BandwidthAccounts::take`].
#[derive(Default)]
pub struct BandwidthAccounts {
    deltas: BTreeMap<FlowKey, Bytes>,
    last_totals: BTreeMap<(FlowKey, SocketId), Bytes>,
    /// Where [`BandwidthAccounts::forget_totals_slice`] goes on.
    totals_cursor: Option<(FlowKey, SocketId)>,
    /// The running totals an earlier run recorded last (see [`BandwidthAccounts::carry`]).
    carried: BTreeMap<(FlowKey, SocketId), Bytes>,
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
    /// conntrack entry went): its count starts where an earlier run's last recorded totals of
    /// the same socket left it (see [`BandwidthAccounts::carry`]), else at its totals so far
    /// (`at`), since what it carried before was counted by an earlier run, or happened before
    /// any. Totals already known (this run saw the connection before) are kept, so nothing it
    /// carried since is lost. Carried totals above what the socket counts now are not its own
    /// (they would count its whole total again) and are not taken.
    pub fn start_totals_at(&mut self, key: FlowKey, socket: SocketId, at: PartWay) {
        let carried = self
            .carried
            .remove(&(key, socket))
            .filter(|c| c.tx <= at.transmitted && c.rx <= at.received);
        self.last_totals
            .entry((key, socket))
            .or_insert(carried.unwrap_or(Bytes {
                tx: at.acknowledged,
                rx: at.received,
            }));
    }

    /// The running totals an earlier run of the daemon recorded last, when it stopped, for
    /// the connections it counted: one that this run holds again part-way counts on from them
    /// (exactly what that run reported is not counted again: bytes in flight at its stop,
    /// which the peer acknowledged only later; and what the connection moved between that
    /// stop and this run's hold counts). Replaces what was carried before.
    pub fn carry(&mut self, totals: impl IntoIterator<Item = RunningTotals>) {
        self.carried = totals
            .into_iter()
            .map(|t| {
                (
                    (t.key, t.socket),
                    Bytes {
                        tx: t.transmitted,
                        rx: t.received,
                    },
                )
            })
            .collect();
    }

    /// Forgets the carried totals no connection was held again with; returns how many.
    pub fn drop_carried(&mut self) -> usize {
        core::mem::take(&mut self.carried).len()
    }

    /// The running totals of `protocol`'s connections that name their socket, less what was
    /// counted of them and not taken yet: the totals as far as they were reported (what the
    /// next run carries, see [`BandwidthAccounts::carry`]). Counts recorded after the last
    /// [`BandwidthAccounts::take`] are not in them, so the next run counts those bytes. (The
    /// bytes not taken are kept by connection, not by socket: with two sockets on one
    /// connection's addresses at a stop, which is rare, those of the ended one are taken off
    /// the open one's totals and the next run counts them under it; where they exceed its
    /// totals, the open one is not recorded, since a record of 0 would have its reported bytes
    /// counted again.)
    pub fn reported_totals(&self, protocol: u8) -> impl Iterator<Item = RunningTotals> + '_ {
        self.last_totals
            .iter()
            .filter(move |((key, socket), _)| key.protocol == protocol && *socket != 0)
            .filter_map(|((key, socket), bytes)| {
                let pending = self.deltas.get(key).copied().unwrap_or_default();
                Some(RunningTotals {
                    key: *key,
                    socket: *socket,
                    transmitted: bytes.tx.checked_sub(pending.tx)?,
                    received: bytes.rx.checked_sub(pending.rx)?,
                })
            })
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

    fn part_way(acknowledged: u64, transmitted: u64, received: u64) -> PartWay {
        PartWay {
            acknowledged,
            transmitted,
            received,
        }
    }

    #[test]
    fn a_connection_first_seen_part_way_counts_only_what_it_carries_after() {
        let mut accounts = BandwidthAccounts::new();
        accounts.start_totals_at(key(6, 1), 7, part_way(100_000, 101_000, 2_000));
        accounts.observe_totals(key(6, 1), 7, 150_000, 2_500);
        let Info::BandwidthStatsV4(stats) = &accounts.take()[0] else {
            panic!("expected v4 stats");
        };
        assert_eq!(
            (stats.entries[0].transmitted, stats.entries[0].received),
            (50_000, 500)
        );
        // Seen before in this run: its totals stay, and what it carried meanwhile counts.
        accounts.start_totals_at(key(6, 1), 7, part_way(170_000, 170_000, 2_500));
        accounts.observe_final_totals(key(6, 1), 7, 180_000, 2_500);
        let Info::BandwidthStatsV4(stats) = &accounts.take()[0] else {
            panic!("expected v4 stats");
        };
        assert_eq!(stats.entries[0].transmitted, 30_000);
    }

    #[test]
    fn a_connection_held_again_after_a_restart_counts_on_from_the_last_run_s_totals() {
        let mut last_run = BandwidthAccounts::new();
        last_run.observe_totals(key(6, 1), 7, 100_000, 2_000);
        last_run.observe_totals(key(6, 2), 8, 5_000, 0);
        // UDP from conntrack names no socket: a new entry counts from zero anyway.
        last_run.observe_totals(key(17, 3), 0, 64, 64);
        last_run.take();
        // Counted after the last report, not taken: not reported, so not in the record.
        last_run.observe_totals(key(6, 2), 8, 5_600, 0);
        // A socket whose untaken bytes exceed its totals (another socket's on the same
        // addresses) is not recorded at all.
        last_run.observe_final_totals(key(6, 4), 10, 9_000, 0);
        last_run.start_totals_at(key(6, 4), 11, part_way(100, 100, 0));
        let recorded: Vec<RunningTotals> = last_run.reported_totals(6).collect();
        assert_eq!(recorded.len(), 2);
        assert_eq!((recorded[1].transmitted, recorded[1].received), (5_000, 0));

        let mut accounts = BandwidthAccounts::new();
        accounts.carry(recorded);
        // 100 000 were reported though only 90 000 were acknowledged at the hold (in flight at
        // the stop); 20 000 more were sent, 1 000 received since that run's last look.
        accounts.start_totals_at(key(6, 1), 7, part_way(90_000, 120_000, 3_000));
        accounts.observe_totals(key(6, 1), 7, 120_000, 3_000);
        // Another socket on the same addresses is not the one recorded.
        accounts.start_totals_at(key(6, 2), 9, part_way(4_000, 4_000, 0));
        accounts.observe_totals(key(6, 2), 9, 4_500, 0);
        // The recorded one, held again: the 600 bytes the last run did not report count here.
        accounts.start_totals_at(key(6, 2), 8, part_way(5_600, 5_600, 0));
        accounts.observe_totals(key(6, 2), 8, 5_700, 0);
        let Info::BandwidthStatsV4(stats) = &accounts.take()[0] else {
            panic!("expected v4 stats");
        };
        let counted: Vec<(u16, u64, u64)> = stats
            .entries
            .iter()
            .map(|e| (e.local_port, e.transmitted, e.received))
            .collect();
        assert_eq!(counted, [(1, 20_000, 1_000), (2, 500 + 700, 0)]);
        // Each taken once.
        assert_eq!(accounts.drop_carried(), 0);
    }

    #[test]
    fn carried_totals_above_what_the_socket_counts_are_not_taken() {
        let mut accounts = BandwidthAccounts::new();
        let carried = |socket, transmitted, received| RunningTotals {
            key: key(6, 1),
            socket,
            transmitted,
            received,
        };
        accounts.carry([carried(7, 500_000, 10)]);
        accounts.start_totals_at(key(6, 1), 7, part_way(1_000, 1_200, 10));
        accounts.observe_totals(key(6, 1), 7, 1_500, 10);
        let Info::BandwidthStatsV4(stats) = &accounts.take()[0] else {
            panic!("expected v4 stats");
        };
        assert_eq!(
            stats.entries[0].transmitted, 500,
            "from what was acknowledged"
        );
        // Received likewise.
        accounts.carry([carried(8, 0, 50)]);
        accounts.start_totals_at(key(6, 1), 8, part_way(100, 100, 10));
        accounts.observe_totals(key(6, 1), 8, 150, 20);
        let Info::BandwidthStatsV4(stats) = &accounts.take()[0] else {
            panic!("expected v4 stats");
        };
        assert_eq!(
            (stats.entries[0].transmitted, stats.entries[0].received),
            (50, 10)
        );
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
