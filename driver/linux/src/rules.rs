//! The netfilter rules that send new connections to our queue, installed atomically with
//! `iptables-nft-restore --noflush` for IPv4 and IPv6 (named explicitly: the alive table below is
//! nftables, and the rules must live in the same framework whichever `iptables` alternative the
//! host selected), and removed on exit or at the next start.
//!
//! Marks (bits of the packet mark and the conntrack mark):
//! - `ALLOW` (0x10000000): set by an accept verdict; the filter table saves it to the connmark, and
//!   packets of a flow with it in the connmark never reach the queue again (UDP flows are queued
//!   once, not per packet).
//! - `REJECT` (0x20000000): set by a block verdict; the filter table rejects the packet so the
//!   application gets an error at once (TCP reset, ICMP administratively prohibited).
//! - `ALIVE` (0x40000000): set by a `flags owner` nft table that exists only while our `nft -i`
//!   child lives. The queue rules require it, so when the daemon dies, even by SIGKILL, the
//!   kernel removes the table, the rules stop matching and traffic flows as if we were absent.
//!
//! Established traffic pays one comparison per hook and nothing else: every jump from a built-in
//! chain into ours is guarded by the match that tells whether the packet can concern us
//! (conntrack state NEW, a verdict bit in the packet mark, UDP port 53), so packets of flows
//! already decided never enter our chains. The NEW guard also tests the connmark, after the
//! state: a one-way UDP flow stays NEW, and its packets once allowed must not enter either. The
//! alive table's rule has no match at all (it only sets a bit), so it costs less than any test
//! of whether to set it.

use std::io::{self, Write};
use std::process::{Child, Command, Stdio};

/// Allow bit.
pub(crate) const MARK_ALLOW: u32 = 0x1000_0000;
/// Reject bit.
pub(crate) const MARK_REJECT: u32 = 0x2000_0000;
/// Both verdict bits.
pub(crate) const MARK_VERDICT_MASK: u32 = 0x3000_0000;
/// Alive bit.
pub(crate) const MARK_ALIVE: u32 = 0x4000_0000;

