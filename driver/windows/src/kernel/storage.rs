//! Reading the stored policy at DriverEntry (PASSIVE_LEVEL, before the callouts are
//! registered): the `Parameters\PolicyPath` registry value under the service key, then the file
//! it names (or the default), bounded to [`MAX_STORED_READ`] bytes. What the bytes mean is
//! decided by [`crate::stored_policy::interpret`], which the host tests cover. The same
//! registry reader gives unload the `Parameters\RemoveGuard` value
//! ([`crate::guard_removal`]).

use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;
use core::ffi::c_void;
use core::ptr::null_mut;

use super::{ok, Utf16Name};
use crate::bindings::{
    status, ZwClose, ZwCreateFile, ZwOpenKey, ZwQueryInformationFile, ZwQueryValueKey, ZwReadFile,
    FILE_ATTRIBUTE_NORMAL, FILE_GENERIC_READ, FILE_NON_DIRECTORY_FILE, FILE_OPEN, FILE_SHARE_READ,
    FILE_STANDARD_INFORMATION, FILE_STANDARD_INFORMATION_CLASS, FILE_SYNCHRONOUS_IO_NONALERT,
    HANDLE, IO_STATUS_BLOCK, KEY_READ, KEY_VALUE_PARTIAL_INFORMATION_CLASS,
    KEY_VALUE_PARTIAL_INFORMATION_HEADER, NTSTATUS, OBJECT_ATTRIBUTES, UNICODE_STRING,
};
use crate::stored_policy::{
    policy_path, reg_sz_data, StoredRead, MAX_PATH_UNITS, MAX_STORED_READ, PARAMETERS_SUBKEY,
    POLICY_PATH_VALUE,
};

/// A kernel handle closed when dropped.
struct Handle(HANDLE);

impl Drop for Handle {
    fn drop(&mut self) {
        if !self.0.is_null() {
            // SAFETY: a handle this module opened and nobody else closes.
            unsafe { ZwClose(self.0) };
        }
    }
}

fn empty_io_status() -> IO_STATUS_BLOCK {
    IO_STATUS_BLOCK {
        Status: 0,
        Information: 0,
    }
}

/// The service key's name (DriverEntry's `RegistryPath`, e.g.
/// `\Registry\Machine\SYSTEM\CurrentControlSet\Services\ZenithFence`), kept for reading
/// values under it later (unload: [`crate::guard_removal`]).
///
/// # Safety
/// `registry_path` is NULL or DriverEntry's `RegistryPath`.
pub unsafe fn service_key(registry_path: *const UNICODE_STRING) -> Option<String> {
    // SAFETY: the caller passes NULL or the I/O manager's UNICODE_STRING.
    let service = unsafe { registry_path.as_ref() }?;
    if service.Buffer.is_null() {
        return None;
    }
    let units = usize::from(service.Length / 2);
    // SAFETY: `Length` bytes of `Buffer` are the service key's name (not NUL-terminated).
    let service_units = unsafe { core::slice::from_raw_parts(service.Buffer, units) };
    String::from_utf16(service_units).ok()
}

/// The stored policy's path and what reading it gave. PASSIVE_LEVEL.
pub fn read_stored_policy(service_key: Option<&str>) -> (String, StoredRead) {
    // Room for the path's characters and a NUL.
    let value = service_key
        .and_then(|key| parameters_value(key, POLICY_PATH_VALUE, 2 * MAX_PATH_UNITS + 2));
    let path = policy_path(value.as_deref().and_then(reg_sz_data));
    let read = read_file(&path);
    (path, read)
}

