//! Which process owns a held connection: an exact sock_diag lookup of the socket (uid, inode),
//! then the inode's owner from /proc (cached), then its executable, uid and command line.
//! Falls back to the packet's uid ("unknown (uid N)") when the socket or its owner cannot be
//! found, e.g. a sender that exited before we looked.

use std::collections::HashMap;
use std::sync::Arc;

use zenithfence_core::flow::FlowKey;
use zenithfence_protocol::Process;

use crate::engine::Attribution;
use crate::procfs::{ProcessDetails, ProcessFinder};
use crate::sock_diag::SockDiag;

/// Most processes whose Process info is kept built; the map is cleared when full.
const BUILT_LIMIT: usize = 4096;

/// Attribution state: a sock_diag socket and the /proc caches.
pub(crate) struct Attributor {
    diag: Option<SockDiag>,
    finder: ProcessFinder,
    /// The Process info built from each process's details, by pid, with the details it was
    /// built from: a process's next connection shares it instead of copying its path and
    /// command line again (the engine sends it to a client once per process at most).
    built: HashMap<u32, (Arc<ProcessDetails>, Arc<Process>)>,
}

impl Attributor {
    /// Opens the sock_diag socket; without it attribution falls back to the packet's uid.
    pub(crate) fn new() -> (Attributor, Option<std::io::Error>) {
        let (diag, error) = match SockDiag::open() {
            Ok(diag) => (Some(diag), None),
            Err(e) => (None, Some(e)),
        };
        let finder = ProcessFinder::new("/proc".into());
        (
            Attributor {
                diag,
                finder,
                built: HashMap::new(),
            },
            error,
        )
    }

    /// Attributes a connection; `packet_uid` is the socket owner netfilter reported (outbound).
    pub(crate) fn attribute(&mut self, flow: &FlowKey, packet_uid: Option<u32>) -> Attribution {
        let socket = self.diag.as_mut().and_then(|diag| {
            diag.lookup(
                flow.protocol,
                (flow.local_ip, flow.local_port),
                (flow.remote_ip, flow.remote_port),
            )
            .ok()
            .flatten()
        });
        let uid = socket.as_ref().map(|s| s.uid).or(packet_uid);
        let cookie = socket.as_ref().map(|s| s.cookie);
        let details = socket
            .as_ref()
            .filter(|s| s.inode != 0)
            .and_then(|s| self.finder.pid_of_socket(s.inode, Some(s.uid)))
            .and_then(|pid| self.finder.details(pid));
        match details {
            Some(d) => Attribution {
                pid: u64::from(d.pid),
                cookie,
                process: Some(self.process_of(d)),
            },
            // Unknown process: pid 0, and a Process info for pid 0 that carries only the uid.
            None => Attribution {
                pid: 0,
                cookie,
                process: Some(Arc::new(Process {
                    process_id: 0,
                    start_time: 0,
                    uid: uid.unwrap_or(u32::MAX),
                    path: String::new(),
                    command_line: Vec::new(),
                })),
            },
        }
    }

    /// The Process info of `details`: the one built before while the finder returns the same
    /// details (it returns new ones when the process changed), else built now.
    fn process_of(&mut self, details: Arc<ProcessDetails>) -> Arc<Process> {
        if let Some((from, built)) = self.built.get(&details.pid) {
            if Arc::ptr_eq(from, &details) {
                return Arc::clone(built);
            }
        }
        let process = Arc::new(Process {
            process_id: u64::from(details.pid),
            start_time: details.start_time,
            uid: details.uid,
            path: details.exe.clone(),
            command_line: details.command_line.clone(),
        });
        if self.built.len() >= BUILT_LIMIT && !self.built.contains_key(&details.pid) {
            self.built.clear();
        }
        self.built
            .insert(details.pid, (details, Arc::clone(&process)));
        process
    }
}