/// Every chain of ours starts with this; the fallback removal finds leftovers by it, whatever
/// layout an older version installed.
const CHAIN_PREFIX: &str = "ZF_";
const CHAIN_OUT: &str = "ZF_OUT";
const CHAIN_IN: &str = "ZF_IN";
const CHAIN_VERDICT: &str = "ZF_VERDICT";
const CHAIN_DNS_SENT: &str = "ZF_DNS_SENT";
const CHAIN_DNS_ANSWER: &str = "ZF_DNS_ANSWER";
/// The built-in chains our jumps may be in, per table.
const BUILTINS: [(&str, &[&str]); 2] = [
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

    fn reject_other(self) -> &'static str {
        match self {
            Family::V4 => "icmp-admin-prohibited",
            Family::V6 => "icmp6-adm-prohibited",
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

fn tables(family: Family, config: RuleConfig) -> [TableScript; 2] {
    let verdict_bits = format!("{MARK_VERDICT_MASK:#x}");
    // The guard on the jump tells undecided NEW packets apart, so the queue rule needs only the
    // alive bit.
    let queue = format!(
        "-m mark --mark {MARK_ALIVE:#x}/{MARK_ALIVE:#x} -j NFQUEUE --queue-num {} --queue-bypass",
        config.queue
    );
    // A UDP flow stays NEW until its first reply, so every packet of a one-way flow (a stream
    // sent, a log shipped) is NEW: the connmark test in the guard keeps those of an allowed
    // flow out of our chain, where they would only return at once. An established packet fails
    // the state test, the first, and pays nothing for the second.
    let undecided_new =
        format!("-m conntrack --ctstate NEW -m connmark ! --mark {MARK_ALLOW:#x}/{verdict_bits}");
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
        // OUTPUT (an accepted packet goes on to the next hook, a dropped one never arrives), our
        // REJECT of blocked packets in filter OUTPUT, and any other firewall's output rules. It
        // comes before source NAT (priority 100), so the query's source is still the socket's
        // address, which its answer is addressed to once conntrack has undone the NAT. The
        // alive bit is set in the output hook only, so forwarded queries (a router's, a
        // container's) are not taken for this host's. Queries of any conntrack state count: a
        // resolver may ask again from the same socket.
        mangle.jumps.push((
            "POSTROUTING",
            format!("-p udp --dport 53 -j {CHAIN_DNS_SENT}"),
        ));
        mangle.rules.push(format!(
            "-A {CHAIN_DNS_SENT} -m mark --mark {MARK_ALIVE:#x}/{MARK_ALIVE:#x} {log}"
        ));
    }
    // Only packets a verdict marked enter: established packets carry no verdict bit (the
    // connmark is never restored to the packet mark).
    let marked = format!("-m mark ! --mark 0x0/{verdict_bits}");
    let filter = TableScript {
        table: "filter",
        chains: vec![CHAIN_VERDICT],
        jumps: vec![
            ("OUTPUT", format!("{marked} -j {CHAIN_VERDICT}")),
            ("INPUT", format!("{marked} -j {CHAIN_VERDICT}")),
        ],
        rules: vec![
            format!(
                "-A {CHAIN_VERDICT} -m mark --mark {MARK_ALLOW:#x}/{verdict_bits} -j CONNMARK --save-mark --nfmask {verdict_bits} --ctmask {verdict_bits}"
            ),
            format!(
                "-A {CHAIN_VERDICT} -p tcp -m mark --mark {MARK_REJECT:#x}/{verdict_bits} -j REJECT --reject-with tcp-reset"
            ),
            format!(
                "-A {CHAIN_VERDICT} -m mark --mark {MARK_REJECT:#x}/{verdict_bits} -j REJECT --reject-with {}",
                family.reject_other()
            ),
        ],
    };
    [mangle, filter]
}

/// The `iptables-restore` script that installs our chains for one family.
pub(crate) fn install_script(family: Family, config: RuleConfig) -> String {
    let mut s = String::new();
    for table in tables(family, config) {
        s.push_str(&format!("*{}\n", table.table));
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
    }
    s
}

/// The `iptables-restore` script that removes what [`install_script`] added with the same
/// configuration, in one transaction. It fails as a whole if anything is missing; [`remove`]
/// then falls back.
pub(crate) fn removal_script(family: Family, config: RuleConfig) -> String {
    let mut s = String::new();
    for table in tables(family, config) {
        s.push_str(&format!("*{}\n", table.table));
        for (builtin, rule) in &table.jumps {
            s.push_str(&format!("-D {builtin} {rule}\n"));
        }
        for chain in &table.chains {
            s.push_str(&format!("-F {chain}\n-X {chain}\n"));
        }
        s.push_str("COMMIT\n");
    }
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
    if let Some(config) = config {
        if restore(family, &removal_script(family, config)).is_ok() {
            return;
        }
    }
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
    restore(family, &install_script(family, config))
}

/// Applies an `iptables-nft-restore --noflush` script as one transaction.
fn restore(family: Family, script: &str) -> io::Result<()> {
    let restore = format!("{}-restore", family.tool());
    let mut child = Command::new(&restore)
        .args(["-w", "--noflush"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| io::Error::new(e.kind(), format!("cannot run {restore}: {e}")))?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin.write_all(script.as_bytes())?;
    }
    let output = child.wait_with_output()?;
    if !output.status.success() {
        return Err(io::Error::other(format!(
            "{restore} refused the script: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        )));
    }
    Ok(())
}

/// The owner table that sets the alive bit while our `nft -i` child runs.
pub(crate) struct AliveTable {
    child: Child,
}

/// The nft table name (unique per queue, so two daemons in two namespaces never meet).
fn alive_table_name(queue: u16) -> String {
    format!("zf_alive_{queue}")
}

impl AliveTable {
    /// Starts `nft -i` and creates the owner table through its stdin, which stays open (and
    /// close-on-exec for any other child) for as long as we live.
    pub(crate) fn create(queue: u16) -> io::Result<AliveTable> {
        let mut child = Command::new("nft")
            .arg("-i")
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| io::Error::new(e.kind(), format!("cannot run nft: {e}")))?;
        let table = alive_table_name(queue);
        let script = format!(
            "add table inet {table} {{ flags owner; \
             chain o {{ type filter hook output priority -200; meta mark set meta mark or {MARK_ALIVE:#x}; }} ; \
             chain i {{ type filter hook input priority -200; meta mark set meta mark or {MARK_ALIVE:#x}; }} ; }}\n"
        );
        let stdin = child
            .stdin
            .as_mut()
            .ok_or_else(|| io::Error::other("nft has no stdin"))?;
        stdin.write_all(script.as_bytes())?;
        stdin.flush()?;
        let alive = AliveTable { child };
        alive.wait_until_present(&table)?;
        Ok(alive)
    }

    fn wait_until_present(&self, table: &str) -> io::Result<()> {
        for _ in 0..100 {
            if run_quiet("nft", &["list", "table", "inet", table]) {
                return Ok(());
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        Err(io::Error::other(format!(
            "the nft owner table {table} did not appear"
        )))
    }

    /// Ends the child; the kernel then deletes the table.
    pub(crate) fn remove(mut self) {
        drop(self.child.stdin.take());
        let _ = self.child.wait();
    }
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
    fn the_script_queues_only_new_flows_of_a_live_daemon_and_skips_decided_ones() {
        let script = install_script(Family::V6, config(Some(4243)));
        // A UDP flow is NEW until its first reply: the guard keeps its packets out once allowed.
        let guard = "-m conntrack --ctstate NEW -m connmark ! --mark 0x10000000/0x30000000";
        assert!(script.contains(&format!("-I OUTPUT 1 {guard} -j ZF_OUT\n")));
        assert!(script.contains(&format!("-I INPUT 1 {guard} -j ZF_IN\n")));
        assert!(script.contains(
            "-A ZF_OUT -m mark --mark 0x40000000/0x40000000 -j NFQUEUE --queue-num 4242 --queue-bypass"
        ));
        assert!(script.contains("--reject-with icmp6-adm-prohibited"));
        assert_eq!(script.matches("COMMIT").count(), 2);
    }

    #[test]
    fn every_jump_into_our_chains_is_guarded_by_cheap_matches() {
        let script = install_script(Family::V4, config(Some(4243)));
        let guards = [
            "-m conntrack --ctstate NEW -m connmark ! --mark 0x10000000/0x30000000",
            "-m mark ! --mark 0x0/0x30000000",
            "-p udp --sport 53",
            "-p udp --dport 53",
        ];
        let found = jumps(&script);
        assert_eq!(found.len(), 6, "{script}");
        for (builtin, rule) in found {
            let (guard, target) = rule.split_once(" -j ").unwrap_or(("", ""));
            assert!(
                guards.contains(&guard) && target.starts_with(CHAIN_PREFIX),
                "{builtin}: {rule}"
            );
        }
        // Nothing else is added to a built-in chain.
        assert!(!script.contains("-A OUTPUT") && !script.contains("-A INPUT"));
    }

    #[test]
    fn dns_answers_are_copied_before_any_other_rule_and_queries_once_let_out() {
        let script = install_script(Family::V4, config(Some(4243)));
        let mangle = script.split("*filter").next().unwrap_or("");
        let input: Vec<String> = jumps(mangle)
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
                    "-A ZF_DNS_SENT -m mark --mark 0x40000000/0x40000000 -j NFLOG --nflog-group 4243"
                ),
            "DNS queries this host sends are logged once let out"
        );
        assert!(
            !script.contains("-A ZF_OUT -p udp --dport 53"),
            "not before the verdict"
        );
    }

    #[test]
    fn without_dns_names_no_packet_is_tested_for_port_53() {
        let script = install_script(Family::V4, config(None));
        assert!(!script.contains("53"), "{script}");
        assert!(!script.contains("ZF_DNS"), "{script}");
    }

    #[test]
    fn the_removal_script_undoes_every_jump_and_chain_the_install_adds() {
        for dns in [None, Some(7)] {
            let install = install_script(Family::V4, config(dns));
            let removal = removal_script(Family::V4, config(dns));
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
