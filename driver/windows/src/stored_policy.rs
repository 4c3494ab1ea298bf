//! The stored policy: the file the app writes (`%ProgramData%\ZenithFence\policy`, the policy
//! document byte for byte, protocol README "Policy"), read once at DriverEntry before the
//! callouts are registered. What to read and what the bytes mean are decided here, without OS
//! calls; `kernel::storage` does the reading.
//!
//! Where the file is: the registry value `PolicyPath` (REG_SZ, an NT path) under the service's
//! `Parameters` key, written by the installer or the app; without it, [`DEFAULT_POLICY_PATH`].
//! The kernel cannot ask for `FOLDERID_ProgramData` (a shell API), so user mode, which can,
//! names the file.
//!
//! Every failure is one log line and no policy (the detached setting applies): a missing file
//! (nobody saved a policy yet), a file that cannot be read, one above the size limit, a
//! truncated or corrupt one (the document's checksum and checks catch both).

use alloc::boxed::Box;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use zenithfence_core::policy::PreparedPolicy;
use zenithfence_protocol::policy::MAX_POLICY_LEN;

use crate::bindings::{status, KEY_VALUE_PARTIAL_INFORMATION_HEADER, NTSTATUS, REG_SZ};

/// The registry value (under `...\Services\ZenithFence\Parameters`) naming the file.
pub const POLICY_PATH_VALUE: &str = "PolicyPath";
/// The key of that value, relative to the service key the I/O manager passes to DriverEntry.
pub const PARAMETERS_SUBKEY: &str = "Parameters";
/// The file when no registry value names it: `%ProgramData%` on a default installation.
pub const DEFAULT_POLICY_PATH: &str = "\\??\\C:\\ProgramData\\ZenithFence\\policy";
/// Bytes read at most: one more than a document may have, so a larger file is recognised.
pub const MAX_STORED_READ: usize = MAX_POLICY_LEN + 1;
/// UTF-16 units of a `PolicyPath` value at most (an NT path; longer ones are refused).
pub const MAX_PATH_UNITS: usize = 1024;

/// What reading the file gave.
#[derive(Debug, PartialEq, Eq)]
pub enum StoredRead {
    /// The file's first bytes (at most [`MAX_STORED_READ`]).
    Bytes(Vec<u8>),
    /// The file is this many bytes, more than a document may have (it was not read).
    TooLarge(u64),
    /// Opening or reading failed with this status.
    Failed(NTSTATUS),
}

/// What the driver starts with.
pub enum StoredLoad {
    /// A checked, compiled policy.
    Loaded(Box<PreparedPolicy>),
    /// No file: nothing was ever saved (an information, not an error).
    Absent(String),
    /// A file that cannot be used: not readable, too large, truncated or corrupt.
    Unusable(String),
}

/// The file to read: the `PolicyPath` value's UTF-16LE bytes (REG_SZ, NUL-terminated or not),
/// when present and an absolute NT path (`\??\C:\...`, `\Device\...`); else the default.
pub fn policy_path(registry_value: Option<&[u8]>) -> String {
    let units = registry_value.map(|bytes| {
        bytes
            .chunks_exact(2)
            .map(|pair| {
                u16::from_le_bytes([
                    pair.first().copied().unwrap_or(0),
                    pair.get(1).copied().unwrap_or(0),
                ])
            })
            .take_while(|&unit| unit != 0)
            .collect::<Vec<u16>>()
    });
    match units {
        Some(units) if !units.is_empty() && units.len() <= MAX_PATH_UNITS => {
            match String::from_utf16(&units) {
                Ok(path) if path.starts_with('\\') => path,
                _ => String::from(DEFAULT_POLICY_PATH),
            }
        }
        _ => String::from(DEFAULT_POLICY_PATH),
    }
}

