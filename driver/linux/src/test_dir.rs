//! A scratch directory for unit tests, removed with what it holds however the test ends.

use std::fs;
use std::path::PathBuf;

/// `<temp dir>/<name>-<pid>` (not created: the code under test may create it).
pub(crate) struct TestDir(pub(crate) PathBuf);

impl TestDir {
    pub(crate) fn new(name: &str) -> TestDir {
        TestDir(std::env::temp_dir().join(format!("{name}-{}", std::process::id())))
    }
}

impl Drop for TestDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}
