//! The netfilter rules that send new connections to our queue and apply the verdicts: one nft
//! table of family `inet` per queue (`rule_table.rs`), installed before the daemon serves and
//! removed on exit (an unowned one left by a killed daemon: at the next start).
//!
//! Every packet passes two base chains of the table per hook (three on output with DNS names:
//! the query copy in postrouting), and a packet of a flow already decided leaves each at the
//! first test of its one rule: the conntrack state in the queue's chain (priority -160), the
//! packet mark in the verdicts' chain (right after, at the same priority; the DNS answer copy
//! on input tests the protocol first). Only new, undecided packets enter our regular chains. Everything is native
//! nftables, and so is the queue rule where the kernel has nft's own `queue` expression
//! (Debian's kernel, as the module `nft_queue`). Some kernels lack it (this test VM's has none
//! and loads no modules): there the one rule that queues is the xtables NFQUEUE target, put in
//! by netlink through `nft_compat` (`nft_netlink.rs`), which every kernel that runs
//! iptables-nft has. (`nft list` shows that rule as `queue num N bypass`, and warns on stderr
//! that the table is managed by iptables-nft: it is ours, and only the compat rule makes nft
//! say so.)
//!
//! Marks (bits of the packet mark and the conntrack mark):
//! - `ALLOW` (0x10000000): set by an accept verdict; the verdicts' chain saves it to the
//!   connmark, and packets of a flow with it in the connmark never reach the queue again (UDP
//!   flows are queued once, not per packet).
//! - `REJECT` (0x20000000): a block verdict sets the whole mark to [`MARK_BLOCKED`], which has
//!   this bit; the verdicts' chain rejects a packet with exactly that mark, so the application
//!   gets an error at once (TCP reset, ICMP administratively prohibited).
//!
//! The verdicts are read from the packet mark in a chain after the queue's because a packet
//! the queue accepts goes on to the next base chain, not to the next rule. So no other chain
//! may run between the two, or it could change a block verdict's mark (iptables mangle's
//! `MARK`, `CONNMARK --restore-mark`) and the packet would go out. Both have the one priority
//! [`PRIORITY`], between connection tracking (-200), which the guards need, and mangle (-150),
//! where other software marks packets; nothing standard uses it. And no chain can come between
//! them even at that priority: the kernel puts a new hook before the existing ones of its
//! priority, so the verdicts' chain goes in first and the queue's right before it, a chain of
//! that priority that was there before ends up after both, and one added later before both
//! (`tests/rules.rs` has a chain of each, and iptables mangle `MARK` rules, trying to undo a
//! block). Mangle's marks come after the verdict's, so a VPN's routing mark set there wins. The guard of the
//! verdicts' chain also requires conntrack state NEW: the queue only ever holds NEW packets, and
//! every NEW packet without the allow connmark is queued first, so a mark that another program
//! (or a socket's `SO_MARK`) gave a packet is replaced by the verdict before it is read, and
//! the established packets of software that uses these bits of the mark for itself are never
//! entered, let alone rejected. (`NF_REPEAT` would save the second chain, but then a packet's
//! own mark could not be told from a verdict's; the conntrack mark cannot be set in a verdict
//! on kernels without `CONFIG_NETFILTER_NETLINK_GLUE_CT`, this VM's among them.)
//!
//! Until 2026-12-07 the queue's chains were in iptables-nft's mangle table (xtables matches
//! through `nft_compat`, and mangle OUTPUT is a `route` chain that compares every packet's
//! routing keys) beside an nft table for the verdicts; the start sweeps what such a version
//! left ([`remove_legacy`], then `builtin_chains.rs`).
//!
//! The table is written by the daemon's own netlink socket and owned by it (`rule_table.rs`):
//! `nft` only compiles the rules of [`chains`], once, into a build table with no hooks
//! ([`compile`]). When the daemon dies, even by SIGKILL, the kernel deletes the owned table
//! with the socket, and traffic flows as if we were absent. An unowned table (older kernels,
//! `--unowned-table`) stays, and every packet its queue rule sends to the queue with no reader
//! passes (`--queue-bypass`, the compat target's bypass flag) until the next start sweeps it;
//! it rejects nothing but packets with the exact mark only a block verdict gives.

use std::io::{self, Write};
use std::process::{Command, Stdio};

