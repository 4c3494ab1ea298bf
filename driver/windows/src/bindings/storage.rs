//! The part of the WDK surface that reads the stored policy at DriverEntry (the registry value
//! naming the file, and the file) and the passive-level lock of the policy inbox. Declared by
//! hand like the rest of [`crate::bindings`], with the same rules: documented members in order,
//! x64 layout asserted in the tests, linked only in the Windows kernel build.

use core::ffi::c_void;

use super::{KernelObjectStorage, HANDLE, IO_STATUS_BLOCK, NTSTATUS, UNICODE_STRING};

/// `OBJECT_ATTRIBUTES` (wudfwdm.h/wdm.h; learn.microsoft.com "OBJECT_ATTRIBUTES structure"):
/// `ULONG Length; HANDLE RootDirectory; PUNICODE_STRING ObjectName; ULONG Attributes;
/// PVOID SecurityDescriptor; PVOID SecurityQualityOfService;` 48 bytes on x64.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct OBJECT_ATTRIBUTES {
    /// `size_of::<OBJECT_ATTRIBUTES>()`.
    pub Length: u32,
    /// NULL: `ObjectName` is a full path.
    pub RootDirectory: HANDLE,
    /// The object's name.
    pub ObjectName: *mut UNICODE_STRING,
    /// `OBJ_*` flags.
    pub Attributes: u32,
    /// NULL: the default security.
    pub SecurityDescriptor: *mut c_void,
    /// NULL.
    pub SecurityQualityOfService: *mut c_void,
}

impl OBJECT_ATTRIBUTES {
    /// What `InitializeObjectAttributes(p, name, OBJ_CASE_INSENSITIVE | OBJ_KERNEL_HANDLE,
    /// NULL, NULL)` writes: a kernel handle to `name`, compared case-insensitively.
    pub fn kernel(name: *mut UNICODE_STRING) -> OBJECT_ATTRIBUTES {
        OBJECT_ATTRIBUTES {
            Length: core::mem::size_of::<OBJECT_ATTRIBUTES>() as u32,
            RootDirectory: core::ptr::null_mut(),
            ObjectName: name,
            Attributes: OBJ_CASE_INSENSITIVE | OBJ_KERNEL_HANDLE,
            SecurityDescriptor: core::ptr::null_mut(),
            SecurityQualityOfService: core::ptr::null_mut(),
        }
    }
}

/// `OBJ_CASE_INSENSITIVE` (ntdef.h).
pub const OBJ_CASE_INSENSITIVE: u32 = 0x0000_0040;
/// `OBJ_KERNEL_HANDLE` (ntdef.h): the handle is only usable in kernel mode.
pub const OBJ_KERNEL_HANDLE: u32 = 0x0000_0200;

/// `KEY_READ` (wdm.h).
pub const KEY_READ: u32 = 0x0002_0019;
/// `KEY_VALUE_INFORMATION_CLASS::KeyValuePartialInformation` (wdm.h).
pub const KEY_VALUE_PARTIAL_INFORMATION_CLASS: u32 = 2;
/// The fixed part of `KEY_VALUE_PARTIAL_INFORMATION` (wdm.h): `ULONG TitleIndex; ULONG Type;
/// ULONG DataLength;` then `UCHAR Data[1]` at offset 12.
pub const KEY_VALUE_PARTIAL_INFORMATION_HEADER: usize = 12;
/// `REG_SZ` (winnt.h).
pub const REG_SZ: u32 = 1;
/// `REG_DWORD` (winnt.h): 4 bytes, little-endian.
pub const REG_DWORD: u32 = 4;

/// `FILE_GENERIC_READ` (winnt.h): read data, attributes, extended attributes, and SYNCHRONIZE.
pub const FILE_GENERIC_READ: u32 = 0x0012_0089;
/// `FILE_ATTRIBUTE_NORMAL` (winnt.h).
pub const FILE_ATTRIBUTE_NORMAL: u32 = 0x0000_0080;
/// `FILE_SHARE_READ` (winnt.h): the app may replace the file (it renames over it) meanwhile.
pub const FILE_SHARE_READ: u32 = 0x0000_0001;
/// `FILE_OPEN` (wdm.h): open an existing file only.
pub const FILE_OPEN: u32 = 0x0000_0001;
/// `FILE_SYNCHRONOUS_IO_NONALERT` (wdm.h).
pub const FILE_SYNCHRONOUS_IO_NONALERT: u32 = 0x0000_0020;
/// `FILE_NON_DIRECTORY_FILE` (wdm.h).
pub const FILE_NON_DIRECTORY_FILE: u32 = 0x0000_0040;
/// `FILE_INFORMATION_CLASS::FileStandardInformation` (wdm.h).
pub const FILE_STANDARD_INFORMATION_CLASS: u32 = 5;

/// `FILE_STANDARD_INFORMATION` (wdm.h): `LARGE_INTEGER AllocationSize, EndOfFile; ULONG
/// NumberOfLinks; BOOLEAN DeletePending, Directory;` 24 bytes on x64.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct FILE_STANDARD_INFORMATION {
    /// Bytes allocated.
    pub AllocationSize: i64,
    /// The file's size.
    pub EndOfFile: i64,
    /// Hard links.
    pub NumberOfLinks: u32,
    /// Being deleted.
    pub DeletePending: u8,
    /// A directory.
    pub Directory: u8,
}

