//! Pended read IRPs: an abstract IRP and the cancel-safe queue of reads waiting for infos.
//!
//! The queue follows the protocol of the I/O manager's cancel-safe queues (IoCsqXxx), written
//! out so that every race can be driven by the host tests:
//!
//! - A read that cannot be answered at once is marked pending, gets its cancel routine armed
//!   and is queued, all under the driver's lock. If the IRP was already cancelled when the
//!   routine was armed, either the driver took the routine back (and completes the IRP itself)
//!   or the I/O manager already called it: then the IRP is queued marked *cancelling*, and the
//!   cancel routine, which takes the driver's lock before looking, finds and completes it.
//! - To complete a queued read, the driver first disarms the cancel routine. If that fails the
//!   cancel routine owns the IRP; it stays queued as *cancelling* and is skipped.
//! - The cancel routine removes the IRP by id and completes it with `STATUS_CANCELLED`.
//!
//! Every IRP therefore leaves the queue exactly once, through exactly one [`Completion`].

use alloc::collections::VecDeque;
use alloc::vec::Vec;

use zenithfence_core::info_queue::InfoQueue;

use crate::bindings::{status, NTSTATUS};

/// What arming the cancel routine found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Arm {
    /// The routine is armed; the IRP may be queued.
    Armed,
    /// The IRP was cancelled before; the driver took the routine back and must complete it.
    CancelledBeforeArm,
    /// The IRP was cancelled and the I/O manager is calling the routine: queue the IRP, the
    /// routine will find it under the lock and complete it.
    CancelRoutineRunning,
}

/// An I/O request as the queue needs it. The kernel implements it over `PIRP`; the tests over a
/// simulated IRP that records its completion.
pub trait Irp {
    /// A value that identifies the IRP while it lives (the pointer).
    fn id(&self) -> usize;
    /// The file object that issued the request.
    fn file(&self) -> usize;
    /// The request's buffer (the system buffer of buffered I/O), its length the read length.
    fn buffer(&mut self) -> &mut [u8];
    /// `IoMarkIrpPending`.
    fn mark_pending(&mut self);
    /// Arms the cancel routine (`IoSetCancelRoutine`, then the `Irp->Cancel` check).
    fn arm_cancel(&mut self) -> Arm;
    /// Disarms the cancel routine; false if it was already taken by the I/O manager.
    fn disarm_cancel(&mut self) -> bool;
    /// `IoCompleteRequest` with this status and information. Consumes the IRP.
    fn complete(self, status: NTSTATUS, information: usize);
}

/// An IRP to complete, once the driver's lock is released.
#[derive(Debug)]
pub struct Completion<I> {
    /// The request.
    pub irp: I,
    /// Its final status.
    pub status: NTSTATUS,
    /// Its `IoStatus.Information` (bytes).
    pub information: usize,
}

impl<I: Irp> Completion<I> {
    /// A completion.
    pub fn new(irp: I, status: NTSTATUS, information: usize) -> Self {
        Completion {
            irp,
            status,
            information,
        }
    }

    /// Completes the IRP.
    pub fn finish(self) {
        self.irp.complete(self.status, self.information);
    }
}

struct Entry<I> {
    irp: I,
    cancelling: bool,
}

/// What [`ReadQueue::pend`] did.
#[derive(Debug)]
pub enum Pended<I> {
    /// Queued; the dispatch routine returns `STATUS_PENDING`.
    Queued,
    /// Marked pending but already cancelled: complete it (dispatch still returns pending).
    Cancelled(Completion<I>),
    /// The queue is full: the IRP is handed back untouched.
    Full(I),
}

/// The reads waiting for infos.
pub struct ReadQueue<I> {
    entries: VecDeque<Entry<I>>,
    max: usize,
}

impl<I: Irp> ReadQueue<I> {
    /// An empty queue holding at most `max` reads (at least 1).
    pub fn new(max: usize) -> Self {
        ReadQueue {
            entries: VecDeque::new(),
            max: max.max(1),
        }
    }

    /// Reads queued (cancelling ones included).
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether no read waits.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Whether a read is waiting that could be completed now.
    pub fn has_waiting(&self) -> bool {
        self.entries.iter().any(|e| !e.cancelling)
    }

