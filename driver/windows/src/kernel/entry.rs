//! `DriverEntry`, unload, the dispatch routines, the read cancel routine, the timer DPC, the
//! panic handler and the allocator.
//!
//! Every IRP that reaches [`dispatch`] is completed exactly once: reads through the driver's
//! read queue (see [`crate::irp`]), everything else before the routine returns. Unknown major
//! functions are completed with `STATUS_INVALID_DEVICE_REQUEST`.

use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec::Vec;
use core::cell::UnsafeCell;
use core::ffi::c_void;
use core::mem::size_of;
use core::ptr::null_mut;
use core::sync::atomic::{AtomicUsize, Ordering};

use super::callouts::execute;
use super::{
    complete_irp, kernel, now_ms, ok, set_driver, with_driver, Kernel, KernelIrp, Utf16Name,
    ACTIVE_CLASSIFIES, KERNEL, OUTSTANDING_INJECTIONS,
};
use crate::bindings::{
    status, DbgPrintEx, IoCreateSymbolicLink, IoDeleteDevice, IoDeleteSymbolicLink,
    IoReleaseCancelSpinLock, KeCancelTimer, KeDelayExecutionThread, KeFlushQueuedDpcs,
    KeInitializeDpc, KeInitializeTimerEx, KeSetTimerEx, KernelObjectStorage, PsGetCurrentProcessId,
    WdmlibIoCreateDeviceSecure, DEVICE_OBJECT, DO_BUFFERED_IO, DPFLTR_ERROR_LEVEL,
    DPFLTR_IHVNETWORK_ID, DRIVER_OBJECT, FILE_DEVICE_NETWORK, FILE_DEVICE_SECURE_OPEN, IRP,
    IRP_MJ_CLEANUP, IRP_MJ_CLOSE, IRP_MJ_CREATE, IRP_MJ_DEVICE_CONTROL, IRP_MJ_READ, IRP_MJ_WRITE,
    KERNEL_MODE, NOTIFICATION_TIMER, NTSTATUS, UNICODE_STRING,
};
use crate::config::{Options, DEVICE_NAME, DEVICE_SDDL, SYMLINK_NAME};
use crate::device::Driver;
use crate::guard_removal::{removes_guard_at_unload, REMOVE_GUARD_VALUE};
use crate::layers::DEVICE_CLASS_GUID;
use crate::stored_policy;

/// The driver's entry point (exported as `DriverEntry` in the Windows build; the linker's
/// `/ENTRY:DriverEntry` points at it).
///
/// # Safety
/// Called by the I/O manager with our driver object, once, at PASSIVE_LEVEL.
#[cfg_attr(target_os = "windows", export_name = "DriverEntry")]
pub unsafe extern "system" fn driver_entry(
    driver: *mut DRIVER_OBJECT,
    registry_path: *mut UNICODE_STRING,
) -> NTSTATUS {
    let options = Options::default();
    set_driver(Some(Driver::new(options)));
    super::policy::init();
    // The stored policy holds from the first classify: it is read and compiled here, before
    // `start` registers the callouts (nothing is locked while it compiles).
    // SAFETY: the I/O manager's service key path, DriverEntry's own argument.
    let service_key = unsafe { super::storage::service_key(registry_path) };
    let (path, read) = super::storage::read_stored_policy(service_key.as_deref());
    let load = stored_policy::interpret(&path, read);
    if let Some(effects) = with_driver(|d| d.load_stored(load)) {
        execute(effects);
    }
    // Without a usable policy, an installed boot guard says the user chose to block.
    let guard_present = super::boot_guard::present();
    with_driver(|d| d.guard_found_at_start(guard_present));
    // SAFETY: forwarded from our caller.
    let code = unsafe { start(driver, options, service_key) };
    if !ok(code) {
        set_driver(None);
        return code;
    }
    // The guard follows the stored policy (nothing changes without one).
    super::policy::sync_guard();
    code
}

