//! Removing the boot guard for good when ZenithFence is uninstalled. The guard's objects are
//! persistent ([`crate::boot_guard`]): they outlive the driver, and left behind they would
//! block every connection but loopback and DHCP on a machine that no longer has ZenithFence.
//!
//! A real uninstall (`resources/installer/windows/driver.nsh`, `customUnInstall`; never an
//! update) starts the service when it is not running, sets the REG_DWORD
//! [`REMOVE_GUARD_VALUE`] to [`REMOVE_GUARD_YES`] under the service's `Parameters` key, then
//! stops the service. The driver's unload reads the value and, when it asks for it, deletes
//! every guard object by key before anything else is torn down. The uninstaller then deletes
//! the same keys itself through the user-mode management API, which also covers a driver that
//! cannot start (or cannot stop). An installation deletes the value, so a value left by an
//! uninstall that did not finish never takes the guard away at a later `sc stop`.
//!
//! Decided here, without OS calls (host-tested): whether the value asks for removal, which
//! objects go and in which order, and which failure means "already gone".
//! `kernel::boot_guard::remove_for_good` makes the calls.

use alloc::vec::Vec;

use crate::bindings::{fwp_status, GUID, NTSTATUS, REG_DWORD};
use crate::boot_guard::{guard_filters, GUARD_CALLOUTS, GUARD_SUBLAYER_KEY};
use crate::stored_policy::registry_data;

/// The registry value (under `...\Services\ZenithFence\Parameters`, next to `PolicyPath`) that
/// the uninstaller sets before it stops the service.
pub const REMOVE_GUARD_VALUE: &str = "RemoveGuard";
/// The one value of [`REMOVE_GUARD_VALUE`] that asks for removal.
pub const REMOVE_GUARD_YES: u32 = 1;

/// Whether unload deletes the guard: the `KEY_VALUE_PARTIAL_INFORMATION` of
/// [`REMOVE_GUARD_VALUE`] (`None` when it could not be read) holds a REG_DWORD equal to
/// [`REMOVE_GUARD_YES`]. Anything else (no value, another type, another number, cut-off data)
/// keeps the guard: a plain `sc stop` must leave the user's protection in place.
pub fn removes_guard_at_unload(information: Option<&[u8]>) -> bool {
    let Some(data) = information.and_then(|info| registry_data(info, REG_DWORD)) else {
        return false;
    };
    match <[u8; 4]>::try_from(data) {
        Ok(bytes) => u32::from_le_bytes(bytes) == REMOVE_GUARD_YES,
        Err(_) => false,
    }
}

/// One persistent WFP object of the guard, by key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GuardObject {
    /// A boot-time or persistent filter (`FwpmFilterDeleteByKey0`).
    Filter(GUID),
    /// A guard callout's management object (`FwpmCalloutDeleteByKey0`).
    Callout(GUID),
    /// The guard's sublayer (`FwpmSubLayerDeleteByKey0`).
    SubLayer(GUID),
}

impl GuardObject {
    /// Its key.
    pub fn key(&self) -> GUID {
        match *self {
            GuardObject::Filter(key) | GuardObject::Callout(key) | GuardObject::SubLayer(key) => {
                key
            }
        }
    }

    /// Whether `code`, returned by the object's delete call, says it is not there: nothing to
    /// remove (the guard was never installed, or already removed).
    pub fn already_gone(&self, code: NTSTATUS) -> bool {
        code == match self {
            GuardObject::Filter(_) => fwp_status::FILTER_NOT_FOUND,
            GuardObject::Callout(_) => fwp_status::CALLOUT_NOT_FOUND,
            GuardObject::SubLayer(_) => fwp_status::SUBLAYER_NOT_FOUND,
        }
    }
}

