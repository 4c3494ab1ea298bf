//! The netfilter rules that send new connections to our queue and apply the verdicts, in two
//! parts, installed before the daemon serves and removed on exit or at the next start:
//! - The queue's chains, in iptables-nft's mangle table, installed atomically with
//!   `iptables-nft-restore --noflush` for IPv4 and IPv6. They use the NFQUEUE target because
//!   nft's own `queue` expression is a module some kernels do not have (this test VM's kernel
//!   has none and loads no modules). The tool is named explicitly so both parts live in
//!   nftables, whichever `iptables` alternative the host selected.
//! - The verdicts' chains, in one nft table of family `inet` ([`VerdictTable`]): a base chain on
//!   the output and on the input hook at priority -149, right after mangle's (-150), where a
//!   packet the queue accepted goes on.
//!
//! Marks (bits of the packet mark and the conntrack mark):
//! - `ALLOW` (0x10000000): set by an accept verdict; the verdict table saves it to the
//!   connmark, and packets of a flow with it in the connmark never reach the queue again (UDP
//!   flows are queued once, not per packet).
//! - `REJECT` (0x20000000): a block verdict sets the whole mark to [`MARK_BLOCKED`], which has
//!   this bit; the verdict table rejects a packet with exactly that mark, so the application
//!   gets an error at once (TCP reset, ICMP administratively prohibited).
//!
//! The verdict table's guard also requires conntrack state NEW: the queue only ever holds NEW
//! packets, so a verdict only ever marks those, and the established packets of software that
//! uses these bits of the mark for itself are never entered, let alone rejected.
//!
//! The built-in chains iptables-nft creates for our jumps are deleted after removal by the
//! caller, if they did not exist before (`builtin_chains.rs`): left in place, empty, they would
//! cost every packet a hook call.
//!
//! When the daemon dies, even by SIGKILL, its queue has no reader, and every packet the queue
//! rules send there passes (`--queue-bypass`): traffic flows as if we were absent until the next
//! start sweeps the rules. A leftover verdict table rejects nothing but packets with the exact
//! mark only a block verdict gives. (Until 2026-12 an nft table owned by an `nft -i` child set an "alive" bit on
//! every packet, and the queue rules required it; it cost every established packet a base chain
//! and gave nothing `--queue-bypass` does not.)
//!
//! Established traffic pays a guard per jump and nothing else: every jump into a chain of ours
//! is guarded by the match that tells whether the packet can concern us (conntrack state NEW, a
//! verdict bit in the packet mark, UDP port 53), so packets of flows already decided never
//! enter. The NEW guard also tests the connmark, after the state: a one-way UDP flow stays NEW,
//! and its packets once allowed must not enter either. That is two base chains on the output
//! path (three with DNS names: the query copy in POSTROUTING) and two on the input path (where,
//! with DNS names, mangle INPUT tests the answers' port before the NEW guard).

use std::io::{self, Write};
use std::process::{Command, Stdio};

/// Allow bit.
pub(crate) const MARK_ALLOW: u32 = 0x1000_0000;
/// Reject bit.
pub(crate) const MARK_REJECT: u32 = 0x2000_0000;
/// The whole mark a block verdict gives its packet: the reject bit (which the guard tests) with
/// other bits no other software is likely to set all at once, so that the verdict table rejects
/// only packets the daemon blocked, not every one whose mark happens to carry bit 29 (a VPN's
/// fwmark, for example). The packet is rejected at once, so its other bits are not needed.
pub(crate) const MARK_BLOCKED: u32 = MARK_REJECT | 0x0B10_CCED;
/// Both verdict bits.
pub(crate) const MARK_VERDICT_MASK: u32 = 0x3000_0000;

/// Every chain of ours starts with this; the fallback removal finds leftovers by it, whatever
/// layout an older version installed.
const CHAIN_PREFIX: &str = "ZF_";
const CHAIN_OUT: &str = "ZF_OUT";
const CHAIN_IN: &str = "ZF_IN";
const CHAIN_DNS_SENT: &str = "ZF_DNS_SENT";
const CHAIN_DNS_ANSWER: &str = "ZF_DNS_ANSWER";
/// The built-in chains our jumps may be in, per table: the fallback removal also sweeps filter,
/// where versions before 2026-12 applied the verdicts.
pub(crate) const BUILTINS: [(&str, &[&str]); 2] = [
    ("mangle", &["OUTPUT", "INPUT", "POSTROUTING"]),
    ("filter", &["OUTPUT", "INPUT"]),
];