/// # Safety
/// As [`driver_entry`].
unsafe fn start(
    driver: *mut DRIVER_OBJECT,
    options: Options,
    service_key: Option<String>,
) -> NTSTATUS {
    let mut device_name = Utf16Name::new(DEVICE_NAME);
    let mut sddl = Utf16Name::new(DEVICE_SDDL);
    let mut symlink = Utf16Name::new(SYMLINK_NAME);
    let mut device: *mut DEVICE_OBJECT = null_mut();
    // Not exclusive: the app opens two handles (a reader and a writer) from one process, which
    // the I/O manager would refuse on an exclusive device; `Driver::create` admits one process.
    // SAFETY: our driver object, valid names and out pointer.
    let code = unsafe {
        WdmlibIoCreateDeviceSecure(
            driver,
            0,
            device_name.unicode(),
            FILE_DEVICE_NETWORK,
            FILE_DEVICE_SECURE_OPEN,
            0,
            sddl.unicode(),
            &DEVICE_CLASS_GUID,
            &mut device,
        )
    };
    if !ok(code) {
        return code;
    }
    // SAFETY: the device object just created; reads and writes use the system buffer.
    unsafe { (*device).Flags |= DO_BUFFERED_IO };
    // SAFETY: valid names; the link is deleted at unload.
    let code = unsafe { IoCreateSymbolicLink(symlink.unicode(), device_name.unicode()) };
    if !ok(code) {
        // SAFETY: the device created above, not yet visible to anyone.
        unsafe { IoDeleteDevice(device) };
        return code;
    }
    let (transport, network) = match super::wfp::create_injection_handles() {
        Ok(handles) => handles,
        Err(code) => {
            delete_device(device, &mut symlink);
            return code;
        }
    };
    let kernel_box = Box::new(Kernel {
        device,
        transport_injection: transport,
        network_injection: network,
        timer: UnsafeCell::new(KernelObjectStorage([0; 128])),
        dpc: UnsafeCell::new(KernelObjectStorage([0; 128])),
        symlink,
        service_key,
    });
    let kernel_ptr = Box::into_raw(kernel_box);
    // SAFETY: `kernel_ptr` is the live allocation above, freed only by `teardown`.
    let kernel_ref: &Kernel = unsafe { &*kernel_ptr };
    let (timer, dpc) = (kernel_ref.timer.get(), kernel_ref.dpc.get());
    // SAFETY: the timer storage never moves while the driver is loaded.
    unsafe { KeInitializeTimerEx(timer, NOTIFICATION_TIMER) };
    // SAFETY: as above; `timer_dpc` lives as long as the driver.
    unsafe { KeInitializeDpc(dpc, timer_dpc, null_mut()) };
    KERNEL.store(kernel_ptr, Ordering::Release);
    // SAFETY: our device object; the injection handles are published for the classifies.
    if let Err(code) = unsafe { super::wfp::register(device) } {
        teardown();
        return code;
    }
    // SAFETY: our driver object: dispatch routines and unload.
    let object = unsafe { &mut *driver };
    for major in [
        IRP_MJ_CREATE,
        IRP_MJ_CLOSE,
        IRP_MJ_CLEANUP,
        IRP_MJ_READ,
        IRP_MJ_WRITE,
        IRP_MJ_DEVICE_CONTROL,
    ] {
        if let Some(slot) = object.MajorFunction.get_mut(usize::from(major)) {
            *slot = Some(dispatch);
        }
    }
    object.DriverUnload = Some(driver_unload);
    let period = i32::try_from(options.tick_ms).unwrap_or(250);
    // SAFETY: the timer and DPC initialised above; relative due time in 100 ns units.
    unsafe { KeSetTimerEx(timer, -(i64::from(period) * 10_000), period, dpc) };
    status::SUCCESS
}

fn delete_device(device: *mut DEVICE_OBJECT, symlink: &mut Utf16Name) {
    // SAFETY: the link created in `start`.
    unsafe { IoDeleteSymbolicLink(symlink.unicode()) };
    // SAFETY: our device, with no open handle left (unload, or failed start).
    unsafe { IoDeleteDevice(device) };
}

fn wait_until_zero(counter: &AtomicUsize) {
    while counter.load(Ordering::Acquire) != 0 {
        let mut interval: i64 = -100_000; // 10 ms, relative
                                          // SAFETY: PASSIVE_LEVEL (unload); a valid interval.
        unsafe { KeDelayExecutionThread(KERNEL_MODE, 0, &mut interval) };
    }
}