use crate::nft_image::{ChainSpec, TableImage};
use crate::nft_netlink::Nftables;

/// Allow bit.
pub(crate) const MARK_ALLOW: u32 = 0x1000_0000;
/// Reject bit.
pub(crate) const MARK_REJECT: u32 = 0x2000_0000;
/// The whole mark a block verdict gives its packet: the reject bit with other bits no other
/// software is likely to set all at once, so that the table rejects only packets the daemon
/// blocked, not every one whose mark happens to carry bit 29 (a VPN's fwmark, for example).
/// The packet is rejected at once, so its other bits are not needed.
pub(crate) const MARK_BLOCKED: u32 = MARK_REJECT | 0x0B10_CCED;
/// Both verdict bits.
pub(crate) const MARK_VERDICT_MASK: u32 = 0x3000_0000;

/// Every iptables chain of older versions started with this; the legacy sweep finds them by it.
const CHAIN_PREFIX: &str = "ZF_";
/// The built-in chains older versions' jumps may be in, per table.
pub(crate) const BUILTINS: [(&str, &[&str]); 2] = [
    ("mangle", &["OUTPUT", "INPUT", "POSTROUTING"]),
    ("filter", &["OUTPUT", "INPUT"]),
];

/// Which address family a legacy sweep is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Family {
    /// iptables.
    V4,
    /// ip6tables.
    V6,
}

impl Family {
    /// The nft-based tool, by its own name, whichever `iptables` alternative the host selected.
    fn tool(self) -> &'static str {
        match self {
            Family::V4 => "iptables-nft",
            Family::V6 => "ip6tables-nft",
        }
    }
}

/// What the rules send where.
#[derive(Clone, Copy, Debug)]
pub(crate) struct RuleConfig {
    /// NFQUEUE number for new connections.
    pub(crate) queue: u16,
    /// NFLOG group for DNS queries and answers, if DNS names are read.
    pub(crate) dns_log_group: Option<u16>,
    /// Whether IPv6 packets are queued too (the table is `inet`: without this, its queue
    /// chains let IPv6 pass).
    pub(crate) ipv6: bool,
}

/// Every nft table of ours starts with this, then its queue number (one per queue, so the
/// names of daemons in two namespaces never meet, and the sweep finds a leftover whatever
/// queue it served).
const TABLE_PREFIX: &str = "zenithfence_";
/// The table `nft` compiles the rules in (see [`compile`]), then its queue number.
const BUILD_TABLE_PREFIX: &str = "zenithfence_build_";
/// What older versions named their verdict tables; swept the same way.
const LEGACY_TABLE_PREFIX: &str = "zf_verdict_";
/// The regular chains that hold the queue rule, one per hook: emptied at a stop before the
/// rest of the table goes, while the packet thread still answers what they queued.
pub(crate) const QUEUE_CHAINS: [&str; 2] = ["queue_out", "queue_in"];

/// The priority of all the table's base chains on the output and input hooks: after
/// connection tracking (-200), before mangle (-150) and anything else a distribution or a VPN
/// installs (see the module's notes for why the queue's and the verdicts' share it).
pub(crate) const PRIORITY: i32 = -160;
// Connection tracking (-200, `NF_IP_PRI_CONNTRACK`) before, so the guards know the state;
// mangle (-150) and everything after it, so nothing can change a verdict's mark before it is read.
const _: () = assert!(-200 < PRIORITY && PRIORITY < -150);

/// The name of the table for `queue`.
pub(crate) fn table_name(queue: u16) -> String {
    format!("{TABLE_PREFIX}{queue}")
}

/// The name of the table that probes, in one transaction that deletes it again, what the
/// kernel takes (`rule_table.rs`).
pub(crate) fn probe_table_name(queue: u16) -> String {
    format!("{TABLE_PREFIX}probe_{queue}")
}

/// The name of the table `nft` compiles the rules in, with no hooks (see [`compile`]).
fn build_table_name(queue: u16) -> String {
    format!("{BUILD_TABLE_PREFIX}{queue}")
}

/// `NF_INET_LOCAL_IN`, `NF_INET_LOCAL_OUT`, `NF_INET_POST_ROUTING`.
pub(crate) const HOOK_INPUT: u32 = 1;
pub(crate) const HOOK_OUTPUT: u32 = 3;
pub(crate) const HOOK_POSTROUTING: u32 = 4;

