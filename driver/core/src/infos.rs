//! Building the protocol's connection infos from a flow key, the same way in both drivers.

use alloc::vec::Vec;

use zenithfence_protocol::{Connection, ConnectionEnd, Direction, Info, RuleDecided, Verdict};

use crate::flow::{FlowKey, IpAddress};

/// What a connection info carries besides the flow.
pub struct ConnectionFacts<'a> {
    /// The pending-request id the client answers.
    pub id: u64,
    /// Process id, 0 when unknown.
    pub pid: u64,
    /// Who opened the connection.
    pub direction: Direction,
    /// 3: `payload` is the IP packet; 4: it starts at the transport header.
    pub payload_layer: u8,
    /// The packet copy (empty for an outbound connect at the ALE layer).
    pub payload: &'a [u8],
}

/// The v4 address, or zeros: a flow key never mixes families, so this is never reached with
/// a v6 address (the v6 arm is taken first).
fn v4(address: IpAddress) -> [u8; 4] {
    match address {
        IpAddress::V4(ip) => ip,
        IpAddress::V6(_) => [0; 4],
    }
}

/// The ConnectionV4 or ConnectionV6 info of a held packet.
pub fn connection_info(flow: &FlowKey, facts: &ConnectionFacts<'_>) -> Info {
    let payload: Vec<u8> = facts.payload.to_vec();
    match (flow.local_ip, flow.remote_ip) {
        (IpAddress::V6(local_ip), IpAddress::V6(remote_ip)) => Info::ConnectionV6(Connection {
            id: facts.id,
            process_id: facts.pid,
            direction: facts.direction as u8,
            protocol: flow.protocol,
            local_ip,
            remote_ip,
            local_port: flow.local_port,
            remote_port: flow.remote_port,
            payload_layer: facts.payload_layer,
            payload,
        }),
        (local, remote) => Info::ConnectionV4(Connection {
            id: facts.id,
            process_id: facts.pid,
            direction: facts.direction as u8,
            protocol: flow.protocol,
            local_ip: v4(local),
            remote_ip: v4(remote),
            local_port: flow.local_port,
            remote_port: flow.remote_port,
            payload_layer: facts.payload_layer,
            payload,
        }),
    }
}

/// The ConnectionEndV4 or ConnectionEndV6 info of an ended connection.
pub fn connection_end_info(flow: &FlowKey, pid: u64, direction: Direction) -> Info {
    match (flow.local_ip, flow.remote_ip) {
        (IpAddress::V6(local_ip), IpAddress::V6(remote_ip)) => {
            Info::ConnectionEndV6(ConnectionEnd {
                process_id: pid,
                direction: direction as u8,
                protocol: flow.protocol,
                local_ip,
                remote_ip,
                local_port: flow.local_port,
                remote_port: flow.remote_port,
            })
        }
        (local, remote) => Info::ConnectionEndV4(ConnectionEnd {
            process_id: pid,
            direction: direction as u8,
            protocol: flow.protocol,
            local_ip: v4(local),
            remote_ip: v4(remote),
            local_port: flow.local_port,
            remote_port: flow.remote_port,
        }),
    }
}

/// What a policy rule decided, for [`rule_decided_info`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RuleVerdict {
    /// The permanent verdict applied.
    pub verdict: Verdict,
    /// The rule's tag.
    pub tag: u32,
    /// The policy's generation.
    pub generation: u64,
}

/// The RuleDecidedV4 or RuleDecidedV6 info of a connection a policy rule decided.
pub fn rule_decided_info(
    flow: &FlowKey,
    pid: u64,
    direction: Direction,
    rule: RuleVerdict,
) -> Info {
    fn decided<const N: usize>(connection: ConnectionEnd<N>, rule: RuleVerdict) -> RuleDecided<N> {
        RuleDecided {
            connection,
            verdict: rule.verdict as u8,
            generation: rule.generation,
            rule_tag: rule.tag,
        }
    }
    match connection_end_info(flow, pid, direction) {
        Info::ConnectionEndV6(connection) => Info::RuleDecidedV6(decided(connection, rule)),
        Info::ConnectionEndV4(connection) => Info::RuleDecidedV4(decided(connection, rule)),
        // connection_end_info gives one of the two above.
        other => other,
    }
}

#[cfg(test)]
#[allow(clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn families_pick_the_info_type() {
        let v6 = FlowKey {
            protocol: 17,
            local_ip: IpAddress::V6([1; 16]),
            local_port: 53,
            remote_ip: IpAddress::V6([2; 16]),
            remote_port: 5353,
        };
        let facts = ConnectionFacts {
            id: 7,
            pid: 9,
            direction: Direction::Inbound,
            payload_layer: 3,
            payload: &[0x60],
        };
        let Info::ConnectionV6(c) = connection_info(&v6, &facts) else {
            panic!("expected a v6 connection info")
        };
        assert_eq!(
            (c.id, c.process_id, c.direction, c.local_port),
            (7, 9, 1, 53)
        );
        let v4_flow = FlowKey {
            local_ip: IpAddress::V4([10, 0, 0, 1]),
            remote_ip: IpAddress::V4([10, 0, 0, 2]),
            ..v6
        };
        let Info::ConnectionEndV4(e) = connection_end_info(&v4_flow, 9, Direction::Outbound) else {
            panic!("expected a v4 end info")
        };
        assert_eq!(
            (e.local_ip, e.remote_ip, e.direction),
            ([10, 0, 0, 1], [10, 0, 0, 2], 0)
        );
    }
}