/// Stops everything DriverEntry started, in dependency order.
fn teardown() {
    // 1. No new classifies: the dynamic session's filters go, the callouts are unregistered.
    // SAFETY: unload or failed start, PASSIVE_LEVEL.
    unsafe { super::wfp::unregister() };
    wait_until_zero(&ACTIVE_CLASSIFIES);
    // 2. No more ticks.
    if let Some(kernel) = kernel() {
        // SAFETY: the timer initialised in `start`.
        unsafe { KeCancelTimer(kernel.timer.get()) };
        // SAFETY: waits for a DPC that already runs.
        unsafe { KeFlushQueuedDpcs() };
    }
    // 3. Answer everything still held (detached verdict) and end the reads.
    let now = now_ms();
    if let Some(effects) = with_driver(|d| d.unload(now)) {
        execute(effects);
    }
    // 4. A partly received policy document is dropped.
    super::policy::clear();
    // 5. Injections finish before their handles go.
    wait_until_zero(&OUTSTANDING_INJECTIONS);
    let pointer = KERNEL.swap(null_mut(), Ordering::AcqRel);
    if !pointer.is_null() {
        // SAFETY: the Box published by `start`; nothing can reach it any more.
        let mut kernel = unsafe { Box::from_raw(pointer) };
        // SAFETY: every injection completed (waited above); the handles are not used again.
        unsafe { super::wfp::destroy_injection_handle(kernel.transport_injection) };
        // SAFETY: as above.
        unsafe { super::wfp::destroy_injection_handle(kernel.network_injection) };
        let device = kernel.device;
        delete_device(device, &mut kernel.symlink);
    }
    set_driver(None);
}

/// DriverUnload.
///
/// # Safety
/// Called by the I/O manager at PASSIVE_LEVEL.
unsafe extern "system" fn driver_unload(_driver: *mut DRIVER_OBJECT) {
    remove_guard_when_uninstalling();
    teardown();
}

/// A real uninstall sets `Parameters\RemoveGuard` before it stops the service
/// ([`crate::guard_removal`]): then the boot guard goes, first, while the driver's own filters
/// still decide (connections see no change meanwhile) and before any engine handle closes. A
/// plain `sc stop` leaves it in place. The outcome goes to the debugger: at unload nobody can
/// read the driver's log, and the uninstaller deletes the same keys itself afterwards.
fn remove_guard_when_uninstalling() {
    let Some(service_key) = kernel().and_then(|k| k.service_key.as_deref()) else {
        return;
    };
    let value = super::storage::parameters_value(service_key, REMOVE_GUARD_VALUE, size_of::<u32>());
    if !removes_guard_at_unload(value.as_deref()) {
        return;
    }
    let code = super::policy::remove_guard_for_good();
    // SAFETY: a NUL-terminated format with one %08x, given one 32-bit argument; PASSIVE_LEVEL.
    unsafe {
        DbgPrintEx(
            DPFLTR_IHVNETWORK_ID,
            DPFLTR_ERROR_LEVEL,
            c"ZenithFence: boot guard removal for the uninstall: status 0x%08x\n"
                .as_ptr()
                .cast::<u8>(),
            code,
        )
    };
}