/// One chain of the table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Chain {
    /// Its name.
    pub(crate) name: &'static str,
    /// For a base chain (type `filter`, policy accept): its hook's number and priority.
    pub(crate) hook: Option<(u32, i32)>,
    /// Its rules, in nft's syntax, one each; the queue chains' queue rules are not here
    /// (netlink writes them: see the module's notes).
    pub(crate) rules: Vec<String>,
}

/// The table's chains for `config`, in the order they are created: the verdicts' base chain of
/// each hook goes in before the queue's, at the same priority, so the kernel (which puts each
/// new hook before those of its priority) places the queue's right before it, with no room
/// between them (see the module's notes).
pub(crate) fn chains(config: RuleConfig) -> Vec<Chain> {
    let bits = format!("{MARK_VERDICT_MASK:#x}");
    // Undecided new packets: an established packet fails the state test, the first, and pays
    // nothing more. A UDP flow is NEW until its first reply, so every packet of a one-way flow
    // (a stream sent, a log shipped) is NEW: the connmark test keeps those of an allowed flow
    // out. The counter counts the packets that enter.
    let undecided = format!("ct state new ct mark & {bits} != {MARK_ALLOW:#x} counter");
    // Only a NEW packet with a verdict bit enters `verdict`: our marks never reach an
    // established packet (the connmark is never restored to the packet mark). An established
    // packet fails the mark test, the first.
    let marked = format!("meta mark & {bits} != 0 ct state new counter jump verdict");
    let [queue_out, queue_in] = QUEUE_CHAINS;
    let new_chain = |name, device: &str, queue: &str| {
        let mut rules = vec![format!("{device} \"lo\" return")];
        // Without IPv6, its packets leave at once (an IPv4 packet fails the test, the first).
        // Its DNS packets are still copied: a resolver reached over IPv6 may answer for IPv4
        // addresses, and a copy decides nothing.
        if !config.ipv6 {
            rules.push("meta nfproto ipv6 return".into());
        }
        rules.push(format!("jump {queue}"));
        Chain {
            name,
            hook: None,
            rules,
        }
    };
    let base = |name, hook, rules| Chain {
        name,
        hook: Some((hook, PRIORITY)),
        rules,
    };
    let mut chains = vec![
        Chain {
            name: queue_out,
            hook: None,
            rules: Vec::new(),
        },
        Chain {
            name: queue_in,
            hook: None,
            rules: Vec::new(),
        },
        new_chain("new_out", "oifname", queue_out),
        new_chain("new_in", "iifname", queue_in),
        Chain {
            name: "verdict",
            hook: None,
            rules: vec![
                format!(
                    "meta mark & {bits} == {MARK_ALLOW:#x} ct mark set ct mark & {keep:#x} | {MARK_ALLOW:#x} return",
                    keep = !MARK_VERDICT_MASK
                ),
                format!("meta mark {MARK_BLOCKED:#x} meta l4proto tcp reject with tcp reset"),
                format!("meta mark {MARK_BLOCKED:#x} reject with icmpx admin-prohibited"),
            ],
        },
        base("out_verdict", HOOK_OUTPUT, vec![marked.clone()]),
        base("in_verdict", HOOK_INPUT, vec![marked]),
        base("out", HOOK_OUTPUT, vec![format!("{undecided} jump new_out")]),
    ];
    let mut input = Vec::new();
    if let Some(group) = config.dns_log_group {
        // A copy only. Answers are copied before the guard, since they mostly belong to flows
        // that are already allowed. An answer is only believed when it matches a query we saw
        // (core `dns_queries`). DNS over TCP is not read (no names from it), so not copied.
        input.push(format!(
            "udp sport 53 counter log group {group} snaplen 4096"
        ));
    }
    input.push(format!("{undecided} jump new_in"));
    chains.push(base("in", HOOK_INPUT, input));
    if let Some(group) = config.dns_log_group {
        // Queries: only once they were let out, so that a query the firewall blocked or dropped
        // does not count as asked (a forged answer to it would be believed). Postrouting
        // comes after every chain of the output hook: our queue (an accepted packet goes
        // on to the next hook, a dropped one never arrives), the verdicts' reject, and any
        // other firewall's output rules. It comes before source NAT (priority 100), so the
        // query's source is still the socket's address, which its answer is addressed to once
        // conntrack has undone the NAT. Only packets with a socket (`meta skuid` finds none
        // otherwise) and a source address of this host are this host's own: queries forwarded
        // for a router's or a container's clients have no socket, and their source is not ours
        // (source NAT comes later); a bridged guest's frames may carry a socket of the host's
        // tun device, but not a source of ours. (A query whose socket was closed while the
        // queue held it no longer has one either; no answer could reach it.) Queries of any
        // conntrack state count: a resolver may ask again from the same socket.
        chains.push(Chain {
            name: "dns_sent",
            hook: Some((HOOK_POSTROUTING, -150)),
            rules: vec![format!(
                "udp dport 53 counter meta skuid >= 0 fib saddr type local counter log group {group} snaplen 4096"
            )],
        });
    }
    chains
}