/// The data of a `KEY_VALUE_PARTIAL_INFORMATION` (what `ZwQueryValueKey` wrote) when the
/// value is a REG_SZ and its data is all there; else `None` (the default path is used).
pub fn reg_sz_data(information: &[u8]) -> Option<&[u8]> {
    registry_data(information, REG_SZ)
}

/// The data of a `KEY_VALUE_PARTIAL_INFORMATION` when the value has the registry type `kind`
/// and its data is all there; else `None`. Also read for other values under `Parameters`
/// ([`crate::guard_removal`]).
pub fn registry_data(information: &[u8], kind: u32) -> Option<&[u8]> {
    let field = |at: usize| -> Option<u32> {
        let bytes = information.get(at..at + 4)?;
        let mut word = [0u8; 4];
        word.copy_from_slice(bytes);
        Some(u32::from_le_bytes(word))
    };
    if field(4)? != kind {
        return None;
    }
    let len = usize::try_from(field(8)?).ok()?;
    information.get(
        KEY_VALUE_PARTIAL_INFORMATION_HEADER
            ..KEY_VALUE_PARTIAL_INFORMATION_HEADER.checked_add(len)?,
    )
}

/// Whether a status means the file (or a folder on its path) does not exist.
fn not_found(code: NTSTATUS) -> bool {
    matches!(
        code,
        status::OBJECT_NAME_NOT_FOUND | status::OBJECT_PATH_NOT_FOUND | status::NO_SUCH_FILE
    )
}

fn too_large(path: &str, len: u64) -> StoredLoad {
    StoredLoad::Unusable(format!(
        "stored policy {path} ({len} bytes) is larger than {MAX_POLICY_LEN} bytes: ignored, the detached setting applies"
    ))
}