    /// Pends a read (call under the driver's lock).
    pub fn pend(&mut self, mut irp: I) -> Pended<I> {
        if self.entries.len() >= self.max {
            return Pended::Full(irp);
        }
        irp.mark_pending();
        match irp.arm_cancel() {
            Arm::Armed => {
                self.entries.push_back(Entry {
                    irp,
                    cancelling: false,
                });
                Pended::Queued
            }
            Arm::CancelledBeforeArm => {
                Pended::Cancelled(Completion::new(irp, status::CANCELLED, 0))
            }
            Arm::CancelRoutineRunning => {
                self.entries.push_back(Entry {
                    irp,
                    cancelling: true,
                });
                Pended::Queued
            }
        }
    }

    /// Completes waiting reads, oldest first, with as many infos as fit each, while infos are
    /// queued.
    pub fn fill(&mut self, infos: &mut InfoQueue) -> Vec<Completion<I>> {
        let mut done = Vec::new();
        let mut index = 0;
        while infos.has_data() {
            let Some(entry) = self.entries.get_mut(index) else {
                break;
            };
            if entry.cancelling {
                index += 1;
                continue;
            }
            if !entry.irp.disarm_cancel() {
                // The I/O manager is cancelling it; its routine will complete it.
                entry.cancelling = true;
                index += 1;
                continue;
            }
            let Some(mut entry) = self.entries.remove(index) else {
                break;
            };
            let written = infos.read(entry.irp.buffer());
            done.push(Completion::new(entry.irp, status::SUCCESS, written));
        }
        done
    }

    /// The cancel routine's part: removes the IRP with this id and completes it cancelled.
    pub fn cancel(&mut self, id: usize) -> Option<Completion<I>> {
        let at = self.entries.iter().position(|e| e.irp.id() == id)?;
        let entry = self.entries.remove(at)?;
        Some(Completion::new(entry.irp, status::CANCELLED, 0))
    }

    /// Completes every read matching `which` with `status` (cleanup of a handle, end of the
    /// stream). Reads whose cancel routine is running are left to it.
    pub fn flush(&mut self, status: NTSTATUS, which: impl Fn(&I) -> bool) -> Vec<Completion<I>> {
        let mut done = Vec::new();
        let mut kept = VecDeque::new();
        for mut entry in self.entries.drain(..) {
            if !which(&entry.irp) || entry.cancelling {
                kept.push_back(entry);
            } else if entry.irp.disarm_cancel() {
                done.push(Completion::new(entry.irp, status, 0));
            } else {
                entry.cancelling = true;
                kept.push_back(entry);
            }
        }
        self.entries = kept;
        done
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]
pub(crate) mod sim {
    //! A simulated IRP for the host tests: it records how it was completed, and reports an IRP
    //! that was dropped without completion (a leak in the kernel).
    use super::*;
    use alloc::rc::Rc;
    use core::cell::RefCell;
    use std::collections::BTreeMap;

    /// What happened to every IRP of a test.
    #[derive(Default, Debug)]
    pub(crate) struct Ledger {
        pub(crate) completions: BTreeMap<usize, Vec<(NTSTATUS, Vec<u8>)>>,
        pub(crate) leaked: Vec<usize>,
    }

    /// How the simulated I/O manager treats cancellation of an IRP.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub(crate) enum CancelState {
        /// Not cancelled.
        Live,
        /// Cancelled before the driver armed the routine; the driver will get it back.
        CancelledEarly,
        /// Cancelled while queued: the routine has been taken by the I/O manager.
        RoutineTaken,
    }

    pub(crate) struct SimIrp {
        pub(crate) id: usize,
        pub(crate) file: usize,
        pub(crate) buffer: Vec<u8>,
        pub(crate) pending: bool,
        pub(crate) armed: bool,
        pub(crate) cancel: Rc<RefCell<CancelState>>,
        ledger: Rc<RefCell<Ledger>>,
        done: bool,
    }

    impl SimIrp {
        pub(crate) fn new(
            ledger: &Rc<RefCell<Ledger>>,
            id: usize,
            file: usize,
            len: usize,
        ) -> (SimIrp, Rc<RefCell<CancelState>>) {
            let cancel = Rc::new(RefCell::new(CancelState::Live));
            (
                SimIrp {
                    id,
                    file,
                    buffer: vec![0; len],
                    pending: false,
                    armed: false,
                    cancel: cancel.clone(),
                    ledger: ledger.clone(),
                    done: false,
                },
                cancel,
            )
        }
    }

