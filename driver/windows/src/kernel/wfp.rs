//! Registration with the filter engine: injection handles, the callouts (FwpsCalloutRegister0),
//! and, in one transaction of a dynamic session, our sublayer, the FWPM callouts and one
//! unconditional filter per callout. Closing the session removes the FWPM objects; the callouts
//! are unregistered by id.
//!
//! Filters carry no `FWPM_FILTER_FLAG_CLEAR_ACTION_RIGHT`: permits stay soft, so another
//! firewall in a lower sublayer (Windows Defender Firewall) can still block; blocks are hard
//! (the classify clears the write right), and the client's own connections are hardened.

use alloc::vec::Vec;
use core::cell::UnsafeCell;
use core::ptr::null_mut;
use core::sync::atomic::{AtomicBool, Ordering};

use super::callouts::{notify, CLASSIFY_FNS, GUARD_CLASSIFY_FNS};
use super::{ok, Utf16Name};
use crate::bindings::{
    data_type, FwpmCalloutAdd0, FwpmEngineClose0, FwpmEngineOpen0, FwpmFilterAdd0,
    FwpmSubLayerAdd0, FwpmTransactionAbort0, FwpmTransactionBegin0, FwpmTransactionCommit0,
    FwpsCalloutRegister0, FwpsCalloutUnregisterById0, FwpsInjectionHandleCreate0,
    FwpsInjectionHandleDestroy0, AF_UNSPEC, DEVICE_OBJECT, FWPM_ACTION0, FWPM_CALLOUT0,
    FWPM_DISPLAY_DATA0, FWPM_FILTER0, FWPM_FILTER_CONTEXT, FWPM_SESSION0,
    FWPM_SESSION_FLAG_DYNAMIC, FWPM_SUBLAYER0, FWPS_CALLOUT0, FWPS_INJECTION_TYPE_NETWORK,
    FWPS_INJECTION_TYPE_TRANSPORT, FWP_BYTE_BLOB, FWP_VALUE0, FWP_VALUE0_UNION, GUID, HANDLE,
    NTSTATUS, RPC_C_AUTHN_WINNT,
};
use crate::boot_guard::GUARD_CALLOUTS;
use crate::layers::{CALLOUTS, SUBLAYER_KEY, SUBLAYER_WEIGHT};

/// What must be undone at unload.
struct Registration {
    engine: HANDLE,
    callout_ids: [u32; CALLOUTS.len()],
    guard_ids: [u32; GUARD_CALLOUTS.len()],
}

/// Whether the driver's own filters are in place: the guard callouts then permit softly and
/// leave the decision to them (`kernel::callouts`, guard trampolines).
pub static OWN_FILTERS_ACTIVE: AtomicBool = AtomicBool::new(false);

struct RegistrationCell(UnsafeCell<Option<Registration>>);

// SAFETY: only DriverEntry and DriverUnload touch the cell; the I/O manager never runs them
// concurrently.
unsafe impl Sync for RegistrationCell {}

static REGISTRATION: RegistrationCell = RegistrationCell(UnsafeCell::new(None));

/// Creates the transport and network injection handles (both address families).
pub fn create_injection_handles() -> Result<(HANDLE, HANDLE), NTSTATUS> {
    let mut transport = null_mut();
    // SAFETY: a valid out pointer; PASSIVE_LEVEL (DriverEntry).
    let code = unsafe {
        FwpsInjectionHandleCreate0(AF_UNSPEC, FWPS_INJECTION_TYPE_TRANSPORT, &mut transport)
    };
    if !ok(code) {
        return Err(code);
    }
    let mut network = null_mut();
    // SAFETY: as above.
    let code =
        unsafe { FwpsInjectionHandleCreate0(AF_UNSPEC, FWPS_INJECTION_TYPE_NETWORK, &mut network) };
    if !ok(code) {
        // SAFETY: created above, never used.
        unsafe { destroy_injection_handle(transport) };
        return Err(code);
    }
    Ok((transport, network))
}

