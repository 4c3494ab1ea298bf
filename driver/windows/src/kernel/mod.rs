//! The kernel layer: everything that calls the WDK. Compiled with the `kernel` feature (the
//! Windows `.sys` build); on other hosts it type-checks against the declarations in
//! [`crate::bindings`] and links nothing.
//!
//! Structure:
//! - [`entry`]: `DriverEntry`, unload, the IRP dispatch routines, the read cancel routine, the
//!   timer DPC, the panic handler and the global allocator.
//! - [`wfp`]: the filter engine session, the sublayer, the callouts and their filters, the
//!   injection handles.
//! - [`callouts`]: the classify trampolines, packet copies, clones, pends and injections.
//! - [`process`]: a process's creation time for the Process info (before the lock).
//!
//! Concurrency: one spin lock guards the [`Driver`]. Classifies run at ≤ DISPATCH_LEVEL, so do
//! the DPC and the dispatch routines while they hold it. Work that can re-enter WFP or the I/O
//! manager (completing a pend, injecting, completing an IRP) is returned as
//! [`crate::device::Effects`] and executed after the lock is released.
//!
//! Unload safety: classifies and injections are counted ([`ACTIVE_CLASSIFIES`],
//! [`OUTSTANDING_INJECTIONS`]); unload removes the filters, unregisters the callouts, waits for
//! both counts to reach zero and only then frees what they use.

pub mod boot_guard;
pub mod callouts;
pub mod entry;
pub mod policy;
pub mod process;
pub mod storage;
pub mod wfp;

use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec::Vec;
use core::cell::UnsafeCell;
use core::ptr::{null_mut, NonNull};
use core::sync::atomic::{AtomicPtr, AtomicUsize, Ordering};

use crate::bindings::{
    status, KeAcquireSpinLockRaiseToDpc, KeQuerySystemTimePrecise, KeQueryUnbiasedInterruptTime,
    KeReleaseSpinLock, KernelObjectStorage, DEVICE_OBJECT, HANDLE, IO_STACK_LOCATION, IRP,
    KSPIN_LOCK, NTSTATUS, SL_PENDING_RETURNED, UNICODE_STRING,
};
use crate::device::Driver;
use crate::irp::{Arm, Irp};

pub use callouts::HeldPacket;

/// The bug check code of a Rust panic in the driver ("ZF" and 1). Parameters: line, column,
/// address and length of the source file name.
pub const BUGCHECK_CODE: u32 = 0x5A46_0001;
/// The pool tag of every allocation ("ZFnc" as it appears in pool dumps).
pub const POOL_TAG: u32 = u32::from_le_bytes(*b"ZFnc");

/// Classify trampolines currently running.
pub static ACTIVE_CLASSIFIES: AtomicUsize = AtomicUsize::new(0);
/// Injections handed to WFP whose completion has not run yet.
pub static OUTSTANDING_INJECTIONS: AtomicUsize = AtomicUsize::new(0);

/// Milliseconds on the unbiased interrupt clock (monotonic, sleep excluded).
pub fn now_ms() -> u64 {
    // SAFETY: KeQueryUnbiasedInterruptTime has no preconditions (any IRQL).
    let ticks = unsafe { KeQueryUnbiasedInterruptTime() };
    ticks / 10_000
}

/// Milliseconds since the Unix epoch (rule expiry), from the system time.
pub fn wall_ms() -> u64 {
    let mut system_time: i64 = 0;
    // SAFETY: a valid out pointer; KeQuerySystemTimePrecise runs at any IRQL.
    unsafe { KeQuerySystemTimePrecise(&mut system_time) };
    crate::wall_clock::unix_ms(system_time)
}

/// The driver state behind the spin lock.
struct Shared {
    lock: UnsafeCell<KSPIN_LOCK>,
    driver: UnsafeCell<Option<Driver<HeldPacket, KernelIrp>>>,
}

// SAFETY: `driver` is only reached through `with_driver`, which holds `lock` (a kernel spin
// lock, mutual exclusion across processors) for the whole access.
unsafe impl Sync for Shared {}

static SHARED: Shared = Shared {
    lock: UnsafeCell::new(0),
    driver: UnsafeCell::new(None),
};

