//! Removes the built-in chains iptables-nft leaves behind once our rules are gone.
//!
//! iptables-nft creates a table's built-in chains (mangle OUTPUT, INPUT, POSTROUTING) as nftables
//! base chains the first time a rule goes into one, and never removes them. After our rules are
//! removed they stay, empty, with policy accept: they pass every packet, as no chain at all would,
//! but every packet of the host still pays a hook call for each, and mangle OUTPUT is a `route`
//! chain that also saves and compares the packet's routing keys (`bench established --profile`
//! counted it). So after removal, each such chain that is a base chain, has policy accept and is
//! used by nothing (no rule, no jump) is deleted, and then its table if that left it empty.
//! iptables-nft creates them again when anyone adds a rule.
//!
//! The deletes carry `NLM_F_NONREC`, so the kernel itself refuses one that would take a rule or
//! a chain with it (`EBUSY`) when another program added one since we looked; kernels that predate
//! the flag delete recursively, and only the look just before guards them. Every failure is
//! silent: a chain that stays costs time, never a packet.

use std::io;

use crate::netlink::{self, nfgenmsg, MessageBuilder, NetlinkSocket, NLM_F_ACK, NLM_F_REQUEST};
use crate::rules::Family;
use crate::sys;

/// `NETLINK_NETFILTER`.
const NETLINK_NETFILTER: i32 = 12;
/// `NFNL_SUBSYS_NFTABLES`.
const SUBSYS_NFTABLES: u16 = 10;
/// `NFNL_MSG_BATCH_BEGIN` and `_END`: nftables changes are only taken inside a batch.
const BATCH_BEGIN: u16 = 0x10;
const BATCH_END: u16 = 0x11;
/// `NFT_MSG_*`.
const MSG_NEWCHAIN: u16 = 3;
const MSG_GETCHAIN: u16 = 4;
const MSG_DELCHAIN: u16 = 5;
const MSG_NEWTABLE: u16 = 0;
const MSG_GETTABLE: u16 = 1;
const MSG_DELTABLE: u16 = 2;
/// `NFTA_TABLE_NAME`, `NFTA_TABLE_USE`.
const TABLE_NAME: u16 = 1;
const TABLE_USE: u16 = 3;
/// `NFTA_CHAIN_*`.
const CHAIN_TABLE: u16 = 1;
const CHAIN_NAME: u16 = 3;
const CHAIN_HOOK: u16 = 4;
const CHAIN_POLICY: u16 = 5;
const CHAIN_USE: u16 = 6;
/// `NLM_F_NONREC`: delete only what holds nothing.
const NLM_F_NONREC: u16 = 0x100;
/// `NF_ACCEPT`.
const POLICY_ACCEPT: u32 = 1;
/// `NFPROTO_IPV4`, `NFPROTO_IPV6`.
const NFPROTO_IPV4: u8 = 2;
const NFPROTO_IPV6: u8 = 10;
/// `AF_UNSPEC`.
const AF_UNSPEC: u8 = 0;
/// Replies are small; the buffer only has to hold one.
const BUF_LEN: usize = 16 * 1024;
/// How long a reply may take before the clean-up gives up.
const REPLY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(2);

/// What a chain is, as far as deleting it goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ChainState {
    /// It hangs on a hook (a base chain).
    pub(crate) base: bool,
    /// `NF_ACCEPT` or `NF_DROP`; `None` for a regular chain.
    pub(crate) policy: Option<u32>,
    /// Rules in it and jumps to it.
    pub(crate) uses: u32,
}

impl ChainState {
    /// Passes every packet untouched and holds nothing: deleting it changes no verdict.
    pub(crate) fn removable(&self) -> bool {
        self.base && self.policy == Some(POLICY_ACCEPT) && self.uses == 0
    }
}

/// Parses a `NFT_MSG_NEWCHAIN` reply (after its `nfgenmsg`).
pub(crate) fn parse_chain(payload: &[u8]) -> Option<ChainState> {
    let attrs = payload.get(4..)?;
    let uses = netlink::find_attr(attrs, CHAIN_USE)?.be_u32()?;
    Some(ChainState {
        base: netlink::find_attr(attrs, CHAIN_HOOK).is_some(),
        policy: netlink::find_attr(attrs, CHAIN_POLICY).and_then(|a| a.be_u32()),
        uses,
    })
}

/// The objects (chains, sets, ...) a `NFT_MSG_NEWTABLE` reply says its table holds.
fn parse_table_use(payload: &[u8]) -> Option<u32> {
    netlink::find_attr(payload.get(4..)?, TABLE_USE)?.be_u32()
}

/// A NUL-terminated string attribute's bytes.
fn c_string(text: &str) -> Vec<u8> {
    let mut bytes = text.as_bytes().to_vec();
    bytes.push(0);
    bytes
}

fn nfproto(family: Family) -> u8 {
    match family {
        Family::V4 => NFPROTO_IPV4,
        Family::V6 => NFPROTO_IPV6,
    }
}

fn kind(message: u16) -> u16 {
    (SUBSYS_NFTABLES << 8) | message
}

/// An nftables netlink socket.
struct Nftables {
    socket: NetlinkSocket,
    seq: u32,
}

impl Nftables {
    fn open() -> io::Result<Nftables> {
        let file = sys::netlink_socket(NETLINK_NETFILTER, 0)?;
        sys::set_receive_timeout(&file, REPLY_TIMEOUT)?;
        Ok(Nftables {
            socket: NetlinkSocket::new(file, BUF_LEN),
            seq: 0,
        })
    }

