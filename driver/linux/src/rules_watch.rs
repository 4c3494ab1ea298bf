//! Puts the daemon's rule table back when another program takes it away: for an unowned
//! table only (kernels before 5.12, `--unowned-table`; an owned one cannot be touched, see
//! `rule_table.rs`).
//!
//! `nft flush ruleset` removes every unowned table, and Debian's `/etc/nftables.conf` starts
//! with it: an administrator who reloads `nftables.service` while the daemon runs would leave
//! every new connection unasked (the queue rules gone, nothing held) until the daemon
//! restarted, with nothing in its log. So a thread of its own listens to the kernel's nftables
//! events (every committed change in the namespace, anyone's), and after each burst of them
//! counts the rules of each chain of the table (one netlink dump). When they are not what the
//! daemon installed, it logs an error and repairs the table:
//! - only queue rules missing: they are put back in one transaction (the chains are emptied
//!   and get one queue rule each), which changes no base chain, so the packets the queue holds
//!   stay held (the kernel drops every held packet when a hook goes);
//! - anything else missing (the table, a chain, a verdict rule), or the table made dormant
//!   (`flags dormant` unhooks every chain and keeps the rules): the whole table is written
//!   again from its image, replacing whatever is left of it, in one transaction.
//!
//! Until the repair is done (less time than a program takes to start) new connections pass
//! unasked, as they did with no daemon, or, with the verdicts' chains gone, a block lets its
//! packet through. Rules another program added to our chains are left alone. The events are
//! drained before each check, so a change made during a check wakes the watch again; a lost
//! batch of events (a full receive buffer) is an event too. The table is also checked every
//! [`SAFETY_INTERVAL`] without one, and every [`INTERVAL`] where the events cannot be had; never
//! more often than every [`CHECK_GAP`].
//!
//! The watch is stopped before the daemon empties the queue chains itself at its stop, so it
//! never puts back what the stop takes away; the way out of a stuck stop (`run.rs`,
//! `stuck_shutdown`) halts it through [`halt`] first. A repair that fails is tried again less
//! and less often (up to every [`INTERVAL`] × 32, 8 s), and logged once per incident. A program
//! that removes the table again each time it comes back gets at most [`PACE_REPAIRS`] repairs
//! per [`PACE_WINDOW`], so the fight cannot keep a CPU busy running `nft`.

use std::collections::VecDeque;
use std::io;
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::log::{Log, Severity};
use crate::netlink::{EventSocket, BURST_DATAGRAMS};
use crate::nft_netlink;
use crate::rule_table::TableWriter;
use crate::rules::{RuleConfig, QUEUE_CHAINS};
use crate::sys;

/// How often the table is checked where the kernel's nftables events cannot be had, and the
/// first wait after a failed repair: one small netlink dump.
pub(crate) const INTERVAL: Duration = Duration::from_millis(250);
/// How often the table is checked with no event to say it changed: a safety net only.
const SAFETY_INTERVAL: Duration = Duration::from_secs(5);
/// The shortest time between two checks, however many changes other programs make.
const CHECK_GAP: Duration = Duration::from_millis(10);
/// Repairs allowed within [`PACE_WINDOW`]; more wait until the oldest of them is that old.
const PACE_REPAIRS: usize = 10;
/// See [`PACE_REPAIRS`].
const PACE_WINDOW: Duration = Duration::from_secs(1);

/// Set once by [`halt`]: no repair any more, whatever the watch's own stop says.
static HALTED: AtomicBool = AtomicBool::new(false);
/// The longest wait after failed repairs, as a power of two of [`INTERVAL`].
const MAX_BACKOFF_SHIFT: u32 = 5;

/// Stops every repair from now on, without waiting for the watch (which may be stuck in an
/// `nft` run): for the way out of a stuck stop.
pub(crate) fn halt() {
    HALTED.store(true, Ordering::SeqCst);
}

/// The running watch. Dropping it (or [`RulesWatch::stop`]) closes the socket its thread
/// waits on beside the events, which wakes it at once to end.
pub(crate) struct RulesWatch {
    stop: Option<UnixStream>,
    thread: Option<JoinHandle<()>>,
}

