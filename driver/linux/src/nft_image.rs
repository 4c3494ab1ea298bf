//! The daemon's rule table as netlink messages, to be written through the daemon's own socket
//! in one transaction (`nft_netlink.rs`, `Nftables::write_table`). Pure bytes.
//!
//! Why not `nft -f`: a table that only its creator's socket may change or delete
//! (`NFT_TABLE_F_OWNER`, Linux 5.12) must be written entirely through that socket, and an
//! `nft` process's socket ends with it. And `nft -f` takes about 20 ms here to start, which
//! made every repair of a table another program removed that much slower. So `nft` still
//! compiles the rules (its syntax is what the tests and `nft list` read), once at the start,
//! into a build table with no hooks (`rules.rs`); the kernel's dump of that table's rules is
//! the image's rule bodies, and the chains, the only part with hooks, are written here from
//! the daemon's own list of them. A rule's bytes in a dump are what the kernel takes back in
//! a new rule once the attributes naming the old one are left out: its table (set anew), its
//! handle and position (an add with a handle means a replace), and ids.

use crate::netlink::{self, nfgenmsg, MessageBuilder, NLM_F_ACK, NLM_F_REQUEST};
use crate::nft_netlink::{
    c_string, kind, CHAIN_HOOK, CHAIN_NAME, CHAIN_POLICY, CHAIN_TABLE, MSG_DELTABLE, MSG_NEWCHAIN,
    MSG_NEWRULE, MSG_NEWTABLE, NFPROTO_INET, NLM_F_APPEND, NLM_F_CREATE, POLICY_ACCEPT, RULE_CHAIN,
    RULE_EXPRESSIONS, RULE_TABLE, TABLE_NAME,
};

/// `NFTA_TABLE_FLAGS` and `NFT_TABLE_F_OWNER`: only the creating socket may change or delete
/// the table, `nft flush ruleset` of other programs passes it by, and the kernel deletes it
/// when that socket closes (at the process's end, even by SIGKILL).
const TABLE_FLAGS: u16 = 2;
const TABLE_F_OWNER: u32 = 2;
/// `NFTA_TABLE_USERDATA`, and in it the comment `nft list` shows (`NFTNL_UDATA_TABLE_COMMENT`,
/// a type-length-value entry with a NUL-terminated string, as libnftnl writes it).
const TABLE_USERDATA: u16 = 6;
const UDATA_TABLE_COMMENT: u8 = 0;
/// The table's comment: `nft list ruleset` shows it, so a ruleset saved with it says why
/// loading it while the daemon runs is refused (the table is owned) and what to do.
pub(crate) const TABLE_COMMENT: &str =
    "zenithfenced's own, written at its start: leave it out of saved rulesets";
// nft reads back comments of at most 128 characters (a saved ruleset must still parse up to
// the line it refuses), and a user data entry's length is one byte.
const _: () = assert!(TABLE_COMMENT.len() < 128);
/// `NFTA_CHAIN_TYPE`, and `NFTA_HOOK_HOOKNUM`, `_PRIORITY` inside `NFTA_CHAIN_HOOK`.
const CHAIN_TYPE: u16 = 7;
const HOOK_HOOKNUM: u16 = 1;
const HOOK_PRIORITY: u16 = 2;
/// `NFTA_RULE_COMPAT` and `NFTA_RULE_USERDATA`: kept with the expressions and the chain.
const RULE_COMPAT: u16 = 5;
const RULE_USERDATA: u16 = 7;

/// A chain of the table, as the kernel is asked for it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ChainSpec {
    /// Its name.
    pub(crate) name: String,
    /// For a base chain of type `filter` with policy accept: the hook's number
    /// (`NF_INET_LOCAL_IN` …) and the priority.
    pub(crate) hook: Option<(u32, i32)>,
}

/// The whole table: chains in the order they are created (which orders the hooks of one
/// priority), and the rules, each the kept attributes of one dumped rule (see [`rule_body`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct TableImage {
    /// The table's name (family `inet`).
    pub(crate) name: String,
    /// Its chains.
    pub(crate) chains: Vec<ChainSpec>,
    /// Its rules, each appended to the chain its body names, in this order.
    pub(crate) rules: Vec<Vec<u8>>,
}

/// From a `NFT_MSG_NEWRULE` of a dump (after the netlink header): the attributes to copy into
/// a new rule (chain, expressions, user data, xtables compat info), each whole and padded.
/// `None` without a chain or expressions.
pub(crate) fn rule_body(payload: &[u8]) -> Option<Vec<u8>> {
    let mut body = Vec::new();
    let (mut chain, mut expressions) = (false, false);
    for (attr, whole) in netlink::raw_attrs(payload.get(4..)?) {
        match attr {
            RULE_CHAIN => chain = true,
            RULE_EXPRESSIONS => expressions = true,
            RULE_USERDATA | RULE_COMPAT => {}
            // The table, the handle, the position, ids: they name the rule it was.
            _ => continue,
        }
        body.extend_from_slice(whole);
        body.resize(body.len().div_ceil(4) * 4, 0);
    }
    (chain && expressions).then_some(body)
}

