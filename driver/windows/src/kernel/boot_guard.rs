//! Adds and removes the boot guard ([`crate::boot_guard`]) in a session of its own that is not
//! dynamic, so its objects outlive the driver. PASSIVE_LEVEL only (DriverEntry, the write
//! dispatch); BFE must be running (it is whenever the driver starts after it).
//!
//! Installing: the persistent sublayer and callouts are added when missing (they do nothing
//! without filters and stay), then the 24 filters are deleted and added again in one
//! transaction (so an older set is replaced whole). Removing (a policy that accepts): the
//! filters are deleted by key. Removing for good (unload during a real uninstall,
//! [`crate::guard_removal`]): filters, callouts and sublayer, each by key.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::ffi::c_void;
use core::ptr::null_mut;
use core::sync::atomic::{AtomicU8, Ordering};

use super::{ok, Utf16Name};
use crate::bindings::{
    data_type, fwp_status, FwpmCalloutAdd0, FwpmCalloutDeleteByKey0, FwpmEngineClose0,
    FwpmEngineOpen0, FwpmFilterAdd0, FwpmFilterDeleteByKey0, FwpmFilterGetByKey0, FwpmFreeMemory0,
    FwpmSubLayerAdd0, FwpmSubLayerDeleteByKey0, FwpmTransactionAbort0, FwpmTransactionBegin0,
    FwpmTransactionCommit0, FWPM_ACTION0, FWPM_CALLOUT0, FWPM_CALLOUT_FLAG_PERSISTENT,
    FWPM_DISPLAY_DATA0, FWPM_FILTER0, FWPM_FILTER_CONDITION0, FWPM_FILTER_CONTEXT, FWPM_SESSION0,
    FWPM_SUBLAYER0, FWPM_SUBLAYER_FLAG_PERSISTENT, FWP_BYTE_BLOB, FWP_VALUE0, FWP_VALUE0_UNION,
    GUID, HANDLE, NTSTATUS, RPC_C_AUTHN_WINNT,
};
use crate::boot_guard::{
    action_of, conditions, guard_filters, presence_key, ConditionValue, GuardFilter,
    GUARD_CALLOUTS, GUARD_SUBLAYER_KEY, GUARD_SUBLAYER_WEIGHT,
};
use crate::guard_removal::{objects_to_remove, GuardObject};

/// What was last put in place: 0 not known yet, 1 installed, 2 removed.
static APPLIED: AtomicU8 = AtomicU8::new(0);

/// An open engine session, closed when dropped.
struct Engine(HANDLE);

impl Drop for Engine {
    fn drop(&mut self) {
        // SAFETY: a session this module opened.
        unsafe { FwpmEngineClose0(self.0) };
    }
}

fn open() -> Result<Engine, NTSTATUS> {
    let mut name = Utf16Name::new("ZenithFence boot guard");
    let session = FWPM_SESSION0 {
        sessionKey: GUID::ZERO,
        displayData: FWPM_DISPLAY_DATA0 {
            name: name.as_ptr(),
            description: null_mut(),
        },
        // Not dynamic: what this session adds persists.
        flags: 0,
        txnWaitTimeoutInMSec: 0,
        processId: 0,
        sid: null_mut(),
        username: null_mut(),
        kernelMode: 0,
    };
    let mut engine = null_mut();
    // SAFETY: a valid session and out pointer; PASSIVE_LEVEL.
    let code = unsafe {
        FwpmEngineOpen0(
            null_mut(),
            RPC_C_AUTHN_WINNT,
            null_mut(),
            &session,
            &mut engine,
        )
    };
    if ok(code) {
        Ok(Engine(engine))
    } else {
        Err(code)
    }
}

fn empty_blob() -> FWP_BYTE_BLOB {
    FWP_BYTE_BLOB {
        size: 0,
        data: null_mut(),
    }
}

fn empty_value() -> FWP_VALUE0 {
    FWP_VALUE0 {
        type_: data_type::EMPTY,
        value: FWP_VALUE0_UNION { uint64: null_mut() },
    }
}

