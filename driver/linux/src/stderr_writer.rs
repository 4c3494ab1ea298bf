//! Stderr on its own thread. A service's stderr is a pipe (to journald, or to whoever started
//! it); when nobody reads it, a write blocks, and a thread that logs while it holds the engine
//! lock would stop every decision with it. So threads only hand lines over (never waiting): a
//! writer thread does the writing, and when it falls behind by [`BACKLOG`] batches, further
//! lines are counted instead of queued, and one line says how many were left out once it
//! catches up. The ring GetLogs reads is filled before this, so it never loses a line.

use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use crate::log::{stderr_line, Severity};

/// Batches of lines waiting for the writer at most.
pub(crate) const BACKLOG: usize = 256;

enum Message {
    Text(String),
    /// Answered once everything sent before it was written (or could not be).
    Synced(SyncSender<()>),
}

/// Where log text goes: the writer thread's queue.
pub(crate) struct StderrWriter {
    queue: Option<SyncSender<Message>>,
    /// Batches not queued because the writer was behind, since the last report of them.
    left_out: Arc<AtomicU64>,
}

impl StderrWriter {
    /// Starts the writer thread for `out` (stderr in the daemon; a test's pipe in tests); its own
    /// lines carry their syslog priority when `priorities` is set (stderr is the journal).
    pub(crate) fn start(out: Box<dyn Write + Send>, priorities: bool) -> StderrWriter {
        let (queue, lines) = mpsc::sync_channel(BACKLOG);
        let left_out = Arc::new(AtomicU64::new(0));
        let counted = Arc::clone(&left_out);
        let started = thread::Builder::new()
            .name("stderr".into())
            .spawn(move || write_lines(out, &lines, &counted, priorities));
        StderrWriter {
            // Without a thread (none could be made) lines go to the ring only.
            queue: started.ok().map(|_| queue),
            left_out,
        }
    }

    /// Hands `text` to the writer without waiting; counts it when the writer is behind.
    pub(crate) fn send(&self, text: String) {
        let Some(queue) = &self.queue else { return };
        match queue.try_send(Message::Text(text)) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) => {
                self.left_out.fetch_add(1, Ordering::Relaxed);
            }
            Err(TrySendError::Disconnected(_)) => {}
        }
    }

    /// Waits up to `bound` until what was handed over so far is written (at exit).
    pub(crate) fn sync(&self, bound: Duration) -> bool {
        let Some(queue) = &self.queue else {
            return true;
        };
        let (done, written) = mpsc::sync_channel(1);
        // Waits for room at most `bound` too: a writer stuck on a full pipe must not hold up exit.
        let deadline = std::time::Instant::now() + bound;
        let mut message = Message::Synced(done);
        loop {
            match queue.try_send(message) {
                Ok(()) => break,
                Err(TrySendError::Full(back)) if std::time::Instant::now() < deadline => {
                    message = back;
                    thread::sleep(Duration::from_millis(5));
                }
                Err(_) => return false,
            }
        }
        written
            .recv_timeout(deadline.saturating_duration_since(std::time::Instant::now()))
            .is_ok()
    }
}

fn write_lines(
    mut out: Box<dyn Write + Send>,
    lines: &Receiver<Message>,
    left_out: &AtomicU64,
    priorities: bool,
) {
    for message in lines {
        match message {
            Message::Text(text) => {
                let missed = left_out.swap(0, Ordering::Relaxed);
                if missed > 0 {
                    let line = stderr_line(
                        Severity::Warning,
                        &format!("{missed} log writes were left out: stderr was not being read"),
                        priorities,
                    );
                    let _ = out.write_all(line.as_bytes());
                }
                // A write error (a closed pipe) is nothing to report: the ring still has it.
                let _ = out.write_all(text.as_bytes());
                let _ = out.flush();
            }
            Message::Synced(done) => {
                let _ = done.send(());
            }
        }
    }
}

/// A stderr nobody reads, for tests.
#[cfg(test)]
#[allow(clippy::unwrap_used)]
pub(crate) mod blocked_sink {
    use std::io::Write;
    use std::sync::{Arc, Condvar, Mutex};

    /// Whether the gate is open, and what was written through it.
    type GateState = Mutex<(bool, Vec<u8>)>;

    /// A sink that blocks every write until the test opens it (stderr nobody reads).
    #[derive(Clone, Default)]
    pub(crate) struct Gate {
        state: Arc<(GateState, Condvar)>,
    }

    impl Write for Gate {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            let (lock, opened) = &*self.state;
            let mut state = lock.lock().unwrap();
            while !state.0 {
                state = opened.wait(state).unwrap();
            }
            state.1.extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl Gate {
        pub(crate) fn open(&self) {
            let (lock, opened) = &*self.state;
            lock.lock().unwrap().0 = true;
            opened.notify_all();
        }
        pub(crate) fn text(&self) -> String {
            String::from_utf8(self.state.0.lock().unwrap().1.clone()).unwrap()
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::blocked_sink::Gate;
    use super::*;

    #[test]
    fn a_blocked_stderr_never_blocks_the_logging_thread_and_the_loss_is_counted() {
        let gate = Gate::default();
        let writer = StderrWriter::start(Box::new(gate.clone()), false);
        // Far more than the backlog: were sends waiting for the writer, this would never return.
        for i in 0..(BACKLOG as u64 * 4) {
            writer.send(format!("line {i}\n"));
        }
        assert!(
            !writer.sync(Duration::from_millis(50)),
            "nothing can be written yet"
        );
        gate.open();
        // Once the backlog is written, lines are queued again, and the loss is said before them.
        assert!(writer.sync(Duration::from_secs(10)));
        writer.send("after\n".into());
        assert!(writer.sync(Duration::from_secs(10)));
        let text = gate.text();
        let written: Vec<u64> = text
            .lines()
            .filter_map(|l| l.strip_prefix("line "))
            .map(|n| n.parse().unwrap())
            .collect();
        assert_eq!(written.first(), Some(&0), "{text}");
        assert!(
            written
                .iter()
                .zip(written.iter().skip(1))
                .all(|(a, b)| a < b),
            "in order: {text}"
        );
        let reported: u64 = text
            .lines()
            .filter_map(|l| l.strip_prefix("zenithfenced: warning: "))
            .map(|l| l.split(' ').next().unwrap().parse::<u64>().unwrap())
            .sum();
        assert!(reported > 0, "the loss is said: {text}");
        assert_eq!(
            written.len() as u64 + reported,
            BACKLOG as u64 * 4,
            "every line written or counted: {text}"
        );
        assert!(text.ends_with("after\n"));
    }
}
