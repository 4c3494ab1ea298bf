//! The nf_tables netlink requests the daemon makes itself (`NETLINK_NETFILTER`, subsystem
//! `NFTABLES`): write the daemon's table whole from its image (`nft_image.rs`), with its queue
//! rules (nft cannot write the xtables target they use where the kernel lacks nft's own queue:
//! see `rules.rs`), put the queue rules back and take them out again, dump a table's rules,
//! follow the ruleset's changes, look up a table or a built-in chain, and delete one that holds
//! nothing, bound to the ruleset generation it was checked at (see `builtin_chains.rs` for why).

use std::io;

use crate::errno::{ENOENT, ERESTART};
use crate::netlink::{
    self, nfgenmsg, MessageBuilder, NetlinkSocket, NLM_F_ACK, NLM_F_DUMP, NLM_F_REQUEST,
};
use crate::nft_image::{self, TableImage};
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
pub(crate) const MSG_NEWCHAIN: u16 = 3;
const MSG_GETCHAIN: u16 = 4;
const MSG_DELCHAIN: u16 = 5;
pub(crate) const MSG_NEWTABLE: u16 = 0;
const MSG_GETTABLE: u16 = 1;
pub(crate) const MSG_DELTABLE: u16 = 2;
pub(crate) const MSG_NEWRULE: u16 = 6;
const MSG_GETRULE: u16 = 7;
const MSG_DELRULE: u16 = 8;
/// `NFTA_RULE_*`.
pub(crate) const RULE_TABLE: u16 = 1;
pub(crate) const RULE_CHAIN: u16 = 2;
pub(crate) const RULE_EXPRESSIONS: u16 = 4;
/// `NFTA_LIST_ELEM`, `NFTA_EXPR_NAME`, `NFTA_EXPR_DATA`.
const LIST_ELEM: u16 = 1;
const EXPR_NAME: u16 = 1;
const EXPR_DATA: u16 = 2;
/// `NFTA_TARGET_NAME`, `_REV`, `_INFO`: an xtables target run by `nft_compat`.
const TARGET_NAME: u16 = 1;
const TARGET_REV: u16 = 2;
const TARGET_INFO: u16 = 3;
/// The NFQUEUE target's revision 3 (`struct xt_NFQ_info_v3`), and its bypass flag
/// (`NFQ_FLAG_BYPASS`): with no reader on the queue, packets pass.
const NFQUEUE_REV: u32 = 3;
const NFQ_FLAG_BYPASS: u16 = 0x1;
/// `NFTA_QUEUE_NUM`, `_TOTAL`, `_FLAGS` of nft's own `queue` expression, and its bypass flag
/// (`NFT_QUEUE_FLAG_BYPASS`).
const QUEUE_NUM: u16 = 1;
const QUEUE_TOTAL: u16 = 2;
const QUEUE_FLAGS: u16 = 3;
const NFT_QUEUE_FLAG_BYPASS: u16 = 0x1;
/// `NFNL_SUBSYS_NFT_COMPAT` and its `NFNL_MSG_COMPAT_GET`, with `NFTA_COMPAT_NAME`, `_REV`,
/// `_TYPE` (1: a target).
const SUBSYS_NFT_COMPAT: u16 = 11;
const MSG_COMPAT_GET: u16 = 0;
const COMPAT_NAME: u16 = 1;
const COMPAT_REV: u16 = 2;
const COMPAT_TYPE: u16 = 3;
const COMPAT_TYPE_TARGET: u32 = 1;
/// `NLM_F_CREATE`, `NLM_F_APPEND`: a new rule at the end of its chain.
pub(crate) const NLM_F_CREATE: u16 = 0x400;
pub(crate) const NLM_F_APPEND: u16 = 0x800;
/// `NFPROTO_INET`: the daemon's table is of family `inet`.
pub(crate) const NFPROTO_INET: u8 = 1;
/// `NFTA_TABLE_FLAGS` and `NFT_TABLE_F_DORMANT`.
const TABLE_FLAGS: u16 = 2;
const TABLE_F_DORMANT: u32 = 1;
/// `NFTA_TABLE_NAME`, `NFTA_TABLE_USE`.
pub(crate) const TABLE_NAME: u16 = 1;
const TABLE_USE: u16 = 3;
/// `NFTA_CHAIN_*`.
pub(crate) const CHAIN_TABLE: u16 = 1;
pub(crate) const CHAIN_NAME: u16 = 3;
pub(crate) const CHAIN_HOOK: u16 = 4;
pub(crate) const CHAIN_POLICY: u16 = 5;
const CHAIN_USE: u16 = 6;
/// `NLM_F_NONREC`: delete only what holds nothing.
const NLM_F_NONREC: u16 = 0x100;
/// `NF_ACCEPT`.
pub(crate) const POLICY_ACCEPT: u32 = 1;
/// `NFPROTO_IPV4`, `NFPROTO_IPV6`.
const NFPROTO_IPV4: u8 = 2;
const NFPROTO_IPV6: u8 = 10;
/// `AF_UNSPEC`.
const AF_UNSPEC: u8 = 0;
/// Replies are small; the buffer only has to hold one.
const BUF_LEN: usize = 16 * 1024;
/// How long a reply may take before the clean-up gives up (the kernel answers at once; the
/// stop has 5 s in all).
const REPLY_TIMEOUT: std::time::Duration = std::time::Duration::from_millis(500);
/// `NFT_MSG_NEWGEN`, `NFT_MSG_GETGEN`, and `NFTA_GEN_ID`.
const MSG_NEWGEN: u16 = 15;
const MSG_GETGEN: u16 = 16;
const GEN_ID: u16 = 1;
/// `NFNL_BATCH_GENID`: the batch applies only at this generation of the ruleset.
const BATCH_GENID: u16 = 1;
/// How often a delete is checked and tried again after the ruleset changed in between.
const ATTEMPTS: usize = 3;
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

