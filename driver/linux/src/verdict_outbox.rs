//! Verdicts decided under the engine lock, written to the kernel after it is released.
//!
//! A verdict's write is the costliest call of a decision: the kernel re-injects the held packet
//! in it, so the SYN's whole way out runs in our thread (~10 µs here). Written under `engine`,
//! it made the packet thread, which takes `engine` for every packet, wait on a futex behind the
//! client thread writing the app's verdict: one more sleep and wake-up per connection, and a
//! wake-up costs about as much as the minimal reader spends on a whole connection in this VM.
//! So the engine only queues its answers here ([`OutboxAnswer`]), and whoever released
//! `engine` writes them ([`VerdictOutbox::flush`]; `daemon.rs` does it when its engine guard is
//! dropped).
//!
//! Every queued verdict is written exactly once, in the order queued: a flush takes the queue
//! under a short lock and writes under `sending`, so two flushing threads never interleave. A
//! thread that queued a verdict always flushes afterwards; if another thread took its verdict
//! first, that thread writes it.

use std::io;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use zenithfence_core::decision::Action;

use crate::engine::{Answer, HeldPacket};
use crate::locks::RankedMutex;
use crate::log::{Log, Severity};
use crate::nfqueue::KernelVerdict;
use crate::rules::{MARK_ALLOW, MARK_BLOCKED, MARK_VERDICT_MASK};

/// Where verdicts go: the queue's verdict socket, or a recording sink in tests.
pub(crate) trait VerdictSink: Send + Sync {
    /// Writes one verdict, replacing the packet's mark with `mark` when given.
    fn send(&self, packet_id: u32, verdict: KernelVerdict, mark: Option<u32>) -> io::Result<()>;
}

impl VerdictSink for crate::nfqueue::VerdictSender {
    fn send(&self, packet_id: u32, verdict: KernelVerdict, mark: Option<u32>) -> io::Result<()> {
        crate::nfqueue::VerdictSender::send(self, packet_id, verdict, mark)
    }
}

/// One verdict waiting to be written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct QueuedVerdict {
    pub(crate) packet_id: u32,
    pub(crate) verdict: KernelVerdict,
    pub(crate) mark: u32,
}

impl QueuedVerdict {
    /// The kernel verdict and mark for `action` (see `rules.rs` for what the marks do).
    pub(crate) fn of(packet: HeldPacket, action: Action, permanent: bool) -> QueuedVerdict {
        let others = packet.mark & !MARK_VERDICT_MASK;
        let (verdict, mark) = match action {
            // A temporary accept leaves no mark, so the flow's next new packet asks again.
            Action::Accept => (
                KernelVerdict::Accept,
                others | if permanent { MARK_ALLOW } else { 0 },
            ),
            // The whole mark: the rule table rejects exactly this one (`rules.rs`).
            Action::Block => (KernelVerdict::Accept, MARK_BLOCKED),
            Action::Drop => (KernelVerdict::Drop, packet.mark),
        };
        QueuedVerdict {
            packet_id: packet.packet_id,
            verdict,
            mark,
        }
    }
}

/// The verdicts waiting to be written, and the sink that writes them.
pub(crate) struct VerdictOutbox {
    /// Queued verdicts; a leaf lock, held only to push or take.
    queued: Mutex<Vec<QueuedVerdict>>,
    /// How many are queued, read without the lock: most flushes find nothing to do.
    count: AtomicUsize,
    /// Held while writing, so that verdicts reach the kernel in the order they were queued.
    sending: RankedMutex<Box<dyn VerdictSink>>,
    log: Arc<Log>,
}

impl VerdictOutbox {
    /// An empty outbox writing to `sink`; `rank` is its place in the daemon's lock order.
    pub(crate) fn new(sink: Box<dyn VerdictSink>, rank: u32, log: Arc<Log>) -> VerdictOutbox {
        VerdictOutbox {
            queued: Mutex::new(Vec::new()),
            count: AtomicUsize::new(0),
            sending: RankedMutex::new(rank, "verdicts", sink),
            log,
        }
    }

    /// Queues one verdict; it is written at the next flush.
    pub(crate) fn push(&self, verdict: QueuedVerdict) {
        let mut queued = self.queued.lock().unwrap_or_else(PoisonError::into_inner);
        queued.push(verdict);
        self.count.store(queued.len(), Ordering::Release);
    }

    /// Writes every queued verdict, in order. Cheap when nothing is queued (one atomic load).
    pub(crate) fn flush(&self) {
        if self.count.load(Ordering::Acquire) == 0 {
            return;
        }
        let sink = self.sending.lock();
        loop {
            let batch = {
                let mut queued = self.queued.lock().unwrap_or_else(PoisonError::into_inner);
                self.count.store(0, Ordering::Release);
                std::mem::take(&mut *queued)
            };
            if batch.is_empty() {
                break;
            }
            for v in batch {
                if let Err(e) = sink.send(v.packet_id, v.verdict, Some(v.mark)) {
                    self.log.write(
                        Severity::Error,
                        format!("verdict for kernel packet {} failed: {e}", v.packet_id),
                    );
                }
            }
        }
    }
}

