//! The info queue behind a mutex and a condition variable: the reader blocks until an info
//! arrives, its timeout passes, or the queue is shut down. Used by the Linux daemon; the Windows
//! driver wraps [`InfoQueue`] in its own kernel primitives instead.
//!
//! A thread that can write to the reader's destination itself (the daemon's packet thread,
//! which writes to the client socket when that does not block) can defer the wakes of its
//! pushes ([`BlockingInfoQueue::defer_wakes`]): a wake costs a futex call and a thread switch
//! per info. It then takes the data with [`BlockingInfoQueue::try_read`], and gives back what
//! it could not write ([`BlockingInfoQueue::unread`], which wakes the reader) or wakes the
//! reader ([`BlockingInfoQueue::wake`]) when it cannot write at all.

extern crate std;

use core::time::Duration;
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};
use std::time::Instant;

use zenithfence_protocol::Info;

use crate::info_queue::{InfoQueue, QueueCounters, QueueFull};

/// What a wait for data ended with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Waited {
    /// Data is queued (another thread may take it before the waiter does).
    Ready,
    /// Nothing arrived before the timeout.
    TimedOut,
    /// The queue was shut down and holds nothing more: the end of the stream.
    Shutdown,
}

/// What a blocking read returned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReadOutcome {
    /// This many bytes were written to the buffer.
    Data(usize),
    /// Nothing arrived before the timeout.
    TimedOut,
    /// The queue was shut down and holds nothing more: the end of the stream.
    Shutdown,
}

struct State {
    queue: InfoQueue,
    shut_down: bool,
    /// Pushes do not wake the reader (see [`BlockingInfoQueue::defer_wakes`]).
    deferring: bool,
    /// A push came while deferring, and its wake was left out.
    deferred: bool,
}

/// A thread-safe [`InfoQueue`] with a blocking read.
pub struct BlockingInfoQueue {
    state: Mutex<State>,
    ready: Condvar,
}

