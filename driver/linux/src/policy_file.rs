//! The stored policy: the last document a client sent, byte for byte (protocol README, "The
//! policy document"), so the user's rules hold from the first packet after a restart or a boot,
//! before any app connects. Read once at start, before the queue rules are installed; written
//! after every document put in force, atomically: a temporary file in the same directory (mode
//! 0600), flushed to disk, renamed over the old one, and the directory flushed, so a crash at any
//! moment leaves the old document or the new one, never a mix. The document's own checksum
//! catches what the disk damages later.

use std::fs::OpenOptions;
use std::io::{self, Read};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

pub(crate) use crate::atomic_file::store;

use zenithfence_core::policy::PreparedPolicy;
use zenithfence_protocol::policy::MAX_POLICY_LEN;

/// Where the policy is stored unless `--policy-file` says otherwise (systemd's
/// `StateDirectory=zenithfence` makes the directory, root's, mode 0700).
pub(crate) const DEFAULT_POLICY_FILE: &str = "/var/lib/zenithfence/policy";

/// `O_NONBLOCK`: opening a FIFO planted at the path returns at once instead of waiting for a
/// writer, so a start can never hang on it (on a regular file the flag does nothing).
const O_NONBLOCK: i32 = 0o4000;

/// What the stored file gave at start.
pub(crate) enum Stored {
    /// No file: no policy until a client sends one.
    Missing,
    /// A checked document, ready to install.
    Loaded(Box<PreparedPolicy>),
    /// The file cannot be used; the text says why (one line, naming the file).
    Unusable(String),
}

