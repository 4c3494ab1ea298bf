//! Rule layouts that no daemon uses yet, for `bench established --probe`: what established
//! packets would pay with fewer base chains than today's (`src/rules.rs`: the alive table's
//! chain, the mangle guards, the filter verdict guards and the DNS guard in mangle POSTROUTING,
//! so four base chains on the output path and three on the input path). Each probe holds the
//! same guards and verdict handling as today, with the marks of `src/rules.rs` (allow
//! 0x10000000, reject 0x20000000), installed in namespace `a` with no daemon: whatever they
//! would queue passes (`--queue-bypass`), so only what established packets cross is measured.
//!
//! - P1, with what this kernel offers: the queue stays in iptables-nft's mangle chains (nft's
//!   own `queue` expression is missing here: "No such file or directory"), the verdict handling
//!   moves into one nft table at priority -149, right after the queue's chain, and no alive
//!   mark is set (`--queue-bypass` alone lets traffic pass when the daemon is gone); DNS queries
//!   are told from forwarded ones by their socket (`-m owner --socket-exists`). Output: three
//!   base chains, input: two.
//! - P2, everything in one nft table: one chain per hook, plus the DNS one on output (a query
//!   tells it is this host's by having a socket owner, `meta skuid`). Its new flows only count
//!   where ours would queue (that `queue` expression again). Output: two base chains, input:
//!   one.

use super::{ns_a, run, Res};

#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Layout {
    /// P1 (see the module's notes).
    VerdictsInNft,
    /// P2.
    OneTable,
}

/// The verdict handling both probes share: an allow mark goes to the conntrack mark, a reject
/// mark rejects (a reset for TCP, "administratively prohibited" otherwise).
const VERDICT_CHAIN: &str = "chain verdict { \
    meta mark & 0x30000000 == 0x10000000 ct mark set ct mark & 0xcfffffff | 0x10000000 return; \
    meta l4proto tcp meta mark & 0x30000000 == 0x20000000 reject with tcp reset; \
    meta mark & 0x30000000 == 0x20000000 reject with icmpx admin-prohibited; }";

/// P1's iptables-nft part: today's mangle guards and chains, without the alive mark.
const P1_MANGLE: &str = "*mangle
:ZF_OUT - [0:0]
:ZF_IN - [0:0]
:ZF_DNS_ANSWER - [0:0]
:ZF_DNS_SENT - [0:0]
-I OUTPUT 1 -m conntrack --ctstate NEW -m connmark ! --mark 0x10000000/0x30000000 -j ZF_OUT
-I INPUT 1 -m conntrack --ctstate NEW -m connmark ! --mark 0x10000000/0x30000000 -j ZF_IN
-I INPUT 1 -p udp --sport 53 -j ZF_DNS_ANSWER
-I POSTROUTING 1 -p udp --dport 53 -j ZF_DNS_SENT
-A ZF_OUT -o lo -j RETURN
-A ZF_OUT -j NFQUEUE --queue-num 4390 --queue-bypass
-A ZF_IN -i lo -j RETURN
-A ZF_IN -j NFQUEUE --queue-num 4390 --queue-bypass
-A ZF_DNS_ANSWER -j NFLOG --nflog-group 4391 --nflog-size 4096
-A ZF_DNS_SENT -m owner --socket-exists -j NFLOG --nflog-group 4391 --nflog-size 4096
COMMIT
";

impl Layout {
    pub(crate) const ALL: [Layout; 2] = [Layout::VerdictsInNft, Layout::OneTable];

    pub(crate) fn label(self) -> &'static str {
        match self {
            Layout::VerdictsInNft => "P1 probe: verdicts in nft, no alive mark",
            Layout::OneTable => "P2 probe: all in one nft table",
        }
    }

    /// The nft script of the probe's own table.
    fn nft_script(self) -> String {
        match self {
            Layout::VerdictsInNft => format!(
                "add table inet zf_probe {{ {VERDICT_CHAIN} ; \
                 chain o {{ type filter hook output priority -149; meta mark & 0x30000000 != 0 jump verdict; }} ; \
                 chain i {{ type filter hook input priority -149; meta mark & 0x30000000 != 0 jump verdict; }} ; }}"
            ),
            Layout::OneTable => format!(
                "add table inet zf_probe {{ {VERDICT_CHAIN} ; \
                 chain new_out {{ oifname \"lo\" return; counter; }} ; \
                 chain new_in {{ iifname \"lo\" return; counter; }} ; \
                 chain o {{ type filter hook output priority -150; \
                   ct state new ct mark & 0x30000000 != 0x10000000 jump new_out; \
                   meta mark & 0x30000000 != 0 jump verdict; }} ; \
                 chain i {{ type filter hook input priority -150; \
                   udp sport 53 log group 4391 snaplen 4096; \
                   ct state new ct mark & 0x30000000 != 0x10000000 jump new_in; \
                   meta mark & 0x30000000 != 0 jump verdict; }} ; \
                 chain p {{ type filter hook postrouting priority -150; \
                   udp dport 53 meta skuid ge 0 log group 4391 snaplen 4096; }} ; }}"
            ),
        }
    }

    /// Installs it in namespace `a`.
    pub(crate) fn install(self) -> Res<()> {
        if self == Layout::VerdictsInNft {
            restore(P1_MANGLE)?;
        }
        run("ip", &["netns", "exec", ns_a(), "nft", &self.nft_script()]).map(drop)
    }

    /// Removes all of it: namespace `a` holds nothing else while a probe runs.
    pub(crate) fn remove(self) -> Res<()> {
        run("ip", &["netns", "exec", ns_a(), "nft", "flush", "ruleset"]).map(drop)
    }
}

/// `iptables-nft-restore --noflush` of `script` in namespace `a`.
fn restore(script: &str) -> Res<()> {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let mut child = Command::new("ip")
        .args(["netns", "exec", ns_a(), "iptables-nft-restore", "--noflush"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("iptables-nft-restore: {e}"))?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin
            .write_all(script.as_bytes())
            .map_err(|e| format!("iptables-nft-restore: {e}"))?;
    }
    let out = child
        .wait_with_output()
        .map_err(|e| format!("iptables-nft-restore: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "iptables-nft-restore refused the probe: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}
