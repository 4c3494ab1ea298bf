//! What each command of a client does in this daemon: the core's [`CommandTarget`], so the one
//! match over commands is the core's `dispatch` (shared with the Windows driver). One value per
//! client session, on its command thread; it holds the session's policy receiver.

use zenithfence_core::commands::CommandTarget;
use zenithfence_core::flow::FlowKey;
use zenithfence_protocol::{PolicyPart, Verdict};

use crate::daemon::Daemon;
use crate::policy_receiver::PolicyReceiver;

/// The command target of one client session.
pub(crate) struct ClientCommands<'a> {
    daemon: &'a Daemon,
    policy: PolicyReceiver<'a>,
    ended: bool,
}

impl<'a> ClientCommands<'a> {
    /// The target for a new session.
    pub(crate) fn new(daemon: &'a Daemon) -> Self {
        ClientCommands {
            daemon,
            policy: daemon.policy_receiver(),
            ended: false,
        }
    }

    /// Whether the client ended its session (Shutdown).
    pub(crate) fn ended(&self) -> bool {
        self.ended
    }
}

impl CommandTarget for ClientCommands<'_> {
    fn shutdown(&mut self) {
        self.daemon.detach();
        self.ended = true;
    }

    fn verdict(&mut self, id: u64, verdict: Verdict) {
        self.daemon.verdict(id, verdict);
    }

    fn update(&mut self, flow: FlowKey, verdict: Verdict) {
        self.daemon.update(flow, verdict);
    }

    fn clear_cache(&mut self) {
        self.daemon.clear_cache();
    }

    fn get_logs(&mut self) {
        self.daemon.get_logs();
    }

    fn get_bandwidth_stats(&mut self) {
        self.daemon.request_bandwidth();
    }

    fn print_memory_stats(&mut self) {
        self.daemon.print_memory_stats();
    }

    fn clean_ended_connections(&mut self) {
        self.daemon.clean_ended_connections();
    }

    fn hello(&mut self, ext_version: u16, wanted: u32) {
        self.daemon.hello(ext_version, wanted);
    }

    fn get_counters(&mut self) {
        self.daemon.get_counters();
    }

    fn policy_part(&mut self, part: &PolicyPart<'_>) {
        self.policy.part(part);
    }

    fn network_seen(&mut self, epoch: u32) {
        self.daemon.network_seen(epoch);
    }
}