/// Runs `f` on the driver under the spin lock; `None` when there is no driver (before
/// DriverEntry finished, after unload).
pub fn with_driver<R>(f: impl FnOnce(&mut Driver<HeldPacket, KernelIrp>) -> R) -> Option<R> {
    // SAFETY: the lock word is a static KSPIN_LOCK, initialised to 0 (the released state).
    let irql = unsafe { KeAcquireSpinLockRaiseToDpc(SHARED.lock.get()) };
    // SAFETY: the lock is held, so this is the only reference to the driver slot.
    let slot = unsafe { &mut *SHARED.driver.get() };
    let result = slot.as_mut().map(f);
    // SAFETY: releases the lock acquired above at the IRQL it returned.
    unsafe { KeReleaseSpinLock(SHARED.lock.get(), irql) };
    result
}

/// Installs or removes the driver (DriverEntry, unload).
fn set_driver(
    driver: Option<Driver<HeldPacket, KernelIrp>>,
) -> Option<Driver<HeldPacket, KernelIrp>> {
    // SAFETY: as in `with_driver`.
    let irql = unsafe { KeAcquireSpinLockRaiseToDpc(SHARED.lock.get()) };
    // SAFETY: the lock is held.
    let slot = unsafe { &mut *SHARED.driver.get() };
    let old = core::mem::replace(slot, driver);
    // SAFETY: releases the lock acquired above.
    unsafe { KeReleaseSpinLock(SHARED.lock.get(), irql) };
    old
}

/// What DriverEntry set up, read by the classifies and torn down by unload.
pub struct Kernel {
    /// Our control device.
    pub device: *mut DEVICE_OBJECT,
    /// Transport injection handle (AF_UNSPEC).
    pub transport_injection: HANDLE,
    /// Network injection handle (AF_UNSPEC).
    pub network_injection: HANDLE,
    /// The periodic timer (written by the kernel).
    pub timer: UnsafeCell<KernelObjectStorage>,
    /// Its DPC (written by the kernel).
    pub dpc: UnsafeCell<KernelObjectStorage>,
    /// The symbolic link name (kept for IoDeleteSymbolicLink).
    pub symlink: Box<Utf16Name>,
    /// The service key DriverEntry was given (unload reads `Parameters\RemoveGuard` there).
    pub service_key: Option<String>,
}

static KERNEL: AtomicPtr<Kernel> = AtomicPtr::new(null_mut());

/// The kernel objects, while the driver is loaded.
pub fn kernel() -> Option<&'static Kernel> {
    let pointer = KERNEL.load(Ordering::Acquire);
    // SAFETY: the pointer is NULL or the leaked Box published by DriverEntry; unload clears it
    // and waits for every classify and DPC to finish before freeing it.
    unsafe { pointer.as_ref() }
}

/// A NUL-terminated UTF-16 string with a `UNICODE_STRING` over it.
pub struct Utf16Name {
    buffer: Vec<u16>,
    string: UNICODE_STRING,
}

impl Utf16Name {
    /// Widens an ASCII string.
    pub fn new(text: &str) -> Box<Utf16Name> {
        let mut name = Box::new(Utf16Name {
            buffer: text.encode_utf16().chain(core::iter::once(0)).collect(),
            string: UNICODE_STRING {
                Length: 0,
                MaximumLength: 0,
                Buffer: null_mut(),
            },
        });
        let chars = name.buffer.len().saturating_sub(1);
        let bytes = u16::try_from(chars * 2).unwrap_or(u16::MAX - 1);
        name.string = UNICODE_STRING {
            Length: bytes,
            MaximumLength: bytes.saturating_add(2),
            Buffer: name.buffer.as_mut_ptr(),
        };
        name
    }

    /// The `UNICODE_STRING` (valid while `self` lives; the buffer never moves).
    pub fn unicode(&mut self) -> *mut UNICODE_STRING {
        &mut self.string
    }

    /// The NUL-terminated characters.
    pub fn as_ptr(&mut self) -> *mut u16 {
        self.buffer.as_mut_ptr()
    }
}

/// A read IRP as [`crate::irp::Irp`] sees it.
pub struct KernelIrp {
    irp: NonNull<IRP>,
}

// SAFETY: an IRP may be completed from any thread; the driver hands each KernelIrp to exactly
// one owner at a time (the read queue, or a completion).
unsafe impl Send for KernelIrp {}

impl KernelIrp {
    /// Wraps a read IRP of our device.
    ///
    /// # Safety
    /// `irp` is a live IRP delivered to our dispatch routine with buffered I/O, and the caller
    /// gives its ownership to the returned value.
    pub unsafe fn new(irp: *mut IRP) -> Option<KernelIrp> {
        NonNull::new(irp).map(|irp| KernelIrp { irp })
    }