/// The `KEY_VALUE_PARTIAL_INFORMATION` of the value `value_name` under `service_key\Parameters`
/// with room for `data_capacity` bytes of data, when it can be read (what it holds is checked
/// by the caller's host-tested reader). PASSIVE_LEVEL.
pub fn parameters_value(
    service_key: &str,
    value_name: &str,
    data_capacity: usize,
) -> Option<Vec<u8>> {
    let mut key_name = String::from(service_key);
    key_name.push('\\');
    key_name.push_str(PARAMETERS_SUBKEY);
    let mut name = Utf16Name::new(&key_name);
    let mut attributes = OBJECT_ATTRIBUTES::kernel(name.unicode());
    let mut key = Handle(null_mut());
    // SAFETY: valid out pointer and attributes over a live name; PASSIVE_LEVEL.
    let code = unsafe { ZwOpenKey(&mut key.0, KEY_READ, &mut attributes) };
    if !ok(code) {
        return None;
    }
    let mut value_name = Utf16Name::new(value_name);
    let mut information =
        vec![0u8; KEY_VALUE_PARTIAL_INFORMATION_HEADER.checked_add(data_capacity)?];
    let capacity = u32::try_from(information.len()).ok()?;
    let mut written = 0u32;
    // SAFETY: an open key, a live value name, a buffer of `capacity` bytes, a valid out pointer.
    let code = unsafe {
        ZwQueryValueKey(
            key.0,
            value_name.unicode(),
            KEY_VALUE_PARTIAL_INFORMATION_CLASS,
            information.as_mut_ptr().cast::<c_void>(),
            capacity,
            &mut written,
        )
    };
    // A value longer than the capacity (STATUS_BUFFER_OVERFLOW) counts as absent.
    if !ok(code) || code == status::BUFFER_OVERFLOW {
        return None;
    }
    information.truncate(usize::try_from(written).ok()?);
    Some(information)
}

/// Reads the file at `path` (an NT path), at most [`MAX_STORED_READ`] bytes.
fn read_file(path: &str) -> StoredRead {
    let mut name = Utf16Name::new(path);
    let mut attributes = OBJECT_ATTRIBUTES::kernel(name.unicode());
    let mut io = empty_io_status();
    let mut file = Handle(null_mut());
    // SAFETY: valid out pointers and attributes over a live name; PASSIVE_LEVEL. Opened for
    // synchronous reads; others may read (and the app may rename a new file over it) meanwhile.
    let code = unsafe {
        ZwCreateFile(
            &mut file.0,
            FILE_GENERIC_READ,
            &mut attributes,
            &mut io,
            null_mut(),
            FILE_ATTRIBUTE_NORMAL,
            FILE_SHARE_READ,
            FILE_OPEN,
            FILE_SYNCHRONOUS_IO_NONALERT | FILE_NON_DIRECTORY_FILE,
            null_mut(),
            0,
        )
    };
    if !ok(code) {
        return StoredRead::Failed(code);
    }
    let mut standard = FILE_STANDARD_INFORMATION::default();
    // SAFETY: an open file, a buffer of the struct's size, a valid IO_STATUS_BLOCK.
    let code = unsafe {
        ZwQueryInformationFile(
            file.0,
            &mut io,
            (&mut standard as *mut FILE_STANDARD_INFORMATION).cast::<c_void>(),
            core::mem::size_of::<FILE_STANDARD_INFORMATION>() as u32,
            FILE_STANDARD_INFORMATION_CLASS,
        )
    };
    if !ok(code) {
        return StoredRead::Failed(code);
    }
    let size = u64::try_from(standard.EndOfFile).unwrap_or(0);
    let wanted = match usize::try_from(size) {
        Ok(size) if size < MAX_STORED_READ => size,
        _ => return StoredRead::TooLarge(size),
    };
    read_all(&file, wanted)
}

/// Reads up to `wanted` bytes (plus one, to see a file that grew past the limit meanwhile).
fn read_all(file: &Handle, wanted: usize) -> StoredRead {
    let capacity = wanted.saturating_add(1).min(MAX_STORED_READ);
    let mut bytes: Vec<u8> = Vec::new();
    // A failed allocation would end in the panic handler (a bug check): ask first.
    if bytes.try_reserve_exact(capacity).is_err() {
        return StoredRead::Failed(status::INSUFFICIENT_RESOURCES);
    }
    bytes.resize(capacity, 0);
    let mut filled = 0usize;
    while filled < capacity {
        let Some(rest) = bytes.get_mut(filled..) else {
            break;
        };
        let mut io = empty_io_status();
        let length = u32::try_from(rest.len()).unwrap_or(u32::MAX);
        // SAFETY: an open file (synchronous I/O: the call returns when done), a buffer of
        // `length` writable bytes, a valid IO_STATUS_BLOCK, the current file position.
        let code: NTSTATUS = unsafe {
            ZwReadFile(
                file.0,
                null_mut(),
                null_mut(),
                null_mut(),
                &mut io,
                rest.as_mut_ptr().cast::<c_void>(),
                length,
                null_mut(),
                null_mut(),
            )
        };
        if code == status::END_OF_FILE {
            break;
        }
        if !ok(code) {
            return StoredRead::Failed(code);
        }
        if io.Information == 0 {
            break;
        }
        filled = filled.saturating_add(io.Information);
    }
    bytes.truncate(filled.min(capacity));
    StoredRead::Bytes(bytes)
}