/// Every object the guard adds, in the order they can be deleted: the filters first (a callout
/// named by a filter and a sublayer holding one cannot be deleted: `FWP_E_IN_USE`), then the
/// callouts, then the sublayer.
pub fn objects_to_remove() -> Vec<GuardObject> {
    let filters = guard_filters()
        .into_iter()
        .map(|f| GuardObject::Filter(f.key));
    let callouts = GUARD_CALLOUTS.iter().map(|c| GuardObject::Callout(c.key));
    filters
        .chain(callouts)
        .chain(core::iter::once(GuardObject::SubLayer(GUARD_SUBLAYER_KEY)))
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::bindings::{KEY_VALUE_PARTIAL_INFORMATION_HEADER, REG_SZ};
    use crate::boot_guard::{presence_key, GuardAction};

    /// A `KEY_VALUE_PARTIAL_INFORMATION` as `ZwQueryValueKey` writes it.
    fn information(kind: u32, data: &[u8]) -> Vec<u8> {
        let mut bytes = Vec::new();
        bytes.extend_from_slice(&0u32.to_le_bytes());
        bytes.extend_from_slice(&kind.to_le_bytes());
        bytes.extend_from_slice(&(data.len() as u32).to_le_bytes());
        bytes.extend_from_slice(data);
        assert_eq!(
            bytes.len(),
            KEY_VALUE_PARTIAL_INFORMATION_HEADER + data.len()
        );
        bytes
    }

    #[test]
    fn only_a_dword_of_one_removes_the_guard_at_unload() {
        let yes = information(REG_DWORD, &1u32.to_le_bytes());
        assert!(removes_guard_at_unload(Some(&yes)));
        // A plain stop (no value), a cleared value, another number: the guard stays.
        assert!(!removes_guard_at_unload(None));
        for other in [0u32, 2, 0x0100_0000, u32::MAX] {
            let info = information(REG_DWORD, &other.to_le_bytes());
            assert!(!removes_guard_at_unload(Some(&info)), "{other}");
        }
        // Not a DWORD: "1" as a string, a QWORD (11) of 1, binary (3) bytes of 1.
        let text: Vec<u8> = "1\0".encode_utf16().flat_map(u16::to_le_bytes).collect();
        assert!(!removes_guard_at_unload(Some(&information(REG_SZ, &text))));
        assert!(!removes_guard_at_unload(Some(&information(
            11,
            &1u64.to_le_bytes()
        ))));
        assert!(!removes_guard_at_unload(Some(&information(
            3,
            &1u32.to_le_bytes()
        ))));
        // A DWORD with the wrong length, or data cut short by the buffer.
        assert!(!removes_guard_at_unload(Some(&information(
            REG_DWORD,
            &[1, 0]
        ))));
        assert!(!removes_guard_at_unload(Some(&information(
            REG_DWORD,
            &[1, 0, 0, 0, 0, 0, 0, 0]
        ))));
        assert!(!removes_guard_at_unload(Some(&yes[..yes.len() - 1])));
        assert!(!removes_guard_at_unload(Some(&yes[..6])));
        assert!(!removes_guard_at_unload(Some(&[])));
    }

    #[test]
    fn every_guard_object_is_removed_filters_before_what_they_name() {
        let objects = objects_to_remove();
        let filters: Vec<GUID> = guard_filters().iter().map(|f| f.key).collect();
        assert_eq!(filters.len(), 24);
        assert_eq!(objects.len(), 24 + 4 + 1);
        // Every filter, callout and the sublayer, each once.
        for key in &filters {
            assert_eq!(objects.iter().filter(|o| o.key() == *key).count(), 1);
        }
        for callout in &GUARD_CALLOUTS {
            assert!(objects.contains(&GuardObject::Callout(callout.key)));
        }
        assert_eq!(
            objects.last(),
            Some(&GuardObject::SubLayer(GUARD_SUBLAYER_KEY))
        );
        assert!(objects.contains(&GuardObject::Filter(presence_key())));
        // A callout goes only after every filter that names it (FWP_E_IN_USE otherwise).
        let position = |object: GuardObject| objects.iter().position(|o| *o == object).unwrap();
        for filter in guard_filters() {
            if let GuardAction::Callout(callout) = filter.action {
                assert!(
                    position(GuardObject::Filter(filter.key))
                        < position(GuardObject::Callout(callout))
                );
            }
        }
        let last_filter = objects
            .iter()
            .rposition(|o| matches!(o, GuardObject::Filter(_)))
            .unwrap();
        let first_callout = objects
            .iter()
            .position(|o| matches!(o, GuardObject::Callout(_)))
            .unwrap();
        assert!(last_filter < first_callout);
    }

    #[test]
    fn only_the_objects_own_not_found_counts_as_already_gone() {
        let filter = GuardObject::Filter(presence_key());
        let callout = GuardObject::Callout(GUARD_CALLOUTS[0].key);
        let sublayer = GuardObject::SubLayer(GUARD_SUBLAYER_KEY);
        assert!(filter.already_gone(0xC022_0003_u32 as NTSTATUS));
        assert!(callout.already_gone(0xC022_0001_u32 as NTSTATUS));
        assert!(sublayer.already_gone(0xC022_0007_u32 as NTSTATUS));
        // Another object's "not found", "in use", access denied, success: not "already gone"
        // (success is counted as done by the caller, before it asks).
        assert!(!filter.already_gone(0xC022_0001_u32 as NTSTATUS));
        assert!(!sublayer.already_gone(0xC022_000A_u32 as NTSTATUS));
        assert!(!callout.already_gone(0xC000_0022_u32 as NTSTATUS));
        assert!(!filter.already_gone(0));
    }
}