/// Decides what the driver starts with from what was read at `path`.
pub fn interpret(path: &str, read: StoredRead) -> StoredLoad {
    let bytes = match read {
        StoredRead::Failed(code) if not_found(code) => {
            return StoredLoad::Absent(format!(
                "no stored policy at {path}: the detached setting applies until the app sends one"
            ));
        }
        StoredRead::Failed(code) => {
            return StoredLoad::Unusable(format!(
                "stored policy {path} unreadable (status {code:#010x}): the detached setting applies"
            ));
        }
        StoredRead::TooLarge(len) => return too_large(path, len),
        StoredRead::Bytes(bytes) => bytes,
    };
    if bytes.len() > MAX_POLICY_LEN {
        return too_large(path, bytes.len() as u64);
    }
    match PreparedPolicy::from_bytes(&bytes) {
        Ok(prepared) => StoredLoad::Loaded(Box::new(prepared)),
        Err(error) => StoredLoad::Unusable(format!(
            "stored policy {path} ignored ({} bytes, {error}): the detached setting applies",
            bytes.len()
        )),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]
mod tests {
    use super::*;
    use crate::policy_tests::policy_bytes;

    fn utf16(text: &str) -> Vec<u8> {
        text.encode_utf16().flat_map(u16::to_le_bytes).collect()
    }

    #[test]
    fn the_registry_value_names_the_file_else_the_default() {
        assert_eq!(policy_path(None), DEFAULT_POLICY_PATH);
        let mut value = utf16("\\??\\D:\\Data\\ZenithFence\\policy");
        assert_eq!(
            policy_path(Some(&value)),
            "\\??\\D:\\Data\\ZenithFence\\policy"
        );
        // REG_SZ usually carries its NUL (and sometimes junk after it).
        value.extend_from_slice(&[0, 0, b'x', 0]);
        assert_eq!(
            policy_path(Some(&value)),
            "\\??\\D:\\Data\\ZenithFence\\policy"
        );
        // Empty, relative (a DOS path the kernel cannot open), bad UTF-16, too long: default.
        assert_eq!(policy_path(Some(&[])), DEFAULT_POLICY_PATH);
        assert_eq!(
            policy_path(Some(&utf16("C:\\ProgramData\\x"))),
            DEFAULT_POLICY_PATH
        );
        assert_eq!(
            policy_path(Some(&[0x00, 0xd8, b'a', 0])),
            DEFAULT_POLICY_PATH
        );
        let long = format!("\\{}", "a".repeat(MAX_PATH_UNITS));
        assert_eq!(policy_path(Some(&utf16(&long))), DEFAULT_POLICY_PATH);
        assert_eq!(policy_path(Some(b"\\")), DEFAULT_POLICY_PATH, "odd length");
    }

    #[test]
    fn only_a_whole_reg_sz_value_is_taken() {
        let path = utf16("\\??\\E:\\p");
        let info = |kind: u32, len: u32, data: &[u8]| {
            let mut bytes = Vec::new();
            bytes.extend_from_slice(&0u32.to_le_bytes());
            bytes.extend_from_slice(&kind.to_le_bytes());
            bytes.extend_from_slice(&len.to_le_bytes());
            bytes.extend_from_slice(data);
            bytes
        };
        let whole = info(REG_SZ, path.len() as u32, &path);
        assert_eq!(reg_sz_data(&whole), Some(&path[..]));
        assert_eq!(policy_path(reg_sz_data(&whole)), "\\??\\E:\\p");
        // REG_EXPAND_SZ (2), REG_DWORD (4): not a path we take.
        assert_eq!(reg_sz_data(&info(2, path.len() as u32, &path)), None);
        assert_eq!(reg_sz_data(&info(4, 4, &[1, 0, 0, 0])), None);
        // Data cut short (the buffer was too small), a header cut short, a huge length.
        assert_eq!(reg_sz_data(&info(REG_SZ, 100, &path)), None);
        assert_eq!(reg_sz_data(&whole[..10]), None);
        assert_eq!(reg_sz_data(&info(REG_SZ, u32::MAX, &path)), None);
    }

    #[test]
    fn a_good_file_loads() {
        let bytes = policy_bytes(3, 6, &[]);
        let StoredLoad::Loaded(prepared) = interpret("p", StoredRead::Bytes(bytes)) else {
            panic!("expected a policy");
        };
        assert_eq!(prepared.generation(), 3);
    }

    #[test]
    fn missing_unreadable_large_truncated_and_corrupt_files_give_no_policy() {
        for code in [
            status::OBJECT_NAME_NOT_FOUND,
            status::OBJECT_PATH_NOT_FOUND,
            status::NO_SUCH_FILE,
        ] {
            let StoredLoad::Absent(text) = interpret("p", StoredRead::Failed(code)) else {
                panic!("{code:#x} is a missing file");
            };
            assert!(text.contains("no stored policy at p"), "{text}");
        }
        let StoredLoad::Unusable(text) = interpret("p", StoredRead::Failed(status::ACCESS_DENIED))
        else {
            panic!("access denied is not a missing file");
        };
        assert!(text.contains("0xc0000022"), "{text}");

        let good = policy_bytes(3, 6, &[]);
        let mut corrupt = good.clone();
        corrupt[30] ^= 0xff;
        let mut too_large = good.clone();
        too_large.resize(MAX_STORED_READ, 0);
        for (what, bytes, expect) in [
            ("truncated", good[..good.len() - 1].to_vec(), "ignored"),
            ("empty", Vec::new(), "ignored"),
            ("corrupt", corrupt, "checksum"),
            ("too large", too_large, "larger than"),
        ] {
            let StoredLoad::Unusable(text) = interpret("p", StoredRead::Bytes(bytes)) else {
                panic!("{what} must not load");
            };
            assert!(text.contains(expect), "{what}: {text}");
            assert!(text.contains("the detached setting applies"), "{text}");
        }
        let StoredLoad::Unusable(text) = interpret("p", StoredRead::TooLarge(1 << 30)) else {
            panic!("a file of 1 GiB is not read");
        };
        assert!(text.contains("1073741824 bytes"), "{text}");
    }
}
