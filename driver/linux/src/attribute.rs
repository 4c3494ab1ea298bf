//! Which process owns a held connection: an exact sock_diag lookup of the socket (uid, inode),
//! then the inode's owner from /proc (cached), then its executable, uid and command line.
//! Falls back to the packet's uid ("unknown (uid N)") when the socket or its owner cannot be
//! found, e.g. a sender that exited before we looked.

use std::collections::HashMap;
use std::sync::Arc;

use zenithfence_core::flow::FlowKey;
use zenithfence_protocol::Process;

use crate::connect_owners::ConnectOwners;
use crate::engine::Attribution;
use crate::procfs::{ProcessDetails, ProcessFinder};
use crate::sock_diag::{SockDiag, TcpBytes, IPPROTO_TCP, TCP_ESTABLISHED, TCP_LISTEN};

/// Most processes whose Process info is kept built; the map is cleared when full. Only a
/// process's next connections need it, and each holds a copy of a path and a command line.
const BUILT_LIMIT: usize = 64;

/// Attribution state: a sock_diag socket, the kernel's record of who connected each socket
/// (when it could be attached) and the /proc caches.
pub(crate) struct Attributor {
    diag: Option<SockDiag>,
    owners: Option<ConnectOwners>,
    finder: ProcessFinder,
    /// The Process infos of the latest processes.
    built: BuiltInfos,
}

/// The Process info built from each recent process's details, by pid, with the details it was
/// built from: a process's next connection shares it instead of copying its path and command
/// line again (the engine sends it to a client once per process at most).
#[derive(Default)]
struct BuiltInfos {
    by_pid: HashMap<u32, (Arc<ProcessDetails>, Arc<Process>)>,
}

impl BuiltInfos {
    /// The Process info of `details`: the one built before while the finder returns the same
    /// details (it returns new ones when the process changed), else built now.
    fn of(&mut self, details: Arc<ProcessDetails>) -> Arc<Process> {
        if let Some((from, built)) = self.by_pid.get(&details.pid) {
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
        if self.by_pid.len() >= BUILT_LIMIT && !self.by_pid.contains_key(&details.pid) {
            self.by_pid.clear();
        }
        self.by_pid
            .insert(details.pid, (details, Arc::clone(&process)));
        process
    }
}

impl Attributor {
    /// Opens the sock_diag socket (without it attribution falls back to the packet's uid) and,
    /// with `owners`, the record of connecting processes (without it, /proc alone). The errors
    /// say what is missing, each for a warning.
    pub(crate) fn new(owners: Option<ConnectOwners>) -> (Attributor, Option<std::io::Error>) {
        let (diag, error) = match SockDiag::open() {
            Ok(diag) => (Some(diag), None),
            Err(e) => (None, Some(e)),
        };
        let mut finder = ProcessFinder::new("/proc".into());
        if let Some(changes) = owners.as_ref().and_then(ConnectOwners::program_changes) {
            finder.set_program_changes(changes);
        }
        (
            Attributor {
                diag,
                owners,
                finder,
                built: BuiltInfos::default(),
            },
            error,
        )
    }

    /// Lookups of a socket's owner skipped since the last call: full `/proc` scans over their
    /// share of time (`scan_budget.rs`).
    pub(crate) fn take_scans_refused(&mut self) -> u64 {
        self.finder.take_scans_refused()
    }

    /// Attributes a connection this host opens: for TCP, first by the kernel's record of the
    /// connection found by its addresses, which with details that record proves current costs
    /// one lookup and no sock_diag request or `/proc` read; otherwise as [`Self::attribute`].
    pub(crate) fn attribute_outbound(
        &mut self,
        flow: &FlowKey,
        packet_uid: Option<u32>,
        interface: u32,
    ) -> Attribution {
        if flow.protocol == IPPROTO_TCP {
            let record = self
                .owners
                .as_ref()
                .and_then(|owners| owners.record_of_connection(flow));
            if let Some(record) = record {
                if let Some(details) = self.finder.details_unchanged_at(&record) {
                    return Attribution {
                        pid: u64::from(details.pid),
                        cookie: Some(record.cookie),
                        connected: true,
                        interface,
                        process: Some(self.built.of(details)),
                    };
                }
            }
        }
        self.attribute(flow, packet_uid, interface)
    }

