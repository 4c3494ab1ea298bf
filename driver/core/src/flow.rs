//! Flow keys: the (protocol, local address and port, remote address and port) that identify a
//! connection in the pending table, the connection cache and the bandwidth accounts.

use zenithfence_protocol::constants::Direction;

/// An IP address as network-order bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum IpAddress {
    /// IPv4.
    V4([u8; 4]),
    /// IPv6.
    V6([u8; 16]),
}

impl IpAddress {
    /// Whether this is an IPv6 address.
    pub fn is_v6(&self) -> bool {
        matches!(self, IpAddress::V6(_))
    }
}

/// A connection seen from this host.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FlowKey {
    /// IANA protocol number.
    pub protocol: u8,
    /// This host's address.
    pub local_ip: IpAddress,
    /// This host's port (0 for protocols without ports).
    pub local_port: u16,
    /// The peer's address (same family as `local_ip`).
    pub remote_ip: IpAddress,
    /// The peer's port.
    pub remote_port: u16,
}

/// The addresses and ports of a packet as it travels (source to destination).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PacketTuple {
    /// IANA protocol number of the transport header.
    pub protocol: u8,
    /// Source address.
    pub src_ip: IpAddress,
    /// Source port (0 when the protocol has none).
    pub src_port: u16,
    /// Destination address.
    pub dst_ip: IpAddress,
    /// Destination port.
    pub dst_port: u16,
}

impl PacketTuple {
    /// The flow key of this packet seen from this host: an outbound packet's source is local,
    /// an inbound packet's destination is.
    pub fn flow_key(&self, direction: Direction) -> FlowKey {
        match direction {
            Direction::Outbound => FlowKey {
                protocol: self.protocol,
                local_ip: self.src_ip,
                local_port: self.src_port,
                remote_ip: self.dst_ip,
                remote_port: self.dst_port,
            },
            Direction::Inbound => FlowKey {
                protocol: self.protocol,
                local_ip: self.dst_ip,
                local_port: self.dst_port,
                remote_ip: self.src_ip,
                remote_port: self.src_port,
            },
        }
    }
}