/// `EVENT_TYPE::SynchronizationEvent` (wdm.h): one waiter is released per signal (a lock).
pub const SYNCHRONIZATION_EVENT: u32 = 1;
/// `KWAIT_REASON::Executive` (wdm.h).
pub const EXECUTIVE: u32 = 0;

#[cfg_attr(
    all(target_os = "windows", feature = "kernel"),
    link(name = "ntoskrnl")
)]
extern "system" {
    /// ZwOpenKey (wdm.h). PASSIVE_LEVEL.
    pub fn ZwOpenKey(
        key: *mut HANDLE,
        desired_access: u32,
        attributes: *mut OBJECT_ATTRIBUTES,
    ) -> NTSTATUS;
    /// ZwQueryValueKey (wdm.h). PASSIVE_LEVEL.
    pub fn ZwQueryValueKey(
        key: HANDLE,
        value_name: *mut UNICODE_STRING,
        class: u32,
        information: *mut c_void,
        length: u32,
        result_length: *mut u32,
    ) -> NTSTATUS;
    /// ZwCreateFile (wdm.h). PASSIVE_LEVEL.
    pub fn ZwCreateFile(
        file: *mut HANDLE,
        desired_access: u32,
        attributes: *mut OBJECT_ATTRIBUTES,
        io_status: *mut IO_STATUS_BLOCK,
        allocation_size: *mut i64,
        file_attributes: u32,
        share_access: u32,
        create_disposition: u32,
        create_options: u32,
        ea_buffer: *mut c_void,
        ea_length: u32,
    ) -> NTSTATUS;
    /// ZwQueryInformationFile (wdm.h). PASSIVE_LEVEL.
    pub fn ZwQueryInformationFile(
        file: HANDLE,
        io_status: *mut IO_STATUS_BLOCK,
        information: *mut c_void,
        length: u32,
        class: u32,
    ) -> NTSTATUS;
    /// ZwReadFile (wdm.h). PASSIVE_LEVEL. `byte_offset` NULL reads at the current position
    /// of a file opened for synchronous I/O.
    pub fn ZwReadFile(
        file: HANDLE,
        event: HANDLE,
        apc_routine: *mut c_void,
        apc_context: *mut c_void,
        io_status: *mut IO_STATUS_BLOCK,
        buffer: *mut c_void,
        length: u32,
        byte_offset: *mut i64,
        key: *mut u32,
    ) -> NTSTATUS;
    /// ZwClose (wdm.h).
    pub fn ZwClose(handle: HANDLE) -> NTSTATUS;
    /// KeInitializeEvent (wdm.h). `event` is a KEVENT (24 bytes on x64) in the storage.
    pub fn KeInitializeEvent(event: *mut KernelObjectStorage, event_type: u32, state: u8);
    /// KeWaitForSingleObject (wdm.h). PASSIVE_LEVEL here (no timeout).
    pub fn KeWaitForSingleObject(
        object: *mut c_void,
        wait_reason: u32,
        wait_mode: i8,
        alertable: u8,
        timeout: *mut i64,
    ) -> NTSTATUS;
    /// KeSetEvent (wdm.h); returns the previous state.
    pub fn KeSetEvent(event: *mut KernelObjectStorage, increment: i32, wait: u8) -> i32;
    /// KeEnterCriticalRegion (ntddk.h): normal kernel APCs off (no suspension while a lock is
    /// held).
    pub fn KeEnterCriticalRegion();
    /// KeLeaveCriticalRegion (ntddk.h).
    pub fn KeLeaveCriticalRegion();
}

#[cfg(all(test, target_pointer_width = "64"))]
mod tests {
    use super::*;
    use core::mem::{offset_of, size_of};

    /// ntdef.h OBJECT_ATTRIBUTES and wdm.h FILE_STANDARD_INFORMATION on x64.
    #[test]
    fn storage_structs_layout() {
        assert_eq!(size_of::<OBJECT_ATTRIBUTES>(), 48);
        assert_eq!(offset_of!(OBJECT_ATTRIBUTES, RootDirectory), 8);
        assert_eq!(offset_of!(OBJECT_ATTRIBUTES, ObjectName), 16);
        assert_eq!(offset_of!(OBJECT_ATTRIBUTES, Attributes), 24);
        assert_eq!(offset_of!(OBJECT_ATTRIBUTES, SecurityDescriptor), 32);
        assert_eq!(offset_of!(OBJECT_ATTRIBUTES, SecurityQualityOfService), 40);
        assert_eq!(size_of::<FILE_STANDARD_INFORMATION>(), 24);
        assert_eq!(offset_of!(FILE_STANDARD_INFORMATION, EndOfFile), 8);
        assert_eq!(offset_of!(FILE_STANDARD_INFORMATION, NumberOfLinks), 16);
        assert_eq!(offset_of!(FILE_STANDARD_INFORMATION, Directory), 21);
        let attributes = OBJECT_ATTRIBUTES::kernel(core::ptr::null_mut());
        assert_eq!(attributes.Length, 48);
        assert_eq!(attributes.Attributes, 0x240);
    }
}