/// The nft script that compiles `chains` into table `name` with no hooks, so that no packet
/// meets them (see [`compile`]). It creates the table if missing and deletes it in the same
/// transaction, so a leftover is replaced, never doubled.
fn build_script(name: &str, chains: &[Chain]) -> String {
    let mut s = format!("add table inet {name}\ndelete table inet {name}\ntable inet {name} {{\n");
    for chain in chains {
        s.push_str(&format!("\tchain {} {{\n", chain.name));
        for rule in &chain.rules {
            s.push_str(&format!("\t\t{rule}\n"));
        }
        s.push_str("\t}\n");
    }
    s.push_str("}\n");
    s
}

/// How many rules each chain of the table for `config` holds when it is whole, the queue
/// chains' queue rule included: what `rules_watch.rs` compares the kernel's table with.
pub(crate) fn expected_rules(config: RuleConfig) -> Vec<(String, usize)> {
    chains(config)
        .into_iter()
        .map(|chain| {
            let queue = usize::from(QUEUE_CHAINS.contains(&chain.name));
            (chain.name.to_string(), chain.rules.len() + queue)
        })
        .collect()
}

/// How often a compilation is tried: another program's `nft flush ruleset` between the build
/// table's install and its dump takes the rules away.
const COMPILE_ATTEMPTS: usize = 3;

/// The table for `config` as netlink messages can write it (`nft_image.rs`): `nft` compiles
/// its rules in a build table without hooks, whose rules the kernel then dumps, and the build
/// table goes again. The chains come from [`chains`].
pub(crate) fn compile(config: RuleConfig) -> io::Result<TableImage> {
    let chains = chains(config);
    let wanted: usize = chains.iter().map(|chain| chain.rules.len()).sum();
    let build = build_table_name(config.queue);
    let mut attempt = 0;
    let rules = loop {
        attempt += 1;
        run_script(
            "nft",
            &["-f", "-"],
            &build_script(&build, &chains),
            "the rule table",
        )?;
        let mut nft = Nftables::open()?;
        let dumped = nft.rule_bodies(&build);
        // A leftover (should this fail) goes at the next start's sweep.
        let _ = nft.delete_table(&build);
        match dumped {
            Ok(rules) if rules.len() == wanted => break rules,
            result if attempt < COMPILE_ATTEMPTS => drop(result),
            Ok(rules) => {
                return Err(io::Error::other(format!(
                    "the rule table's build table held {} rules instead of {wanted}",
                    rules.len()
                )))
            }
            Err(e) => return Err(e),
        }
    };
    Ok(TableImage {
        name: table_name(config.queue),
        chains: chains
            .into_iter()
            .map(|chain| ChainSpec {
                name: chain.name.to_string(),
                hook: chain.hook,
            })
            .collect(),
        rules,
    })
}

/// Deletes every table of ours, whatever queue it was for, and the verdict tables of older
/// versions (leftovers of a killed daemon; a running one in this namespace would hold the
/// namespace lock, so there is none).
pub(crate) fn remove_leftover_tables() {
    let listed = Command::new("nft")
        .args(["list", "tables", "inet"])
        .stderr(Stdio::null())
        .output()
        .map(|out| String::from_utf8_lossy(&out.stdout).into_owned())
        .unwrap_or_default();
    for name in our_nft_tables(&listed) {
        run_quiet("nft", &["delete", "table", "inet", &name]);
    }
}

