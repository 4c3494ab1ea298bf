//! Stderr to systemd's journal. systemd sets `JOURNAL_STREAM` to "DEVICE:INODE" of the stream it
//! connects to stdout and stderr; when that is still our stderr (not redirected by whoever
//! started us), every line may start with a syslog priority in angle brackets, which journald
//! strips and records, so that `journalctl -p err -u zenithfenced` finds the errors. Elsewhere
//! (a terminal, a file, a test's pipe) the lines stay as they are.

use std::io;
use std::os::fd::AsFd;
use std::os::unix::fs::MetadataExt;

use crate::log::Severity;

/// The variable systemd sets for services whose stdout or stderr is the journal.
pub(crate) const JOURNAL_STREAM: &str = "JOURNAL_STREAM";

/// Whether `journal_stream` (the variable's value) names the file with `device` and `inode`.
/// Both numbers are decimal; anything else names nothing.
pub(crate) fn names(journal_stream: &str, device: u64, inode: u64) -> bool {
    let Some((dev, ino)) = journal_stream.trim().split_once(':') else {
        return false;
    };
    dev.parse::<u64>() == Ok(device) && ino.parse::<u64>() == Ok(inode)
}

/// The device and inode of our stderr (fstat on a duplicate of descriptor 2).
fn stderr_identity() -> io::Result<(u64, u64)> {
    let duplicate = io::stderr().as_fd().try_clone_to_owned()?;
    let metadata = std::fs::File::from(duplicate).metadata()?;
    Ok((metadata.dev(), metadata.ino()))
}

/// Whether our stderr is the journal stream systemd gave us.
pub(crate) fn stderr_is_journal() -> bool {
    let Some(value) = std::env::var_os(JOURNAL_STREAM) else {
        return false;
    };
    match (value.to_str(), stderr_identity()) {
        (Some(value), Ok((device, inode))) => names(value, device, inode),
        _ => false,
    }
}

/// The sd-daemon priority prefix of a line of `severity` (syslog levels: 3 err, 4 warning,
/// 6 info, 7 debug).
pub(crate) fn priority_prefix(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "<3>",
        Severity::Warning => "<4>",
        Severity::Info => "<6>",
        Severity::Debug => "<7>",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_only_the_exact_device_and_inode() {
        assert!(names("2049:131077", 2049, 131_077));
        assert!(names("2049:131077\n", 2049, 131_077));
        assert!(!names("2049:131078", 2049, 131_077));
        assert!(!names("2050:131077", 2049, 131_077));
        for garbage in [
            "",
            ":",
            "2049",
            "2049:",
            ":131077",
            "x:y",
            "2049:131077:1",
            "-1:5",
        ] {
            assert!(!names(garbage, 2049, 131_077), "{garbage:?}");
        }
    }

    #[test]
    fn priorities_are_syslog_levels() {
        assert_eq!(priority_prefix(Severity::Error), "<3>");
        assert_eq!(priority_prefix(Severity::Warning), "<4>");
        assert_eq!(priority_prefix(Severity::Info), "<6>");
        assert_eq!(priority_prefix(Severity::Debug), "<7>");
    }
}
