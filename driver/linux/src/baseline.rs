//! The minimal accept-all NFQUEUE reader the benchmark runs side by side with the daemon.
//!
//! It binds the queue with the daemon's parameters, through this crate's own [`nfqueue`] code,
//! and answers every held packet `NF_ACCEPT` with the allow bit added to its mark, the way the
//! daemon answers a permanent accept. [`BaselineRules`] installs the daemon's rule set (the same
//! `iptables-restore` scripts and the same nft verdict table). Comparing the two therefore isolates
//! what the daemon adds on top of the kernel round trip: policy, process attribution and the
//! client protocol.
//!
//! [`nfqueue`]: crate::nfqueue

use std::io;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crate::nfqueue::{KernelVerdict, Queue};
use crate::rules::{self, Family, RuleConfig, VerdictTable, MARK_ALLOW, MARK_VERDICT_MASK};

/// Held packets in the kernel queue at most: the daemon's value (`run.rs`).
const KERNEL_QUEUE_LEN: u32 = 4096;
/// Bytes of each held packet copied to user space: the daemon's value (`run.rs`).
const COPY_RANGE: u32 = 256;
/// How often the reader wakes without packets to look at `stop` (the daemon's tick).
const TICK: Duration = Duration::from_millis(20);

/// Binds NFQUEUE `queue` and answers every packet with `NF_ACCEPT` and the allow mark until
/// `stop` is set (seen within 20 ms); returns how many packets it answered.
pub fn run_accept_all(queue: u16, stop: &AtomicBool) -> io::Result<u64> {
    let mut bound = Queue::bind(queue, KERNEL_QUEUE_LEN, COPY_RANGE)?;
    bound.set_timeout(TICK)?;
    // The daemon answers through a clone of the queue's descriptor too.
    let verdicts = bound.verdict_sender()?;
    let mut answered = 0u64;
    while !stop.load(Ordering::SeqCst) {
        let packets = match bound.recv_packets() {
            Ok(packets) => packets,
            // A receive with a timeout is not restarted after a stop/continue or a signal.
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        for packet in packets {
            let mark = (packet.mark & !MARK_VERDICT_MASK) | MARK_ALLOW;
            loop {
                match verdicts.send(packet.packet_id, KernelVerdict::Accept, Some(mark)) {
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    result => break result?,
                }
            }
            answered += 1;
        }
    }
    Ok(answered)
}

/// The daemon's netfilter rules and verdict table for one queue, installed in the current network
/// namespace; dropping it removes them.
pub struct BaselineRules {
    families: Vec<Family>,
    verdict_table: Option<VerdictTable>,
}

impl BaselineRules {
    /// Installs exactly what `zenithfenced --queue QUEUE` installs (IPv4 and, with `ipv6`, IPv6,
    /// including the DNS NFLOG rules for group `queue + 1`), after sweeping any leftovers.
    pub fn install(queue: u16, ipv6: bool) -> io::Result<BaselineRules> {
        let families = if ipv6 {
            vec![Family::V4, Family::V6]
        } else {
            vec![Family::V4]
        };
        for &family in &families {
            rules::remove(family, None);
        }
        rules::remove_leftover_verdict_tables();
        let mut installed = BaselineRules {
            families: Vec::new(),
            verdict_table: Some(VerdictTable::install(queue)?),
        };
        let config = RuleConfig {
            queue,
            dns_log_group: Some(queue.wrapping_add(1).max(1)),
        };
        for family in families {
            // Recorded first: a failed install may have left part of it, and drop sweeps it.
            installed.families.push(family);
            rules::install(family, config)?;
        }
        Ok(installed)
    }
}

impl Drop for BaselineRules {
    fn drop(&mut self) {
        for &family in &self.families {
            rules::remove(family, None);
        }
        // After the queue rules, as the daemon does.
        if let Some(table) = self.verdict_table.take() {
            table.remove();
        }
    }
}