/// From `nft list tables inet`: our tables, of this version and older ones.
fn our_nft_tables(listed: &str) -> Vec<String> {
    listed
        .lines()
        .filter_map(|line| line.trim().strip_prefix("table inet "))
        .map(str::trim)
        .filter(|name| {
            [TABLE_PREFIX, BUILD_TABLE_PREFIX, LEGACY_TABLE_PREFIX]
                .iter()
                .any(|prefix| {
                    name.strip_prefix(prefix).is_some_and(|queue| {
                        !queue.is_empty() && queue.bytes().all(|b| b.is_ascii_digit())
                    })
                })
        })
        .map(str::to_string)
        .collect()
}

/// Removes every jump and chain an older version put in iptables-nft's tables for one family,
/// rule by rule, whatever layout it had (the built-in chains iptables-nft made for them go
/// afterwards: `builtin_chains.rs`).
pub(crate) fn remove_legacy(family: Family) {
    let tool = family.tool();
    for (table, builtins) in BUILTINS {
        for builtin in builtins {
            let listed = list_rules(tool, table, builtin);
            for args in jumps_to_remove(&listed, builtin) {
                let mut all = vec!["-w", "-t", table, "-D", builtin];
                all.extend(args.iter().map(String::as_str));
                run_quiet(tool, &all);
            }
        }
        let listed = list_rules(tool, table, "");
        for chain in our_chains(&listed) {
            run_quiet(tool, &["-w", "-t", table, "-F", &chain]);
            run_quiet(tool, &["-w", "-t", table, "-X", &chain]);
        }
    }
}

/// `iptables -S [chain]` of one table (empty when it cannot be read).
fn list_rules(tool: &str, table: &str, chain: &str) -> String {
    let mut args = vec!["-w", "-t", table, "-S"];
    if !chain.is_empty() {
        args.push(chain);
    }
    Command::new(tool)
        .args(&args)
        .stderr(Stdio::null())
        .output()
        .map(|out| String::from_utf8_lossy(&out.stdout).into_owned())
        .unwrap_or_default()
}

/// From `iptables -S BUILTIN`: the arguments after `-D BUILTIN` of each rule that jumps to one
/// of our chains (ours never quote anything, so splitting at spaces is exact).
fn jumps_to_remove(listed: &str, builtin: &str) -> Vec<Vec<String>> {
    let prefix = format!("-A {builtin} ");
    listed
        .lines()
        .filter_map(|line| line.strip_prefix(&prefix))
        .filter(|rule| {
            let words: Vec<&str> = rule.split_whitespace().collect();
            words
                .windows(2)
                .any(|w| matches!(w, ["-j", target] if target.starts_with(CHAIN_PREFIX)))
        })
        .map(|rule| rule.split_whitespace().map(str::to_string).collect())
        .collect()
}

/// From `iptables -S`: our chains (`-N ZF_...`).
fn our_chains(listed: &str) -> Vec<String> {
    listed
        .lines()
        .filter_map(|line| line.strip_prefix("-N "))
        .map(str::trim)
        .filter(|chain| chain.starts_with(CHAIN_PREFIX))
        .map(str::to_string)
        .collect()
}

