//! The minimal accept-all NFQUEUE reader the benchmark runs side by side with the daemon.
//!
//! It binds the queue with the daemon's parameters, through this crate's own [`nfqueue`] code,
//! and answers every held packet `NF_ACCEPT` with the allow bit added to its mark, the way the
//! daemon answers a permanent accept. [`BaselineRules`] installs the daemon's rule set (the same
//! nft table). Comparing the two therefore isolates
//! what the daemon adds on top of the kernel round trip: policy, process attribution and the
//! client protocol.
//!
//! [`run_ask_app`] is the same reader with an app in the loop, built the way the daemon asks one
//! (the packet's id goes out on a socket from the thread that read it, and a second thread
//! writes the verdict when the app's answer comes): the least any firewall that asks an app
//! for every connection can cost here, to set the daemon's cost with an app beside.
//!
//! [`tcp_destroy_subscription`] opens the daemon's subscription to TCP socket-destroy events
//! alone, to tell its cost from the rest of the daemon's.
//!
//! [`nfqueue`]: crate::nfqueue

use std::io::{self, Read, Write};
use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crate::nfqueue::{KernelVerdict, Queue};

/// The daemon's subscription to the TCP socket-destroy events (its source of TCP connection
/// ends), opened alone: for a benchmark that tells what those events cost the programs of the
/// namespace from what the rest of the daemon costs them (`bench hooks`).
pub fn tcp_destroy_subscription() -> io::Result<std::fs::File> {
    crate::sock_diag::tcp_destroy_socket()
}
use crate::rule_table::RuleTable;
use crate::rules::{self, Family, RuleConfig, MARK_ALLOW, MARK_VERDICT_MASK};

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
            send_accept(&verdicts, packet.packet_id, mark)?;
            answered += 1;
        }
    }
    Ok(answered)
}

/// One question to the app and its answer, which the app sends back unchanged: the packet's
/// id and its mark, little-endian.
pub const ASK_LEN: usize = 8;

/// Like [`run_accept_all`], but each packet is first put to an app on `app` (a stream of
/// [`ASK_LEN`]-byte records, which the app echoes) and answered when the app's record comes
/// back, by a second thread, as the daemon's session thread answers its client's verdicts.
/// Runs until `stop` is set; returns how many packets were answered.
pub fn run_ask_app(queue: u16, app: UnixStream, stop: &AtomicBool) -> io::Result<u64> {
    let mut bound = Queue::bind(queue, KERNEL_QUEUE_LEN, COPY_RANGE)?;
    bound.set_timeout(TICK)?;
    let verdicts = bound.verdict_sender()?;
    let mut answers = app.try_clone()?;
    answers.set_read_timeout(Some(TICK))?;
    let mut questions = app;
    std::thread::scope(|scope| {
        let answering = std::thread::Builder::new()
            .name("answers".into())
            .spawn_scoped(scope, move || -> io::Result<u64> {
                let mut answered = 0u64;
                let mut record = [0u8; ASK_LEN];
                let mut filled = 0;
                while !stop.load(Ordering::SeqCst) {
                    let rest = record.get_mut(filled..).unwrap_or_default();
                    match answers.read(rest) {
                        Ok(0) => break,
                        Ok(n) => filled += n,
                        Err(e) if is_wait_over(&e) => continue,
                        Err(e) => return Err(e),
                    }
                    if filled < ASK_LEN {
                        continue;
                    }
                    filled = 0;
                    let (id, mark) = record.split_at(4);
                    let id = u32::from_le_bytes(id.try_into().unwrap_or_default());
                    let mark = u32::from_le_bytes(mark.try_into().unwrap_or_default());
                    send_accept(&verdicts, id, mark)?;
                    answered += 1;
                }
                Ok(answered)
            })?;
        let asking = (|| -> io::Result<()> {
            while !stop.load(Ordering::SeqCst) && !answering.is_finished() {
                let packets = match bound.recv_packets() {
                    Ok(packets) => packets,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(e) => return Err(e),
                };
                for packet in packets {
                    let mark = (packet.mark & !MARK_VERDICT_MASK) | MARK_ALLOW;
                    let mut record = [0u8; ASK_LEN];
                    let (id, marked) = record.split_at_mut(4);
                    id.copy_from_slice(&packet.packet_id.to_le_bytes());
                    marked.copy_from_slice(&mark.to_le_bytes());
                    questions.write_all(&record)?;
                }
            }
            Ok(())
        })();
        // The answering thread ends at `stop`, or when the app is gone.
        if asking.is_err() {
            stop.store(true, Ordering::SeqCst);
        }
        let answered = answering
            .join()
            .map_err(|_| io::Error::other("the answering thread panicked"))?;
        asking.and(answered)
    })
}

/// Whether a read with a timeout only ran out of time (or was interrupted).
fn is_wait_over(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut | io::ErrorKind::Interrupted
    )
}

/// `NF_ACCEPT` with `mark`, the write restarted when a signal interrupts it.
fn send_accept(verdicts: &crate::nfqueue::VerdictSender, id: u32, mark: u32) -> io::Result<()> {
    loop {
        match verdicts.send(id, KernelVerdict::Accept, Some(mark)) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            result => return result,
        }
    }
}

/// The daemon's netfilter rules for one queue, installed in the current network namespace;
/// dropping it removes them.
pub struct BaselineRules {
    _table: RuleTable,
}

impl BaselineRules {
    /// Installs exactly what `zenithfenced --queue QUEUE` installs (IPv6 too with `ipv6`,
    /// including the DNS copies for group `queue + 1`), after sweeping any leftovers.
    pub fn install(queue: u16, ipv6: bool) -> io::Result<BaselineRules> {
        rules::remove_leftover_tables();
        for family in [Family::V4, Family::V6] {
            rules::remove_legacy(family);
        }
        let table = RuleTable::install(
            RuleConfig {
                queue,
                dns_log_group: Some(queue.wrapping_add(1).max(1)),
                ipv6,
            },
            true,
        )?;
        Ok(BaselineRules { _table: table })
    }
}
