//! Files replaced whole and atomically: a temporary file beside the target (mode 0600), flushed
//! to disk, renamed over the old one, and the directory flushed, so a crash at any moment leaves
//! the old content or the new, never a mix or a half. Used for the stored policy
//! (`policy_file.rs`).

use std::fs::{self, DirBuilder, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

/// `<path>.tmp`, beside the file (a rename is atomic only within one file system).
pub(crate) fn temporary_path(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".tmp");
    PathBuf::from(name)
}

/// Stores `bytes` at `path` atomically (see the module comment). The directory is created,
/// mode 0700, when it is missing (a daemon started by hand, without systemd's directories).
pub(crate) fn store(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let temporary = temporary_path(path);
    let written = write_then_rename(dir, &temporary, path, bytes);
    if written.is_err() {
        // Gone already when the rename happened; never the stored file itself.
        let _ = fs::remove_file(&temporary);
    }
    written.map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", path.display())))
}

fn write_then_rename(dir: &Path, temporary: &Path, path: &Path, bytes: &[u8]) -> io::Result<()> {
    DirBuilder::new().recursive(true).mode(0o700).create(dir)?;
    // A temporary file left by a crash is replaced; `create_new` then refuses to follow a
    // symlink someone put there meanwhile.
    match fs::remove_file(temporary) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
        _ => {}
    }
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(temporary)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    drop(file);
    fs::rename(temporary, path)?;
    // The rename itself is durable only once the directory is.
    File::open(dir)?.sync_all()
}
