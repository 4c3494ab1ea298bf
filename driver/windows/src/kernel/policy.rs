//! Policy documents between the write dispatch and the driver: a PolicyPart copied by
//! [`crate::device::Driver::write`] is assembled and, at its last part, compiled here at
//! PASSIVE_LEVEL without the driver's spin lock (10 000 rules take milliseconds; classifies on
//! every processor would spin that long). Only the swap takes the spin lock.
//!
//! Lock order: this passive lock (a synchronization event), then the driver's spin lock, never
//! the other way round: nothing that holds the spin lock waits for this one. It serialises
//! concurrent writes (overlapped I/O on the one handle), so documents are installed in the
//! order their last parts arrived.

use core::cell::UnsafeCell;
use core::ptr::null_mut;

use super::callouts::execute;
use super::with_driver;
use crate::bindings::{
    status, KeEnterCriticalRegion, KeInitializeEvent, KeLeaveCriticalRegion, KeSetEvent,
    KeWaitForSingleObject, KernelObjectStorage, EXECUTIVE, KERNEL_MODE, NTSTATUS,
    SYNCHRONIZATION_EVENT,
};
use crate::device::{PolicyInbox, ReceivedPart};

struct Inbox {
    /// A KEVENT used as a lock (signalled: free).
    lock: UnsafeCell<KernelObjectStorage>,
    /// The document being received.
    inbox: UnsafeCell<Option<PolicyInbox>>,
}

// SAFETY: `inbox` is only reached between acquiring and releasing `lock` (a kernel
// synchronization event: one holder at a time), or in DriverEntry before any write can arrive.
unsafe impl Sync for Inbox {}

static INBOX: Inbox = Inbox {
    lock: UnsafeCell::new(KernelObjectStorage([0; 128])),
    inbox: UnsafeCell::new(None),
};

/// Sets the lock up (DriverEntry, before the device can be opened).
pub fn init() {
    // SAFETY: static storage that never moves; a synchronization event, initially signalled
    // (the lock is free). PASSIVE_LEVEL, nobody else uses it yet.
    unsafe { KeInitializeEvent(INBOX.lock.get(), SYNCHRONIZATION_EVENT, 1) };
    // SAFETY: DriverEntry, before any write: no other reference exists.
    unsafe { *INBOX.inbox.get() = Some(PolicyInbox::new()) };
}

/// Runs `f` on the inbox under the passive lock.
fn locked<R>(f: impl FnOnce(&mut PolicyInbox) -> R) -> Option<R> {
    // SAFETY: PASSIVE_LEVEL (write dispatch, unload); APCs that could suspend this thread
    // while it holds the lock are held off until KeLeaveCriticalRegion.
    unsafe { KeEnterCriticalRegion() };
    // SAFETY: the event initialised by `init`; a kernel-mode, non-alertable wait without a
    // timeout returns STATUS_SUCCESS once the event is ours.
    unsafe {
        KeWaitForSingleObject(
            INBOX.lock.get().cast(),
            EXECUTIVE,
            KERNEL_MODE,
            0,
            null_mut(),
        )
    };
    // SAFETY: the lock is held: this is the only reference to the inbox.
    let result = unsafe { (*INBOX.inbox.get()).as_mut() }.map(f);
    // SAFETY: releases the lock taken above.
    unsafe { KeSetEvent(INBOX.lock.get(), 0, 0) };
    // SAFETY: pairs with KeEnterCriticalRegion above.
    unsafe { KeLeaveCriticalRegion() };
    result
}

/// Takes one part (write dispatch, PASSIVE_LEVEL): assembles it and, at the last part,
/// compiles the document here; then installs it (or records the refusal) under the spin lock.
pub fn receive(part: ReceivedPart) {
    locked(|inbox| {
        let update = inbox.receive(&part);
        if let Some(effects) = with_driver(|d| d.policy_update(update)) {
            // The replaced policy is freed here, after the spin lock.
            execute(effects);
        }
        // The boot guard follows the no-app action (a BFE round trip, only when it changes).
        guard_for_policy();
    });
}

/// Installs or removes the boot guard for the policy in force (DriverEntry, after the stored
/// policy), under the same lock as documents, so the two never race.
pub fn sync_guard() {
    locked(|_| guard_for_policy());
}

/// Deletes the guard's filters, callouts and sublayer for good (unload during a real
/// uninstall, [`crate::guard_removal`]), under the same lock as documents; the status of the
/// first deletion that failed, or success.
pub fn remove_guard_for_good() -> NTSTATUS {
    match locked(|_| super::boot_guard::remove_for_good()) {
        Some(Ok(())) => status::SUCCESS,
        Some(Err(code)) => code,
        None => status::INVALID_DEVICE_STATE,
    }
}

/// With the inbox lock held: the guard for the policy in force, and a log line about it.
fn guard_for_policy() {
    let wanted = with_driver(|d| d.guard_wanted()).flatten();
    if let Some(line) = super::boot_guard::sync(wanted) {
        with_driver(|d| d.log(crate::log::severity::INFO, line));
    }
}

/// Drops a partly received document (unload).
pub fn clear() {
    locked(|inbox| *inbox = PolicyInbox::new());
}