/// The dispatch routine of every major function we handle.
///
/// # Safety
/// Called by the I/O manager with our device and a live IRP.
unsafe extern "system" fn dispatch(_device: *mut DEVICE_OBJECT, irp: *mut IRP) -> NTSTATUS {
    if irp.is_null() {
        return status::INVALID_PARAMETER;
    }
    // SAFETY: a live IRP; its current stack location is ours.
    let stack_ptr = unsafe { (*irp).Tail.CurrentStackLocation };
    // SAFETY: the I/O manager's stack location for our device.
    let Some(stack) = (unsafe { stack_ptr.as_ref() }) else {
        // SAFETY: a live IRP we own.
        return unsafe { complete_irp(irp, status::INVALID_PARAMETER, 0) };
    };
    let file = stack.FileObject as usize;
    let now = now_ms();
    match stack.MajorFunction {
        IRP_MJ_CREATE => {
            // SAFETY: IRP_MJ_CREATE runs in the opener's context.
            let pid = unsafe { PsGetCurrentProcessId() } as usize as u64;
            let code = with_driver(|d| d.create(file, pid)).unwrap_or(status::INVALID_DEVICE_STATE);
            // SAFETY: a live IRP we own.
            unsafe { complete_irp(irp, code, 0) }
        }
        IRP_MJ_CLEANUP => {
            if let Some(effects) = with_driver(|d| d.cleanup(file, now)) {
                execute(effects);
            }
            // SAFETY: a live IRP we own.
            unsafe { complete_irp(irp, status::SUCCESS, 0) }
        }
        IRP_MJ_CLOSE => {
            // SAFETY: a live IRP we own.
            unsafe { complete_irp(irp, status::SUCCESS, 0) }
        }
        IRP_MJ_READ => {
            // SAFETY: a live read IRP we own, handed to the driver's read queue.
            let mut read = unsafe { KernelIrp::new(irp) };
            let result = with_driver(|d| read.take().map(|irp| d.read(irp)));
            match result.flatten() {
                Some((code, effects)) => {
                    execute(effects);
                    code
                }
                None => match read {
                    // No driver: the read was not taken.
                    Some(irp) => {
                        irp_complete(irp, status::INVALID_DEVICE_STATE);
                        status::INVALID_DEVICE_STATE
                    }
                    None => status::INVALID_DEVICE_STATE,
                },
            }
        }
        IRP_MJ_WRITE => {
            let length = usize::try_from(stack.read_length()).unwrap_or(0);
            // SAFETY: a live IRP; with buffered I/O its system buffer holds the write.
            let buffer = unsafe { (*irp).SystemBuffer };
            let bytes: &[u8] = if buffer.is_null() || length == 0 {
                &[]
            } else {
                // SAFETY: `length` bytes of the system buffer, ours until completion.
                unsafe { core::slice::from_raw_parts(buffer.cast::<u8>(), length) }
            };
            let (code, information) = match with_driver(|d| d.write(file, bytes, now)) {
                Some(result) => {
                    execute(result.effects);
                    if let Some(part) = result.policy_part {
                        // Assembled and compiled here, at PASSIVE_LEVEL, without the spin
                        // lock; the write completes after the document is in force (or
                        // refused), so PolicyState is queued before the client's next write.
                        super::policy::receive(part);
                    }
                    (result.status, result.information)
                }
                None => (status::INVALID_DEVICE_STATE, 0),
            };
            // SAFETY: a live IRP we own.
            unsafe { complete_irp(irp, code, information) }
        }
        IRP_MJ_DEVICE_CONTROL => {
            // SAFETY: forwarded: our live IRP and its stack location.
            unsafe {
                device_control(
                    irp,
                    file,
                    stack.io_control_code(),
                    stack.input_buffer_length(),
                    stack.output_buffer_length(),
                    now,
                )
            }
        }
        _ => {
            // SAFETY: a live IRP we own.
            unsafe { complete_irp(irp, status::INVALID_DEVICE_REQUEST, 0) }
        }
    }
}

fn irp_complete(irp: KernelIrp, code: NTSTATUS) {
    crate::irp::Irp::complete(irp, code, 0);
}

/// METHOD_BUFFERED IOCTLs: one system buffer holds the input, then the output.
///
/// # Safety
/// `irp` is a live IOCTL IRP we own.
unsafe fn device_control(
    irp: *mut IRP,
    file: usize,
    code: u32,
    input_len: u32,
    output_len: u32,
    now: u64,
) -> NTSTATUS {
    // SAFETY: a live IRP.
    let buffer = unsafe { (*irp).SystemBuffer }.cast::<u8>();
    let input_len = usize::try_from(input_len).unwrap_or(0);
    let output_len = usize::try_from(output_len).unwrap_or(0);
    let input: Vec<u8> = if buffer.is_null() || input_len == 0 {
        Vec::new()
    } else {
        // SAFETY: the system buffer holds `input_len` input bytes (copied before the output
        // overwrites them).
        unsafe { core::slice::from_raw_parts(buffer, input_len) }.to_vec()
    };
    let Some(result) = with_driver(|d| d.ioctl(file, code, &input, output_len, now)) else {
        // SAFETY: a live IRP we own.
        return unsafe { complete_irp(irp, status::INVALID_DEVICE_STATE, 0) };
    };
    execute(result.effects);
    let copied = result.output.len().min(output_len);
    if copied > 0 && !buffer.is_null() {
        // SAFETY: the system buffer holds at least `output_len` bytes for the output.
        unsafe { core::ptr::copy_nonoverlapping(result.output.as_ptr(), buffer, copied) };
    }
    // SAFETY: a live IRP we own.
    unsafe { complete_irp(irp, result.status, copied) }
}

