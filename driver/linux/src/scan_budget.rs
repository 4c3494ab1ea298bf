//! A share of the packet thread's time for full `/proc` scans.
//!
//! A socket no remembered process holds is looked for in every process's descriptors: a few
//! milliseconds here, tens with thousands of processes. Any local user can cause that on every
//! connection (pass the socket to another process over a Unix socket and close their own
//! descriptor: no `/proc` entry then shows it), and the scan runs on the thread that answers
//! every held packet. So the scans for each user's sockets (the socket's owner as sock_diag
//! reports it, which no program can choose) get at most a tenth of the time, and a scan stops
//! when its user's credit runs out: while it is spent, a socket of that user not found cheaply
//! is attributed to no process (pid 0, which no app rule matches), and the number of such
//! refusals is reported. One user's hidden sockets do not use up another's credit.

use std::collections::HashMap;
use std::time::{Duration, Instant};

/// Users whose credit is kept; the map starts afresh when full (only root can have sockets of
/// that many users).
const USERS_LIMIT: usize = 256;

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
    /// last call earned): the time it must end by, or `None`, a refusal, which is counted.
    pub(crate) fn allows(&mut self, now: Instant) -> Option<Instant> {
        let passed = now.saturating_duration_since(self.at).as_nanos();
        let earned = i128::try_from(passed).unwrap_or(i128::MAX) / SHARE;
        self.credit_ns = self.credit_ns.saturating_add(earned).min(MAX_CREDIT_NS);
        self.at = self.at.max(now);
        if self.credit_ns <= 0 {
            self.refused += 1;
            return None;
        }
        let credit = u64::try_from(self.credit_ns).unwrap_or(u64::MAX);
        Some(now + Duration::from_nanos(credit))
    }

    /// The credit left, in nanoseconds (negative: a debt).
    #[cfg(test)]
    pub(crate) fn credit_ns(&self) -> i128 {
        self.credit_ns
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

/// A [`ScanBudget`] for each user.
#[derive(Debug, Default)]
pub(crate) struct UserScanBudgets {
    by_user: HashMap<u32, ScanBudget>,
}

impl UserScanBudgets {
    /// Whether a scan for a socket of `user` may start at `now`: the time it must end by.
    pub(crate) fn allows(&mut self, user: u32, now: Instant) -> Option<Instant> {
        if self.by_user.len() >= USERS_LIMIT && !self.by_user.contains_key(&user) {
            // Refusals not yet reported are kept.
            let refused: u64 = self
                .by_user
                .values_mut()
                .map(ScanBudget::take_refused)
                .sum();
            self.by_user.clear();
            self.by_user.insert(
                u32::MAX,
                ScanBudget {
                    refused,
                    ..ScanBudget::new(now)
                },
            );
        }
        self.by_user
            .entry(user)
            .or_insert_with(|| ScanBudget::new(now))
            .allows(now)
    }

    /// Charges a scan for `user` that took `took`.
    pub(crate) fn spent(&mut self, user: u32, took: Duration) {
        if let Some(budget) = self.by_user.get_mut(&user) {
            budget.spent(took);
        }
    }

    /// The scans refused since the last call, all users.
    pub(crate) fn take_refused(&mut self) -> u64 {
        self.by_user
            .values_mut()
            .map(ScanBudget::take_refused)
            .sum()
    }

    /// The credit of `user` (see [`ScanBudget::credit_ns`]); a full one for a user not seen.
    #[cfg(test)]
    pub(crate) fn credit_ns(&self, user: u32) -> i128 {
        self.by_user
            .get(&user)
            .map_or(MAX_CREDIT_NS, ScanBudget::credit_ns)
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
        assert!(budget.allows(start).is_some());
        budget.spent(ms(250));
        // 50 ms in debt: nothing until 500 ms have paid it off.
        assert!(budget.allows(start).is_none());
        assert!(budget.allows(start + ms(300)).is_none());
        assert!(budget.allows(start + ms(500)).is_none());
        assert_eq!(budget.take_refused(), 3);
        assert_eq!(budget.take_refused(), 0);
        // 10 ms later a tenth of it, 1 ms, is there.
        let later = start + ms(510);
        assert!(budget.allows(later).is_some());
        budget.spent(ms(1));
        assert!(budget.allows(later).is_none());
        // Saved up to the bound only: after a long idle time, 200 ms, then nothing.
        let idle = later + Duration::from_secs(60);
        assert!(budget.allows(idle).is_some());
        budget.spent(ms(199));
        assert!(budget.allows(idle).is_some());
        budget.spent(ms(1));
        assert!(budget.allows(idle).is_none());
    }

    #[test]
    fn a_scan_must_end_when_the_credit_does() {
        let start = Instant::now();
        let mut budget = ScanBudget::new(start);
        assert_eq!(budget.allows(start), Some(start + ms(200)));
        budget.spent(ms(150));
        assert_eq!(budget.allows(start), Some(start + ms(50)));
    }

    #[test]
    fn each_user_has_a_budget_of_their_own() {
        let start = Instant::now();
        let mut users = UserScanBudgets::default();
        assert!(users.allows(1000, start).is_some());
        users.spent(1000, ms(300));
        assert!(users.allows(1000, start).is_none());
        assert!(users.allows(1000, start).is_none());
        // Another user's scans go on.
        assert!(users.allows(0, start).is_some());
        assert_eq!(users.credit_ns(0), MAX_CREDIT_NS);
        assert_eq!(users.credit_ns(1000), -100_000_000);
        assert_eq!(users.take_refused(), 2);
        // Bounded: many users start the map afresh, the refusals not yet reported kept.
        users.spent(0, ms(300));
        assert!(users.allows(0, start).is_none());
        for user in 1..=(USERS_LIMIT as u32 + 1) {
            assert!(users.allows(user + 5000, start).is_some());
            assert!(users.by_user.len() <= USERS_LIMIT);
        }
        assert_eq!(users.take_refused(), 1);
    }

    #[test]
    fn a_clock_that_seems_to_go_back_earns_nothing() {
        let start = Instant::now() + Duration::from_secs(1);
        let mut budget = ScanBudget::new(start);
        budget.spent(ms(200));
        assert!(budget.allows(start - ms(500)).is_none());
        assert!(budget.allows(start).is_none());
        assert!(budget.allows(start + ms(20)).is_some());
    }
}