impl RulesWatch {
    /// Starts watching the table `writer` wrote for `config`.
    pub(crate) fn start(
        writer: Arc<TableWriter>,
        config: RuleConfig,
        log: Arc<Log>,
    ) -> io::Result<RulesWatch> {
        let (stop, stopped) = UnixStream::pair()?;
        let thread = std::thread::Builder::new()
            .name("rules-watch".into())
            .spawn(move || watch(&writer, config, &log, &stopped))?;
        Ok(RulesWatch {
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    /// Stops the watch and waits for it (at most one check, or one repair, long).
    pub(crate) fn stop(self) {
        drop(self);
    }
}

impl Drop for RulesWatch {
    /// Stops the watch and waits for it, so that no repair comes after the table is gone.
    fn drop(&mut self) {
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

/// Repairs the table as `state` says; true when something was done.
fn repair(writer: &TableWriter, state: State) -> io::Result<bool> {
    match state {
        State::Intact => Ok(false),
        State::QueueRulesMissing => writer
            .put_back_queue_rules()
            // A chain that went meanwhile: the whole table, then.
            .or_else(|_| writer.rewrite())
            .map(|_| true),
        State::Damaged => writer.rewrite().map(|_| true),
    }
}

/// The times of the latest repairs, to hold a fight with another program to
/// [`PACE_REPAIRS`] per [`PACE_WINDOW`].
#[derive(Default)]
struct Pace {
    recent: VecDeque<Instant>,
}

impl Pace {
    /// Notes a repair made at `at`.
    fn record(&mut self, at: Instant) {
        self.recent.push_back(at);
        while self.recent.len() > PACE_REPAIRS {
            self.recent.pop_front();
        }
    }

    /// How long from `now` until another repair may be made, if it may not be made now.
    fn wait(&self, now: Instant) -> Option<Duration> {
        if self.recent.len() < PACE_REPAIRS {
            return None;
        }
        let free_at = *self.recent.front()? + PACE_WINDOW;
        free_at
            .checked_duration_since(now)
            .filter(|wait| !wait.is_zero())
    }
}

/// How long the watch waits before its next check, and whether an nftables event ends the
/// wait early: not while repairs fail (backing off) or are paced.
fn next_wait(failures: u32, paced: Option<Duration>, subscribed: bool) -> (Duration, bool) {
    if failures > 0 {
        return (INTERVAL * (1u32 << failures.min(MAX_BACKOFF_SHIFT)), false);
    }
    if let Some(paced) = paced {
        return (paced, false);
    }
    if subscribed {
        (SAFETY_INTERVAL, true)
    } else {
        (INTERVAL, false)
    }
}

/// The watch's loop: every failure is logged once per incident and the loop goes on.
fn watch(writer: &TableWriter, config: RuleConfig, log: &Log, stopped: &UnixStream) {
    let table = writer.name();
    let expected = crate::rules::expected_rules(config);
    let mut events = match nft_netlink::ruleset_changes() {
        Ok(events) => Some(events),
        Err(e) => {
            log.write(
                Severity::Warning,
                format!("cannot follow the kernel's nftables events ({e}): the rule table {table} is checked every {} ms instead", INTERVAL.as_millis()),
            );
            None
        }
    };
    // Rounds failed in a row: each doubles the wait (up to 32 times), the first is logged.
    let mut failures: u32 = 0;
    let mut pace = Pace::default();
    // The first check comes at once: a removal before the subscription sent it no event.
    let mut last_check: Option<Instant> = None;
    loop {
        // Checks come at most every CHECK_GAP: the changes of a busy host (a ban list, a
        // cluster's service rules) that arrive meanwhile are taken by the one check after it.
        let since = last_check.map_or(CHECK_GAP, |at| at.elapsed());
        if since < CHECK_GAP && !wait_unless_stopped([stopped.as_raw_fd(), -1], CHECK_GAP - since) {
            return;
        }
        if HALTED.load(Ordering::SeqCst) {
            return;
        }
        last_check = Some(Instant::now());
        drain(&mut events, table, log);
        match round(writer, &expected, stopped) {
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
                    let was_paced = pace.wait(Instant::now()).is_some();
                    pace.record(Instant::now());
                    if !was_paced && pace.wait(Instant::now()).is_some() {
                        log.write(
                            Severity::Warning,
                            format!("another program keeps removing the rule table {table}: it is put back at most {PACE_REPAIRS} times a second"),
                        );
                    }
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
        let (wait, early) = next_wait(failures, pace.wait(Instant::now()), events.is_some());
        let listened = match (&events, early) {
            (Some(events), true) => events.raw_fd(),
            _ => -1,
        };
        if !wait_unless_stopped([stopped.as_raw_fd(), listened], wait) {
            return;
        }
    }
}

/// Reads away the events waiting: the check that follows sees what they told of, and a change
/// made after this sends new ones. A socket that fails is given up for the checks at
/// [`INTERVAL`].
fn drain(events: &mut Option<EventSocket>, table: &str, log: &Log) {
    let Some(socket) = events else {
        return;
    };
    if let Err(e) = socket.discard_waiting(BURST_DATAGRAMS) {
        log.write(
            Severity::Warning,
            format!("the kernel's nftables events cannot be read any more ({e}): the rule table {table} is checked every {} ms instead", INTERVAL.as_millis()),
        );
        *events = None;
    }
}

/// One check, and the repair it calls for: whether something was repaired, `None` when the
/// stop began before a repair.
fn round(
    writer: &TableWriter,
    expected: &[(String, usize)],
    stopped: &UnixStream,
) -> io::Result<Option<bool>> {
    let mut state = state(&writer.rule_chains()?, expected);
    // A dormant table keeps its rules but hooks none of them: as good as gone.
    if writer.dormant()? == Some(true) {
        state = State::Damaged;
    }
    // Not once the stop has begun: its own removal may be under way.
    if state != State::Intact
        && (!wait_unless_stopped([stopped.as_raw_fd(), -1], Duration::ZERO)
            || HALTED.load(Ordering::SeqCst))
    {
        return Ok(None);
    }
    repair(writer, state).map(Some)
}

/// Waits up to `total` for the stop (the first descriptor, readable once the other end is
/// closed) or an event (the second; -1 for none): false when the stop came. A wait cut short
/// by a signal counts as waited.
fn wait_unless_stopped(fds: [std::os::fd::RawFd; 2], total: Duration) -> bool {
    match sys::wait_readable(fds, total) {
        Ok([stopped, _]) => !stopped,
        Err(e) if e.kind() == io::ErrorKind::Interrupted => true,
        // Not seen in practice (poll fails for bad arguments or no memory): waited out, so a
        // failing poll cannot turn the loop into a busy one.
        Err(_) => {
            std::thread::sleep(total.min(INTERVAL));
            true
        }
    }
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
    fn a_closed_stop_socket_ends_the_wait_and_an_open_one_waits_it_out() {
        let (stop, stopped) = UnixStream::pair().unwrap();
        let fds = [stopped.as_raw_fd(), -1];
        let started = Instant::now();
        assert!(wait_unless_stopped(fds, Duration::from_millis(60)));
        assert!(started.elapsed() >= Duration::from_millis(60));
        assert!(wait_unless_stopped(fds, Duration::ZERO));
        drop(stop);
        assert!(!wait_unless_stopped(fds, Duration::from_secs(3600)));
        assert!(!wait_unless_stopped(fds, Duration::ZERO));
    }

    #[test]
    fn an_event_ends_the_wait_without_stopping_it() {
        let (_stop, stopped) = UnixStream::pair().unwrap();
        let (mut event, events) = UnixStream::pair().unwrap();
        std::io::Write::write_all(&mut event, b"x").unwrap();
        let started = Instant::now();
        assert!(wait_unless_stopped(
            [stopped.as_raw_fd(), events.as_raw_fd()],
            Duration::from_secs(20)
        ));
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "woken by the event"
        );
    }

    #[test]
    fn repairs_beyond_the_pace_wait_for_the_oldest_to_age() {
        let mut pace = Pace::default();
        let t0 = Instant::now();
        for i in 0..PACE_REPAIRS - 1 {
            pace.record(t0 + Duration::from_millis(i as u64));
        }
        assert_eq!(pace.wait(t0 + Duration::from_millis(20)), None);
        pace.record(t0 + Duration::from_millis(20));
        assert_eq!(
            pace.wait(t0 + Duration::from_millis(30)),
            Some(PACE_WINDOW - Duration::from_millis(30))
        );
        assert_eq!(pace.wait(t0 + PACE_WINDOW), None);
        // The oldest drops out as new ones come: the window slides.
        pace.record(t0 + PACE_WINDOW);
        assert_eq!(pace.wait(t0 + PACE_WINDOW), Some(Duration::from_millis(1)));
    }

    #[test]
    fn events_end_the_wait_unless_repairs_fail_or_are_paced() {
        assert_eq!(next_wait(0, None, true), (SAFETY_INTERVAL, true));
        assert_eq!(next_wait(0, None, false), (INTERVAL, false));
        assert_eq!(next_wait(1, None, true), (INTERVAL * 2, false));
        assert_eq!(next_wait(9, None, true), (INTERVAL * 32, false));
        let paced = Duration::from_millis(300);
        assert_eq!(next_wait(0, Some(paced), true), (paced, false));
    }
}