/// Reads and checks the stored policy at `path`, at most [`MAX_POLICY_LEN`] + 1 bytes of it.
pub(crate) fn load(path: &Path) -> Stored {
    let unusable = |reason: String| {
        Stored::Unusable(format!(
            "stored policy {} is unusable ({reason})",
            path.display()
        ))
    };
    let file = match OpenOptions::new()
        .read(true)
        .custom_flags(O_NONBLOCK)
        .open(path)
    {
        Ok(file) => file,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Stored::Missing,
        Err(e) => return unusable(format!("cannot open it: {e}")),
    };
    match file.metadata() {
        Ok(meta) if meta.is_file() => {}
        Ok(_) => return unusable("not a regular file".into()),
        Err(e) => return unusable(format!("cannot read it: {e}")),
    }
    let mut bytes = Vec::new();
    let bound = u64::try_from(MAX_POLICY_LEN).unwrap_or(u64::MAX) + 1;
    if let Err(e) = file.take(bound).read_to_end(&mut bytes) {
        return unusable(format!("cannot read it: {e}"));
    }
    if bytes.len() > MAX_POLICY_LEN {
        return unusable(format!("larger than the limit of {MAX_POLICY_LEN} bytes"));
    }
    match PreparedPolicy::from_bytes(&bytes) {
        Ok(prepared) => Stored::Loaded(Box::new(prepared)),
        Err(e) => unusable(format!("{} bytes: {e}", bytes.len())),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::atomic_file::temporary_path;
    use std::fs::{self, DirBuilder};
    use std::os::unix::fs::DirBuilderExt;
    use std::os::unix::fs::PermissionsExt;
    use std::path::PathBuf;
    use zenithfence_protocol::policy::{
        PolicyDocument, PolicyRule, RuleAction, RuleDestination, RuleDirection,
    };

    /// A private directory for one test, removed when dropped.
    struct Scratch(PathBuf);

    impl Scratch {
        fn new(name: &str) -> Scratch {
            let dir =
                std::env::temp_dir().join(format!("zf-policy-file-{name}-{}", std::process::id()));
            let _ = fs::remove_dir_all(&dir);
            DirBuilder::new().mode(0o700).create(&dir).unwrap();
            Scratch(dir)
        }
    }

    impl Drop for Scratch {
        fn drop(&mut self) {
            let _ = fs::set_permissions(&self.0, fs::Permissions::from_mode(0o700));
            let _ = fs::remove_dir_all(&self.0);
        }
    }

    fn document(generation: u64) -> Vec<u8> {
        PolicyDocument {
            flags: 0,
            generation,
            no_app_action: 4,
            rules: vec![PolicyRule {
                tag: 1,
                action: RuleAction::Block,
                app_decides: false,
                direction: RuleDirection::Outbound,
                protocol: Some(6),
                port_from: 443,
                port_to: 443,
                updated_at: 0,
                expires_at: None,
                app: Some("/usr/bin/curl".into()),
                destination: RuleDestination::Ip4([10, 0, 0, 2]),
            }],
            blocklist: Default::default(),
        }
        .encode()
    }

    fn reason(stored: Stored) -> String {
        match stored {
            Stored::Unusable(text) => text,
            Stored::Missing => panic!("missing"),
            Stored::Loaded(_) => panic!("loaded"),
        }
    }

    #[test]
    fn a_stored_document_loads_back_and_replaces_the_one_before() {
        let scratch = Scratch::new("roundtrip");
        let path = scratch.0.join("state").join("policy");
        store(&path, &document(3)).unwrap();
        store(&path, &document(4)).unwrap();
        let Stored::Loaded(prepared) = load(&path) else {
            panic!("not loaded")
        };
        assert_eq!((prepared.generation(), prepared.rule_count()), (4, 1));
        let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&path), 0o600);
        assert_eq!(mode(path.parent().unwrap()), 0o700, "made for us, private");
        assert!(!temporary_path(&path).exists(), "no temporary file left");
    }

    #[test]
    fn a_missing_file_is_no_policy() {
        let scratch = Scratch::new("missing");
        assert!(matches!(load(&scratch.0.join("policy")), Stored::Missing));
    }

    #[test]
    fn corrupt_truncated_garbage_and_oversized_files_are_refused_with_a_reason() {
        let scratch = Scratch::new("bad");
        let path = scratch.0.join("policy");
        let good = document(5);
        let mut flipped = good.clone();
        flipped[40] ^= 0x10;
        let cases: [(&[u8], &str); 4] = [
            (&flipped, "checksum"),
            (&good[..good.len() - 7], "checksum"),
            (b"#!/bin/sh\nrm -rf /\n", "bytes"),
            (&[], "0 bytes"),
        ];
        for (bytes, expected) in cases {
            fs::write(&path, bytes).unwrap();
            let text = reason(load(&path));
            assert!(
                text.starts_with(&format!("stored policy {} is unusable (", path.display()))
                    && text.contains(expected),
                "{text}"
            );
        }
        fs::write(&path, vec![0u8; MAX_POLICY_LEN + 10]).unwrap();
        assert!(reason(load(&path)).contains("larger than the limit"));
        fs::remove_file(&path).unwrap();
        fs::create_dir(&path).unwrap();
        assert!(reason(load(&path)).contains("not a regular file"));
    }

    #[test]
    fn a_fifo_in_place_of_the_file_does_not_hang_the_start() {
        let scratch = Scratch::new("fifo");
        let path = scratch.0.join("policy");
        let made = std::process::Command::new("mkfifo")
            .arg(&path)
            .status()
            .unwrap();
        assert!(made.success());
        assert!(reason(load(&path)).contains("not a regular file"));
    }

    #[test]
    fn an_unwritable_directory_fails_the_store_and_keeps_the_old_file() {
        let scratch = Scratch::new("unwritable");
        let path = scratch.0.join("policy");
        store(&path, &document(1)).unwrap();
        // A file where the directory should be: nothing can be created in it, even by root.
        let blocked = scratch.0.join("not-a-dir").join("policy");
        fs::write(scratch.0.join("not-a-dir"), b"").unwrap();
        let error = store(&blocked, &document(2)).unwrap_err();
        assert!(error
            .to_string()
            .starts_with(&blocked.display().to_string()));
        let Stored::Loaded(prepared) = load(&path) else {
            panic!("the old file is gone")
        };
        assert_eq!(prepared.generation(), 1);
    }
}