    /// The socket (its cookie) of the TCP connection of `flow`, if there is one, with its
    /// counters so far: where the count of a connection first held mid-stream starts.
    /// `interface` is the held packet's (a socket bound to one is found only with it).
    pub(crate) fn tcp_counters(
        &mut self,
        flow: &FlowKey,
        interface: u32,
    ) -> Option<(u64, TcpBytes)> {
        let socket = self
            .diag
            .as_mut()?
            .lookup_tcp_counters(
                (flow.local_ip, flow.local_port),
                (flow.remote_ip, flow.remote_port),
                interface,
            )
            .ok()
            .flatten()?;
        Some((socket.cookie, socket.tcp?))
    }

    /// Attributes a connection; `packet_uid` is the socket owner netfilter reported (outbound),
    /// `interface` the interface the packet uses (0 when unknown): a socket bound to one (as a
    /// connect to an IPv6 link-local address binds it) is found only with it.
    pub(crate) fn attribute(
        &mut self,
        flow: &FlowKey,
        packet_uid: Option<u32>,
        interface: u32,
    ) -> Attribution {
        let socket = self.diag.as_mut().and_then(|diag| {
            diag.lookup(
                flow.protocol,
                (flow.local_ip, flow.local_port),
                (flow.remote_ip, flow.remote_port),
                interface,
            )
            .ok()
            .flatten()
        });
        let uid = socket.as_ref().map(|s| s.uid).or(packet_uid);
        let connected = socket.as_ref().is_some_and(|s| s.state != TCP_LISTEN);
        // A listener's cookie is not the connection's: kept for the flow, the listener's own
        // end (its destroy event) would end that flow.
        let cookie = socket.as_ref().filter(|_| connected).map(|s| s.cookie);
        let details = socket.as_ref().filter(|s| s.inode != 0).and_then(|s| {
            // The process the kernel saw connecting it, when the programs are attached (checked
            // as `recorded_owner_details` says); else whoever holds the socket now, from /proc.
            // A UDP socket's record only while it is connected: one disconnected since (a
            // connect with AF_UNSPEC passes no hook) may be another process's now.
            let recorded = flow.protocol == IPPROTO_TCP || s.state == TCP_ESTABLISHED;
            let record = self
                .owners
                .as_ref()
                .filter(|_| recorded)
                .and_then(|o| o.record_of(s.cookie));
            match record {
                Some(record) => self.finder.details_unchanged_at(&record).or_else(|| {
                    self.finder.recorded_owner_details(
                        record.pid,
                        record.at_ns,
                        s.inode,
                        Some(s.uid),
                    )
                }),
                None => self.finder.owner_details(s.inode, Some(s.uid)),
            }
        });
        match details {
            Some(d) => Attribution {
                pid: u64::from(d.pid),
                cookie,
                connected,
                interface,
                process: Some(self.built.of(d)),
            },
            // Unknown process: pid 0, and a Process info for pid 0 that carries only the uid.
            None => Attribution {
                pid: 0,
                cookie,
                connected,
                interface,
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
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn details(pid: u32, exe: &str) -> Arc<ProcessDetails> {
        Arc::new(ProcessDetails {
            pid,
            start_time: 77,
            comm: "x".into(),
            uid: 1000,
            exe: exe.into(),
            command_line: vec![exe.into(), "--flag".into()],
        })
    }

    #[test]
    fn a_process_shares_its_info_until_its_details_change() {
        let mut built = BuiltInfos::default();
        let first = details(10, "/usr/bin/first");
        let a = built.of(Arc::clone(&first));
        let b = built.of(Arc::clone(&first));
        assert!(Arc::ptr_eq(&a, &b), "the same details share one info");
        assert_eq!(a.path, "/usr/bin/first");
        assert_eq!(a.command_line, ["/usr/bin/first", "--flag"]);
        assert_eq!((a.process_id, a.start_time, a.uid), (10, 77, 1000));
        // The finder returns new details after an exec: a new info, of the new program.
        let after_exec = built.of(details(10, "/usr/bin/second"));
        assert!(!Arc::ptr_eq(&a, &after_exec));
        assert_eq!(after_exec.path, "/usr/bin/second");
        // Equal content, another read: built again, never taken for the old one by its pid.
        let reread = built.of(details(10, "/usr/bin/second"));
        assert!(!Arc::ptr_eq(&after_exec, &reread));
    }

    #[test]
    fn built_infos_are_bounded() {
        let mut built = BuiltInfos::default();
        let kept: Vec<Arc<ProcessDetails>> = (0..BUILT_LIMIT as u32 * 3)
            .map(|pid| details(pid, "/usr/bin/many"))
            .collect();
        for (n, d) in kept.iter().enumerate() {
            built.of(Arc::clone(d));
            assert!(built.by_pid.len() <= BUILT_LIMIT);
            assert!((1..=n + 1).contains(&built.by_pid.len()));
        }
    }
}
