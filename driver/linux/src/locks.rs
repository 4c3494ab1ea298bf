//! Ranked mutexes: a thread may take a lock only while every lock it already holds has a lower
//! rank, so no two threads can ever wait for each other. The ranks themselves are listed where
//! the locks live (`daemon.rs`, "Locks"). Debug builds, which every test runs, check the rule at
//! each lock and abort on an inversion, so a wrong order fails the first test that takes it
//! instead of deadlocking one run in a thousand; release builds only keep the bookkeeping.

use std::cell::Cell;
use std::ops::{Deref, DerefMut};
use std::sync::{Mutex, MutexGuard, PoisonError};

thread_local! {
    /// Bit `r` is set while this thread holds a ranked lock of rank `r`.
    static HELD: Cell<u32> = const { Cell::new(0) };
}

/// Whether taking a lock of `rank` while holding the ranks in `held` breaks the order (a lock
/// of the same or a higher rank is held).
fn breaks_order(held: u32, rank: u32) -> bool {
    held.checked_shr(rank).unwrap_or(0) != 0
}

/// Reports a lock order violation: the unit tests see a panic; the daemon itself (a debug build,
/// as the namespace tests run it) aborts, so that no test can pass over it.
#[cold]
fn order_violated(name: &str, rank: u32, held: u32) {
    let message =
        format!("lock order violated: '{name}' (rank {rank}) taken while holding ranks {held:#b}");
    #[cfg(test)]
    #[allow(clippy::panic, reason = "the unit tests expect the panic")]
    {
        panic!("{message}");
    }
    #[cfg(not(test))]
    {
        eprintln!("zenithfenced: {message}");
        std::process::abort();
    }
}

/// A mutex with a rank (below 32). Poisoning is ignored: a panicking holder leaves the state as
/// consistent as any other early return would.
pub(crate) struct RankedMutex<T> {
    rank: u32,
    name: &'static str,
    mutex: Mutex<T>,
}

/// The guard of a [`RankedMutex`]; dropping it releases the lock and its rank.
pub(crate) struct RankedGuard<'a, T> {
    guard: MutexGuard<'a, T>,
    rank: u32,
}

impl<T> RankedMutex<T> {
    /// A mutex of `rank`, named in the message of an order violation.
    pub(crate) const fn new(rank: u32, name: &'static str, value: T) -> Self {
        RankedMutex {
            rank,
            name,
            mutex: Mutex::new(value),
        }
    }

    /// Takes the lock (checking the order in debug builds).
    pub(crate) fn lock(&self) -> RankedGuard<'_, T> {
        let held = HELD.with(Cell::get);
        if cfg!(debug_assertions) && breaks_order(held, self.rank) {
            order_violated(self.name, self.rank, held);
        }
        let guard = self.mutex.lock().unwrap_or_else(PoisonError::into_inner);
        HELD.with(|h| h.set(h.get() | 1u32.wrapping_shl(self.rank)));
        RankedGuard {
            guard,
            rank: self.rank,
        }
    }
}

impl<T> Deref for RankedGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.guard
    }
}

impl<T> DerefMut for RankedGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.guard
    }
}

impl<T> Drop for RankedGuard<'_, T> {
    fn drop(&mut self) {
        let rank = self.rank;
        HELD.with(|h| h.set(h.get() & !1u32.wrapping_shl(rank)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_higher_ranks_may_be_taken() {
        assert!(!breaks_order(0, 3));
        assert!(!breaks_order(0b0110, 3), "ranks 1 and 2 held, 3 taken");
        assert!(breaks_order(0b1000, 3), "the same rank again");
        assert!(breaks_order(0b1_0000, 3), "a higher rank held");
        let low = RankedMutex::new(1, "low", 0);
        let high = RankedMutex::new(2, "high", 0);
        {
            let _low = low.lock();
            let _high = high.lock();
        }
        // Both released: any order works again.
        let _high = high.lock();
        assert_eq!(HELD.with(Cell::get), 0b100);
    }

    #[test]
    #[cfg(debug_assertions)]
    #[should_panic(expected = "lock order violated: 'low' (rank 1)")]
    fn an_inversion_panics_in_debug_builds() {
        let low = RankedMutex::new(1, "low", 0);
        let high = RankedMutex::new(2, "high", 0);
        let _high = high.lock();
        let _low = low.lock();
    }
}