    impl Irp for SimIrp {
        fn id(&self) -> usize {
            self.id
        }
        fn file(&self) -> usize {
            self.file
        }
        fn buffer(&mut self) -> &mut [u8] {
            &mut self.buffer
        }
        fn mark_pending(&mut self) {
            self.pending = true;
        }
        fn arm_cancel(&mut self) -> Arm {
            match *self.cancel.borrow() {
                CancelState::Live => {
                    self.armed = true;
                    Arm::Armed
                }
                CancelState::CancelledEarly => Arm::CancelledBeforeArm,
                CancelState::RoutineTaken => Arm::CancelRoutineRunning,
            }
        }
        fn disarm_cancel(&mut self) -> bool {
            let live = *self.cancel.borrow() == CancelState::Live;
            self.armed = false;
            live
        }
        fn complete(mut self, status: NTSTATUS, information: usize) {
            self.done = true;
            let data = self.buffer.get(..information).unwrap().to_vec();
            self.ledger
                .borrow_mut()
                .completions
                .entry(self.id)
                .or_default()
                .push((status, data));
        }
    }

    impl core::fmt::Debug for SimIrp {
        fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
            write!(f, "SimIrp({})", self.id)
        }
    }

    impl Drop for SimIrp {
        fn drop(&mut self) {
            if !self.done {
                self.ledger.borrow_mut().leaked.push(self.id);
            }
        }
    }

    impl Ledger {
        /// Asserts every id in `ids` was completed exactly once and nothing leaked.
        pub(crate) fn assert_each_once(&self, ids: &[usize]) {
            assert!(self.leaked.is_empty(), "leaked IRPs {:?}", self.leaked);
            for id in ids {
                let n = self.completions.get(id).map_or(0, Vec::len);
                assert_eq!(n, 1, "IRP {id} completed {n} times");
            }
        }
        pub(crate) fn status_of(&self, id: usize) -> NTSTATUS {
            self.completions[&id][0].0
        }
        pub(crate) fn data_of(&self, id: usize) -> Vec<u8> {
            self.completions[&id][0].1.clone()
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]
mod tests {
    use super::sim::*;
    use super::*;
    use alloc::rc::Rc;
    use core::cell::RefCell;
    use zenithfence_protocol::{Info, LogLine};

    fn line(text: &str) -> Info {
        Info::LogLine(LogLine {
            severity: 3,
            text: text.into(),
        })
    }

    fn finish_all(done: Vec<Completion<SimIrp>>) {
        done.into_iter().for_each(Completion::finish);
    }

    #[test]
    fn a_read_waits_until_an_info_arrives_then_gets_it() {
        let ledger = Rc::new(RefCell::new(Ledger::default()));
        let mut reads = ReadQueue::new(4);
        let mut infos = InfoQueue::new(16);
        let (irp, _) = SimIrp::new(&ledger, 1, 9, 64);
        assert!(matches!(reads.pend(irp), Pended::Queued));
        assert!(reads.fill(&mut infos).is_empty(), "nothing to read yet");
        infos.push(&line("hello")).unwrap();
        finish_all(reads.fill(&mut infos));
        ledger.borrow().assert_each_once(&[1]);
        assert_eq!(ledger.borrow().status_of(1), status::SUCCESS);
        assert_eq!(ledger.borrow().data_of(1).len(), 5 + 1 + 5);
        assert!(reads.is_empty());
    }

    #[test]
    fn cancel_of_a_queued_read_completes_it_once() {
        let ledger = Rc::new(RefCell::new(Ledger::default()));
        let mut reads = ReadQueue::new(4);
        let mut infos = InfoQueue::new(16);
        let (irp, cancel) = SimIrp::new(&ledger, 1, 9, 64);
        assert!(matches!(reads.pend(irp), Pended::Queued));
        // CancelIoEx: the I/O manager takes the routine, then an info arrives before the routine
        // got the driver's lock: the read must be skipped, not completed twice.
        *cancel.borrow_mut() = CancelState::RoutineTaken;
        infos.push(&line("x")).unwrap();
        assert!(reads.fill(&mut infos).is_empty());
        assert!(infos.has_data(), "the info stays for the next read");
        finish_all(reads.cancel(1).into_iter().collect());
        assert!(reads.cancel(1).is_none(), "the routine finds it only once");
        ledger.borrow().assert_each_once(&[1]);
        assert_eq!(ledger.borrow().status_of(1), status::CANCELLED);
    }

    #[test]
    fn a_read_cancelled_before_it_was_queued() {
        let ledger = Rc::new(RefCell::new(Ledger::default()));
        let mut reads = ReadQueue::new(4);
        let (early, c1) = SimIrp::new(&ledger, 1, 9, 64);
        *c1.borrow_mut() = CancelState::CancelledEarly;
        match reads.pend(early) {
            Pended::Cancelled(done) => done.finish(),
            other => panic!("expected a cancelled read, got {other:?}"),
        }
        let (racing, c2) = SimIrp::new(&ledger, 2, 9, 64);
        *c2.borrow_mut() = CancelState::RoutineTaken;
        assert!(matches!(reads.pend(racing), Pended::Queued));
        assert!(!reads.has_waiting(), "a cancelling read is not waiting");
        finish_all(reads.cancel(2).into_iter().collect());
        ledger.borrow().assert_each_once(&[1, 2]);
    }

    #[test]
    fn flush_completes_reads_of_one_file_and_leaves_cancelling_ones() {
        let ledger = Rc::new(RefCell::new(Ledger::default()));
        let mut reads = ReadQueue::new(8);
        let (a, _) = SimIrp::new(&ledger, 1, 100, 8);
        let (b, cb) = SimIrp::new(&ledger, 2, 100, 8);
        let (c, _) = SimIrp::new(&ledger, 3, 200, 8);
        for irp in [a, b, c] {
            assert!(matches!(reads.pend(irp), Pended::Queued));
        }
        *cb.borrow_mut() = CancelState::RoutineTaken;
        finish_all(reads.flush(status::CANCELLED, |irp| irp.file() == 100));
        assert_eq!(
            reads.len(),
            2,
            "file 200's read and the cancelling one stay"
        );
        finish_all(reads.cancel(2).into_iter().collect());
        finish_all(reads.flush(status::END_OF_FILE, |_| true));
        ledger.borrow().assert_each_once(&[1, 2, 3]);
        assert_eq!(ledger.borrow().status_of(3), status::END_OF_FILE);
    }

    #[test]
    fn a_full_queue_hands_the_read_back() {
        let ledger = Rc::new(RefCell::new(Ledger::default()));
        let mut reads = ReadQueue::new(1);
        let (a, _) = SimIrp::new(&ledger, 1, 0, 8);
        let (b, _) = SimIrp::new(&ledger, 2, 0, 8);
        assert!(matches!(reads.pend(a), Pended::Queued));
        match reads.pend(b) {
            Pended::Full(irp) => {
                assert!(!irp.pending, "a refused IRP is not marked pending");
                irp.complete(status::DEVICE_BUSY, 0);
            }
            other => panic!("expected Full, got {other:?}"),
        }
        finish_all(reads.flush(status::CANCELLED, |_| true));
        ledger.borrow().assert_each_once(&[1, 2]);
    }

    #[test]
    fn one_info_split_across_two_small_reads() {
        let ledger = Rc::new(RefCell::new(Ledger::default()));
        let mut reads = ReadQueue::new(4);
        let mut infos = InfoQueue::new(16);
        let (a, _) = SimIrp::new(&ledger, 1, 0, 4);
        let (b, _) = SimIrp::new(&ledger, 2, 0, 64);
        assert!(matches!(reads.pend(a), Pended::Queued));
        assert!(matches!(reads.pend(b), Pended::Queued));
        infos.push(&line("split me")).unwrap();
        finish_all(reads.fill(&mut infos));
        let ledger = ledger.borrow();
        ledger.assert_each_once(&[1, 2]);
        let mut stream = ledger.data_of(1);
        stream.extend(ledger.data_of(2));
        let mut expected = Vec::new();
        line("split me").encode(&mut expected);
        assert_eq!(
            stream, expected,
            "the rest of the info starts the next read"
        );
    }
}
