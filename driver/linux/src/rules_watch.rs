//! Puts the daemon's rule table back when another program takes it away.
//!
//! `nft flush ruleset` removes every table, ours included, and Debian's `/etc/nftables.conf`
//! starts with it: an administrator who reloads `nftables.service` while the daemon runs would
//! leave every new connection unasked (the queue rules gone, nothing held) until the daemon
//! restarted, with nothing in its log. So a thread of its own checks, every [`INTERVAL`], that
//! both queue chains still hold their rule, and when not, logs an error and installs the table
//! again (`rules.rs`: the script replaces whatever is left of it, then the queue rules go in).
//! A missing table is noticed within [`INTERVAL`]; until then new connections pass unasked, as
//! they did with no daemon.
//!
//! The watch is stopped before the daemon empties the queue chains itself at its stop, so it
//! never puts back what the stop takes away.

use std::io;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender, TryRecvError};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use crate::log::{Log, Severity};
use crate::nft_netlink::Nftables;
use crate::rules::{self, RuleConfig, QUEUE_CHAINS};

/// How often the table is checked: two small netlink dumps, about 20 µs of CPU here.
pub(crate) const INTERVAL: Duration = Duration::from_millis(250);
/// `ENOENT`: the table or the chain is missing.
const ENOENT: i32 = 2;

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
    /// Both queue chains hold their rule.
    Intact,
    /// The table, a queue chain or a queue rule is gone.
    Missing,
}

/// Whether the queue rules of `table` are all there.
fn check(nft: &mut Nftables, table: &str) -> io::Result<State> {
    for chain in QUEUE_CHAINS {
        match nft.rule_count(table, chain) {
            Ok(0) => return Ok(State::Missing),
            Ok(_) => {}
            Err(e) if e.raw_os_error() == Some(ENOENT) => return Ok(State::Missing),
            Err(e) => return Err(e),
        }
    }
    Ok(State::Intact)
}

/// The watch's loop: every failure is logged once per incident and the loop goes on.
fn watch(config: RuleConfig, log: &Log, stopped: &Receiver<()>) {
    let table = rules::table_name(config.queue);
    let mut nft: Option<Nftables> = None;
    // Whether the last round ended in an error already logged (so one incident is one line).
    let mut failing = false;
    while wait_unless_stopped(INTERVAL, stopped) {
        let result = match nft.as_mut() {
            Some(nft) => check(nft, &table),
            None => Nftables::open().and_then(|mut opened| {
                let state = check(&mut opened, &table);
                nft = Some(opened);
                state
            }),
        };
        let outcome = match result {
            Ok(State::Intact) => Ok(false),
            // Not once the stop has begun: its own removal may be under way.
            Ok(State::Missing) if !wait_unless_stopped(Duration::ZERO, stopped) => return,
            Ok(State::Missing) => rules::reinstall(config).map(|_| true),
            Err(e) => {
                // A socket in an odd state is opened anew next round.
                nft = None;
                Err(e)
            }
        };
        match outcome {
            Ok(true) => {
                failing = false;
                log.write(
                    Severity::Error,
                    format!(
                        "the rule table {table} or its queue rules were removed by another program (nft flush ruleset?); installed again"
                    ),
                );
            }
            Ok(false) => failing = false,
            Err(e) if !failing => {
                failing = true;
                log.write(
                    Severity::Error,
                    format!("cannot check or install the rule table {table} again (new connections may pass unasked): {e}"),
                );
            }
            Err(_) => {}
        }
    }
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