    fn stack(&self) -> Option<&IO_STACK_LOCATION> {
        // SAFETY: the IRP is live while we own it (type invariant).
        let current = unsafe { (*self.irp.as_ptr()).Tail.CurrentStackLocation };
        // SAFETY: the I/O manager set CurrentStackLocation to our (valid) stack location.
        unsafe { current.as_ref() }
    }

    fn cancel_slot(&self) -> &AtomicPtr<core::ffi::c_void> {
        // SAFETY: the IRP is live while we own it.
        let field = unsafe { &raw mut (*self.irp.as_ptr()).CancelRoutine };
        // SAFETY: `CancelRoutine` is a pointer-sized, pointer-aligned field of the live IRP that
        // the I/O manager also accesses only with interlocked exchanges (IoSetCancelRoutine).
        unsafe { AtomicPtr::from_ptr(field) }
    }

    fn cancelled(&self) -> bool {
        // SAFETY: the IRP is live while we own it.
        let field = unsafe { &raw const (*self.irp.as_ptr()).Cancel };
        // SAFETY: reading the BOOLEAN `Cancel` of the live IRP (volatile: IoCancelIrp writes it).
        unsafe { core::ptr::read_volatile(field) != 0 }
    }
}

impl Irp for KernelIrp {
    fn id(&self) -> usize {
        self.irp.as_ptr() as usize
    }

    fn file(&self) -> usize {
        self.stack().map_or(0, |s| s.FileObject as usize)
    }

    fn buffer(&mut self) -> &mut [u8] {
        let length = self.stack().map_or(0, |s| s.read_length());
        // SAFETY: reading the AssociatedIrp.SystemBuffer pointer of the live IRP.
        let buffer = unsafe { (*self.irp.as_ptr()).SystemBuffer };
        if buffer.is_null() {
            return &mut [];
        }
        let length = usize::try_from(length).unwrap_or(0);
        // SAFETY: with DO_BUFFERED_IO the system buffer holds `Parameters.Read.Length` bytes,
        // non-paged, owned by this IRP until it is completed.
        unsafe { core::slice::from_raw_parts_mut(buffer.cast::<u8>(), length) }
    }

    fn mark_pending(&mut self) {
        // SAFETY: the current stack location of a live IRP; `IoMarkIrpPending` is this write.
        let current = unsafe { (*self.irp.as_ptr()).Tail.CurrentStackLocation };
        if !current.is_null() {
            // SAFETY: non-NULL current stack location of our live IRP.
            unsafe { (*current).Control |= SL_PENDING_RETURNED };
        }
    }

    fn arm_cancel(&mut self) -> Arm {
        let routine = entry::cancel_read as *mut core::ffi::c_void;
        self.cancel_slot().swap(routine, Ordering::AcqRel);
        if !self.cancelled() {
            return Arm::Armed;
        }
        if self
            .cancel_slot()
            .swap(null_mut(), Ordering::AcqRel)
            .is_null()
        {
            Arm::CancelRoutineRunning
        } else {
            Arm::CancelledBeforeArm
        }
    }

    fn disarm_cancel(&mut self) -> bool {
        !self
            .cancel_slot()
            .swap(null_mut(), Ordering::AcqRel)
            .is_null()
    }

    fn complete(self, status: NTSTATUS, information: usize) {
        let irp = self.irp.as_ptr();
        // SAFETY: we own the live IRP; IoStatus is ours to write before completion.
        unsafe { (*irp).IoStatus.Status = status as u32 as usize };
        // SAFETY: as above.
        unsafe { (*irp).IoStatus.Information = information };
        // SAFETY: completes the IRP exactly once (the value is consumed).
        unsafe { crate::bindings::IofCompleteRequest(irp, crate::bindings::IO_NO_INCREMENT) };
    }
}

/// Completes an IRP that never entered the driver's queue.
///
/// # Safety
/// `irp` is a live IRP owned by the caller.
pub unsafe fn complete_irp(irp: *mut IRP, code: NTSTATUS, information: usize) -> NTSTATUS {
    // SAFETY: forwarded from the caller.
    if let Some(irp) = unsafe { KernelIrp::new(irp) } {
        irp.complete(code, information);
    }
    code
}

/// Whether an NTSTATUS is a success.
pub fn ok(code: NTSTATUS) -> bool {
    status::is_success(code)
}