/// A table's user data holding `text` as its comment.
fn comment(text: &str) -> Vec<u8> {
    let text = text.as_bytes();
    let mut data = vec![UDATA_TABLE_COMMENT, (text.len() + 1) as u8];
    data.extend_from_slice(text);
    data.push(0);
    data
}

/// A `NFT_MSG_DELTABLE` of the `inet` table `name` with everything in it.
pub(crate) fn delete_table(name: &str, seq: u32) -> Vec<u8> {
    MessageBuilder::new(kind(MSG_DELTABLE), NLM_F_REQUEST | NLM_F_ACK, seq)
        .raw(&nfgenmsg(NFPROTO_INET, 0))
        .attr(TABLE_NAME, &c_string(name))
        .finish()
}

/// The messages that write `image` in one transaction, each with the sequence number
/// `next_seq` gives it: whatever is left of a table of that name goes first (created if
/// missing, then deleted, so the add never fails and nothing is doubled), then the table,
/// owned by the sending socket when `owned`, its chains, its rules.
pub(crate) fn table_messages(
    image: &TableImage,
    owned: bool,
    mut next_seq: impl FnMut() -> u32,
) -> Vec<(u32, Vec<u8>)> {
    let name = c_string(&image.name);
    let message = |seq: u32, what: u16, flags: u16| {
        MessageBuilder::new(kind(what), NLM_F_REQUEST | NLM_F_ACK | flags, seq)
            .raw(&nfgenmsg(NFPROTO_INET, 0))
    };
    let mut messages = Vec::with_capacity(3 + image.chains.len() + image.rules.len());
    let seq = next_seq();
    messages.push((
        seq,
        message(seq, MSG_NEWTABLE, NLM_F_CREATE)
            .attr(TABLE_NAME, &name)
            .finish(),
    ));
    let seq = next_seq();
    messages.push((seq, delete_table(&image.name, seq)));
    let seq = next_seq();
    let mut table = message(seq, MSG_NEWTABLE, NLM_F_CREATE)
        .attr(TABLE_NAME, &name)
        .attr(TABLE_USERDATA, &comment(TABLE_COMMENT));
    if owned {
        table = table.attr(TABLE_FLAGS, &TABLE_F_OWNER.to_be_bytes());
    }
    messages.push((seq, table.finish()));
    for chain in &image.chains {
        let seq = next_seq();
        let mut m = message(seq, MSG_NEWCHAIN, NLM_F_CREATE)
            .attr(CHAIN_TABLE, &name)
            .attr(CHAIN_NAME, &c_string(&chain.name));
        if let Some((hook, priority)) = chain.hook {
            m = m
                .nest(CHAIN_HOOK)
                .attr(HOOK_HOOKNUM, &hook.to_be_bytes())
                .attr(HOOK_PRIORITY, &priority.to_be_bytes())
                .end_nest()
                .attr(CHAIN_POLICY, &POLICY_ACCEPT.to_be_bytes())
                .attr(CHAIN_TYPE, &c_string("filter"));
        }
        messages.push((seq, m.finish()));
    }
    for body in &image.rules {
        let seq = next_seq();
        messages.push((
            seq,
            message(seq, MSG_NEWRULE, NLM_F_CREATE | NLM_F_APPEND)
                .attr(RULE_TABLE, &name)
                .raw_attr(body)
                .finish(),
        ));
    }
    messages
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    /// `NFTA_RULE_HANDLE`, `_POSITION`, `_PAD`.
    const RULE_HANDLE: u16 = 3;
    const RULE_POSITION: u16 = 6;
    const RULE_PAD: u16 = 8;

    /// A dumped rule: table, chain, handle, position, expressions (one `counter`), pad.
    fn dumped_rule() -> Vec<u8> {
        MessageBuilder::new(kind(MSG_NEWRULE), 0, 1)
            .raw(&nfgenmsg(NFPROTO_INET, 0))
            .attr(RULE_TABLE, &c_string("zenithfence_build_7"))
            .attr(RULE_CHAIN, &c_string("verdict"))
            .attr(RULE_HANDLE, &9u64.to_be_bytes())
            .attr(RULE_POSITION, &8u64.to_be_bytes())
            .nest(RULE_EXPRESSIONS)
            .nest(1)
            .attr(1, &c_string("counter"))
            .end_nest()
            .end_nest()
            .attr(RULE_PAD, &[])
            .finish()
    }

    fn attr_kinds(attrs: &[u8]) -> Vec<u16> {
        netlink::raw_attrs(attrs).map(|(k, _)| k).collect()
    }

    #[test]
    fn a_dumped_rule_keeps_its_chain_and_expressions_and_loses_what_named_the_old_rule() {
        let dumped = dumped_rule();
        let payload = &dumped[netlink::NLMSG_HDRLEN..];
        let body = rule_body(payload).unwrap();
        assert_eq!(attr_kinds(&body), [RULE_CHAIN, RULE_EXPRESSIONS]);
        // Copied byte for byte, flags included (the expressions are a nested attribute).
        let expressions = netlink::raw_attrs(&payload[4..])
            .find(|(k, _)| *k == RULE_EXPRESSIONS)
            .unwrap()
            .1;
        assert!(body.windows(expressions.len()).any(|w| w == expressions));
        assert_eq!(
            u16::from_ne_bytes([expressions[2], expressions[3]]) & netlink::NLA_F_NESTED,
            netlink::NLA_F_NESTED
        );
        // Without expressions or chain there is no rule to copy; short input is no rule.
        let no_expressions = MessageBuilder::new(kind(MSG_NEWRULE), 0, 1)
            .raw(&nfgenmsg(NFPROTO_INET, 0))
            .attr(RULE_CHAIN, &c_string("verdict"))
            .finish();
        assert_eq!(rule_body(&no_expressions[netlink::NLMSG_HDRLEN..]), None);
        assert_eq!(rule_body(&[1, 0]), None);
        assert_eq!(rule_body(&payload[..payload.len() / 2]), None);
    }

    fn image() -> TableImage {
        let body = rule_body(&dumped_rule()[netlink::NLMSG_HDRLEN..]).unwrap();
        TableImage {
            name: "zenithfence_7".into(),
            chains: vec![
                ChainSpec {
                    name: "verdict".into(),
                    hook: None,
                },
                ChainSpec {
                    name: "out".into(),
                    hook: Some((3, -160)),
                },
            ],
            rules: vec![body],
        }
    }

    #[test]
    fn the_table_goes_in_whole_after_whatever_was_left_of_it() {
        let mut seq = 40;
        let messages = table_messages(&image(), true, || {
            seq += 1;
            seq
        });
        let parsed: Vec<_> = messages
            .iter()
            .map(|(seq, bytes)| {
                let m = netlink::messages(bytes).next().unwrap();
                assert_eq!(m.seq, *seq);
                (m.kind & 0xff, m.payload.to_vec())
            })
            .collect();
        let kinds: Vec<u16> = parsed.iter().map(|(k, _)| *k).collect();
        assert_eq!(
            kinds,
            [
                MSG_NEWTABLE,
                MSG_DELTABLE,
                MSG_NEWTABLE,
                MSG_NEWCHAIN,
                MSG_NEWCHAIN,
                MSG_NEWRULE
            ]
        );
        assert_eq!(messages.last().unwrap().0, 46);
        let find = |i: usize, attr: u16| {
            netlink::find_attr(&parsed[i].1[4..], attr).map(|a| a.data.to_vec())
        };
        // Only the table written last is owned.
        assert_eq!(find(0, TABLE_FLAGS), None);
        assert_eq!(
            find(2, TABLE_FLAGS),
            Some(TABLE_F_OWNER.to_be_bytes().to_vec())
        );
        assert_eq!(find(2, TABLE_NAME), Some(c_string("zenithfence_7")));
        let mut comment = vec![UDATA_TABLE_COMMENT, TABLE_COMMENT.len() as u8 + 1];
        comment.extend_from_slice(&c_string(TABLE_COMMENT));
        assert_eq!(find(2, TABLE_USERDATA), Some(comment));
        // A regular chain has no hook; a base chain has its hook, priority, type and policy.
        assert_eq!(find(3, CHAIN_HOOK), None);
        let hook = find(4, CHAIN_HOOK).unwrap();
        assert_eq!(
            netlink::find_attr(&hook, HOOK_HOOKNUM).unwrap().be_u32(),
            Some(3)
        );
        assert_eq!(
            netlink::find_attr(&hook, HOOK_PRIORITY).unwrap().be_u32(),
            Some((-160i32) as u32)
        );
        assert_eq!(find(4, CHAIN_TYPE), Some(c_string("filter")));
        assert_eq!(
            find(4, CHAIN_POLICY),
            Some(POLICY_ACCEPT.to_be_bytes().to_vec())
        );
        // The rule is in the new table, in the chain its body names, and appended.
        assert_eq!(find(5, RULE_TABLE), Some(c_string("zenithfence_7")));
        assert_eq!(find(5, RULE_CHAIN), Some(c_string("verdict")));
        let flags = u16::from_ne_bytes([messages[5].1[6], messages[5].1[7]]);
        assert_eq!(
            flags & (NLM_F_CREATE | NLM_F_APPEND),
            NLM_F_CREATE | NLM_F_APPEND
        );
        // Unowned: no flags at all.
        let unowned = table_messages(&image(), false, || 1);
        let table = netlink::messages(&unowned[2].1).next().unwrap();
        assert!(netlink::find_attr(&table.payload[4..], TABLE_FLAGS).is_none());
    }
}