impl BlockingInfoQueue {
    /// A queue that holds at most `capacity` infos.
    pub fn new(capacity: usize) -> Self {
        BlockingInfoQueue {
            state: Mutex::new(State {
                queue: InfoQueue::new(capacity),
                shut_down: false,
                deferring: false,
                deferred: false,
            }),
            ready: Condvar::new(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock cannot leave the queue half-updated in a way that
        // matters more than losing the daemon, so keep serving.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Queues an info and wakes the reader (unless wakes are deferred); see
    /// [`InfoQueue::push`]. After shutdown every push is refused.
    pub fn push(&self, info: &Info) -> Result<(), QueueFull> {
        let mut state = self.lock();
        if state.shut_down {
            return Err(QueueFull);
        }
        let result = state.queue.push(info);
        if state.deferring {
            state.deferred = true;
            return result;
        }
        drop(state);
        self.ready.notify_one();
        result
    }

    /// From now on pushes (from any thread) leave out their wake, until
    /// [`BlockingInfoQueue::end_deferral`]. The caller must then write the data itself or wake
    /// the reader, or the infos wait for the reader's timeout.
    pub fn defer_wakes(&self) {
        self.lock().deferring = true;
    }

    /// Ends a deferral; returns whether a push left out its wake meanwhile.
    pub fn end_deferral(&self) -> bool {
        let mut state = self.lock();
        state.deferring = false;
        core::mem::take(&mut state.deferred)
    }

    /// Wakes the reader.
    pub fn wake(&self) {
        self.ready.notify_one();
    }

    /// Takes what is queued, as much as fits in `buf`, without waiting (0: nothing).
    pub fn try_read(&self, buf: &mut [u8]) -> usize {
        self.lock().queue.read(buf)
    }

    /// Puts bytes taken by [`BlockingInfoQueue::try_read`] back at the front of the stream
    /// (the caller could not write them) and wakes the reader to write them.
    pub fn unread(&self, bytes: &[u8]) {
        self.lock().queue.unread(bytes);
        self.ready.notify_one();
    }

    /// Blocks until data is queued, `timeout` passes or the queue is shut down, without taking
    /// anything: a reader that must take the data under a lock of its own (to write it in
    /// order with another writer) takes it afterwards with [`BlockingInfoQueue::try_read`].
    pub fn wait(&self, timeout: Duration) -> Waited {
        let deadline = Instant::now() + timeout;
        let mut state = self.lock();
        loop {
            if state.queue.has_data() {
                return Waited::Ready;
            }
            if state.shut_down {
                return Waited::Shutdown;
            }
            let now = Instant::now();
            if now >= deadline {
                return Waited::TimedOut;
            }
            state = self
                .ready
                .wait_timeout(state, deadline - now)
                .map(|(guard, _)| guard)
                .unwrap_or_else(|poison| poison.into_inner().0);
        }
    }

    /// Queues an info without waking the reader: it goes out with the next info that wakes it,
    /// or when the reader's wait times out. For infos nobody waits on (a rule-decided
    /// connection, a connection's end): waking the reader for each costs a thread switch while
    /// the next connection's packets need the CPU.
    pub fn push_quiet(&self, info: &Info) -> Result<(), QueueFull> {
        let mut state = self.lock();
        if state.shut_down {
            return Err(QueueFull);
        }
        state.queue.push(info)
    }

    /// Blocks until data is available, `timeout` passes or the queue is shut down.
    pub fn read(&self, buf: &mut [u8], timeout: Duration) -> ReadOutcome {
        let deadline = Instant::now() + timeout;
        let mut state = self.lock();
        loop {
            if state.queue.has_data() {
                return ReadOutcome::Data(state.queue.read(buf));
            }
            if state.shut_down {
                return ReadOutcome::Shutdown;
            }
            let now = Instant::now();
            if now >= deadline {
                return ReadOutcome::TimedOut;
            }
            state = self
                .ready
                .wait_timeout(state, deadline - now)
                .map(|(guard, _)| guard)
                .unwrap_or_else(|poison| poison.into_inner().0);
        }
    }

    /// Ends the stream: readers get what is queued, then [`ReadOutcome::Shutdown`].
    pub fn shutdown(&self) {
        self.lock().shut_down = true;
        self.ready.notify_all();
    }

    /// Empties the queue and reopens it for a new reader.
    pub fn reset(&self) {
        let mut state = self.lock();
        state.queue.clear();
        state.shut_down = false;
    }

    /// The loss and volume counters.
    pub fn counters(&self) -> QueueCounters {
        self.lock().queue.counters()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use alloc::string::String;
    use std::sync::Arc;
    use std::thread;
    use zenithfence_protocol::LogLine;

    fn log() -> Info {
        Info::LogLine(LogLine {
            severity: 3,
            text: String::from("hi"),
        })
    }

    #[test]
    fn a_blocked_reader_wakes_on_push() {
        let queue = Arc::new(BlockingInfoQueue::new(8));
        let reader = {
            let queue = Arc::clone(&queue);
            thread::spawn(move || {
                let mut buf = [0u8; 64];
                queue.read(&mut buf, Duration::from_secs(10))
            })
        };
        thread::sleep(Duration::from_millis(50));
        queue.push(&log()).unwrap();
        assert_eq!(reader.join().unwrap(), ReadOutcome::Data(8));
    }

    #[test]
    fn a_quiet_push_goes_out_with_the_next_wake_or_at_the_timeout() {
        let queue = Arc::new(BlockingInfoQueue::new(8));
        let mut buf = [0u8; 64];
        // Queued quietly before the reader came: the reader takes it at once.
        queue.push_quiet(&log()).unwrap();
        assert_eq!(
            queue.read(&mut buf, Duration::from_secs(10)),
            ReadOutcome::Data(8)
        );
        // A reader already waiting is not woken by a quiet push, but its wait ends with data,
        // not a time-out; a later push wakes it for both.
        let reader = {
            let queue = Arc::clone(&queue);
            thread::spawn(move || {
                let mut buf = [0u8; 64];
                queue.read(&mut buf, Duration::from_millis(100))
            })
        };
        thread::sleep(Duration::from_millis(20));
        queue.push_quiet(&log()).unwrap();
        assert_eq!(reader.join().unwrap(), ReadOutcome::Data(8));
        queue.push_quiet(&log()).unwrap();
        queue.push(&log()).unwrap();
        assert_eq!(
            queue.read(&mut buf, Duration::from_secs(10)),
            ReadOutcome::Data(16)
        );
        queue.shutdown();
        assert_eq!(queue.push_quiet(&log()), Err(QueueFull));
    }

    #[test]
    fn deferred_wakes_leave_the_reader_asleep_until_woken_or_given_back_bytes() {
        let queue = Arc::new(BlockingInfoQueue::new(8));
        let waiter = |timeout_ms| {
            let queue = Arc::clone(&queue);
            thread::spawn(move || queue.wait(Duration::from_millis(timeout_ms)))
        };
        // A reader that waits: a push while deferring does not wake it; its wait ends with
        // data only at its timeout, which is long, so the test sees whether it was woken.
        queue.defer_wakes();
        let reader = waiter(60_000);
        thread::sleep(Duration::from_millis(20));
        queue.push(&log()).unwrap();
        thread::sleep(Duration::from_millis(50));
        assert!(!reader.is_finished(), "a deferred push woke the reader");
        assert!(queue.end_deferral());
        assert!(!queue.end_deferral());
        // The deferring thread writes the data itself...
        let mut buf = [0u8; 64];
        assert_eq!(queue.try_read(&mut buf), 8);
        assert_eq!(queue.try_read(&mut buf), 0);
        // ...or, when it cannot, gives it back, which wakes the reader with it.
        queue.unread(&buf[..8]);
        assert_eq!(reader.join().unwrap(), Waited::Ready);
        assert_eq!(queue.try_read(&mut buf), 8);
        // Without a deferral a push wakes a waiting reader.
        let reader = waiter(60_000);
        thread::sleep(Duration::from_millis(20));
        queue.push(&log()).unwrap();
        assert_eq!(reader.join().unwrap(), Waited::Ready);
        assert_eq!(queue.try_read(&mut buf), 8);
        assert_eq!(queue.wait(Duration::from_millis(10)), Waited::TimedOut);
        queue.shutdown();
        assert_eq!(queue.wait(Duration::from_secs(10)), Waited::Shutdown);
    }

    #[test]
    fn read_times_out_when_nothing_arrives() {
        let queue = BlockingInfoQueue::new(8);
        let mut buf = [0u8; 64];
        assert_eq!(
            queue.read(&mut buf, Duration::from_millis(20)),
            ReadOutcome::TimedOut
        );
    }

    #[test]
    fn shutdown_wakes_the_reader_after_the_queued_data() {
        let queue = Arc::new(BlockingInfoQueue::new(8));
        queue.push(&log()).unwrap();
        queue.shutdown();
        assert_eq!(queue.push(&log()), Err(QueueFull));
        let mut buf = [0u8; 64];
        assert_eq!(
            queue.read(&mut buf, Duration::from_secs(1)),
            ReadOutcome::Data(8)
        );
        assert_eq!(
            queue.read(&mut buf, Duration::from_secs(10)),
            ReadOutcome::Shutdown
        );
        let waiting = {
            let queue = Arc::clone(&queue);
            thread::spawn(move || queue.read(&mut [0u8; 8], Duration::from_secs(10)))
        };
        assert_eq!(waiting.join().unwrap(), ReadOutcome::Shutdown);
        queue.reset();
        assert_eq!(
            queue.read(&mut buf, Duration::from_millis(10)),
            ReadOutcome::TimedOut
        );
    }
}
