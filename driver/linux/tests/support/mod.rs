//! Test harness for the namespace tests: two network namespaces joined by a veth pair, the real
//! daemon in the first one, and a protocol client that answers its questions. Everything is
//! removed on drop, also when a test fails. Tests that need root fail with one sentence without
//! it, unless ZF_SKIP_ROOT_TESTS=1 (then they print that they were skipped).
#![allow(dead_code, unreachable_pub, missing_docs)]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

pub mod net;
pub mod responder;

use std::sync::{Mutex, MutexGuard, PoisonError};

/// Namespace tests run one at a time: they measure timing and share two cores.
static SERIAL: Mutex<()> = Mutex::new(());

/// Takes the serial lock, or returns None (printing why) when root tests are skipped knowingly.
pub fn root_test(name: &str) -> Option<MutexGuard<'static, ()>> {
    let is_root = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("Uid:"))
                .map(|u| u.split_whitespace().nth(1) == Some("0"))
        })
        .unwrap_or(false);
    if !is_root {
        if std::env::var("ZF_SKIP_ROOT_TESTS").as_deref() == Ok("1") {
            eprintln!("SKIPPED {name}: ZF_SKIP_ROOT_TESTS=1 and not root");
            return None;
        }
        panic!("{name} creates network namespaces and needs root: run as root, or set ZF_SKIP_ROOT_TESTS=1 to skip it knowingly");
    }
    Some(SERIAL.lock().unwrap_or_else(PoisonError::into_inner))
}