/// Destroys an injection handle (NULL is ignored).
///
/// # Safety
/// `handle` came from [`create_injection_handles`], is destroyed once, and no injection
/// through it is outstanding.
pub unsafe fn destroy_injection_handle(handle: HANDLE) {
    if !handle.is_null() {
        // SAFETY: guaranteed by the caller.
        unsafe { FwpsInjectionHandleDestroy0(handle) };
    }
}

fn display(name: &mut Utf16Name) -> FWPM_DISPLAY_DATA0 {
    FWPM_DISPLAY_DATA0 {
        name: name.as_ptr(),
        description: null_mut(),
    }
}

fn empty_blob() -> FWP_BYTE_BLOB {
    FWP_BYTE_BLOB {
        size: 0,
        data: null_mut(),
    }
}

/// Registers every callout and adds the sublayer, callouts and filters.
///
/// # Safety
/// Called once, from DriverEntry at PASSIVE_LEVEL, with our device object; the injection
/// handles the classifies use are published before.
pub unsafe fn register(device: *mut DEVICE_OBJECT) -> Result<(), NTSTATUS> {
    let mut registration = Registration {
        engine: null_mut(),
        callout_ids: [0; CALLOUTS.len()],
        guard_ids: [0; GUARD_CALLOUTS.len()],
    };
    let result = register_into(device, &mut registration);
    if result.is_err() {
        undo(&mut registration);
        return result;
    }
    OWN_FILTERS_ACTIVE.store(true, Ordering::Release);
    // SAFETY: DriverEntry is the only user of the cell at this point.
    unsafe { *REGISTRATION.0.get() = Some(registration) };
    Ok(())
}

fn register_into(
    device: *mut DEVICE_OBJECT,
    registration: &mut Registration,
) -> Result<(), NTSTATUS> {
    for ((spec, classify), id) in CALLOUTS
        .iter()
        .zip(CLASSIFY_FNS)
        .zip(registration.callout_ids.iter_mut())
    {
        let callout = FWPS_CALLOUT0 {
            calloutKey: spec.key,
            flags: 0,
            classifyFn: Some(classify),
            notifyFn: Some(notify),
            flowDeleteFn: None,
        };
        // SAFETY: our device object and a valid FWPS_CALLOUT0 whose functions live as long as
        // the driver; `id` receives the run-time id.
        let code = unsafe { FwpsCalloutRegister0(device.cast(), &callout, id) };
        if !ok(code) {
            return Err(code);
        }
    }
    // The boot guard's callouts (README "Boot-time protection"): registered whether or not its
    // persistent filters exist, so that they never block once the driver is loaded.
    for ((spec, classify), id) in GUARD_CALLOUTS
        .iter()
        .zip(GUARD_CLASSIFY_FNS)
        .zip(registration.guard_ids.iter_mut())
    {
        let callout = FWPS_CALLOUT0 {
            calloutKey: spec.key,
            flags: 0,
            classifyFn: Some(classify),
            notifyFn: Some(notify),
            flowDeleteFn: None,
        };
        // SAFETY: as above.
        let code = unsafe { FwpsCalloutRegister0(device.cast(), &callout, id) };
        if !ok(code) {
            return Err(code);
        }
    }
    let mut session_name = Utf16Name::new("ZenithFence");
    let session = FWPM_SESSION0 {
        sessionKey: GUID::ZERO,
        displayData: display(&mut session_name),
        flags: FWPM_SESSION_FLAG_DYNAMIC,
        txnWaitTimeoutInMSec: 0,
        processId: 0,
        sid: null_mut(),
        username: null_mut(),
        kernelMode: 0,
    };
    // SAFETY: valid session and out pointer; the engine copies what it needs.
    let code = unsafe {
        FwpmEngineOpen0(
            null_mut(),
            RPC_C_AUTHN_WINNT,
            null_mut(),
            &session,
            &mut registration.engine,
        )
    };
    if !ok(code) {
        return Err(code);
    }
    let engine = registration.engine;
    // SAFETY: an open engine handle.
    let code = unsafe { FwpmTransactionBegin0(engine, 0) };
    if !ok(code) {
        return Err(code);
    }
    match add_objects(engine) {
        Ok(()) => {
            // SAFETY: commits the transaction begun above.
            let code = unsafe { FwpmTransactionCommit0(engine) };
            if ok(code) {
                Ok(())
            } else {
                Err(code)
            }
        }
        Err(code) => {
            // SAFETY: aborts the transaction begun above.
            unsafe { FwpmTransactionAbort0(engine) };
            Err(code)
        }
    }
}