fn run_quiet(program: &str, args: &[&str]) -> bool {
    Command::new(program)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Runs `program` with `script` on its standard input; its standard error says why it failed.
fn run_script(program: &str, args: &[&str], script: &str, what: &str) -> io::Result<()> {
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| io::Error::new(e.kind(), format!("cannot run {program}: {e}")))?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin.write_all(script.as_bytes())?;
    }
    let output = child.wait_with_output()?;
    if !output.status.success() {
        return Err(io::Error::other(format!(
            "{program} refused {what}: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(dns_log_group: Option<u16>, ipv6: bool) -> RuleConfig {
        RuleConfig {
            queue: 4242,
            dns_log_group,
            ipv6,
        }
    }

    /// The rules of chain `name`.
    fn rules_of(config: RuleConfig, name: &str) -> Vec<String> {
        chains(config)
            .into_iter()
            .find(|chain| chain.name == name)
            .map(|chain| chain.rules)
            .unwrap_or_default()
    }

    fn hook_of(config: RuleConfig, name: &str) -> Option<(u32, i32)> {
        chains(config)
            .into_iter()
            .find(|chain| chain.name == name)
            .and_then(|chain| chain.hook)
    }

    const GUARD: &str = "ct state new ct mark & 0x30000000 != 0x10000000 counter";

    const MARKED: &str = "meta mark & 0x30000000 != 0 ct state new counter jump verdict";

    #[test]
    fn established_packets_meet_one_rule_per_base_chain_and_fail_its_first_test() {
        let c = config(None, true);
        assert_eq!(rules_of(c, "out"), [format!("{GUARD} jump new_out")]);
        assert_eq!(rules_of(c, "in"), [format!("{GUARD} jump new_in")]);
        assert_eq!(hook_of(c, "out"), Some((HOOK_OUTPUT, -160)));
        assert_eq!(hook_of(c, "in"), Some((HOOK_INPUT, -160)));
        // The verdicts right after the queue, where a packet it accepted goes on.
        for (name, hook) in [("out_verdict", HOOK_OUTPUT), ("in_verdict", HOOK_INPUT)] {
            assert_eq!(rules_of(c, name), [MARKED]);
            assert_eq!(hook_of(c, name), Some((hook, -160)));
        }
        // The verdicts' chain of each hook goes in before the queue's, so the kernel places the
        // queue's right before it.
        let order: Vec<&str> = chains(c).iter().map(|chain| chain.name).collect();
        for (verdicts, queue) in [("out_verdict", "out"), ("in_verdict", "in")] {
            let at = |name| order.iter().position(|n| *n == name).unwrap_or(0);
            assert!(at(verdicts) < at(queue), "{verdicts} before {queue}");
        }
        // Nothing on other hooks without DNS names.
        assert_eq!(chains(c).iter().filter(|c| c.hook.is_some()).count(), 4);
    }

    #[test]
    fn the_build_table_is_replaced_never_doubled_and_no_packet_meets_it() {
        let c = config(Some(4243), true);
        let script = build_script("zenithfence_build_4242", &chains(c));
        assert!(script.starts_with(
            "add table inet zenithfence_build_4242\ndelete table inet zenithfence_build_4242\ntable inet zenithfence_build_4242 {"
        ));
        assert!(!script.contains("hook"), "{script}");
        // Every rule of every chain, in its chain.
        for chain in chains(c) {
            let block: String = chain
                .rules
                .iter()
                .map(|rule| format!("\t\t{rule}\n"))
                .collect();
            assert!(
                script.contains(&format!("\tchain {} {{\n{block}\t}}\n", chain.name)),
                "{script}"
            );
        }
        assert_eq!(build_table_name(4242), "zenithfence_build_4242");
    }

    #[test]
    fn new_packets_are_queued_unless_local_and_the_verdict_saves_allow_and_rejects_block() {
        let c = config(None, true);
        for (name, lo, queue) in [
            ("new_out", "oifname \"lo\" return", "jump queue_out"),
            ("new_in", "iifname \"lo\" return", "jump queue_in"),
        ] {
            assert_eq!(rules_of(c, name), [lo, queue], "{name}");
        }
        // The queue rules are netlink's to add: the chains start empty.
        for name in QUEUE_CHAINS {
            assert_eq!(rules_of(c, name), Vec::<String>::new(), "{name}");
            assert_eq!(hook_of(c, name), None);
        }
        // The connmark keeps its other bits; allow is set and reject cleared. Only the exact
        // mark a block verdict gives is rejected.
        assert_eq!(
            rules_of(c, "verdict"),
            [
                "meta mark & 0x30000000 == 0x10000000 ct mark set ct mark & 0xcfffffff | 0x10000000 return",
                "meta mark 0x2b10cced meta l4proto tcp reject with tcp reset",
                "meta mark 0x2b10cced reject with icmpx admin-prohibited",
            ]
        );
        assert_eq!(MARK_BLOCKED & MARK_VERDICT_MASK, MARK_REJECT);
    }

    #[test]
    fn without_ipv6_its_packets_are_never_queued() {
        let c = config(Some(4243), false);
        for name in ["new_out", "new_in"] {
            let rules = rules_of(c, name);
            assert_eq!(
                rules.get(1).map(String::as_str),
                Some("meta nfproto ipv6 return"),
                "{name}"
            );
        }
        // DNS is still copied over IPv6: a resolver reached over it may answer for IPv4.
        for name in ["in", "dns_sent"] {
            let rules = rules_of(c, name);
            assert!(
                rules.first().is_some_and(|r| r.starts_with("udp ")),
                "{name}: {rules:?}"
            );
        }
        let with = chains(config(Some(4243), true));
        assert!(!with
            .iter()
            .any(|chain| chain.rules.iter().any(|r| r.contains("nfproto"))));
    }

    #[test]
    fn dns_answers_are_copied_before_the_guard_and_queries_once_let_out_by_this_host() {
        let c = config(Some(4243), true);
        assert_eq!(
            rules_of(c, "in"),
            [
                "udp sport 53 counter log group 4243 snaplen 4096".to_string(),
                format!("{GUARD} jump new_in"),
            ]
        );
        assert_eq!(
            rules_of(c, "dns_sent"),
            ["udp dport 53 counter meta skuid >= 0 fib saddr type local counter log group 4243 snaplen 4096"]
        );
        assert_eq!(hook_of(c, "dns_sent"), Some((HOOK_POSTROUTING, -150)));
        assert_eq!(chains(c).iter().filter(|c| c.hook.is_some()).count(), 5);
    }

    #[test]
    fn no_rule_needs_a_set_or_a_map_which_the_image_would_not_carry() {
        // The image copies rules alone (`nft_image.rs`): an anonymous set (`{ … }`) or a named
        // set, map or object (`@name`) would live in the build table and not come along.
        for config in [config(Some(4243), true), config(None, false)] {
            for chain in chains(config) {
                for rule in &chain.rules {
                    assert!(!rule.contains(['{', '@']), "{rule}");
                }
            }
        }
    }

    #[test]
    fn without_dns_names_no_packet_is_tested_for_port_53() {
        for chain in chains(config(None, true)) {
            for rule in &chain.rules {
                assert!(!rule.contains("53") && !rule.contains("log"), "{rule}");
            }
        }
    }

    #[test]
    fn the_whole_table_is_counted_chain_by_chain_with_the_queue_rules() {
        let count = |dns, ipv6| {
            let mut found = expected_rules(config(dns, ipv6));
            found.sort();
            found
                .into_iter()
                .map(|(chain, n)| format!("{chain} {n}"))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            count(Some(4243), true),
            [
                "dns_sent 1",
                "in 2",
                "in_verdict 1",
                "new_in 2",
                "new_out 2",
                "out 1",
                "out_verdict 1",
                "queue_in 1",
                "queue_out 1",
                "verdict 3"
            ]
        );
        let without = count(None, false);
        assert!(
            without.contains(&"new_out 3".to_string()) && without.contains(&"in 1".to_string())
        );
        assert!(!without.iter().any(|c| c.starts_with("dns_sent")));
    }

    #[test]
    fn the_sweep_finds_only_our_tables_of_this_version_and_older_ones() {
        let listed = "table inet filter\ntable inet zenithfence_4242\ntable inet zf_verdict_\n\
                      table inet zf_verdict_9x\ntable inet zf_alive_4242\ntable inet zf_verdict_7\n\
                      table inet zenithfence_\ntable inet zenithfence_1 2\n\
                      table inet zenithfence_build_9\ntable inet zenithfence_build_\n";
        assert_eq!(
            our_nft_tables(listed),
            vec!["zenithfence_4242", "zf_verdict_7", "zenithfence_build_9"]
        );
    }

    #[test]
    fn the_legacy_sweep_finds_jumps_of_any_older_layout_and_only_ours() {
        // `iptables -S OUTPUT` with an older version's guarded and unguarded jumps, and
        // somebody else's rules.
        let listed = "-P OUTPUT ACCEPT\n\
                      -A OUTPUT -m conntrack --ctstate NEW -j ZF_OUT\n\
                      -A OUTPUT -j ZF_OUT\n\
                      -A OUTPUT -p tcp -m tcp --dport 22 -j ACCEPT\n\
                      -A OUTPUT -j OTHER_ZF_CHAIN\n\
                      -A OUTPUT -m comment --comment \"-j ZF_OUT\" -j DROP\n";
        assert_eq!(
            jumps_to_remove(listed, "OUTPUT"),
            vec![
                vec!["-m", "conntrack", "--ctstate", "NEW", "-j", "ZF_OUT"],
                vec!["-j", "ZF_OUT"],
            ]
        );
        let chains = "-N ZF_OUT\n-N ZF_DNS_SENT\n-N MINE\n-A ZF_OUT -j RETURN\n";
        assert_eq!(our_chains(chains), vec!["ZF_OUT", "ZF_DNS_SENT"]);
    }
}
