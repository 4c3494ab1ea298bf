//! `bench established --profile`: where the CPU goes while a flow runs, from `perf record -a -g`
//! (Debian's `linux-perf`). A throughput ratio on this VM moves by several percent between
//! rounds, more than the 1 % the goal asks about; the share of CPU samples spent inside the
//! netfilter hooks is what established packets pay, counted directly and steady from round to
//! round. Each sample's kernel call chain is read leaf first: a sample is inside the hooks when
//! `nf_hook_slow` is on it, and the frame it called (the hook function) tells whose cost it is:
//! connection tracking, a rule chain (ours, or A's single `ct state` rule), or the rest (the hook
//! loop itself, NFQUEUE, NFLOG).

use std::fs;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use super::{run, wait_bounded, Res};

/// The directory a flow's samples are written to: made afresh for each flow, root's alone (a
/// fixed name in /tmp that another user could have made first is refused), removed after each
/// read (and by `sweep` after a killed run).
pub(crate) const DATA_DIR: &str = "/tmp/zfbench-profile";
const DATA_FILE: &str = "/tmp/zfbench-profile/perf.data";

/// Samples per second and CPU: enough for a share of a few percent to be known to a few tenths
/// in a 3 s flow, little enough that perf's own work stays small beside iperf3's.
const FREQUENCY: &str = "999";

/// Sample counts of one flow (all CPUs).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(crate) struct HookShares {
    /// Samples not in the idle loop (interrupts taken while idle count as busy).
    pub(crate) busy: u64,
    /// Of those, inside a netfilter hook.
    pub(crate) hooks: u64,
    /// Of those, in connection tracking's hook functions (lookup, confirm, defragmentation).
    pub(crate) conntrack: u64,
    /// In rule chains: nftables base chains, iptables-nft's (the route-type mangle OUTPUT
    /// included) and ours.
    pub(crate) chains: u64,
}

impl HookShares {
    /// `part` as a percentage of the busy samples.
    pub(crate) fn percent(&self, part: u64) -> f64 {
        if self.busy == 0 {
            f64::NAN
        } else {
            100.0 * part as f64 / self.busy as f64
        }
    }

    /// Hook samples that are neither connection tracking nor a chain.
    pub(crate) fn other(&self) -> u64 {
        self.hooks
            .saturating_sub(self.conntrack)
            .saturating_sub(self.chains)
    }
}

/// Whose cost a hook function is.
#[derive(Clone, Copy, Debug, PartialEq)]
enum HookKind {
    Conntrack,
    Chain,
    Other,
}

fn kind_of(hook_function: &str) -> HookKind {
    const CONNTRACK: [&str; 6] = [
        "ipv4_conntrack",
        "ipv6_conntrack",
        "ipv4_confirm",
        "ipv6_confirm",
        "nf_confirm",
        "nf_conntrack",
    ];
    // NAT's hooks run the nat chains (`nf_nat_inet_fn` → `nft_nat_do_chain`).
    const CHAINS: [&str; 5] = [
        "nft_do_chain",
        "nf_route_table_hook",
        "iptable_",
        "ip6table_",
        "nf_nat_",
    ];
    if CONNTRACK.iter().any(|p| hook_function.starts_with(p)) || hook_function == "ipv6_defrag" {
        HookKind::Conntrack
    } else if CHAINS.iter().any(|p| hook_function.starts_with(p)) {
        HookKind::Chain
    } else {
        HookKind::Other
    }
}

/// Counts the samples of `perf script -F pid,ip,sym` output: a sample is a header line (the pid)
/// and its call chain, one tab-indented "ADDRESS SYMBOL" line per frame, leaf first, then an
/// empty line. Symbols perf could not name count as frames without a name.
pub(crate) fn count(script: &str) -> HookShares {
    let mut shares = HookShares::default();
    let mut frames: Vec<&str> = Vec::new();
    let mut in_sample = false;
    let finish = |frames: &mut Vec<&str>, shares: &mut HookShares| {
        add_sample(frames, shares);
        frames.clear();
    };
    for line in script.lines() {
        if let Some(frame) = line.strip_prefix('\t') {
            let name = frame.split_whitespace().nth(1).unwrap_or("");
            // "name+0x1f" with --symoff; plain names otherwise.
            frames.push(name.split('+').next().unwrap_or(name));
        } else if line.trim().is_empty() {
            if in_sample {
                finish(&mut frames, &mut shares);
            }
            in_sample = false;
        } else {
            if in_sample {
                finish(&mut frames, &mut shares);
            }
            in_sample = true;
        }
    }
    if in_sample {
        finish(&mut frames, &mut shares);
    }
    shares
}

/// Adds one sample, given its frames leaf first.
fn add_sample(frames: &[&str], shares: &mut HookShares) {
    let interrupted = frames
        .iter()
        .any(|f| f.starts_with("asm_") || *f == "handle_softirqs" || *f == "__do_softirq");
    if frames.contains(&"do_idle") && !interrupted {
        return;
    }
    shares.busy += 1;
    // The innermost hook call is whose the sample is.
    let Some(at) = frames.iter().position(|f| *f == "nf_hook_slow") else {
        return;
    };
    shares.hooks += 1;
    let called = at.checked_sub(1).and_then(|i| frames.get(i)).copied();
    match called.map_or(HookKind::Other, kind_of) {
        HookKind::Conntrack => shares.conntrack += 1,
        HookKind::Chain => shares.chains += 1,
        HookKind::Other => {}
    }
}

/// A running `perf record -a -g` of the whole machine.
pub(crate) struct Recording {
    perf: Child,
}

