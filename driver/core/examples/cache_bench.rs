//! What a connection flood costs the connection cache (`npm run bench:cache`): inserts of new
//! connections into a cache already at its limit, as a process that opens connections as fast
//! as it can makes them. Prints the mean insert, the slowest one (an insert holds the caller,
//! the daemon's engine lock or the Windows driver's spin lock, that long) and the same inserts
//! into a cache far from its limit as the baseline, and a whole clean-up pass over the full
//! cache (what CleanEndedConnections does; the daemon's periodic clean-up goes in slices).
//! `cargo run --release -p zenithfence-core --example cache_bench -- [inserts]`
#![allow(clippy::unwrap_used)]

use std::time::{Duration, Instant};

use zenithfence_core::cache::{ConnectionCache, MAX_ENTRIES};
use zenithfence_core::flow::{FlowKey, IpAddress};
use zenithfence_protocol::{Direction, Verdict};

/// The `i`-th connection of the flood: a new local port and address each time.
fn key(i: u64) -> FlowKey {
    let [_, _, _, _, a, b, c, d] = i.to_be_bytes();
    FlowKey {
        protocol: 6,
        local_ip: IpAddress::V4([10, a, b, c]),
        local_port: 1024 + u16::from(d),
        remote_ip: IpAddress::V4([192, 0, 2, 7]),
        remote_port: 443,
    }
}

/// Inserts `count` new connections from `first` on, 1 ms apart, with every other one ended
/// right after when `short` (a flood of short connections) or none (connections that stay
/// open: the cache must then drop the longest idle); the mean and the slowest insert.
fn flood(cache: &mut ConnectionCache, first: u64, count: u64, short: bool) -> (Duration, Duration) {
    let mut slowest = Duration::ZERO;
    let start = Instant::now();
    for i in first..first + count {
        let one = Instant::now();
        cache.insert(key(i), Verdict::PermanentAccept, 1, Direction::Outbound, i);
        slowest = slowest.max(one.elapsed());
        if short && i % 2 == 0 {
            cache.mark_ended(&key(i), i);
        }
    }
    let count = u32::try_from(count.max(1)).unwrap_or(u32::MAX);
    (start.elapsed() / count, slowest)
}

fn main() {
    let inserts: u64 = std::env::args()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(1_000_000);
    let limit = MAX_ENTRIES as u64;
    println!("connection cache: {inserts} new connections, limit {limit}");
    for round in 1..=3 {
        for short in [true, false] {
            // Baseline: a cache that never fills (its limit far above what is inserted).
            let mut roomy = ConnectionCache::with_limit(usize::MAX);
            flood(&mut roomy, 0, limit, short);
            let (mean_roomy, slowest_roomy) = flood(&mut roomy, limit, inserts, short);
            drop(roomy);
            // The flood against the limit.
            let mut full = ConnectionCache::new();
            flood(&mut full, 0, limit, short);
            let (mean_full, slowest_full) = flood(&mut full, limit, inserts, short);
            // A whole clean-up of the full cache: a pass over every entry, under the same
            // lock.
            let pass = Instant::now();
            full.clean(limit + inserts);
            let clean_pass = pass.elapsed();
            println!(
                "round {round}, {}: at the limit mean {:.3} µs, slowest {:.2} ms ({} evicted), \
                 clean-up pass {:.2} ms | never full mean {:.3} µs, slowest {:.2} ms",
                if short { "half ended" } else { "none ended" },
                mean_full.as_secs_f64() * 1e6,
                slowest_full.as_secs_f64() * 1e3,
                full.evicted(),
                clean_pass.as_secs_f64() * 1e3,
                mean_roomy.as_secs_f64() * 1e6,
                slowest_roomy.as_secs_f64() * 1e3,
            );
        }
    }
}