/// `struct xt_NFQ_info_v3` for one queue with the bypass flag: queue number, number of
/// queues, flags (native byte order, as xtables structures are), padded to 8 bytes as
/// `XT_ALIGN` pads it.
fn nfqueue_target_info(queue: u16) -> [u8; 8] {
    let mut info = [0u8; 8];
    for (slot, value) in info.chunks_exact_mut(2).zip([queue, 1, NFQ_FLAG_BYPASS]) {
        slot.copy_from_slice(&value.to_ne_bytes());
    }
    info
}

/// The queue rules of a transaction: one in each of `chains`, to `queue`, tried with `first`
/// and then the other expression.
#[derive(Clone, Copy, Debug)]
pub(crate) struct QueueRules<'a> {
    /// The chains, each to hold one queue rule.
    pub(crate) chains: &'a [&'a str],
    /// The queue.
    pub(crate) queue: u16,
    /// The expression tried first.
    pub(crate) first: QueueExpression,
}

/// How a queue rule queues.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum QueueExpression {
    /// nft's own `queue` expression (`nft_queue`, a module of its own on most kernels).
    Native,
    /// The xtables NFQUEUE target through `nft_compat`, as iptables-nft writes it.
    Compat,
}

/// A `NFT_MSG_NEWRULE` that appends a rule queueing to `queue`, bypassed when nothing reads
/// it, to `chain`.
fn queue_rule(table: &str, chain: &str, queue: u16, how: QueueExpression, seq: u32) -> Vec<u8> {
    let rule = MessageBuilder::new(
        kind(MSG_NEWRULE),
        NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_APPEND,
        seq,
    )
    .raw(&nfgenmsg(NFPROTO_INET, 0))
    .attr(RULE_TABLE, &c_string(table))
    .attr(RULE_CHAIN, &c_string(chain))
    .nest(RULE_EXPRESSIONS)
    .nest(LIST_ELEM);
    let rule = match how {
        QueueExpression::Native => rule
            .attr(EXPR_NAME, &c_string("queue"))
            .nest(EXPR_DATA)
            .attr(QUEUE_NUM, &queue.to_be_bytes())
            .attr(QUEUE_TOTAL, &1u16.to_be_bytes())
            .attr(QUEUE_FLAGS, &NFT_QUEUE_FLAG_BYPASS.to_be_bytes()),
        QueueExpression::Compat => rule
            .attr(EXPR_NAME, &c_string("target"))
            .nest(EXPR_DATA)
            .attr(TARGET_NAME, &c_string("NFQUEUE"))
            .attr(TARGET_REV, &NFQUEUE_REV.to_be_bytes())
            .attr(TARGET_INFO, &nfqueue_target_info(queue)),
    };
    rule.end_nest().end_nest().end_nest().finish()
}

