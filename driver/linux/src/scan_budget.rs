//! A share of the packet thread's time for full `/proc` scans.
//!
//! A socket no remembered process holds is looked for in every process's descriptors: a few
//! milliseconds here, tens with thousands of processes. Any local user can cause that on every
//! connection (pass the socket to another process over a Unix socket and close their own
//! descriptor: no `/proc` entry then shows it), and the scan runs on the thread that answers
//! every held packet. So scans get at most a tenth of the time: while the credit is spent, a
//! socket not found cheaply is attributed to no process (pid 0, which no app rule matches), and
//! the number of such refusals is reported.

use std::time::{Duration, Instant};

/// Scans may take one part in this many of the time that passes.
const SHARE: i128 = 10;
/// Credit saved up at most, in nanoseconds: a burst of new processes is scanned at once.
const MAX_CREDIT_NS: i128 = 200_000_000;

/// The scan credit (negative after a scan that took more than there was: a debt the time pays
/// off first) and the scans refused for lack of it.
#[derive(Debug)]
pub(crate) struct ScanBudget {
    credit_ns: i128,
    at: Instant,
    refused: u64,
}

impl ScanBudget {
    /// A full budget at `now`.
    pub(crate) fn new(now: Instant) -> Self {
        Self {
            credit_ns: MAX_CREDIT_NS,
            at: now,
            refused: 0,
        }
    }

    /// Whether a scan may start at `now` (credit left, after adding what the time since the
    /// last call earned); a refusal is counted.
    pub(crate) fn allows(&mut self, now: Instant) -> bool {
        let passed = now.saturating_duration_since(self.at).as_nanos();
        let earned = i128::try_from(passed).unwrap_or(i128::MAX) / SHARE;
        self.credit_ns = self.credit_ns.saturating_add(earned).min(MAX_CREDIT_NS);
        self.at = self.at.max(now);
        if self.credit_ns <= 0 {
            self.refused += 1;
            return false;
        }
        true
    }

    /// Charges a scan that took `took`.
    pub(crate) fn spent(&mut self, took: Duration) {
        let took = i128::try_from(took.as_nanos()).unwrap_or(i128::MAX);
        self.credit_ns = self.credit_ns.saturating_sub(took);
    }

    /// The scans refused since the last call.
    pub(crate) fn take_refused(&mut self) -> u64 {
        std::mem::take(&mut self.refused)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn scans_get_a_tenth_of_the_time() {
        let start = Instant::now();
        let mut budget = ScanBudget::new(start);
        assert!(budget.allows(start));
        budget.spent(ms(250));
        // 50 ms in debt: nothing until 500 ms have paid it off.
        assert!(!budget.allows(start));
        assert!(!budget.allows(start + ms(300)));
        assert!(!budget.allows(start + ms(500)));
        assert_eq!(budget.take_refused(), 3);
        assert_eq!(budget.take_refused(), 0);
        // 10 ms later a tenth of it, 1 ms, is there.
        let later = start + ms(510);
        assert!(budget.allows(later));
        budget.spent(ms(1));
        assert!(!budget.allows(later));
        // Saved up to the bound only: after a long idle time, 200 ms, then nothing.
        let idle = later + Duration::from_secs(60);
        assert!(budget.allows(idle));
        budget.spent(ms(199));
        assert!(budget.allows(idle));
        budget.spent(ms(1));
        assert!(!budget.allows(idle));
    }

    #[test]
    fn a_clock_that_seems_to_go_back_earns_nothing() {
        let start = Instant::now() + Duration::from_secs(1);
        let mut budget = ScanBudget::new(start);
        budget.spent(ms(200));
        assert!(!budget.allows(start - ms(500)));
        assert!(!budget.allows(start));
        assert!(budget.allows(start + ms(20)));
    }
}