/// Which address family a script is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Family {
    /// iptables.
    V4,
    /// ip6tables.
    V6,
}

impl Family {
    /// The nft-based tool, by its own name (see the module comment).
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
}

/// One table of a script: the chains it creates, the guarded jumps into them from built-in
/// chains (inserted first, in this order), and the rules of our chains.
struct TableScript {
    table: &'static str,
    chains: Vec<&'static str>,
    /// `(built-in chain, rule)`, the rule ending in `-j OUR_CHAIN`.
    jumps: Vec<(&'static str, String)>,
    rules: Vec<String>,
}

fn mangle(config: RuleConfig) -> TableScript {
    // The guard on the jump tells undecided NEW packets apart, so the queue rule needs no match.
    let queue = format!("-j NFQUEUE --queue-num {} --queue-bypass", config.queue);
    // A UDP flow stays NEW until its first reply, so every packet of a one-way flow (a stream
    // sent, a log shipped) is NEW: the connmark test in the guard keeps those of an allowed
    // flow out of our chain, where they would only return at once. An established packet fails
    // the state test, the first, and pays nothing for the second.
    let undecided_new = format!(
        "-m conntrack --ctstate NEW -m connmark ! --mark {MARK_ALLOW:#x}/{MARK_VERDICT_MASK:#x}"
    );
    let mut mangle = TableScript {
        table: "mangle",
        chains: vec![CHAIN_OUT, CHAIN_IN],
        jumps: vec![
            ("OUTPUT", format!("{undecided_new} -j {CHAIN_OUT}")),
            ("INPUT", format!("{undecided_new} -j {CHAIN_IN}")),
        ],
        rules: vec![
            format!("-A {CHAIN_OUT} -o lo -j RETURN"),
            format!("-A {CHAIN_OUT} {queue}"),
            format!("-A {CHAIN_IN} -i lo -j RETURN"),
            format!("-A {CHAIN_IN} {queue}"),
        ],
    };
    if let Some(group) = config.dns_log_group {
        // NFLOG only copies. DNS over TCP is not read (no names from it), so it is not copied.
        let log = format!("-j NFLOG --nflog-group {group} --nflog-size 4096");
        mangle.chains.extend([CHAIN_DNS_ANSWER, CHAIN_DNS_SENT]);
        // Answers: their jump goes before the one for new flows, since answers mostly belong to
        // flows that are already allowed (and never reach the queue again). An answer is only
        // believed when it matches a query we saw (core `dns_queries`).
        mangle
            .jumps
            .push(("INPUT", format!("-p udp --sport 53 -j {CHAIN_DNS_ANSWER}")));
        mangle.rules.push(format!("-A {CHAIN_DNS_ANSWER} {log}"));
        // Queries: only once they were let out, so that a query the firewall blocked or dropped
        // does not count as asked (a forged answer to it would be believed). Mangle POSTROUTING
        // (priority -150) comes after every chain of the output hook: our queue here in mangle
        // OUTPUT (an accepted packet goes on to the next hook, a dropped one never arrives), the
        // verdict table's REJECT of blocked packets, and any other firewall's output rules. It
        // comes before source NAT (priority 100), so the query's source is still the socket's
        // address, which its answer is addressed to once conntrack has undone the NAT. Only
        // packets with a socket and a source address of this host are this host's own: queries
        // forwarded for a router's or a container's clients have no socket, and their source
        // is not ours (source NAT comes later); a bridged guest's frames may carry a socket of
        // the host's tun device, but not a source of ours. (A query whose socket was closed while
        // the queue held it no longer has one either; no answer could reach it.) Queries of any
        // conntrack state count: a resolver may ask again from the same socket.
        mangle.jumps.push((
            "POSTROUTING",
            format!("-p udp --dport 53 -j {CHAIN_DNS_SENT}"),
        ));
        mangle.rules.push(format!(
            "-A {CHAIN_DNS_SENT} -m owner --socket-exists -m addrtype --src-type LOCAL {log}"
        ));
    }
    mangle
}

/// The `iptables-restore` script that installs our chains for one family (the same for both).
pub(crate) fn install_script(config: RuleConfig) -> String {
    let table = mangle(config);
    let mut s = format!("*{}\n", table.table);
    for chain in &table.chains {
        s.push_str(&format!(":{chain} - [0:0]\n"));
    }
    for (builtin, rule) in &table.jumps {
        s.push_str(&format!("-I {builtin} 1 {rule}\n"));
    }
    for rule in &table.rules {
        s.push_str(rule);
        s.push('\n');
    }
    s.push_str("COMMIT\n");
    s
}

/// The `iptables-restore` script that removes what [`install_script`] added with the same
/// configuration, in one transaction. It fails as a whole if anything is missing; [`remove`]
/// then falls back.
pub(crate) fn removal_script(config: RuleConfig) -> String {
    let table = mangle(config);
    let mut s = format!("*{}\n", table.table);
    for (builtin, rule) in &table.jumps {
        s.push_str(&format!("-D {builtin} {rule}\n"));
    }
    for chain in &table.chains {
        s.push_str(&format!("-F {chain}\n-X {chain}\n"));
    }
    s.push_str("COMMIT\n");
    s
}

fn run_quiet(program: &str, args: &[&str]) -> bool {
    Command::new(program)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Removes our chains and jumps of one family: in one transaction when exactly what `config`
/// installs is there (a clean stop), else rule by rule, whatever is there (`config` is `None`
/// for leftovers of a killed daemon or of an older version with another layout).
pub(crate) fn remove(family: Family, config: Option<RuleConfig>) {
    let removed = config.is_some_and(|config| restore(family, &removal_script(config)).is_ok());
    if !removed {
        remove_whatever_is_there(family);
    }
}

/// The fallback of [`remove`]: every jump of ours and every chain named like ours, rule by rule.
fn remove_whatever_is_there(family: Family) {
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

/// Installs the rules of one family in one transaction.
pub(crate) fn install(family: Family, config: RuleConfig) -> io::Result<()> {
    restore(family, &install_script(config))
}

/// Applies an `iptables-nft-restore --noflush` script as one transaction.
fn restore(family: Family, script: &str) -> io::Result<()> {
    let restore = format!("{}-restore", family.tool());
    run_script(&restore, &["-w", "--noflush"], script, "the script")
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

/// Every nft table of ours starts with this (one per queue number, so the names of daemons in
/// two namespaces never meet, and the sweep finds a leftover whatever queue it served).
const VERDICT_TABLE_PREFIX: &str = "zf_verdict_";

/// The nft table that applies the verdicts (see the module's notes).
pub(crate) struct VerdictTable {
    name: String,
}

/// The nft script of the verdict table for `queue`: the table is created if missing and
/// deleted in the same transaction, so a leftover of an earlier run is replaced, never doubled.
pub(crate) fn verdict_table_script(queue: u16) -> String {
    let name = format!("{VERDICT_TABLE_PREFIX}{queue}");
    let bits = format!("{MARK_VERDICT_MASK:#x}");
    // Only a NEW packet with a verdict bit enters `verdict`: the queue holds NEW packets only,
    // and our marks never reach an established one (the connmark is never restored to the
    // packet mark). An established packet fails the mark test, the first. The counter counts
    // those that enter.
    let guard = format!("meta mark & {bits} != 0 ct state new counter jump verdict");
    format!(
        "add table inet {name}\n\
         delete table inet {name}\n\
         table inet {name} {{\n\
         \tchain verdict {{\n\
         \t\tmeta mark & {bits} == {MARK_ALLOW:#x} ct mark set ct mark & {keep:#x} | {MARK_ALLOW:#x} return\n\
         \t\tmeta mark {MARK_BLOCKED:#x} meta l4proto tcp reject with tcp reset\n\
         \t\tmeta mark {MARK_BLOCKED:#x} reject with icmpx admin-prohibited\n\
         \t}}\n\
         \tchain out {{\n\
         \t\ttype filter hook output priority -149; policy accept;\n\
         \t\t{guard}\n\
         \t}}\n\
         \tchain in {{\n\
         \t\ttype filter hook input priority -149; policy accept;\n\
         \t\t{guard}\n\
         \t}}\n\
         }}\n",
        keep = !MARK_VERDICT_MASK,
    )
}

impl VerdictTable {
    /// Installs the table for `queue` (replacing a leftover of the same name).
    pub(crate) fn install(queue: u16) -> io::Result<VerdictTable> {
        run_script(
            "nft",
            &["-f", "-"],
            &verdict_table_script(queue),
            "the verdict table",
        )?;
        Ok(VerdictTable {
            name: format!("{VERDICT_TABLE_PREFIX}{queue}"),
        })
    }

    /// Deletes the table. Only once no packet of ours can be answered any more: a block
    /// verdict given after it is gone would let its packet through.
    pub(crate) fn remove(self) {
        run_quiet("nft", &["delete", "table", "inet", &self.name]);
    }
}

/// Deletes every verdict table of ours, whatever queue it was for (leftovers of a killed
/// daemon; a running one in this namespace would hold the namespace lock, so there is none).
pub(crate) fn remove_leftover_verdict_tables() {
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

/// From `nft list tables inet`: our verdict tables.
fn our_nft_tables(listed: &str) -> Vec<String> {
    listed
        .lines()
        .filter_map(|line| line.trim().strip_prefix("table inet "))
        .map(str::trim)
        .filter(|name| {
            name.strip_prefix(VERDICT_TABLE_PREFIX)
                .is_some_and(|queue| !queue.is_empty() && queue.bytes().all(|b| b.is_ascii_digit()))
        })
        .map(str::to_string)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(dns_log_group: Option<u16>) -> RuleConfig {
        RuleConfig {
            queue: 4242,
            dns_log_group,
        }
    }

    /// The `-I` lines of a script: (built-in chain, rule).
    fn jumps(script: &str) -> Vec<(String, String)> {
        script
            .lines()
            .filter_map(|line| line.strip_prefix("-I "))
            .filter_map(|rest| rest.split_once(" 1 "))
            .map(|(builtin, rule)| (builtin.to_string(), rule.to_string()))
            .collect()
    }

    #[test]
    fn the_script_queues_only_new_flows_and_skips_decided_ones() {
        let script = install_script(config(Some(4243)));
        // A UDP flow is NEW until its first reply: the guard keeps its packets out once allowed.
        let guard = "-m conntrack --ctstate NEW -m connmark ! --mark 0x10000000/0x30000000";
        assert!(script.contains(&format!("-I OUTPUT 1 {guard} -j ZF_OUT\n")));
        assert!(script.contains(&format!("-I INPUT 1 {guard} -j ZF_IN\n")));
        // With no reader (a dead daemon) the queue lets everything pass.
        assert!(script.contains("-A ZF_OUT -j NFQUEUE --queue-num 4242 --queue-bypass\n"));
        assert!(script.contains("-A ZF_IN -j NFQUEUE --queue-num 4242 --queue-bypass\n"));
        // Only mangle: the verdicts are the nft table's.
        assert!(script.starts_with("*mangle\n") && !script.contains("*filter"));
        assert_eq!(script.matches("COMMIT").count(), 1);
    }

    #[test]
    fn every_jump_into_our_chains_is_guarded_by_cheap_matches() {
        let script = install_script(config(Some(4243)));
        let guards = [
            "-m conntrack --ctstate NEW -m connmark ! --mark 0x10000000/0x30000000",
            "-p udp --sport 53",
            "-p udp --dport 53",
        ];
        let found = jumps(&script);
        assert_eq!(found.len(), 4, "{script}");
        for (builtin, rule) in found {
            let (guard, target) = rule.split_once(" -j ").unwrap_or(("", ""));
            assert!(
                guards.contains(&guard) && target.starts_with(CHAIN_PREFIX),
                "{builtin}: {rule}"
            );
        }
        // Nothing else is added to a built-in chain.
        assert!(!script.contains("-A OUTPUT") && !script.contains("-A INPUT"));
        assert!(!script.contains("-A POSTROUTING"));
    }

    #[test]
    fn dns_answers_are_copied_before_any_other_rule_and_queries_once_let_out() {
        let script = install_script(config(Some(4243)));
        let input: Vec<String> = jumps(&script)
            .into_iter()
            .filter(|(builtin, _)| builtin == "INPUT")
            .map(|(_, rule)| rule)
            .collect();
        // Inserted at position 1 after the others, so it ends up first.
        assert_eq!(
            input.last().map(String::as_str),
            Some("-p udp --sport 53 -j ZF_DNS_ANSWER")
        );
        assert!(script.contains("-A ZF_DNS_ANSWER -j NFLOG --nflog-group 4243 --nflog-size 4096"));
        assert!(
            script.contains("-I POSTROUTING 1 -p udp --dport 53 -j ZF_DNS_SENT\n")
                && script.contains(
                    "-A ZF_DNS_SENT -m owner --socket-exists -m addrtype --src-type LOCAL -j NFLOG --nflog-group 4243"
                ),
            "DNS queries this host's sockets send are logged once let out"
        );
        assert!(
            !script.contains("-A ZF_OUT -p udp --dport 53"),
            "not before the verdict"
        );
    }

    #[test]
    fn without_dns_names_no_packet_is_tested_for_port_53() {
        let script = install_script(config(None));
        assert!(!script.contains("53"), "{script}");
        assert!(!script.contains("ZF_DNS"), "{script}");
    }

    #[test]
    fn the_removal_script_undoes_every_jump_and_chain_the_install_adds() {
        for dns in [None, Some(7)] {
            let install = install_script(config(dns));
            let removal = removal_script(config(dns));
            for (builtin, rule) in jumps(&install) {
                assert!(
                    removal.contains(&format!("-D {builtin} {rule}\n")),
                    "{rule}"
                );
            }
            let created = install.lines().filter(|l| l.starts_with(':')).count();
            assert_eq!(removal.matches("-X ").count(), created);
            for line in install.lines() {
                if let Some(chain) = line.strip_prefix(':') {
                    let chain = chain.split(' ').next().unwrap_or("");
                    assert!(
                        removal.contains(&format!("-F {chain}\n-X {chain}\n")),
                        "{line}"
                    );
                }
            }
        }
    }

    #[test]
    fn the_verdict_table_saves_allow_rejects_block_and_is_entered_only_by_marked_packets() {
        let script = verdict_table_script(4242);
        // Replaced, never doubled: created if missing, deleted and defined in one transaction.
        assert!(script.starts_with(
            "add table inet zf_verdict_4242\ndelete table inet zf_verdict_4242\ntable inet zf_verdict_4242 {"
        ));
        // The connmark keeps its other bits; allow is set and reject cleared, as
        // `CONNMARK --save-mark --nfmask 0x30000000 --ctmask 0x30000000` did.
        assert!(script.contains(
            "meta mark & 0x30000000 == 0x10000000 ct mark set ct mark & 0xcfffffff | 0x10000000 return"
        ));
        // Only the exact mark a block verdict gives is rejected.
        assert!(script.contains("meta mark 0x2b10cced meta l4proto tcp reject with tcp reset"));
        assert!(script.contains("meta mark 0x2b10cced reject with icmpx admin-prohibited"));
        assert_eq!(MARK_BLOCKED & MARK_VERDICT_MASK, MARK_REJECT);
        // Right after mangle (-150), on both hooks, each with the one guard and nothing else.
        for hook in ["output", "input"] {
            assert!(script.contains(&format!(
                "type filter hook {hook} priority -149; policy accept;\n\t\tmeta mark & 0x30000000 != 0 ct state new counter jump verdict\n\t}}"
            )));
        }
        assert_eq!(script.matches("hook").count(), 2, "{script}");
    }

    #[test]
    fn the_sweep_finds_only_our_verdict_tables() {
        let listed = "table inet filter\ntable inet zf_verdict_4242\ntable inet zf_verdict_\n\
                      table inet zf_verdict_9x\ntable inet zf_alive_4242\ntable inet zf_verdict_7\n";
        assert_eq!(
            our_nft_tables(listed),
            vec!["zf_verdict_4242", "zf_verdict_7"]
        );
    }

    #[test]
    fn the_fallback_finds_jumps_of_any_layout_and_only_ours() {
        // `iptables -S OUTPUT` with this version's jump, an older version's unguarded one, and
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
