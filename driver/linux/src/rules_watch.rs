//! Puts the daemon's rule table back when another program takes it away.
//!
//! `nft flush ruleset` removes every table, ours included, and Debian's `/etc/nftables.conf`
//! starts with it: an administrator who reloads `nftables.service` while the daemon runs would
//! leave every new connection unasked (the queue rules gone, nothing held) until the daemon
//! restarted, with nothing in its log. So a thread of its own counts, every [`INTERVAL`], the
//! rules of each chain of the table (one netlink dump), and when they are not what the daemon
//! installed, logs an error and repairs it:
//! - only queue rules missing: they are put back in one transaction (the chains are emptied
//!   and get one queue rule each), which changes no base chain, so the packets the queue holds
//!   stay held (the kernel drops every held packet when a hook goes);
//! - anything else missing (the table, a chain, a verdict rule): the table is installed again
//!   (`rules.rs`: the script replaces whatever is left of it, then the queue rules go in).
//!
//! Damage is noticed within [`INTERVAL`]; until then new connections pass unasked, as they did
//! with no daemon, or, with the verdicts' chains gone, a block lets its packet through. Rules
//! another program added to our chains are left alone.
//!
//! The watch is stopped before the daemon empties the queue chains itself at its stop, so it
//! never puts back what the stop takes away; the way out of a stuck stop (`run.rs`,
//! `stuck_shutdown`) halts it through [`halt`] first. A repair that fails is tried again less
//! and less often (up to every [`INTERVAL`] × 32, 8 s), and logged once per incident.

use std::io;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender, TryRecvError};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use crate::log::{Log, Severity};
use crate::nft_netlink::Nftables;
use crate::rules::{self, RuleConfig, QUEUE_CHAINS};

/// How often the table is checked: one small netlink dump.
pub(crate) const INTERVAL: Duration = Duration::from_millis(250);

/// Set once by [`halt`]: no repair any more, whatever the watch's own stop says.
static HALTED: AtomicBool = AtomicBool::new(false);
/// The longest wait after failed repairs, as a power of two of [`INTERVAL`].
const MAX_BACKOFF_SHIFT: u32 = 5;

/// Stops every repair from now on, without waiting for the watch (which may be stuck in an
/// `nft` run): for the way out of a stuck stop.
pub(crate) fn halt() {
    HALTED.store(true, Ordering::SeqCst);
}

