//! What each command does in this driver: the core's [`dispatch`] holds the one match over the
//! commands; [`Commands`] is this driver's [`CommandTarget`], run under the driver's lock.
//!
//! A PolicyPart is only copied here ([`ReceivedPart`]): assembling and compiling the document
//! takes milliseconds for 10 000 rules, so the kernel does it after the lock is released
//! (`kernel::policy`), then installs the result with [`Driver::policy_update`].

use alloc::format;

use zenithfence_core::commands::{granted_features, hello_reply, hello_text, CommandTarget};
use zenithfence_core::flow::FlowKey;
use zenithfence_protocol::constants::{driver_kind, feature};
use zenithfence_protocol::{Info, PolicyPart, Verdict};

use super::policy::ReceivedPart;
use super::{Driver, Effects, SUPPORTED_FEATURES};
use crate::irp::Irp;
use crate::log::severity;

/// One command's view of the driver: the state, the work for after the lock, the time, and the
/// policy part to hand on.
pub(super) struct Commands<'d, P, I> {
    pub(super) driver: &'d mut Driver<P, I>,
    pub(super) effects: &'d mut Effects<P, I>,
    pub(super) now: u64,
    pub(super) part: Option<ReceivedPart>,
}

impl<P, I: Irp> CommandTarget for Commands<'_, P, I> {
    fn shutdown(&mut self) {
        self.driver.shutdown(self.effects, self.now);
    }

    fn verdict(&mut self, id: u64, verdict: Verdict) {
        let d = &mut *self.driver;
        match d.pending.decide(id) {
            Some(released) => {
                d.tally.driver.verdicts_applied += 1;
                let releases = d.release(released, verdict, self.now);
                self.effects.releases.extend(releases);
            }
            None => {
                // A normal race with the hold timeout: counted and logged, not an error
                // (Portmaster-style clients stop on a failed write).
                d.tally.driver.commands_rejected += 1;
                d.log(
                    severity::WARNING,
                    format!("verdict for unknown request {id} (answered, timed out or never sent)"),
                );
            }
        }
    }

    fn update(&mut self, flow: FlowKey, verdict: Verdict) {
        self.driver.update(flow, verdict);
    }

    fn clear_cache(&mut self) {
        self.driver.cache.clear();
        self.driver.endpoints.clear();
    }

    fn get_logs(&mut self) {
        let d = &mut *self.driver;
        for info in d.log.drain() {
            d.push(&info);
        }
    }

    fn get_bandwidth_stats(&mut self) {
        let d = &mut *self.driver;
        for info in d.bandwidth.take() {
            d.push(&info);
        }
    }

    fn print_memory_stats(&mut self) {
        let d = &mut *self.driver;
        let text = format!(
            "{} requests pending, {} connections cached, {} infos queued, {} reads pended, policy generation {}",
            d.pending.len(),
            d.cache.len(),
            d.queue.len(),
            d.reads.len(),
            d.policy.generation()
        );
        d.log(severity::INFO, text);
    }

    fn clean_ended_connections(&mut self) {
        let removed = self.driver.clean(self.now);
        self.driver
            .log(severity::DEBUG, format!("cleaned {removed} connections"));
    }

    fn hello(&mut self, ext_version: u16, wanted: u32) {
        let d = &mut *self.driver;
        let granted = granted_features(wanted, SUPPORTED_FEATURES, false);
        if let Some(session) = d.session.as_mut() {
            session.features = granted;
        }
        // A new grant starts over: the client is told about each process again.
        d.described.clear();
        d.log(severity::INFO, hello_text(ext_version, wanted, granted));
        d.push(&hello_reply(granted, driver_kind::WINDOWS_KERNEL));
        // A POLICY client learns at once what is enforced (the stored policy, or none).
        d.push_policy_state();
    }

    fn get_counters(&mut self) {
        let d = &mut *self.driver;
        if d.granted() & feature::COUNTERS != 0 {
            let counters = d.counters();
            d.push(&Info::Counters(counters));
        } else {
            d.log(
                severity::WARNING,
                "GetCounters without the COUNTERS feature".into(),
            );
        }
    }

    fn policy_part(&mut self, part: &PolicyPart<'_>) {
        // Copied (at most 8 KiB) so the write's buffer is not needed after the lock.
        self.part = Some(ReceivedPart::of(part));
    }

    fn network_seen(&mut self, epoch: u32) {
        // This driver never grants NETWORK (the app reads the facts itself on Windows), so no
        // epoch was ever sent: rejected and counted, as the protocol says, and nothing changes.
        let d = &mut *self.driver;
        d.tally.driver.commands_rejected += 1;
        d.log(
            severity::WARNING,
            format!("NetworkSeen {epoch}: this driver does not report the network"),
        );
    }
}
