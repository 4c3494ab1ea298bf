//! Keeping long-lived allowed flows in the connection cache.
//!
//! The cache forgets a connection that saw no packet for ten minutes (`IDLE_TTL_MS`): on Windows
//! the driver sees every packet of a flow, so that means idle. Here it does not: once a flow is
//! allowed for good, its packets pass the kernel's rules without reaching us (that is the point),
//! so every allowed flow looked idle ten minutes after its first packet. A download or a video
//! call longer than that then left the cache: its bytes were no longer counted and its end was
//! never reported.
//!
//! So every minute the byte-count thread asks the kernel (the same exact lookups or dumps as
//! GetBandwidthStats, `byte_totals.rs`) about the allowed flows that have looked idle for half
//! that time, and marks those it finds active. Flows the kernel no longer has are left to their
//! end event, and if that was lost they expire as before; with the BPF source of TCP ends, a TCP
//! one a dump confirms gone a second later is reported ended (`Daemon::keep_live_flows`). An
//! error from the kernel finds nothing, so it can only make a flow expire as it did before,
//! never keep one.

use zenithfence_core::cache::{ConnectionCache, IDLE_TTL_MS};
use zenithfence_core::decision::{Action, Decision};
use zenithfence_core::flow::FlowKey;

use crate::byte_totals::{self, TcpFlow, Totals};

/// How often the flows are checked.
pub(crate) const CHECK_EVERY_MS: u64 = 60_000;
/// A flow idle this long is checked: with checks every minute, a live one is marked active
/// several times before it would expire.
const CHECK_AFTER_IDLE_MS: u64 = IDLE_TTL_MS / 2;

/// The allowed flows, not ended, that have looked idle long enough to be checked: (TCP, each
/// with its interface; UDP).
pub(crate) fn to_check(cache: &ConnectionCache, now_ms: u64) -> (Vec<TcpFlow>, Vec<FlowKey>) {
    byte_totals::split(
        cache
            .iter()
            .filter(|(_, entry)| {
                entry.ended_ms.is_none()
                    && Decision::of(entry.verdict).action == Action::Accept
                    && now_ms.saturating_sub(entry.last_active_ms) >= CHECK_AFTER_IDLE_MS
            })
            .map(|(key, entry)| (key, entry.interface)),
    )
}

/// Marks active, at `now_ms`, every cached flow the kernel reported (`totals`); returns how many.
pub(crate) fn mark_alive(cache: &mut ConnectionCache, totals: &[Totals], now_ms: u64) -> usize {
    totals
        .iter()
        .filter(|t| {
            t.keys
                .iter()
                .flatten()
                .any(|(key, _, _)| cache.touch(key, now_ms).is_some())
        })
        .count()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use zenithfence_core::flow::IpAddress;
    use zenithfence_protocol::{Direction, Verdict};

    fn key(protocol: u8, port: u16) -> FlowKey {
        FlowKey {
            protocol,
            local_ip: IpAddress::V4([10, 0, 0, 1]),
            local_port: port,
            remote_ip: IpAddress::V4([10, 0, 0, 2]),
            remote_port: 443,
        }
    }

    fn alive(key: FlowKey) -> Totals {
        Totals {
            keys: [Some((key, 1, 2)), None],
            socket: 1,
        }
    }

    #[test]
    fn a_flow_the_kernel_still_has_outlives_the_idle_expiry() {
        let mut cache = ConnectionCache::new();
        let (live, gone) = (key(6, 40000), key(6, 40001));
        for k in [live, gone] {
            cache.insert(k, Verdict::PermanentAccept, 7, Direction::Outbound, 0);
        }
        // Checked every minute as the daemon does; the kernel reports only `live`.
        for minute in 1..=20u64 {
            let now = minute * CHECK_EVERY_MS;
            let (tcp, _) = to_check(&cache, now);
            let totals: Vec<Totals> = tcp
                .into_iter()
                .map(|(k, _)| k)
                .filter(|k| *k == live)
                .map(alive)
                .collect();
            mark_alive(&mut cache, &totals, now);
            cache.clean(now);
        }
        assert!(cache.get(&live).is_some(), "a 20-minute flow stays cached");
        assert!(
            cache.get(&gone).is_none(),
            "a flow the kernel lost expires as before"
        );
    }

    #[test]
    fn only_allowed_flows_not_ended_and_idle_for_a_while_are_checked() {
        let mut cache = ConnectionCache::new();
        let (old, fresh, blocked, ended, udp) =
            (key(6, 1), key(6, 2), key(6, 3), key(6, 4), key(17, 5));
        cache.insert_on(old, Verdict::PermanentAccept, 1, Direction::Outbound, 4, 0);
        cache.insert(
            fresh,
            Verdict::PermanentAccept,
            1,
            Direction::Outbound,
            299_000,
        );
        cache.insert(blocked, Verdict::PermanentBlock, 1, Direction::Outbound, 0);
        cache.insert(ended, Verdict::PermanentAccept, 1, Direction::Outbound, 0);
        cache.mark_ended(&ended, 1_000);
        cache.insert(udp, Verdict::PermanentAccept, 1, Direction::Inbound, 0);
        let (tcp, udp_keys) = to_check(&cache, CHECK_AFTER_IDLE_MS);
        assert_eq!(tcp, vec![(old, 4)], "with the interface it was held on");
        assert_eq!(udp_keys, vec![udp]);
    }

    #[test]
    fn a_udp_flow_is_found_under_either_of_its_keys() {
        let mut cache = ConnectionCache::new();
        let inbound = key(17, 53);
        cache.insert(inbound, Verdict::PermanentAccept, 1, Direction::Inbound, 0);
        let totals = [Totals {
            keys: [Some((key(17, 9), 0, 0)), Some((inbound, 5, 6))],
            socket: 0,
        }];
        assert_eq!(mark_alive(&mut cache, &totals, 500_000), 1);
        assert_eq!(cache.get(&inbound).unwrap().last_active_ms, 500_000);
        assert_eq!(mark_alive(&mut cache, &[alive(key(6, 77))], 500_000), 0);
    }
}