/// The engine's [`Answer`]: queues the verdict in the outbox (never writes under `engine`).
pub(crate) struct OutboxAnswer(pub(crate) Arc<VerdictOutbox>);

impl Answer for OutboxAnswer {
    fn answer(&self, packet: HeldPacket, action: Action, permanent: bool) {
        self.0.push(QueuedVerdict::of(packet, action, permanent));
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    /// What a recording sink was given: packet id, verdict, mark.
    type Written = Arc<Mutex<Vec<(u32, KernelVerdict, Option<u32>)>>>;

    /// Records what was written; fails the packet id `fail`.
    struct Recording {
        written: Written,
        fail: u32,
    }

    impl VerdictSink for Recording {
        fn send(&self, id: u32, verdict: KernelVerdict, mark: Option<u32>) -> io::Result<()> {
            self.written.lock().unwrap().push((id, verdict, mark));
            if id == self.fail {
                return Err(io::Error::other("refused"));
            }
            Ok(())
        }
    }

    /// An outbox writing to a recording sink that fails packet `fail`.
    fn outbox(fail: u32) -> (Arc<VerdictOutbox>, Written) {
        let written = Arc::new(Mutex::new(Vec::new()));
        let sink = Recording {
            written: Arc::clone(&written),
            fail,
        };
        let log = Arc::new(Log::new(Severity::Error));
        (
            Arc::new(VerdictOutbox::new(Box::new(sink), 5, log)),
            written,
        )
    }

    fn held(id: u32, mark: u32) -> HeldPacket {
        HeldPacket {
            packet_id: id,
            mark,
        }
    }

    #[test]
    fn an_answer_is_written_at_the_flush_not_before() {
        let (outbox, written) = outbox(0);
        let answer = OutboxAnswer(Arc::clone(&outbox));
        answer.answer(held(7, 0), Action::Accept, true);
        assert!(
            written.lock().unwrap().is_empty(),
            "nothing written under the lock"
        );
        outbox.flush();
        assert_eq!(
            *written.lock().unwrap(),
            vec![(7, KernelVerdict::Accept, Some(MARK_ALLOW))]
        );
        outbox.flush();
        assert_eq!(written.lock().unwrap().len(), 1, "written once");
    }

    #[test]
    fn marks_keep_foreign_bits_of_what_goes_on_and_say_the_verdict() {
        let foreign = 0x0001_0000;
        let v =
            |action, permanent| QueuedVerdict::of(held(1, foreign | MARK_ALLOW), action, permanent);
        assert_eq!(
            v(Action::Accept, false).mark,
            foreign,
            "a temporary accept leaves no verdict bit"
        );
        assert_eq!(v(Action::Accept, true).mark, foreign | MARK_ALLOW);
        assert_eq!(
            v(Action::Block, true).verdict,
            KernelVerdict::Accept,
            "rejected by the rules"
        );
        assert_eq!(
            v(Action::Block, true).mark,
            MARK_BLOCKED,
            "the one mark the rule table rejects"
        );
        assert_eq!(v(Action::Drop, false).verdict, KernelVerdict::Drop);
        assert_eq!(
            v(Action::Drop, false).mark,
            foreign | MARK_ALLOW,
            "a drop keeps the mark"
        );
    }

    #[test]
    fn a_failed_write_is_logged_and_the_rest_still_go() {
        let (outbox, written) = outbox(2);
        for id in 1..=3 {
            outbox.push(QueuedVerdict::of(held(id, 0), Action::Drop, false));
        }
        outbox.flush();
        let ids: Vec<u32> = written.lock().unwrap().iter().map(|w| w.0).collect();
        assert_eq!(ids, vec![1, 2, 3]);
    }

    #[test]
    fn threads_pushing_and_flushing_write_each_verdict_once_in_queue_order() {
        let (outbox, written) = outbox(0);
        // Each thread pushes under a shared lock (as under `engine`), so the queue order is
        // the order of that lock; then it flushes without it.
        let engine = Arc::new(Mutex::new(Vec::new()));
        let threads: Vec<_> = (0..4u32)
            .map(|t| {
                let (outbox, engine) = (Arc::clone(&outbox), Arc::clone(&engine));
                std::thread::spawn(move || {
                    for i in 0..2_000u32 {
                        let id = t * 10_000 + i;
                        {
                            let mut order = engine.lock().unwrap();
                            order.push(id);
                            outbox.push(QueuedVerdict::of(held(id, 0), Action::Accept, false));
                        }
                        outbox.flush();
                    }
                })
            })
            .collect();
        for thread in threads {
            thread.join().unwrap();
        }
        let ids: Vec<u32> = written.lock().unwrap().iter().map(|w| w.0).collect();
        assert_eq!(
            ids,
            *engine.lock().unwrap(),
            "each once, in the order queued"
        );
        assert_eq!(ids.len(), 8_000);
    }
}
