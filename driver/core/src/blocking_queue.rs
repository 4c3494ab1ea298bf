//! The info queue behind a mutex and a condition variable: the reader blocks until an info
//! arrives, its timeout passes, or the queue is shut down. Used by the Linux daemon; the Windows
//! driver wraps [`InfoQueue`] in its own kernel primitives instead.

extern crate std;

use core::time::Duration;
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};
use std::time::Instant;

use zenithfence_protocol::Info;

use crate::info_queue::{InfoQueue, QueueCounters, QueueFull};

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
            }),
            ready: Condvar::new(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock cannot leave the queue half-updated in a way that
        // matters more than losing the daemon, so keep serving.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Queues an info and wakes the reader; see [`InfoQueue::push`]. After shutdown every push
    /// is refused.
    pub fn push(&self, info: &Info) -> Result<(), QueueFull> {
        let mut state = self.lock();
        if state.shut_down {
            return Err(QueueFull);
        }
        let result = state.queue.push(info);
        drop(state);
        self.ready.notify_one();
        result
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
