//! The creation time of a connection's process, for the Process info's `start_time` (it tells
//! two processes that shared a pid apart).
//!
//! `PsLookupProcessByProcessId` contains pageable code, so it may only run at IRQL ≤ APC_LEVEL:
//! the ALE classify calls this before it takes the driver's spin lock, and at a higher IRQL
//! (a recv-accept indicated at DISPATCH_LEVEL, for one) the time stays unknown (0).

use core::ptr::null_mut;

use crate::bindings::{
    ObfDereferenceObject, PsGetProcessCreateTimeQuadPart, PsLookupProcessByProcessId, APC_LEVEL,
    HANDLE, KIRQL, PEPROCESS,
};

/// The current IRQL. On x64 `KeGetCurrentIrql` is not a call but a read of CR8 (wdm.h inlines
/// `__readcr8`); elsewhere it is reported as unknown-and-too-high, so nothing pageable runs.
fn current_irql() -> KIRQL {
    #[cfg(target_arch = "x86_64")]
    {
        let value: u64;
        // SAFETY: reading CR8 (the task priority register) in kernel mode has no side effects;
        // it is exactly what `KeGetCurrentIrql` does on x64.
        unsafe {
            core::arch::asm!("mov {}, cr8", out(reg) value, options(nomem, nostack, preserves_flags));
        }
        KIRQL::try_from(value).unwrap_or(KIRQL::MAX)
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        KIRQL::MAX
    }
}

/// The creation time of process `pid` (100 ns intervals since 1601), or 0 when unknown: pid 0,
/// an IRQL too high for the lookup, a process that already exited.
pub fn creation_time(pid: u64) -> u64 {
    if pid == 0 || current_irql() > APC_LEVEL {
        return 0;
    }
    let Ok(id) = usize::try_from(pid) else {
        return 0;
    };
    let mut process: PEPROCESS = null_mut();
    // SAFETY: IRQL ≤ APC_LEVEL (checked above); a pid as the HANDLE-typed id and a valid out
    // pointer. On success the process object is referenced until the dereference below.
    let code = unsafe { PsLookupProcessByProcessId(id as HANDLE, &mut process) };
    if !super::ok(code) || process.is_null() {
        return 0;
    }
    // SAFETY: `process` is the referenced process object returned above.
    let created = unsafe { PsGetProcessCreateTimeQuadPart(process) };
    // SAFETY: releases the reference PsLookupProcessByProcessId took, exactly once.
    unsafe { ObfDereferenceObject(process) };
    u64::try_from(created).unwrap_or(0)
}