/// The cancel routine of pended reads (armed by [`KernelIrp`]).
///
/// # Safety
/// Called by the I/O manager with the cancel spin lock held and a live IRP.
pub unsafe extern "system" fn cancel_read(_device: *mut DEVICE_OBJECT, irp: *mut IRP) {
    if irp.is_null() {
        return;
    }
    // SAFETY: a live IRP; CancelIrql was saved by the I/O manager with the cancel lock.
    let irql = unsafe { (*irp).CancelIrql };
    // SAFETY: the I/O manager acquired the cancel spin lock before calling us.
    unsafe { IoReleaseCancelSpinLock(irql) };
    // The read queue still holds the IRP (its routine could not be disarmed), so it is found
    // and completed exactly once here.
    if let Some(effects) = with_driver(|d| d.cancel_read(irp as usize)) {
        execute(effects);
    }
}

/// The timer DPC: hold timeouts, deferred answers, cache clean-up.
///
/// # Safety
/// Called by the kernel at DISPATCH_LEVEL.
unsafe extern "system" fn timer_dpc(
    _dpc: *mut KernelObjectStorage,
    _context: *mut c_void,
    _argument1: *mut c_void,
    _argument2: *mut c_void,
) {
    let now = now_ms();
    if let Some(effects) = with_driver(|d| d.tick(now)) {
        execute(effects);
    }
}

#[cfg(all(target_os = "windows", not(test)))]
mod runtime {
    //! What a `no_std` kernel image needs from us: the panic handler, the allocator and two
    //! symbols the precompiled `core` of the msvc target references.
    use core::alloc::{GlobalAlloc, Layout};

    use super::super::{BUGCHECK_CODE, POOL_TAG};
    use crate::bindings::{ExAllocatePool2, ExFreePoolWithTag, KeBugCheckEx, POOL_FLAG_NON_PAGED};

    /// A panic bug-checks with [`BUGCHECK_CODE`]: the crash dump names the source location
    /// (parameters: line, column, file name address, file name length). Spinning, as the
    /// upstream kext does, would hang a CPU at an unknown IRQL instead.
    #[panic_handler]
    fn panic(info: &core::panic::PanicInfo<'_>) -> ! {
        let (line, column, file) = info
            .location()
            .map_or((0, 0, ""), |l| (l.line(), l.column(), l.file()));
        // SAFETY: KeBugCheckEx may be called at any IRQL and does not return.
        unsafe {
            KeBugCheckEx(
                BUGCHECK_CODE,
                line as usize,
                column as usize,
                file.as_ptr() as usize,
                file.len(),
            )
        }
    }

    /// Non-paged pool: classifies run at DISPATCH_LEVEL, where paged memory must not be touched.
    struct PoolAllocator;

    // SAFETY: ExAllocatePool2 returns memory aligned to at least 16 bytes on x64 (larger
    // alignments are refused with NULL), valid until ExFreePoolWithTag.
    unsafe impl GlobalAlloc for PoolAllocator {
        unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
            if layout.align() > 16 {
                return core::ptr::null_mut();
            }
            // SAFETY: a non-zero size; NonPaged pool is allowed at ≤ DISPATCH_LEVEL.
            unsafe { ExAllocatePool2(POOL_FLAG_NON_PAGED, layout.size().max(1), POOL_TAG) }.cast()
        }

        unsafe fn dealloc(&self, pointer: *mut u8, _layout: Layout) {
            // SAFETY: `pointer` came from `alloc` above with our tag.
            unsafe { ExFreePoolWithTag(pointer.cast(), POOL_TAG) };
        }
    }

    #[global_allocator]
    static ALLOCATOR: PoolAllocator = PoolAllocator;

    /// Referenced by `core`'s float formatting on msvc targets (no floating point runs here).
    #[no_mangle]
    #[used]
    static _fltused: i32 = 0;

    /// Referenced by the unwind tables of the precompiled `core`; never called with
    /// `panic=abort`.
    #[no_mangle]
    extern "C" fn __CxxFrameHandler3() -> i32 {
        0
    }
}