fn add_objects(engine: HANDLE) -> Result<(), NTSTATUS> {
    let mut sublayer_name = Utf16Name::new("ZenithFence sublayer");
    let sublayer = FWPM_SUBLAYER0 {
        subLayerKey: SUBLAYER_KEY,
        displayData: display(&mut sublayer_name),
        flags: 0,
        providerKey: null_mut(),
        providerData: empty_blob(),
        weight: SUBLAYER_WEIGHT,
    };
    // SAFETY: an engine in a transaction and a valid sublayer (strings alive for the call).
    let code = unsafe { FwpmSubLayerAdd0(engine, &sublayer, null_mut()) };
    if !ok(code) {
        return Err(code);
    }
    let mut names: Vec<_> = CALLOUTS
        .iter()
        .map(|spec| Utf16Name::new(spec.name))
        .collect();
    for (spec, name) in CALLOUTS.iter().zip(names.iter_mut()) {
        let callout = FWPM_CALLOUT0 {
            calloutKey: spec.key,
            displayData: display(name),
            flags: 0,
            providerKey: null_mut(),
            providerData: empty_blob(),
            applicableLayer: spec.layer,
            calloutId: 0,
        };
        // SAFETY: as above.
        let code = unsafe { FwpmCalloutAdd0(engine, &callout, null_mut(), null_mut()) };
        if !ok(code) {
            return Err(code);
        }
        let filter = FWPM_FILTER0 {
            filterKey: GUID::ZERO,
            displayData: display(name),
            flags: 0,
            providerKey: null_mut(),
            providerData: empty_blob(),
            layerKey: spec.layer,
            subLayerKey: SUBLAYER_KEY,
            weight: FWP_VALUE0 {
                type_: data_type::EMPTY,
                value: FWP_VALUE0_UNION { uint64: null_mut() },
            },
            numFilterConditions: 0,
            filterCondition: null_mut(),
            action: FWPM_ACTION0 {
                type_: spec.kind.filter_action(),
                calloutKey: spec.key,
            },
            context: FWPM_FILTER_CONTEXT { rawContext: 0 },
            reserved: null_mut(),
            filterId: 0,
            effectiveWeight: FWP_VALUE0 {
                type_: data_type::EMPTY,
                value: FWP_VALUE0_UNION { uint64: null_mut() },
            },
        };
        // SAFETY: as above; no conditions: the filter matches all traffic of the layer.
        let code = unsafe { FwpmFilterAdd0(engine, &filter, null_mut(), null_mut()) };
        if !ok(code) {
            return Err(code);
        }
    }
    Ok(())
}

fn undo(registration: &mut Registration) {
    // First: from here on the guard callouts decide again (until they are unregistered and
    // their filters block), so no connection slips through while the driver's filters go.
    OWN_FILTERS_ACTIVE.store(false, Ordering::Release);
    if !registration.engine.is_null() {
        // SAFETY: an engine handle we opened; closing the dynamic session deletes its
        // sublayer, callouts and filters.
        unsafe { FwpmEngineClose0(registration.engine) };
        registration.engine = null_mut();
    }
    let ids = registration
        .callout_ids
        .iter_mut()
        .chain(registration.guard_ids.iter_mut());
    for id in ids.filter(|id| **id != 0) {
        // SAFETY: a callout id we registered. Our dynamic filters are gone; the guard's
        // persistent filters stay and are treated as block filters once it is unregistered.
        unsafe { FwpsCalloutUnregisterById0(*id) };
        *id = 0;
    }
}

/// Removes the filters and unregisters the callouts (unload).
///
/// # Safety
/// Called once, from DriverUnload at PASSIVE_LEVEL.
pub unsafe fn unregister() {
    // SAFETY: DriverUnload is the only user of the cell now.
    let registration = unsafe { (*REGISTRATION.0.get()).take() };
    if let Some(mut registration) = registration {
        undo(&mut registration);
    }
}