/// The running watch. Dropping it (or [`RulesWatch::stop`]) drops the sender its thread waits
/// on, which wakes it at once to end.
pub(crate) struct RulesWatch {
    stop: Option<Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl RulesWatch {
    /// Starts watching the table `config` installs.
    pub(crate) fn start(config: RuleConfig, log: Arc<Log>) -> io::Result<RulesWatch> {
        let (stop, stopped) = mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("rules-watch".into())
            .spawn(move || watch(config, &log, &stopped))?;
        Ok(RulesWatch {
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    /// Stops the watch and waits for it (at most one check, or one install, long).
    pub(crate) fn stop(mut self) {
        drop(self.stop.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// What a check found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// Every chain holds at least the rules the daemon put in it.
    Intact,
    /// Only queue rules are missing.
    QueueRulesMissing,
    /// The table, a chain or another rule is missing.
    Damaged,
}

/// Compares the chain of each rule in the kernel's table (`found`, one entry a rule) with what
/// the daemon installed (`expected`: chain, rules).
fn state(found: &[String], expected: &[(String, usize)]) -> State {
    let mut state = State::Intact;
    for (chain, wanted) in expected {
        let present = found.iter().filter(|c| *c == chain).count();
        if present >= *wanted {
            continue;
        }
        if !QUEUE_CHAINS.contains(&chain.as_str()) {
            return State::Damaged;
        }
        state = State::QueueRulesMissing;
    }
    state
}

/// Repairs `table` as `state` says; true when something was done.
fn repair(nft: &mut Nftables, config: RuleConfig, table: &str, state: State) -> io::Result<bool> {
    match state {
        State::Intact => Ok(false),
        State::QueueRulesMissing => nft
            .set_queue_rules(table, &QUEUE_CHAINS, config.queue)
            // A chain that went meanwhile: the whole table, then.
            .or_else(|_| rules::reinstall(config))
            .map(|_| true),
        State::Damaged => rules::reinstall(config).map(|_| true),
    }
}

/// The watch's loop: every failure is logged once per incident and the loop goes on.
fn watch(config: RuleConfig, log: &Log, stopped: &Receiver<()>) {
    let table = rules::table_name(config.queue);
    let expected = rules::expected_rules(config);
    let mut nft: Option<Nftables> = None;
    // Rounds failed in a row: each doubles the wait (up to 32 times), the first is logged.
    let mut failures: u32 = 0;
    loop {
        let wait = INTERVAL * (1u32 << failures.min(MAX_BACKOFF_SHIFT));
        if !wait_unless_stopped(wait, stopped) || HALTED.load(Ordering::SeqCst) {
            return;
        }
        match round(&mut nft, config, &table, &expected, stopped) {
            Ok(None) => return,
            Ok(Some(repaired)) => {
                failures = 0;
                if repaired {
                    log.write(
                        Severity::Error,
                        format!(
                            "the rule table {table}, or some of its rules, were removed by another program (nft flush ruleset?); put back (connections opened meanwhile were not asked, and stay allowed)"
                        ),
                    );
                }
            }
            Err(e) => {
                failures = failures.saturating_add(1);
                if failures == 1 {
                    log.write(
                        Severity::Error,
                        format!("cannot check or install the rule table {table} again (new connections may pass unasked): {e}"),
                    );
                }
            }
        }
    }
}

/// One check, and the repair it calls for: whether something was repaired, `None` when the
/// stop began before a repair. The socket is kept only after a round without error, so one in
/// an odd state is opened anew.
fn round(
    nft: &mut Option<Nftables>,
    config: RuleConfig,
    table: &str,
    expected: &[(String, usize)],
    stopped: &Receiver<()>,
) -> io::Result<Option<bool>> {
    let mut opened = match nft.take() {
        Some(opened) => opened,
        None => Nftables::open()?,
    };
    let state = state(&opened.rule_chains(table)?, expected);
    // Not once the stop has begun: its own removal may be under way.
    if state != State::Intact
        && (!wait_unless_stopped(Duration::ZERO, stopped) || HALTED.load(Ordering::SeqCst))
    {
        return Ok(None);
    }
    let repaired = repair(&mut opened, config, table, state)?;
    *nft = Some(opened);
    Ok(Some(repaired))
}

/// Waits `total` unless the watch is stopped meanwhile (its sender dropped): false then.
fn wait_unless_stopped(total: Duration, stopped: &Receiver<()>) -> bool {
    if total.is_zero() {
        return matches!(stopped.try_recv(), Err(TryRecvError::Empty));
    }
    matches!(stopped.recv_timeout(total), Err(RecvTimeoutError::Timeout))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn missing_queue_rules_are_told_from_other_damage_and_extra_rules_are_not_damage() {
        let expected: Vec<(String, usize)> = [("queue_out", 1), ("queue_in", 1), ("verdict", 3)]
            .iter()
            .map(|(c, n)| (c.to_string(), *n))
            .collect();
        let rules = |chains: &[&str]| chains.iter().map(|c| c.to_string()).collect::<Vec<_>>();
        let whole = ["queue_out", "queue_in", "verdict", "verdict", "verdict"];
        assert_eq!(state(&rules(&whole), &expected), State::Intact);
        // Another program's rule added to one of our chains is its business.
        let more = [
            "queue_out",
            "queue_in",
            "verdict",
            "verdict",
            "verdict",
            "verdict",
        ];
        assert_eq!(state(&rules(&more), &expected), State::Intact);
        let no_queue_in = ["queue_out", "verdict", "verdict", "verdict"];
        assert_eq!(
            state(&rules(&no_queue_in), &expected),
            State::QueueRulesMissing
        );
        let verdict_short = ["queue_out", "verdict", "verdict"];
        assert_eq!(state(&rules(&verdict_short), &expected), State::Damaged);
        assert_eq!(state(&[], &expected), State::Damaged, "no table");
    }

    #[test]
    fn a_dropped_sender_ends_the_wait_and_a_live_one_waits_it_out() {
        let (stop, stopped) = mpsc::channel::<()>();
        let started = std::time::Instant::now();
        assert!(wait_unless_stopped(Duration::from_millis(60), &stopped));
        assert!(started.elapsed() >= Duration::from_millis(60));
        assert!(wait_unless_stopped(Duration::ZERO, &stopped));
        drop(stop);
        assert!(!wait_unless_stopped(Duration::from_secs(3600), &stopped));
        assert!(!wait_unless_stopped(Duration::ZERO, &stopped));
    }
}
