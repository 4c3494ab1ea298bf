//! A deadline for work that must not hang: [`Watchdog`] runs an action unless it is dropped in
//! time, [`run_bounded`] waits for a job at most so long, and [`wait_until`] for a condition.
//! Used to bound the daemon's shutdown (`run.rs`) and a leaving client's last infos.

use std::sync::mpsc;
use std::time::{Duration, Instant};

/// Runs its action once `bound` has passed, unless dropped before.
pub(crate) struct Watchdog {
    /// Dropped with the watchdog, which the waiting thread sees as "disarmed".
    _disarm: mpsc::Sender<()>,
}

impl Watchdog {
    /// Arms a watchdog. Without a thread to run it there is no watchdog, and that is all: the
    /// work it guards goes on as it would have.
    pub(crate) fn arm(bound: Duration, action: impl FnOnce() + Send + 'static) -> Watchdog {
        let (disarm, disarmed) = mpsc::channel::<()>();
        let _ = std::thread::Builder::new()
            .name("watchdog".into())
            .spawn(move || {
                if let Err(mpsc::RecvTimeoutError::Timeout) = disarmed.recv_timeout(bound) {
                    action();
                }
            });
        Watchdog { _disarm: disarm }
    }
}

/// Runs `job` on its own thread and waits for it at most `bound`; returns whether it finished
/// (a job still running is left to itself).
pub(crate) fn run_bounded(bound: Duration, job: impl FnOnce() + Send + 'static) -> bool {
    let (done, finished) = mpsc::channel::<()>();
    let spawned = std::thread::Builder::new().spawn(move || {
        job();
        let _ = done.send(());
    });
    spawned.is_ok() && finished.recv_timeout(bound).is_ok()
}

/// Looks at `done` every `step` until it holds or `bound` has passed; whether it held.
pub(crate) fn wait_until(bound: Duration, step: Duration, mut done: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + bound;
    loop {
        if done() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(step);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wait_until_returns_once_the_condition_holds_or_its_bound_passed() {
        let mut looks = 0;
        let held = wait_until(Duration::from_secs(10), Duration::from_millis(1), || {
            looks += 1;
            looks == 3
        });
        assert!(held);
        assert_eq!(looks, 3, "looked until it held, not longer");
        let started = Instant::now();
        assert!(!wait_until(
            Duration::from_millis(30),
            Duration::from_millis(5),
            || false
        ));
        assert!(started.elapsed() >= Duration::from_millis(30));
    }

    #[test]
    fn an_armed_watchdog_acts_once_its_bound_has_passed() {
        let (fired, fires) = mpsc::channel();
        let _watchdog = Watchdog::arm(Duration::from_millis(20), move || {
            let _ = fired.send(());
        });
        assert!(fires.recv_timeout(Duration::from_secs(10)).is_ok());
    }

    #[test]
    fn a_dropped_watchdog_never_acts() {
        let (fired, fires) = mpsc::channel();
        drop(Watchdog::arm(Duration::from_millis(50), move || {
            let _ = fired.send(());
        }));
        // The action's sender goes with the waiting thread, unused.
        assert_eq!(
            fires.recv_timeout(Duration::from_secs(10)),
            Err(mpsc::RecvTimeoutError::Disconnected)
        );
    }

    #[test]
    fn a_bounded_job_that_hangs_is_left_behind() {
        assert!(run_bounded(Duration::from_secs(10), || {}));
        let (_keep, hang) = mpsc::channel::<()>();
        assert!(!run_bounded(Duration::from_millis(20), move || {
            let _ = hang.recv();
        }));
    }
}
