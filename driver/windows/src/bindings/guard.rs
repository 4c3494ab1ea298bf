//! The part of the WFP management API the boot guard uses (fwpmtypes.h, fwpmk.h): persistent
//! and boot-time objects, filter conditions, deletion and lookup by key. Same rules as the rest
//! of [`crate::bindings`].

use core::ffi::c_void;

use super::{FWPM_FILTER0, FWP_VALUE0, GUID, HANDLE, NTSTATUS};

/// `FWPM_FILTER_FLAG_PERSISTENT` (fwpmtypes.h): survives BFE stop/start and reboots.
pub const FWPM_FILTER_FLAG_PERSISTENT: u32 = 0x0000_0001;
/// `FWPM_FILTER_FLAG_BOOTTIME` (fwpmtypes.h): enforced at boot, before BFE starts. Cannot be
/// combined with `FWPM_FILTER_FLAG_PERSISTENT`.
pub const FWPM_FILTER_FLAG_BOOTTIME: u32 = 0x0000_0002;
/// `FWPM_SUBLAYER_FLAG_PERSISTENT` (fwpmtypes.h).
pub const FWPM_SUBLAYER_FLAG_PERSISTENT: u32 = 0x0000_0001;
/// `FWPM_CALLOUT_FLAG_PERSISTENT` (fwpmtypes.h).
pub const FWPM_CALLOUT_FLAG_PERSISTENT: u32 = 0x0001_0000;

/// `FWP_MATCH_TYPE` values (fwptypes.h).
pub mod match_type {
    /// FWP_MATCH_EQUAL.
    pub const EQUAL: u32 = 0;
    /// FWP_MATCH_FLAGS_ALL_SET.
    pub const FLAGS_ALL_SET: u32 = 6;
}

/// NTSTATUS values of the filter engine (ntstatus.h `STATUS_FWP_*`, the `FWP_E_*` codes of
/// fwpmu.h in facility 0x22).
pub mod fwp_status {
    use super::NTSTATUS;
    /// STATUS_FWP_CALLOUT_NOT_FOUND.
    pub const CALLOUT_NOT_FOUND: NTSTATUS = 0xC022_0001_u32 as NTSTATUS;
    /// STATUS_FWP_FILTER_NOT_FOUND.
    pub const FILTER_NOT_FOUND: NTSTATUS = 0xC022_0003_u32 as NTSTATUS;
    /// STATUS_FWP_SUBLAYER_NOT_FOUND.
    pub const SUBLAYER_NOT_FOUND: NTSTATUS = 0xC022_0007_u32 as NTSTATUS;
    /// STATUS_FWP_ALREADY_EXISTS.
    pub const ALREADY_EXISTS: NTSTATUS = 0xC022_0009_u32 as NTSTATUS;
}

/// `FWPM_FILTER_CONDITION0` (fwpmtypes.h): `{ GUID fieldKey; FWP_MATCH_TYPE matchType;
/// FWP_CONDITION_VALUE0 conditionValue; }`, 40 bytes on x64. `FWP_CONDITION_VALUE0` has the
/// layout of [`FWP_VALUE0`] (a type tag, then a pointer-sized union); only its scalar members
/// (`uint8`, `uint16`, `uint32`) are used here, which both unions share.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct FWPM_FILTER_CONDITION0 {
    /// The condition field (`FWPM_CONDITION_*`).
    pub fieldKey: GUID,
    /// An [`match_type`] value.
    pub matchType: u32,
    /// The value compared with.
    pub conditionValue: FWP_VALUE0,
}

#[cfg_attr(
    all(target_os = "windows", feature = "kernel"),
    link(name = "fwpkclnt")
)]
extern "system" {
    /// FwpmFilterDeleteByKey0 (fwpmk.h).
    pub fn FwpmFilterDeleteByKey0(engine: HANDLE, key: *const GUID) -> NTSTATUS;
    /// FwpmCalloutDeleteByKey0 (fwpmk.h): fails while a filter names the callout.
    pub fn FwpmCalloutDeleteByKey0(engine: HANDLE, key: *const GUID) -> NTSTATUS;
    /// FwpmSubLayerDeleteByKey0 (fwpmk.h): fails while a filter is in the sublayer.
    pub fn FwpmSubLayerDeleteByKey0(engine: HANDLE, key: *const GUID) -> NTSTATUS;
    /// FwpmFilterGetByKey0 (fwpmk.h): the filter is allocated by the engine, freed with
    /// FwpmFreeMemory0.
    pub fn FwpmFilterGetByKey0(
        engine: HANDLE,
        key: *const GUID,
        filter: *mut *mut FWPM_FILTER0,
    ) -> NTSTATUS;
    /// FwpmFreeMemory0 (fwpmk.h).
    pub fn FwpmFreeMemory0(pointer: *mut *mut c_void);
}

#[cfg(all(test, target_pointer_width = "64"))]
mod tests {
    use super::*;
    use core::mem::{offset_of, size_of};

    /// fwpmtypes.h FWPM_FILTER_CONDITION0 on x64.
    #[test]
    fn filter_condition_layout() {
        assert_eq!(size_of::<FWPM_FILTER_CONDITION0>(), 40);
        assert_eq!(offset_of!(FWPM_FILTER_CONDITION0, matchType), 16);
        assert_eq!(offset_of!(FWPM_FILTER_CONDITION0, conditionValue), 24);
    }
}