/// A `NFT_MSG_DELRULE` with no rule handle: every rule of `chain` goes.
fn flush_chain(table: &str, chain: &str, seq: u32) -> Vec<u8> {
    MessageBuilder::new(kind(MSG_DELRULE), NLM_F_REQUEST | NLM_F_ACK, seq)
        .raw(&nfgenmsg(NFPROTO_INET, 0))
        .attr(RULE_TABLE, &c_string(table))
        .attr(RULE_CHAIN, &c_string(chain))
        .finish()
}

/// A NUL-terminated string attribute's bytes.
pub(crate) fn c_string(text: &str) -> Vec<u8> {
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

pub(crate) fn kind(message: u16) -> u16 {
    (SUBSYS_NFTABLES << 8) | message
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

/// The chain a `NFT_MSG_NEWRULE` reply's rule is in (its name up to the NUL).
fn parse_rule_chain(payload: &[u8]) -> Option<String> {
    let name = netlink::find_attr(payload.get(4..)?, RULE_CHAIN)?.data;
    let name = name.split(|&b| b == 0).next()?;
    Some(String::from_utf8_lossy(name).into_owned())
}

/// The objects (chains, sets, ...) a `NFT_MSG_NEWTABLE` reply says its table holds.
fn parse_table_use(payload: &[u8]) -> Option<u32> {
    netlink::find_attr(payload.get(4..)?, TABLE_USE)?.be_u32()
}

/// The generation of a `NFT_MSG_NEWGEN` reply.
fn parse_generation(payload: &[u8]) -> Option<u32> {
    netlink::find_attr(payload.get(4..)?, GEN_ID)?.be_u32()
}

/// Makes the messages that go before the queue rules in one transaction, each with its
/// sequence number (taken from the socket, so the messages are made anew for each attempt).
type Before<'a> = dyn Fn(&mut Nftables) -> Vec<(u32, Vec<u8>)> + 'a;

/// An nftables netlink socket.
pub(crate) struct Nftables {
    socket: NetlinkSocket,
}

impl Nftables {
    /// Opens a socket whose replies wait at most [`REPLY_TIMEOUT`].
    pub(crate) fn open() -> io::Result<Nftables> {
        Ok(Nftables {
            socket: NetlinkSocket::open_requests(NETLINK_NETFILTER, REPLY_TIMEOUT, BUF_LEN)?,
        })
    }

    /// Sends a request and returns its one reply of kind `reply`, `None` for `ENOENT`.
    fn get<T>(
        &mut self,
        request: u16,
        reply: u16,
        family: u8,
        attrs: &[(u16, &str)],
        parse: impl Fn(&[u8]) -> Option<T>,
    ) -> io::Result<Option<T>> {
        let seq = self.socket.next_seq();
        let mut message =
            MessageBuilder::new(kind(request), NLM_F_REQUEST, seq).raw(&nfgenmsg(family, 0));
        for (attr, text) in attrs {
            message = message.attr(*attr, &c_string(text));
        }
        self.socket
            .request_one(&message.finish(), seq, kind(reply), parse)
    }

    fn generation(&mut self) -> io::Result<u32> {
        self.get(MSG_GETGEN, MSG_NEWGEN, AF_UNSPEC, &[], parse_generation)?
            .ok_or_else(|| io::Error::other("no ruleset generation"))
    }

    fn chain(&mut self, family: Family, table: &str, name: &str) -> io::Result<Option<ChainState>> {
        self.get(
            MSG_GETCHAIN,
            MSG_NEWCHAIN,
            nfproto(family),
            &[(CHAIN_TABLE, table), (CHAIN_NAME, name)],
            parse_chain,
        )
    }

    fn table_use(&mut self, family: Family, table: &str) -> io::Result<Option<u32>> {
        self.get(
            MSG_GETTABLE,
            MSG_NEWTABLE,
            nfproto(family),
            &[(TABLE_NAME, table)],
            parse_table_use,
        )
    }

    /// Whether the `inet` table `table` is dormant (`NFT_TABLE_F_DORMANT`: its chains hooked
    /// to nothing); `None` when it is missing.
    pub(crate) fn inet_table_dormant(&mut self, table: &str) -> io::Result<Option<bool>> {
        self.get(
            MSG_GETTABLE,
            MSG_NEWTABLE,
            NFPROTO_INET,
            &[(TABLE_NAME, table)],
            |payload| {
                let flags = netlink::find_attr(payload.get(4..)?, TABLE_FLAGS)
                    .and_then(|a| a.be_u32())
                    .unwrap_or(0);
                Some(flags & TABLE_F_DORMANT != 0)
            },
        )
    }

    /// Whether the table, or its chain `chain`, exists.
    #[cfg(test)]
    fn exists(&mut self, family: Family, table: &str, chain: Option<&str>) -> io::Result<bool> {
        Ok(match chain {
            Some(chain) => self.chain(family, table, chain)?.is_some(),
            None => self.table_use(family, table)?.is_some(),
        })
    }

    /// Deletes the table, or its chain `chain`, if it holds nothing (and a chain passes every
    /// packet), at the ruleset generation it was checked at: true once deleted.
    pub(crate) fn delete_unused(
        &mut self,
        family: Family,
        table: &str,
        chain: Option<&str>,
    ) -> bool {
        for _ in 0..ATTEMPTS {
            let Ok(generation) = self.generation() else {
                return false;
            };
            let unused = match chain {
                Some(chain) => self
                    .chain(family, table, chain)
                    .ok()
                    .flatten()
                    .is_some_and(|c| c.removable()),
                None => self.table_use(family, table).ok().flatten() == Some(0),
            };
            if !unused {
                return false;
            }
            let deleted = match chain {
                Some(chain) => self.delete(
                    MSG_DELCHAIN,
                    family,
                    &[(CHAIN_TABLE, table), (CHAIN_NAME, chain)],
                    generation,
                ),
                None => self.delete(MSG_DELTABLE, family, &[(TABLE_NAME, table)], generation),
            };
            match deleted {
                Ok(()) => return true,
                // Something changed between the check and the delete: check again.
                Err(e) if e.raw_os_error() == Some(ERESTART) => continue,
                Err(_) => return false,
            }
        }
        false
    }

    /// Makes each of the queue chains of the `inet` table `table` hold exactly one rule,
    /// queueing as `rules` says, all in one transaction (the chains are emptied first). Says
    /// how the rules queue (see [`Nftables::with_queue_rules`]). No base chain changes, so the
    /// packets the queue holds stay held when this puts back rules another program removed
    /// (the kernel drops every held packet when a hook goes).
    pub(crate) fn set_queue_rules(
        &mut self,
        table: &str,
        rules: QueueRules<'_>,
    ) -> io::Result<QueueExpression> {
        let flush = |nft: &mut Nftables| {
            rules
                .chains
                .iter()
                .map(|chain| {
                    let seq = nft.socket.next_seq();
                    (seq, flush_chain(table, chain, seq))
                })
                .collect()
        };
        self.with_queue_rules(table, rules, &flush)
    }

    /// Writes the table `image` holds in one transaction, replacing whatever is left of it,
    /// with the queue rules `rules` says: owned by this socket when `owned` (see
    /// `nft_image.rs`). Says how the rules queue.
    pub(crate) fn write_table(
        &mut self,
        image: &TableImage,
        owned: bool,
        rules: QueueRules<'_>,
    ) -> io::Result<QueueExpression> {
        let table =
            |nft: &mut Nftables| nft_image::table_messages(image, owned, || nft.socket.next_seq());
        self.with_queue_rules(&image.name, rules, &table)
    }

    /// Sends the messages `before` makes and then one queue rule per chain of `rules`, in one
    /// transaction: with the expression `rules` names first, and if the kernel refuses it (the
    /// messages made anew) with the other. A repair names the one that worked before: a
    /// refused transaction that had hooked base chains costs the kernel a wait for every CPU
    /// (an RCU grace period) as it takes them out again. Says which was taken.
    fn with_queue_rules(
        &mut self,
        table: &str,
        rules: QueueRules<'_>,
        before: &Before<'_>,
    ) -> io::Result<QueueExpression> {
        let first = rules.first;
        let second = match first {
            QueueExpression::Native => QueueExpression::Compat,
            QueueExpression::Compat => QueueExpression::Native,
        };
        let mut refused = Vec::with_capacity(2);
        for how in [first, second] {
            if how == QueueExpression::Compat {
                self.load_compat_target();
            }
            match self.queue_batch(table, rules.chains, rules.queue, how, before) {
                Ok(()) => return Ok(how),
                Err(e) => refused.push((how, e)),
            }
        }
        let said = |wanted: QueueExpression| {
            refused
                .iter()
                .find(|(how, _)| *how == wanted)
                .map(|(_, e)| e.to_string())
                .unwrap_or_default()
        };
        Err(io::Error::new(
            refused
                .last()
                .map_or(io::ErrorKind::Other, |(_, e)| e.kind()),
            format!(
                "the kernel takes neither nft's queue ({}) nor the xtables NFQUEUE target ({})",
                said(QueueExpression::Native),
                said(QueueExpression::Compat)
            ),
        ))
    }

    /// The kernel would load the NFQUEUE target's module for an `inet` rule by a name no
    /// module has (its table of name prefixes has none for that family): asking for the
    /// target as IPv4's and IPv6's loads it under the names it does have (`ipt_NFQUEUE`,
    /// `ip6t_NFQUEUE`). Their answers do not matter; the rule's does.
    fn load_compat_target(&mut self) {
        for family in [NFPROTO_IPV4, NFPROTO_IPV6] {
            let _ = self.compat_target_exists(family, "NFQUEUE", NFQUEUE_REV);
        }
    }

    fn queue_batch(
        &mut self,
        table: &str,
        chains: &[&str],
        queue: u16,
        how: QueueExpression,
        before: &Before<'_>,
    ) -> io::Result<()> {
        let mut messages = before(self);
        for chain in chains {
            let seq = self.socket.next_seq();
            messages.push((seq, queue_rule(table, chain, queue, how, seq)));
        }
        self.batch(messages, None)
    }

    /// Whether the kernel takes a table like the daemon's, owned by this socket when `owned`,
    /// with a rule queueing by `how`: one transaction makes table `probe` with a regular chain
    /// holding that rule and deletes it again. No chain is hooked, so a refusal disturbs no
    /// packet (a refused transaction that hooked chains would drop every packet any queue of
    /// the namespace holds, and wait for an RCU grace period). The kernel's errno is kept
    /// (for a table flag it does not know: `EINVAL` before Linux 5.12, `EOPNOTSUPP` since).
    pub(crate) fn probe(
        &mut self,
        probe: &str,
        owned: bool,
        how: QueueExpression,
        queue: u16,
    ) -> io::Result<()> {
        if how == QueueExpression::Compat {
            self.load_compat_target();
        }
        let image = TableImage {
            name: probe.to_string(),
            chains: vec![nft_image::ChainSpec {
                name: "probe".into(),
                hook: None,
            }],
            rules: Vec::new(),
        };
        let mut messages = nft_image::table_messages(&image, owned, || self.socket.next_seq());
        let seq = self.socket.next_seq();
        messages.push((seq, queue_rule(probe, "probe", queue, how, seq)));
        let seq = self.socket.next_seq();
        messages.push((seq, nft_image::delete_table(probe, seq)));
        self.batch(messages, None)
    }

    /// Deletes the `inet` table `table` with everything in it.
    pub(crate) fn delete_table(&mut self, table: &str) -> io::Result<()> {
        let seq = self.socket.next_seq();
        self.batch(vec![(seq, nft_image::delete_table(table, seq))], None)
    }

    /// The rules of the `inet` table `table` as bodies to write into another table
    /// (`nft_image::rule_body`), in the order of its chains and of the rules in each.
    pub(crate) fn rule_bodies(&mut self, table: &str) -> io::Result<Vec<Vec<u8>>> {
        self.dump_rules(table, nft_image::rule_body)
    }

    /// Whether the kernel has xtables target `name` at `revision` for `family`
    /// (`NFNL_MSG_COMPAT_GET`), loading its module if need be.
    fn compat_target_exists(&mut self, family: u8, name: &str, revision: u32) -> io::Result<bool> {
        let seq = self.socket.next_seq();
        let kind = (SUBSYS_NFT_COMPAT << 8) | MSG_COMPAT_GET;
        let message = MessageBuilder::new(kind, NLM_F_REQUEST, seq)
            .raw(&nfgenmsg(family, 0))
            .attr(COMPAT_NAME, &c_string(name))
            .attr(COMPAT_REV, &revision.to_be_bytes())
            .attr(COMPAT_TYPE, &COMPAT_TYPE_TARGET.to_be_bytes())
            .finish();
        Ok(self
            .socket
            .request_one(&message, seq, kind, |_| Some(()))?
            .is_some())
    }

    /// The chain of each rule of the `inet` table `table`, one entry a rule; none when the
    /// table is missing.
    pub(crate) fn rule_chains(&mut self, table: &str) -> io::Result<Vec<String>> {
        self.dump_rules(table, parse_rule_chain)
    }

    /// Every rule of the `inet` table `table`, each as `parse` makes it of its
    /// `NFT_MSG_NEWRULE`; none when the table is missing.
    fn dump_rules<T>(
        &mut self,
        table: &str,
        parse: impl Fn(&[u8]) -> Option<T>,
    ) -> io::Result<Vec<T>> {
        // ENOENT: some kernels answer a dump of a missing table with it.
        let seq = self.socket.next_seq();
        let message = MessageBuilder::new(kind(MSG_GETRULE), NLM_F_REQUEST | NLM_F_DUMP, seq)
            .raw(&nfgenmsg(NFPROTO_INET, 0))
            .attr(RULE_TABLE, &c_string(table))
            .finish();
        match self.socket.dump(&message, seq, kind(MSG_NEWRULE), parse) {
            Err(e) if e.raw_os_error() == Some(ENOENT) => Ok(Vec::new()),
            result => result,
        }
    }

    /// Deletes every rule of `chains` of the `inet` table `table`, in one transaction.
    pub(crate) fn flush_chains(&mut self, table: &str, chains: &[&str]) -> io::Result<()> {
        let messages = chains
            .iter()
            .map(|chain| {
                let seq = self.socket.next_seq();
                (seq, flush_chain(table, chain, seq))
            })
            .collect();
        self.batch(messages, None)
    }

    /// Sends one delete in a batch of its own, valid only at `generation`, and waits for its
    /// answer.
    fn delete(
        &mut self,
        message: u16,
        family: Family,
        attrs: &[(u16, &str)],
        generation: u32,
    ) -> io::Result<()> {
        let seq = self.socket.next_seq();
        let mut delete =
            MessageBuilder::new(kind(message), NLM_F_REQUEST | NLM_F_ACK | NLM_F_NONREC, seq)
                .raw(&nfgenmsg(nfproto(family), 0));
        for (attr, text) in attrs {
            delete = delete.attr(*attr, &c_string(text));
        }
        self.batch(vec![(seq, delete.finish())], Some(generation))
    }

    /// Sends `messages` (each with its sequence number, each asking for an acknowledgement) as
    /// one batch, valid only at `generation` when given, and waits until each is acknowledged,
    /// or for the first error (a batch that fails, fails as a whole).
    fn batch(&mut self, messages: Vec<(u32, Vec<u8>)>, generation: Option<u32>) -> io::Result<()> {
        let begin_seq = self.socket.next_seq();
        let mut begin = MessageBuilder::new(BATCH_BEGIN, NLM_F_REQUEST, begin_seq)
            .raw(&nfgenmsg(AF_UNSPEC, SUBSYS_NFTABLES));
        if let Some(generation) = generation {
            begin = begin.attr(BATCH_GENID, &generation.to_be_bytes());
        }
        let mut batch = begin.finish();
        let mut waiting: Vec<u32> = Vec::with_capacity(messages.len());
        for (seq, message) in messages {
            waiting.push(seq);
            batch.extend_from_slice(&message);
        }
        let end_seq = self.socket.next_seq();
        // Replies to this batch, and only those: an error may name the batch's begin or end.
        let ours = [begin_seq, end_seq]
            .into_iter()
            .chain(waiting.iter().copied())
            .collect::<Vec<u32>>();
        batch.extend_from_slice(
            &MessageBuilder::new(BATCH_END, NLM_F_REQUEST, end_seq)
                .raw(&nfgenmsg(AF_UNSPEC, SUBSYS_NFTABLES))
                .finish(),
        );
        self.socket.send(&batch)?;
        while !waiting.is_empty() {
            // A timeout ends this with an error (the socket's receive timeout).
            let datagram = self.socket.recv()?;
            for reply in netlink::messages(datagram) {
                if !ours.contains(&reply.seq) {
                    continue;
                }
                match reply.error_code() {
                    Some(0) => waiting.retain(|&seq| seq != reply.seq),
                    Some(code) if code < 0 => return Err(io::Error::from_raw_os_error(-code)),
                    _ => {}
                }
            }
        }
        Ok(())
    }
}

/// `NFNLGRP_NFTABLES`: every committed change to this namespace's ruleset is told to this
/// multicast group, one message per object changed and a `NEWGEN` at the end of each transaction.
const NFNLGRP_NFTABLES: u32 = 7;
/// Events are only counted, not read for their content: one datagram of them at a time.
const EVENT_BUF_LEN: usize = 64 * 1024;

/// A socket told of every change to this network namespace's nftables ruleset (binding needs
/// `CAP_NET_ADMIN`). A full receive buffer loses events but says so (`ENOBUFS`).
pub(crate) fn ruleset_changes() -> io::Result<netlink::EventSocket> {
    let file = sys::netlink_socket(NETLINK_NETFILTER, 1 << (NFNLGRP_NFTABLES - 1))?;
    Ok(netlink::EventSocket::new(file, EVENT_BUF_LEN))
}

/// The cookie of this thread's network namespace (`sys::netns_cookie`).
pub(crate) fn netns_cookie() -> io::Result<u64> {
    sys::netns_cookie(&sys::netlink_socket(NETLINK_NETFILTER, 0)?)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::root_tests::{in_own_namespace, run_ok};

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

    /// Runs `nft COMMAND` (in the calling thread's network namespace).
    fn nft(command: &str) {
        run_ok("nft", &[command]);
    }

    #[test]
    fn a_probe_says_what_the_kernel_takes_and_leaves_no_table() {
        in_own_namespace(|| {
            let ruleset = || {
                let out = std::process::Command::new("nft")
                    .args(["list", "ruleset"])
                    .output()
                    .unwrap();
                String::from_utf8_lossy(&out.stdout).into_owned()
            };
            // What `nft` itself can add: nft's own queue, or not (this VM's kernel).
            nft("add table inet t");
            nft("add chain inet t c");
            let native = std::process::Command::new("nft")
                .arg("add rule inet t c queue num 1 bypass")
                .status()
                .unwrap()
                .success();
            nft("delete table inet t");
            let mut nl = Nftables::open().unwrap();
            for owned in [true, false] {
                let probed = nl.probe("zenithfence_probe_9", owned, QueueExpression::Native, 9);
                assert_eq!(probed.is_ok(), native, "{probed:?}");
                // Every kernel that runs iptables-nft has the xtables target; this one (6.18)
                // has table owners.
                let compat = nl.probe("zenithfence_probe_9", owned, QueueExpression::Compat, 9);
                assert!(compat.is_ok(), "{compat:?}");
                assert_eq!(ruleset(), "", "the probe's transaction deletes its table");
            }
            // A table flag the kernel does not know is refused, and the batch keeps the errno
            // (`EOPNOTSUPP` from Linux 5.12, `EINVAL` before: `rule_table.rs` tells a refused
            // owner flag by comparing probes, not by the errno).
            let seq = nl.socket.next_seq();
            let unknown_flag = MessageBuilder::new(
                kind(MSG_NEWTABLE),
                NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE,
                seq,
            )
            .raw(&nfgenmsg(NFPROTO_INET, 0))
            .attr(TABLE_NAME, &c_string("zenithfence_probe_9"))
            .attr(2, &0x4000_0000u32.to_be_bytes())
            .finish();
            let refused = nl.batch(vec![(seq, unknown_flag)], None).unwrap_err();
            assert!(matches!(refused.raw_os_error(), Some(95 | 22)), "{refused}");
            // A leftover of that name (unowned) does not make the owned probe fail.
            nft("add table inet zenithfence_probe_9");
            assert!(nl
                .probe("zenithfence_probe_9", true, QueueExpression::Compat, 9)
                .is_ok());
            assert_eq!(ruleset(), "");
        });
    }

    #[test]
    fn the_kernel_refuses_a_delete_after_a_change_and_one_that_would_take_a_rule() {
        in_own_namespace(|| {
            let chain = |name| [(CHAIN_TABLE, "t"), (CHAIN_NAME, name)];
            nft("add table ip t");
            nft("add chain ip t c { type filter hook output priority 0; policy accept; }");
            let mut nl = Nftables::open().unwrap();
            assert!(nl.chain(Family::V4, "t", "c").unwrap().unwrap().removable());
            let checked_at = nl.generation().unwrap();
            // Another program adds a rule after our check: the delete bound to the generation
            // we checked at is refused.
            nft("add rule ip t c counter");
            let stale = nl.delete(MSG_DELCHAIN, Family::V4, &chain("c"), checked_at);
            assert_eq!(stale.unwrap_err().raw_os_error(), Some(ERESTART));
            // At the current generation NLM_F_NONREC still refuses to take the rule along.
            let now = nl.generation().unwrap();
            let busy = nl.delete(MSG_DELCHAIN, Family::V4, &chain("c"), now);
            assert_eq!(busy.unwrap_err().raw_os_error(), Some(16), "EBUSY");
            assert!(!nl.delete_unused(Family::V4, "t", Some("c")));
            // An empty chain with a drop policy is not unused: it drops.
            nft("add chain ip t d { type filter hook input priority 0; policy drop; }");
            assert!(!nl.delete_unused(Family::V4, "t", Some("d")));
            nft("flush chain ip t c");
            assert!(nl.delete_unused(Family::V4, "t", Some("c")));
            assert!(!nl.exists(Family::V4, "t", Some("c")).unwrap());
            // A table goes only once nothing is left in it.
            assert!(!nl.delete_unused(Family::V4, "t", None));
            nft("delete chain ip t d");
            assert!(nl.delete_unused(Family::V4, "t", None));
            assert!(!nl.exists(Family::V4, "t", None).unwrap());
        });
    }

    #[test]
    #[cfg(target_endian = "little")]
    fn nfts_own_queue_is_asked_for_with_the_number_total_and_bypass_in_network_order() {
        let rule = queue_rule("t", "c", 4321, QueueExpression::Native, 1);
        // Each a 16-bit attribute (length 6, padded to 8): NFTA_QUEUE_NUM 4321 (0x10e1),
        // NFTA_QUEUE_TOTAL 1, NFTA_QUEUE_FLAGS bypass, all big-endian as nft_queue reads them.
        for attr in [
            [6, 0, 1, 0, 0x10, 0xe1, 0, 0],
            [6, 0, 2, 0, 0, 1, 0, 0],
            [6, 0, 3, 0, 0, 1, 0, 0],
        ] {
            assert!(rule.windows(8).any(|w| w == attr), "{attr:?} in {rule:?}");
        }
        assert!(rule.windows(6).any(|w| w == b"queue\0"));
        assert!(!rule.windows(8).any(|w| w == b"NFQUEUE\0"));
    }

    #[test]
    fn the_queue_rules_go_in_and_out_of_an_inet_table_in_one_transaction() {
        // xt_NFQ_info_v3 on a little-endian machine: queue 0x1234, 1 queue, bypass, padding.
        #[cfg(target_endian = "little")]
        assert_eq!(nfqueue_target_info(0x1234), [0x34, 0x12, 1, 0, 1, 0, 0, 0]);
        in_own_namespace(|| {
            nft("add table inet t { chain a { } ; chain b { } ; }");
            let listed = || {
                let out = std::process::Command::new("nft")
                    .args(["list", "table", "inet", "t"])
                    .output()
                    .unwrap();
                String::from_utf8_lossy(&out.stdout).into_owned()
            };
            let mut nl = Nftables::open().unwrap();
            // Whether this kernel has nft's own queue (this VM's has not, and loads no modules):
            // if not, the native rules are refused as a whole, and the xtables target goes in.
            nft("add chain inet t probe");
            let native = std::process::Command::new("nft")
                .arg("add rule inet t probe queue num 1 bypass")
                .status()
                .unwrap()
                .success();
            nft("delete chain inet t probe");
            let rules = |chains, queue, first| QueueRules {
                chains,
                queue,
                first,
            };
            let how = nl
                .set_queue_rules("t", rules(&["a", "b"], 4321, QueueExpression::Native))
                .unwrap();
            let (expected, shown) = if native {
                (QueueExpression::Native, "queue flags bypass to 4321")
            } else {
                (QueueExpression::Compat, "queue num 4321 bypass")
            };
            assert_eq!(how, expected);
            assert_eq!(listed().matches(shown).count(), 2, "{}", listed());
            // Set again, with either expression tried first: still one rule a chain, of the
            // kind this kernel takes.
            for first in [QueueExpression::Compat, QueueExpression::Native] {
                let again = nl.set_queue_rules("t", rules(&["a", "b"], 4321, first));
                assert_eq!(again.unwrap(), how);
                assert_eq!(listed().matches(shown).count(), 2, "{}", listed());
            }
            // One chain that does not exist fails the whole batch: nothing is added.
            let missing = nl
                .set_queue_rules("t", rules(&["a", "nope"], 7, how))
                .unwrap_err();
            assert_eq!(missing.kind(), io::ErrorKind::NotFound, "{missing}");
            assert!(
                missing
                    .to_string()
                    .starts_with("the kernel takes neither nft's queue"),
                "{missing}"
            );
            assert!(!listed().contains("queue num 7"), "{}", listed());
            nl.flush_chains("t", &["a", "b"]).unwrap();
            assert!(!listed().contains("queue"), "{}", listed());
        });
    }
}