    fn next_seq(&mut self) -> u32 {
        self.seq = self.seq.wrapping_add(1);
        self.seq
    }

    /// The chain `table`/`name` of `family`, `None` when there is none.
    fn chain(&mut self, family: u8, table: &str, name: &str) -> io::Result<Option<ChainState>> {
        let seq = self.next_seq();
        let message = MessageBuilder::new(kind(MSG_GETCHAIN), NLM_F_REQUEST, seq)
            .raw(&nfgenmsg(family, 0))
            .attr(CHAIN_TABLE, &c_string(table))
            .attr(CHAIN_NAME, &c_string(name))
            .finish();
        self.socket
            .request_one(&message, seq, kind(MSG_NEWCHAIN), parse_chain)
    }

    /// How many objects `table` of `family` holds, `None` when there is no such table.
    fn table_use(&mut self, family: u8, table: &str) -> io::Result<Option<u32>> {
        let seq = self.next_seq();
        let message = MessageBuilder::new(kind(MSG_GETTABLE), NLM_F_REQUEST, seq)
            .raw(&nfgenmsg(family, 0))
            .attr(TABLE_NAME, &c_string(table))
            .finish();
        self.socket
            .request_one(&message, seq, kind(MSG_NEWTABLE), parse_table_use)
    }

    /// Sends one delete in a batch of its own and waits for its acknowledgement.
    fn delete(&mut self, message: u16, family: u8, attrs: &[(u16, &str)]) -> io::Result<()> {
        let begin_seq = self.next_seq();
        let seq = self.next_seq();
        let end_seq = self.next_seq();
        let mut delete =
            MessageBuilder::new(kind(message), NLM_F_REQUEST | NLM_F_ACK | NLM_F_NONREC, seq)
                .raw(&nfgenmsg(family, 0));
        for (attr, text) in attrs {
            delete = delete.attr(*attr, &c_string(text));
        }
        let mut batch = MessageBuilder::new(BATCH_BEGIN, NLM_F_REQUEST, begin_seq)
            .raw(&nfgenmsg(AF_UNSPEC, SUBSYS_NFTABLES))
            .finish();
        batch.extend_from_slice(&delete.finish());
        batch.extend_from_slice(
            &MessageBuilder::new(BATCH_END, NLM_F_REQUEST, end_seq)
                .raw(&nfgenmsg(AF_UNSPEC, SUBSYS_NFTABLES))
                .finish(),
        );
        self.socket.request_ack(&batch, seq)
    }
}

/// Deletes the chains of `chains` (table, chain) of `family` that pass every packet and hold
/// nothing, then each of their tables that is left empty. Returns how many chains went.
pub(crate) fn remove_unused(family: Family, chains: &[(&str, &[&str])]) -> io::Result<usize> {
    let mut nft = Nftables::open()?;
    let family = nfproto(family);
    let mut removed = 0;
    for (table, names) in chains {
        for name in *names {
            let removable = nft
                .chain(family, table, name)
                .ok()
                .flatten()
                .is_some_and(|chain| chain.removable());
            if removable
                && nft
                    .delete(
                        MSG_DELCHAIN,
                        family,
                        &[(CHAIN_TABLE, table), (CHAIN_NAME, name)],
                    )
                    .is_ok()
            {
                removed += 1;
            }
        }
        if nft.table_use(family, table).ok().flatten() == Some(0) {
            let _ = nft.delete(MSG_DELTABLE, family, &[(TABLE_NAME, table)]);
        }
    }
    Ok(removed)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// A NEWCHAIN payload: nfgenmsg, then the given attributes.
    fn chain_payload(hook: bool, policy: Option<u32>, uses: u32) -> Vec<u8> {
        let mut m = MessageBuilder::new(kind(MSG_NEWCHAIN), 0, 1)
            .raw(&nfgenmsg(NFPROTO_IPV4, 0))
            .attr(CHAIN_TABLE, &c_string("mangle"))
            .attr(CHAIN_NAME, &c_string("OUTPUT"));
        if hook {
            m = m.nest(CHAIN_HOOK).attr(1, &3u32.to_be_bytes()).end_nest();
        }
        if let Some(p) = policy {
            m = m.attr(CHAIN_POLICY, &p.to_be_bytes());
        }
        m = m.attr(CHAIN_USE, &uses.to_be_bytes());
        m.finish().get(netlink::NLMSG_HDRLEN..).unwrap().to_vec()
    }

    #[test]
    fn only_an_empty_accepting_base_chain_is_removable() {
        let state = |hook, policy, uses| parse_chain(&chain_payload(hook, policy, uses)).unwrap();
        assert!(state(true, Some(POLICY_ACCEPT), 0).removable());
        assert_eq!(
            state(true, Some(POLICY_ACCEPT), 0),
            ChainState {
                base: true,
                policy: Some(1),
                uses: 0
            }
        );
        // A rule in it, a drop policy (deleting it would let everything through), a regular
        // chain: kept.
        assert!(!state(true, Some(POLICY_ACCEPT), 1).removable());
        assert!(!state(true, Some(0), 0).removable());
        assert!(!state(false, None, 0).removable());
        // A reply without a use count is not understood: not taken for an empty chain.
        let mut no_use = chain_payload(true, Some(1), 0);
        no_use.truncate(no_use.len() - 8);
        assert_eq!(parse_chain(&no_use), None);
        assert_eq!(parse_chain(&[]), None);
    }
}
