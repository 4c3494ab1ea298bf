//! One last drain of the TCP ends the BPF program noted, asked for when the daemon stops. The
//! `tcp-ends` thread drains every 100–400 ms, so without it the ends of the connections that
//! closed in the last fraction of a second before a stop (a restart, an upgrade) never reached
//! the client: it kept them open. The stop asks before the client is detached, and waits a
//! bounded time for the drain, whose infos then go out with everything else queued.

use std::sync::atomic::{AtomicU8, Ordering};
use std::thread::Thread;
use std::time::Duration;

use crate::watchdog::wait_until;

const NOT_ASKED: u8 = 0;
const ASKED: u8 = 1;
const DONE: u8 = 2;
/// How often the stop looks whether the drain is done.
const POLL: Duration = Duration::from_millis(2);

/// The request and its answer, shared by the stop and the draining thread.
pub(crate) struct LastDrain {
    state: AtomicU8,
}

impl Default for LastDrain {
    fn default() -> Self {
        LastDrain {
            state: AtomicU8::new(NOT_ASKED),
        }
    }
}

impl LastDrain {
    /// Asks `drainer` for one more drain and waits until it is done or `bound` has passed;
    /// whether it was done.
    pub(crate) fn ask_and_wait(&self, drainer: &Thread, bound: Duration) -> bool {
        self.state.store(ASKED, Ordering::SeqCst);
        // A parked drainer wakes now; a busy one finds the token at its next park.
        drainer.unpark();
        wait_until(bound, POLL, || self.state.load(Ordering::SeqCst) == DONE)
    }

    /// Whether a drain was asked for and is not done yet: the drainer reads this before a
    /// drain, and calls [`LastDrain::done`] after it when it was.
    pub(crate) fn asked(&self) -> bool {
        self.state.load(Ordering::SeqCst) == ASKED
    }

    /// The drain asked for is done (its infos are queued).
    pub(crate) fn done(&self) {
        let _ = self
            .state
            .compare_exchange(ASKED, DONE, Ordering::SeqCst, Ordering::SeqCst);
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;
    use std::sync::Arc;
    use std::time::Instant;

    #[test]
    fn a_parked_drainer_drains_once_more_when_asked_and_the_stop_waits_for_it() {
        let last = Arc::new(LastDrain::default());
        let drains = Arc::new(AtomicUsize::new(0));
        let drainer = {
            let (last, drains) = (Arc::clone(&last), Arc::clone(&drains));
            std::thread::spawn(move || loop {
                // Parked far longer than the test waits: only the request wakes it.
                std::thread::park_timeout(Duration::from_secs(30));
                let asked = last.asked();
                if asked {
                    drains.fetch_add(1, Ordering::SeqCst);
                    last.done();
                    return;
                }
            })
        };
        assert!(last.ask_and_wait(drainer.thread(), Duration::from_secs(10)));
        assert_eq!(drains.load(Ordering::SeqCst), 1);
        assert!(!last.asked(), "answered");
        drainer.join().unwrap();
    }

    #[test]
    fn a_drainer_that_does_not_answer_leaves_the_stop_waiting_only_its_bound() {
        let last = LastDrain::default();
        let started = Instant::now();
        let current = std::thread::current();
        assert!(!last.ask_and_wait(&current, Duration::from_millis(30)));
        assert!(started.elapsed() >= Duration::from_millis(30));
        assert!(last.asked(), "still asked: a late drain still answers it");
        last.done();
        assert!(!last.asked());
        // `done` without a request changes nothing.
        let fresh = LastDrain::default();
        fresh.done();
        assert!(!fresh.asked());
    }
}
