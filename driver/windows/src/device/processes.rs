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

/// Paths up to this many bytes are remembered whole; a longer one by its FNV-1a hash only (the
/// table stays small in nonpaged memory however long the paths a local user makes).
const WHOLE_PATH_BYTES: usize = 1024;

/// What the client was told a process's executable is.
#[derive(PartialEq, Eq)]
enum KnownPath {
    Whole(String),
    Hashed(u64),
}

impl KnownPath {
    fn of(path: &str) -> KnownPath {
        if path.len() <= WHOLE_PATH_BYTES {
            KnownPath::Whole(String::from(path))
        } else {
            KnownPath::Hashed(fnv1a(path.as_bytes()))
        }
    }

    fn is(&self, path: &str) -> bool {
        match self {
            KnownPath::Whole(known) => known == path,
            KnownPath::Hashed(hash) => {
                path.len() > WHOLE_PATH_BYTES && *hash == fnv1a(path.as_bytes())
            }
        }
    }
}

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// One process the client was told about.
struct Known {
    start_time: u64,
    path: KnownPath,
    when: u64,
}

/// The processes the client was told about: pid → (start time, path, when), bounded.
#[derive(Default)]
pub(super) struct Described {
    entries: BTreeMap<u64, Known>,
    next: u64,
}

impl Described {
    pub(super) fn clear(&mut self) {
        self.entries.clear();
    }

    /// Whether the client surely knows this process without looking at its path: the same pid
    /// with the same known start time. A start time of 0 (unknown: not readable at this IRQL,
    /// or the process already exited) proves nothing, since another program may reuse the pid;
    /// then the path decides ([`Described::knows_path`]).
    fn knows(&self, pid: u64, start_time: u64) -> bool {
        start_time != 0
            && self
                .entries
                .get(&pid)
                .is_some_and(|known| known.start_time == start_time)
    }

    /// Whether the client was told that `pid` runs `path`, with a start time that does not
    /// contradict `start_time` (0 = unknown).
    fn knows_path(&self, pid: u64, start_time: u64, path: &str) -> bool {
        self.entries.get(&pid).is_some_and(|known| {
            (start_time == 0 || known.start_time == 0 || known.start_time == start_time)
                && known.path.is(path)
        })
    }

    fn record(&mut self, pid: u64, start_time: u64, path: &str) {
        if !self.entries.contains_key(&pid) && self.entries.len() >= MAX_DESCRIBED_PROCESSES {
            // The table is small: a scan for the oldest, once per new process when full.
            let oldest = self
                .entries
                .iter()
                .min_by_key(|(_, known)| known.when)
                .map(|(&pid, _)| pid);
            if let Some(oldest) = oldest {
                self.entries.remove(&oldest);
            }
        }
        let known = Known {
            start_time,
            path: KnownPath::of(path),
            when: self.next,
        };
        self.entries.insert(pid, known);
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
        // Without a start time only the path tells a reused pid from the process described.
        if self
            .described
            .knows_path(request.pid, request.start_time, path)
        {
            return;
        }
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
            self.described.record(request.pid, request.start_time, path);
        }
    }
}
