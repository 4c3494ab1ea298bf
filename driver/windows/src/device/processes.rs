//! Process infos (129): the executable path the ALE layers carry, told to a client granted
//! PROCESS once per process, before the first connection info (or RuleDecided) naming its pid.
//!
//! As in the Linux daemon, a small table remembers which processes the client was told about
//! (pid → start time), so a process is described once, not per connection and never per
//! packet. It is bounded ([`MAX_DESCRIBED_PROCESSES`], the oldest description is forgotten
//! first, which only costs a repeated info) and cleared by each Hello (a session is granted
//! PROCESS only by its Hello). It stays smaller than the app's own table (4096 processes,
//! `app/driver-client/event-mapper.ts`, newest kept), so the app still knows every process the
//! driver believes it told.

use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use zenithfence_protocol::constants::feature;
use zenithfence_protocol::{Info, Process};

use super::{AleRequest, Driver};
use crate::irp::Irp;
use crate::log::severity;

/// Processes remembered as described, at most.
pub const MAX_DESCRIBED_PROCESSES: usize = 1024;
/// The longest path sent, in UTF-8 bytes: the longest app path a policy rule can hold. A longer
/// one is not cut (a cut path would name another file): no Process info is sent for it, and
/// the app looks the process up itself.
pub const MAX_PROCESS_PATH_BYTES: usize = 16_384;
/// The uid of a Windows process: unknown (Windows users are SIDs, which the protocol has no
/// field for; the app asks the process token).
pub const UNKNOWN_UID: u32 = u32::MAX;

/// The processes the client was told about: pid → (start time, when), bounded.
#[derive(Default)]
pub(super) struct Described {
    entries: BTreeMap<u64, (u64, u64)>,
    next: u64,
}

impl Described {
    pub(super) fn clear(&mut self) {
        self.entries.clear();
    }

    /// Whether the client already knows this process. A start time of 0 (unknown: it could
    /// not be read at this IRQL) matches what was sent; a known one that differs is another
    /// process that reuses the pid.
    fn knows(&self, pid: u64, start_time: u64) -> bool {
        self.entries
            .get(&pid)
            .is_some_and(|&(known, _)| start_time == 0 || known == start_time)
    }

    fn record(&mut self, pid: u64, start_time: u64) {
        if !self.entries.contains_key(&pid) && self.entries.len() >= MAX_DESCRIBED_PROCESSES {
            // The table is small: a scan for the oldest, once per new process when full.
            let oldest = self
                .entries
                .iter()
                .min_by_key(|(_, &(_, when))| when)
                .map(|(&pid, _)| pid);
            if let Some(oldest) = oldest {
                self.entries.remove(&oldest);
            }
        }
        self.entries.insert(pid, (start_time, self.next));
        self.next += 1;
    }

    pub(super) fn len(&self) -> usize {
        self.entries.len()
    }
}

impl<P, I: Irp> Driver<P, I> {
    /// Whether a new connection of `pid` (started at `start_time`, 0 unknown) would be
    /// described now: a client granted PROCESS does not know the process yet. The classify
    /// reads the process path only then.
    pub fn describes_process(&self, pid: u64, start_time: u64) -> bool {
        self.granted() & feature::PROCESS != 0 && pid != 0 && !self.described.knows(pid, start_time)
    }

    /// Whether the client is granted PROCESS (the kernel then looks up process start times).
    pub fn wants_processes(&self) -> bool {
        self.granted() & feature::PROCESS != 0
    }

    /// Processes the client was told about (remembered now).
    pub fn described_processes(&self) -> usize {
        self.described.len()
    }

    /// Queues a Process info for the request's process unless the client knows it. Pid 0
    /// (unknown) and a process without a path (none read, or too long) get none: the app's own
    /// lookup is the fallback.
    pub(super) fn describe_process(&mut self, request: &AleRequest<'_>) {
        if !self.describes_process(request.pid, request.start_time) {
            return;
        }
        let Some(path) = request.process_path.filter(|p| !p.is_empty()) else {
            return;
        };
        if path.len() > MAX_PROCESS_PATH_BYTES {
            self.log(
                severity::DEBUG,
                format!(
                    "pid {}: path of {} bytes not sent (at most {MAX_PROCESS_PATH_BYTES})",
                    request.pid,
                    path.len()
                ),
            );
            return;
        }
        let info = Info::Process(Process {
            process_id: request.pid,
            start_time: request.start_time,
            uid: UNKNOWN_UID,
            path: String::from(path),
            command_line: Vec::new(),
        });
        // Not remembered when the queue refused it: the next connection tries again.
        if self.push(&info) {
            self.described.record(request.pid, request.start_time);
        }
    }
}
