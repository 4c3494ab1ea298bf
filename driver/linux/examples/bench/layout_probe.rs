//! A rule layout that no daemon uses, for `bench established --probe`: what established packets
//! would pay with one base chain per hook, against the daemon's two (`src/rules.rs`: the
//! queue's chain and the verdicts' chain, both at -160, plus the DNS query copy in
//! postrouting). It holds the same guards and verdict handling as the daemon, with the marks of
//! `src/rules.rs` (allow 0x10000000, reject 0x20000000), installed in namespace `a` with no
//! daemon.
//!
//! P2 puts the verdicts' guard in the queue's base chain. As a firewall it would need the
//! verdict to come back through that chain (`NF_REPEAT`), where a verdict's mark cannot be told
//! from a mark the packet had, or to set the conntrack mark itself, which needs
//! `CONFIG_NETFILTER_NETLINK_GLUE_CT` (this VM's kernel has none). Its new flows only count
//! where the daemon's would be queued. Output: two base chains, input: one. (P1, the verdicts in
//! nft at -149, and then the whole daemon in one nft table, were probed here until they became
//! the daemon's layout.)

use super::{ns_a, run, Res};

#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Layout {
    /// P2 (see the module's notes).
    OneTable,
}

/// The verdict handling, as in the daemon's verdict table: an allow mark goes to the conntrack
/// mark, a reject mark rejects (a reset for TCP, "administratively prohibited" otherwise).
const VERDICT_CHAIN: &str = "chain verdict { \
    meta mark & 0x30000000 == 0x10000000 ct mark set ct mark & 0xcfffffff | 0x10000000 return; \
    meta mark 0x2b10cced meta l4proto tcp reject with tcp reset; \
    meta mark 0x2b10cced reject with icmpx admin-prohibited; }";

impl Layout {
    pub(crate) const ALL: [Layout; 1] = [Layout::OneTable];

    pub(crate) fn label(self) -> &'static str {
        match self {
            Layout::OneTable => "P2 probe: all in one nft table",
        }
    }

    /// The nft script of the probe's own table.
    fn nft_script(self) -> String {
        match self {
            Layout::OneTable => format!(
                "add table inet zf_probe {{ {VERDICT_CHAIN} ; \
                 chain new_out {{ oifname \"lo\" return; counter; }} ; \
                 chain new_in {{ iifname \"lo\" return; counter; }} ; \
                 chain o {{ type filter hook output priority -160; \
                   ct state new ct mark & 0x30000000 != 0x10000000 jump new_out; \
                   meta mark & 0x30000000 != 0 ct state new jump verdict; }} ; \
                 chain i {{ type filter hook input priority -160; \
                   udp sport 53 log group 4391 snaplen 4096; \
                   ct state new ct mark & 0x30000000 != 0x10000000 jump new_in; \
                   meta mark & 0x30000000 != 0 ct state new jump verdict; }} ; \
                 chain p {{ type filter hook postrouting priority -150; \
                   udp dport 53 meta skuid ge 0 log group 4391 snaplen 4096; }} ; }}"
            ),
        }
    }

    /// Installs it in namespace `a`.
    pub(crate) fn install(self) -> Res<()> {
        run("ip", &["netns", "exec", ns_a(), "nft", &self.nft_script()]).map(drop)
    }

    /// Removes all of it: namespace `a` holds nothing else while a probe runs.
    pub(crate) fn remove(self) -> Res<()> {
        run("ip", &["netns", "exec", ns_a(), "nft", "flush", "ruleset"]).map(drop)
    }
}