/// `code` is a success or "it is already there".
fn added(code: NTSTATUS) -> Result<(), NTSTATUS> {
    if ok(code) || code == fwp_status::ALREADY_EXISTS {
        Ok(())
    } else {
        Err(code)
    }
}

/// Whether the guard's persistent filters are installed (DriverEntry: see
/// [`crate::boot_guard::detached_at_start`]). `false` when BFE cannot be asked.
pub fn present() -> bool {
    let Ok(engine) = open() else {
        return false;
    };
    let key = presence_key();
    let mut filter: *mut FWPM_FILTER0 = null_mut();
    // SAFETY: an open session, a valid key and out pointer.
    let code = unsafe { FwpmFilterGetByKey0(engine.0, &key, &mut filter) };
    if !ok(code) {
        return false;
    }
    // SAFETY: memory the engine allocated for us, freed once.
    unsafe { FwpmFreeMemory0((&mut filter as *mut *mut FWPM_FILTER0).cast::<*mut c_void>()) };
    true
}

/// Puts the guard in place (`Some(true)`), removes it (`Some(false)`) or leaves it (`None`),
/// unless that was already done. Returns a line for the log when something was done or failed.
pub fn sync(wanted: Option<bool>) -> Option<String> {
    let wanted = wanted?;
    let target = if wanted { 1 } else { 2 };
    if APPLIED.load(Ordering::Acquire) == target {
        return None;
    }
    let result = open().and_then(|engine| {
        if wanted {
            install(&engine)
        } else {
            remove(&engine)
        }
    });
    match result {
        Ok(()) => {
            APPLIED.store(target, Ordering::Release);
            Some(String::from(if wanted {
                "boot guard installed: until the driver runs, only loopback and DHCP pass"
            } else {
                "boot guard removed"
            }))
        }
        Err(code) => {
            // Not recorded: the next policy tries again.
            Some(format!(
                "boot guard could not be {} (status {code:#010x})",
                if wanted { "installed" } else { "removed" }
            ))
        }
    }
}

/// Deletes every object of the guard (filters, callouts, sublayer), for a real uninstall
/// ([`crate::guard_removal`]). Each deletion is tried, whatever the others gave; objects that
/// are not there count as removed. The first other failure is returned. PASSIVE_LEVEL.
pub fn remove_for_good() -> Result<(), NTSTATUS> {
    let engine = open()?;
    let mut result = Ok(());
    for object in objects_to_remove() {
        let key = object.key();
        let code = match object {
            // SAFETY: an open session and a valid key.
            GuardObject::Filter(_) => unsafe { FwpmFilterDeleteByKey0(engine.0, &key) },
            // SAFETY: as above; the filters naming the callout were deleted before it.
            GuardObject::Callout(_) => unsafe { FwpmCalloutDeleteByKey0(engine.0, &key) },
            // SAFETY: as above; the filters in the sublayer were deleted before it.
            GuardObject::SubLayer(_) => unsafe { FwpmSubLayerDeleteByKey0(engine.0, &key) },
        };
        if !ok(code) && !object.already_gone(code) && result.is_ok() {
            result = Err(code);
        }
    }
    if result.is_ok() {
        APPLIED.store(2, Ordering::Release);
    }
    result
}

fn remove(engine: &Engine) -> Result<(), NTSTATUS> {
    for filter in guard_filters() {
        // SAFETY: an open session and a valid key.
        let code = unsafe { FwpmFilterDeleteByKey0(engine.0, &filter.key) };
        if !ok(code) && code != fwp_status::FILTER_NOT_FOUND {
            return Err(code);
        }
    }
    Ok(())
}