impl Recording {
    /// Starts recording into a fresh [`DATA_DIR`].
    pub(crate) fn start() -> Res<Recording> {
        use std::os::unix::fs::DirBuilderExt;
        let _ = fs::remove_dir_all(DATA_DIR);
        fs::DirBuilder::new()
            .mode(0o700)
            .create(DATA_DIR)
            .map_err(|e| format!("cannot make {DATA_DIR} afresh: {e}"))?;
        let perf = Command::new("perf")
            .args(["record", "-a", "-g", "-q", "-F", FREQUENCY, "-o", DATA_FILE])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("--profile needs perf (apt install linux-perf): {e}"))?;
        // perf opens its events before it samples; a flow started before that would be cut.
        std::thread::sleep(Duration::from_millis(300));
        Ok(Recording { perf })
    }

    /// Stops the recording and counts its samples; the data is removed either way.
    pub(crate) fn finish(mut self) -> Res<HookShares> {
        let result = self.stop_and_count();
        let _ = fs::remove_dir_all(DATA_DIR);
        result
    }

    fn stop_and_count(&mut self) -> Res<HookShares> {
        // SIGINT: perf writes its header and ends (SIGKILL would leave an unreadable file).
        run("kill", &["-INT", &self.perf.id().to_string()])?;
        if wait_bounded(&mut self.perf, Duration::from_secs(20)).is_none() {
            return Err("perf record did not end within 20 s of SIGINT".into());
        }
        if !Path::new(DATA_FILE).exists() {
            return Err("perf record wrote nothing (perf_event_paranoid?)".into());
        }
        let script = run("perf", &["script", "-i", DATA_FILE, "-F", "pid,ip,sym"])?;
        let shares = count(&script);
        if shares.busy == 0 {
            return Err("perf recorded no samples outside the idle loop".into());
        }
        Ok(shares)
    }
}

impl Drop for Recording {
    fn drop(&mut self) {
        // Only reached without `finish` on an error path: never leave perf running.
        if let Ok(None) = self.perf.try_wait() {
            let _ = self.perf.kill();
            let _ = self.perf.wait();
        }
        let _ = fs::remove_dir_all(DATA_DIR);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A sample in `perf script -F pid,ip,sym` form, frames leaf first.
    fn sample(pid: u32, frames: &[&str]) -> String {
        let mut s = format!("{pid:>6} \n");
        for (i, f) in frames.iter().enumerate() {
            s.push_str(&format!("\tffffffff8100{i:04x} {f}\n"));
        }
        s.push('\n');
        s
    }

    #[test]
    fn samples_are_sorted_by_the_hook_they_are_in() {
        let script = [
            // Idle: not busy.
            sample(
                0,
                &[
                    "pv_native_safe_halt",
                    "default_idle",
                    "do_idle",
                    "cpu_startup_entry",
                ],
            ),
            // A softirq taken while idle is busy, here in conntrack's input hook.
            sample(
                0,
                &[
                    "hash_conntrack_raw",
                    "nf_conntrack_in",
                    "ipv4_conntrack_in",
                    "nf_hook_slow",
                    "ip_rcv",
                    "handle_softirqs",
                    "do_idle",
                ],
            ),
            // iperf3 in our chain (iptables-nft's route-type mangle OUTPUT).
            sample(
                4242,
                &[
                    "conntrack_mt_v3",
                    "nft_match_eval",
                    "nft_do_chain",
                    "nft_do_chain_ipv4",
                    "nf_route_table_hook4",
                    "nf_hook_slow",
                    "__ip_local_out",
                    "tcp_sendmsg",
                ],
            ),
            // The hook loop itself.
            sample(4242, &["nf_hook_slow", "ip_output", "tcp_sendmsg"]),
            // Outside netfilter.
            sample(4242, &["copy_user_generic", "tcp_sendmsg"]),
            // Confirmation at postrouting.
            sample(
                4242,
                &["__nf_conntrack_confirm", "nf_confirm", "nf_hook_slow"],
            ),
            // A nat chain.
            sample(
                4242,
                &["nft_nat_do_chain", "nf_nat_inet_fn", "nf_hook_slow"],
            ),
        ]
        .concat();
        let shares = count(&script);
        assert_eq!(
            shares,
            HookShares {
                busy: 6,
                hooks: 5,
                conntrack: 2,
                chains: 2,
            }
        );
        assert_eq!(shares.other(), 1);
        assert!((shares.percent(shares.hooks) - 500.0 / 6.0).abs() < 1e-9);
    }

    #[test]
    fn the_innermost_hook_decides_and_odd_input_counts_nothing_wrongly() {
        // A hook nested in another (a packet sent from inside one): the inner one owns it.
        let nested = sample(
            7,
            &[
                "nft_do_chain_inet",
                "nf_hook_slow",
                "ip_local_out",
                "nf_send_reset",
                "nft_reject_inet_eval",
                "nft_do_chain",
                "nf_hook_slow",
            ],
        );
        assert_eq!(count(&nested).chains, 1);
        // No trailing empty line, unnamed frames, and no frames at all.
        let odd = "   9 \n\tffffffff81000000 [unknown]\n\tffffffff81000001 nf_hook_slow\n   10 \n";
        let shares = count(odd);
        assert_eq!((shares.busy, shares.hooks, shares.conntrack), (2, 1, 0));
        assert_eq!(shares.other(), 1, "[unknown] under the hook is nobody's");
        assert_eq!(count(""), HookShares::default());
        assert!(HookShares::default().percent(0).is_nan());
    }
}
