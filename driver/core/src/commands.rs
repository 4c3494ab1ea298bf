//! The command handling both drivers share: the one match over [`Command`] (each driver
//! implements [`CommandTarget`] with what its platform does), Hello's feature grant, and the
//! flow an Update names.

use alloc::format;
use alloc::string::String;

use zenithfence_protocol::command::Update;
use zenithfence_protocol::constants::{EXT_VERSION, VERSION};
use zenithfence_protocol::{Command, HelloReply, Info, PolicyPart, Verdict};

use crate::flow::{FlowKey, IpAddress};

/// What a driver does for each command.
pub trait CommandTarget {
    /// End the client's stream; answer everything pending.
    fn shutdown(&mut self);
    /// Answer pending request `id`.
    fn verdict(&mut self, id: u64, verdict: Verdict);
    /// Overwrite a cached connection's verdict.
    fn update(&mut self, flow: FlowKey, verdict: Verdict);
    /// Forget every cached verdict.
    fn clear_cache(&mut self);
    /// Queue the buffered log lines.
    fn get_logs(&mut self);
    /// Queue byte-count deltas.
    fn get_bandwidth_stats(&mut self);
    /// Log memory statistics.
    fn print_memory_stats(&mut self);
    /// Drop ended and idle cache entries.
    fn clean_ended_connections(&mut self);
    /// Negotiate features (see [`granted_features`] and [`hello_reply`]).
    fn hello(&mut self, ext_version: u16, wanted: u32);
    /// Queue a Counters info (when granted).
    fn get_counters(&mut self);
    /// Take a part of a policy document (see `policy::receive`).
    fn policy_part(&mut self, part: &PolicyPart<'_>);
    /// The client put the network of NetworkFacts `epoch` in force (see `network::SeenEpoch`).
    /// A driver that never grants NETWORK counts it as a rejected command.
    fn network_seen(&mut self, epoch: u32);
}

/// Calls the target's method for `command`.
pub fn dispatch(command: Command<'_>, target: &mut impl CommandTarget) {
    match command {
        Command::Shutdown => target.shutdown(),
        Command::Verdict { id, verdict } => target.verdict(id, verdict),
        Command::UpdateV4(update) => target.update(flow_of_update(&update), update.verdict),
        Command::UpdateV6(update) => target.update(flow_of_update(&update), update.verdict),
        Command::ClearCache => target.clear_cache(),
        Command::GetLogs => target.get_logs(),
        Command::GetBandwidthStats => target.get_bandwidth_stats(),
        Command::PrintMemoryStats => target.print_memory_stats(),
        Command::CleanEndedConnections => target.clean_ended_connections(),
        Command::Hello {
            ext_version,
            features,
        } => target.hello(ext_version, features),
        Command::GetCounters => target.get_counters(),
        Command::PolicyPart(part) => target.policy_part(&part),
        Command::NetworkSeen { epoch } => target.network_seen(epoch),
    }
}

/// An address of either family from its bytes.
pub trait AddressBytes {
    /// The address.
    fn address(&self) -> IpAddress;
}

impl AddressBytes for [u8; 4] {
    fn address(&self) -> IpAddress {
        IpAddress::V4(*self)
    }
}

impl AddressBytes for [u8; 16] {
    fn address(&self) -> IpAddress {
        IpAddress::V6(*self)
    }
}

/// The flow an Update names.
pub fn flow_of_update<const N: usize>(update: &Update<N>) -> FlowKey
where
    [u8; N]: AddressBytes,
{
    FlowKey {
        protocol: update.protocol,
        local_ip: update.local_ip.address(),
        local_port: update.local_port,
        remote_ip: update.remote_ip.address(),
        remote_port: update.remote_port,
    }
}

/// The features a Hello gets: what the client wants and the driver supports (none when the
/// driver is told to speak the base protocol only).
pub fn granted_features(wanted: u32, supported: u32, base_only: bool) -> u32 {
    if base_only {
        0
    } else {
        wanted & supported
    }
}

/// The HelloReply for `granted`.
pub fn hello_reply(granted: u32, driver_kind: u8) -> Info {
    Info::HelloReply(HelloReply {
        version: VERSION,
        ext_version: EXT_VERSION,
        features: granted,
        driver_kind,
    })
}

/// The log line of a Hello.
pub fn hello_text(ext_version: u16, wanted: u32, granted: u32) -> String {
    format!(
        "client hello: extension version {ext_version}, features {wanted:#x}, granted {granted:#x}"
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use alloc::vec::Vec;
    use zenithfence_protocol::constants::{driver_kind, feature};

    #[derive(Default)]
    struct Calls(Vec<String>);

    impl CommandTarget for Calls {
        fn shutdown(&mut self) {
            self.0.push("shutdown".into());
        }
        fn verdict(&mut self, id: u64, verdict: Verdict) {
            self.0.push(format!("verdict {id} {verdict:?}"));
        }
        fn update(&mut self, flow: FlowKey, verdict: Verdict) {
            self.0.push(format!("update {flow:?} {verdict:?}"));
        }
        fn clear_cache(&mut self) {
            self.0.push("clear".into());
        }
        fn get_logs(&mut self) {
            self.0.push("logs".into());
        }
        fn get_bandwidth_stats(&mut self) {
            self.0.push("bandwidth".into());
        }
        fn print_memory_stats(&mut self) {
            self.0.push("memory".into());
        }
        fn clean_ended_connections(&mut self) {
            self.0.push("clean".into());
        }
        fn hello(&mut self, ext_version: u16, wanted: u32) {
            self.0.push(format!("hello {ext_version} {wanted}"));
        }
        fn get_counters(&mut self) {
            self.0.push("counters".into());
        }
        fn policy_part(&mut self, part: &PolicyPart<'_>) {
            self.0
                .push(format!("part {} {}", part.generation, part.data.len()));
        }
        fn network_seen(&mut self, epoch: u32) {
            self.0.push(format!("seen {epoch}"));
        }
    }

    #[test]
    fn every_command_reaches_its_method() {
        let data = [1u8, 2];
        let commands = [
            Command::Shutdown,
            Command::Verdict {
                id: 3,
                verdict: Verdict::Block,
            },
            Command::UpdateV4(Update {
                protocol: 6,
                local_ip: [1, 2, 3, 4],
                local_port: 5,
                remote_ip: [6, 7, 8, 9],
                remote_port: 10,
                verdict: Verdict::PermanentDrop,
            }),
            Command::ClearCache,
            Command::GetLogs,
            Command::GetBandwidthStats,
            Command::PrintMemoryStats,
            Command::CleanEndedConnections,
            Command::Hello {
                ext_version: 1,
                features: 15,
            },
            Command::GetCounters,
            Command::PolicyPart(PolicyPart {
                generation: 4,
                total_len: 2,
                offset: 0,
                data: &data,
            }),
            Command::NetworkSeen { epoch: 9 },
        ];
        let mut calls = Calls::default();
        for command in commands {
            dispatch(command, &mut calls);
        }
        assert_eq!(calls.0.len(), 12);
        assert_eq!(calls.0[11], "seen 9");
        assert_eq!(calls.0[1], "verdict 3 Block");
        assert!(calls.0[2].contains("V4([1, 2, 3, 4])") && calls.0[2].contains("remote_port: 10"));
        assert_eq!(calls.0[10], "part 4 2");
    }

    #[test]
    fn hello_grants_the_intersection() {
        assert_eq!(
            granted_features(0xff, feature::COUNTERS, false),
            feature::COUNTERS
        );
        assert_eq!(granted_features(feature::ALL, feature::ALL, true), 0);
        let Info::HelloReply(reply) = hello_reply(5, driver_kind::LINUX_DAEMON) else {
            unreachable!()
        };
        assert_eq!((reply.features, reply.version), (5, VERSION));
    }
}
