//! The netfilter rules that send new connections to our queue, installed atomically with
//! `iptables-nft-restore --noflush` for IPv4 and IPv6, and removed on exit or at the next start.
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

const CHAIN_OUT: &str = "ZF_OUT";
const CHAIN_IN: &str = "ZF_IN";
const CHAIN_VERDICT: &str = "ZF_VERDICT";
const CHAIN_DNS_SENT: &str = "ZF_DNS_SENT";
/// The jump to [`CHAIN_DNS_SENT`] (only DNS queries enter it).
const DNS_SENT_JUMP: &str = "-p udp --dport 53 -j ZF_DNS_SENT";

/// Which address family a script is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Family {
    /// iptables.
    V4,
    /// ip6tables.
    V6,
}

impl Family {
    fn tool(self) -> &'static str {
        match self {
            Family::V4 => "iptables",
            Family::V6 => "ip6tables",
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

/// The `iptables-restore` script that installs our chains for one family.
pub(crate) fn install_script(family: Family, config: RuleConfig) -> String {
    let queue = format!(
        "-m mark --mark {MARK_ALIVE:#x}/{MARK_ALIVE:#x} -m conntrack --ctstate NEW -j NFQUEUE --queue-num {} --queue-bypass",
        config.queue
    );
    let decided = format!("-m connmark --mark {MARK_ALLOW:#x}/{MARK_VERDICT_MASK:#x} -j RETURN");
    let mut s = String::new();
    s.push_str("*mangle\n");
    s.push_str(&format!(
        ":{CHAIN_OUT} - [0:0]\n:{CHAIN_IN} - [0:0]\n:{CHAIN_DNS_SENT} - [0:0]\n"
    ));
    s.push_str(&format!(
        "-I OUTPUT 1 -j {CHAIN_OUT}\n-I INPUT 1 -j {CHAIN_IN}\n-I POSTROUTING 1 {DNS_SENT_JUMP}\n"
    ));
    if let Some(group) = config.dns_log_group {
        // NFLOG only copies. DNS over TCP is not read (no names from it), so it is not copied.
        let log = format!("-j NFLOG --nflog-group {group} --nflog-size 4096");
        // Answers: first in ZF_IN, before any RETURN, since answers mostly belong to flows that
        // are already allowed (and never reach the queue again). An answer is only believed
        // when it matches a query we saw (core `dns_queries`).
        s.push_str(&format!("-A {CHAIN_IN} -p udp --sport 53 {log}\n"));
        // Queries: only once they were let out, so that a query the firewall blocked or dropped
        // does not count as asked (a forged answer to it would be believed). Mangle POSTROUTING
        // (priority -150) comes after every chain of the output hook: our queue here in mangle
        // OUTPUT (an accepted packet goes on to the next hook, a dropped one never arrives), our
        // REJECT of blocked packets in filter OUTPUT, and any other firewall's output rules. It
        // comes before source NAT (priority 100), so the query's source is still the socket's
        // address, which its answer is addressed to once conntrack has undone the NAT. The
        // alive bit is set in the output hook only, so forwarded queries (a router's, a
        // container's) are not taken for this host's.
        s.push_str(&format!(
            "-A {CHAIN_DNS_SENT} -m mark --mark {MARK_ALIVE:#x}/{MARK_ALIVE:#x} {log}\n"
        ));
    }
    s.push_str(&format!(
        "-A {CHAIN_OUT} -o lo -j RETURN\n-A {CHAIN_OUT} {decided}\n-A {CHAIN_OUT} {queue}\n"
    ));
    s.push_str(&format!(
        "-A {CHAIN_IN} -i lo -j RETURN\n-A {CHAIN_IN} {decided}\n-A {CHAIN_IN} {queue}\n"
    ));
    s.push_str("COMMIT\n*filter\n");
    s.push_str(&format!(":{CHAIN_VERDICT} - [0:0]\n"));
    s.push_str(&format!(
        "-I OUTPUT 1 -j {CHAIN_VERDICT}\n-I INPUT 1 -j {CHAIN_VERDICT}\n"
    ));
    s.push_str(&format!(
        "-A {CHAIN_VERDICT} -m mark --mark {MARK_ALLOW:#x}/{MARK_VERDICT_MASK:#x} -j CONNMARK --save-mark --nfmask {MARK_VERDICT_MASK:#x} --ctmask {MARK_VERDICT_MASK:#x}\n"
    ));
    s.push_str(&format!(
        "-A {CHAIN_VERDICT} -p tcp -m mark --mark {MARK_REJECT:#x}/{MARK_VERDICT_MASK:#x} -j REJECT --reject-with tcp-reset\n"
    ));
    s.push_str(&format!(
        "-A {CHAIN_VERDICT} -m mark --mark {MARK_REJECT:#x}/{MARK_VERDICT_MASK:#x} -j REJECT --reject-with {}\n",
        family.reject_other()
    ));
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

/// The `iptables-restore` script that removes what [`install_script`] added, in one
/// transaction. It fails as a whole if anything is missing; [`remove`] then falls back.
pub(crate) fn removal_script() -> String {
    format!(
        "*mangle\n-D OUTPUT -j {CHAIN_OUT}\n-D INPUT -j {CHAIN_IN}\n-D POSTROUTING {DNS_SENT_JUMP}\n\
         -F {CHAIN_OUT}\n-F {CHAIN_IN}\n-F {CHAIN_DNS_SENT}\n-X {CHAIN_OUT}\n-X {CHAIN_IN}\n-X {CHAIN_DNS_SENT}\nCOMMIT\n\
         *filter\n-D OUTPUT -j {CHAIN_VERDICT}\n-D INPUT -j {CHAIN_VERDICT}\n-F {CHAIN_VERDICT}\n-X {CHAIN_VERDICT}\nCOMMIT\n"
    )
}

/// Removes our chains and jumps of one family: in one transaction when they are all there (a
/// clean stop), else one by one, tolerating any of them being absent (a leftover of a killed
/// daemon, a second jump, or nothing at all).
pub(crate) fn remove(family: Family) {
    if restore(family, &removal_script()).is_ok() {
        return;
    }
    let tool = family.tool();
    let jump = |chain| format!("-j {chain}");
    for (table, builtin, rule) in [
        ("mangle", "OUTPUT", jump(CHAIN_OUT)),
        ("mangle", "INPUT", jump(CHAIN_IN)),
        ("mangle", "POSTROUTING", DNS_SENT_JUMP.to_string()),
        ("filter", "OUTPUT", jump(CHAIN_VERDICT)),
        ("filter", "INPUT", jump(CHAIN_VERDICT)),
    ] {
        let mut args = vec!["-w", "-t", table, "-D", builtin];
        args.extend(rule.split(' '));
        // A jump may have been inserted more than once by an older start; remove them all.
        while run_quiet(tool, &args) {}
    }
    for (table, chain) in [
        ("mangle", CHAIN_OUT),
        ("mangle", CHAIN_IN),
        ("mangle", CHAIN_DNS_SENT),
        ("filter", CHAIN_VERDICT),
    ] {
        run_quiet(tool, &["-w", "-t", table, "-F", chain]);
        run_quiet(tool, &["-w", "-t", table, "-X", chain]);
    }
}

/// Installs the rules of one family in one transaction.
pub(crate) fn install(family: Family, config: RuleConfig) -> io::Result<()> {
    restore(family, &install_script(family, config))
}

/// Applies an `iptables-restore --noflush` script as one transaction.
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

    #[test]
    fn the_script_queues_only_new_flows_of_a_live_daemon_and_skips_decided_ones() {
        let script = install_script(
            Family::V6,
            RuleConfig {
                queue: 4242,
                dns_log_group: Some(4243),
            },
        );
        assert!(script.contains(
            "-A ZF_OUT -m mark --mark 0x40000000/0x40000000 -m conntrack --ctstate NEW -j NFQUEUE --queue-num 4242 --queue-bypass"
        ));
        assert!(script.contains("-A ZF_IN -m connmark --mark 0x10000000/0x30000000 -j RETURN"));
        assert!(script.contains("--reject-with icmp6-adm-prohibited"));
        let position = |needle: &str| script.find(needle).unwrap_or(usize::MAX);
        let answers = position("-A ZF_IN -p udp --sport 53 -j NFLOG --nflog-group 4243");
        let first_return = script.find("-j RETURN").unwrap_or(0);
        assert!(
            answers < first_return,
            "DNS answers are logged before any RETURN"
        );
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
        assert_eq!(script.matches("COMMIT").count(), 2);
    }

    #[test]
    fn the_removal_script_undoes_every_jump_and_chain_the_install_adds() {
        let install = install_script(
            Family::V4,
            RuleConfig {
                queue: 1,
                dns_log_group: None,
            },
        );
        let removal = removal_script();
        for line in install.lines() {
            if let Some(rest) = line.strip_prefix("-I ") {
                let (builtin, rule) = rest.split_once(" 1 ").unwrap_or(("", ""));
                assert!(
                    removal.contains(&format!("-D {builtin} {rule}\n")),
                    "{line}"
                );
            }
            if let Some(chain) = line.strip_prefix(':') {
                let chain = chain.split(' ').next().unwrap_or("");
                assert!(removal.contains(&format!("-X {chain}\n")), "{line}");
            }
        }
    }
}