fn install(engine: &Engine) -> Result<(), NTSTATUS> {
    let mut sublayer_name = Utf16Name::new("ZenithFence boot guard");
    let sublayer = FWPM_SUBLAYER0 {
        subLayerKey: GUARD_SUBLAYER_KEY,
        displayData: FWPM_DISPLAY_DATA0 {
            name: sublayer_name.as_ptr(),
            description: null_mut(),
        },
        flags: FWPM_SUBLAYER_FLAG_PERSISTENT,
        providerKey: null_mut(),
        providerData: empty_blob(),
        weight: GUARD_SUBLAYER_WEIGHT,
    };
    // SAFETY: an open session and a valid sublayer (its name alive for the call).
    added(unsafe { FwpmSubLayerAdd0(engine.0, &sublayer, null_mut()) })?;
    for spec in &GUARD_CALLOUTS {
        let mut name = Utf16Name::new(spec.name);
        let callout = FWPM_CALLOUT0 {
            calloutKey: spec.key,
            displayData: FWPM_DISPLAY_DATA0 {
                name: name.as_ptr(),
                description: null_mut(),
            },
            flags: FWPM_CALLOUT_FLAG_PERSISTENT,
            providerKey: null_mut(),
            providerData: empty_blob(),
            applicableLayer: spec.layer,
            calloutId: 0,
        };
        // SAFETY: as above.
        added(unsafe { FwpmCalloutAdd0(engine.0, &callout, null_mut(), null_mut()) })?;
    }
    // An older set (or part of one) goes first; outside the transaction, so a missing key
    // cannot fail it.
    remove(engine)?;
    // SAFETY: an open session.
    let code = unsafe { FwpmTransactionBegin0(engine.0, 0) };
    if !ok(code) {
        return Err(code);
    }
    for filter in guard_filters() {
        if let Err(code) = add_filter(engine, &filter) {
            // SAFETY: aborts the transaction begun above.
            unsafe { FwpmTransactionAbort0(engine.0) };
            return Err(code);
        }
    }
    // SAFETY: commits the transaction begun above.
    let code = unsafe { FwpmTransactionCommit0(engine.0) };
    if ok(code) {
        Ok(())
    } else {
        Err(code)
    }
}

fn condition_value(value: ConditionValue) -> FWP_VALUE0 {
    let mut out = empty_value();
    match value {
        ConditionValue::U8(v) => {
            out.type_ = data_type::UINT8;
            out.value.uint8 = v;
        }
        ConditionValue::U16(v) => {
            out.type_ = data_type::UINT16;
            out.value.uint16 = v;
        }
        ConditionValue::U32(v) => {
            out.type_ = data_type::UINT32;
            out.value.uint32 = v;
        }
    }
    out
}

fn add_filter(engine: &Engine, filter: &GuardFilter) -> Result<(), NTSTATUS> {
    let mut name = Utf16Name::new(&filter.name);
    let mut condition_list: Vec<FWPM_FILTER_CONDITION0> = conditions(filter.matching)
        .into_iter()
        .map(|c| FWPM_FILTER_CONDITION0 {
            fieldKey: c.field,
            matchType: c.match_type,
            conditionValue: condition_value(c.value),
        })
        .collect();
    let (action_type, callout_key) = action_of(filter.action);
    let mut weight = empty_value();
    weight.type_ = data_type::UINT8;
    weight.value.uint8 = filter.weight;
    let raw = FWPM_FILTER0 {
        filterKey: filter.key,
        displayData: FWPM_DISPLAY_DATA0 {
            name: name.as_ptr(),
            description: null_mut(),
        },
        flags: filter.flags(),
        providerKey: null_mut(),
        providerData: empty_blob(),
        layerKey: filter.layer,
        subLayerKey: GUARD_SUBLAYER_KEY,
        weight,
        numFilterConditions: u32::try_from(condition_list.len()).unwrap_or(0),
        filterCondition: if condition_list.is_empty() {
            null_mut()
        } else {
            condition_list.as_mut_ptr().cast::<c_void>()
        },
        action: FWPM_ACTION0 {
            type_: action_type,
            calloutKey: callout_key,
        },
        context: FWPM_FILTER_CONTEXT { rawContext: 0 },
        reserved: null_mut(),
        filterId: 0,
        effectiveWeight: empty_value(),
    };
    // SAFETY: an open session in a transaction; the filter, its name and its conditions are
    // alive for the call (the engine copies them).
    let code = unsafe { FwpmFilterAdd0(engine.0, &raw, null_mut(), null_mut()) };
    if ok(code) {
        Ok(())
    } else {
        Err(code)
    }
}
