//! Helpers of the unit tests that need root: a skip only when the tester says so, a network
//! namespace of the test's own (so netfilter and BPF changes stay out of the host's), and
//! commands that must succeed.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::sys;

/// Whether the test may run: root, else `ZF_SKIP_ROOT_TESTS=1` (a skip said aloud); otherwise
/// it fails, saying that it `needs` root and why.
pub(crate) fn root_or_skip(needs: &str) -> bool {
    if sys::effective_uid() == 0 {
        return true;
    }
    assert_eq!(
        std::env::var("ZF_SKIP_ROOT_TESTS").as_deref(),
        Ok("1"),
        "this test {needs} and needs root; set ZF_SKIP_ROOT_TESTS=1 to skip it knowingly"
    );
    eprintln!("SKIPPED: not root and ZF_SKIP_ROOT_TESTS=1");
    false
}

/// Runs `test` on a thread of its own in a new network namespace, which goes when the thread
/// ends; programs it starts run in that namespace too. Skipped as [`root_or_skip`] says.
pub(crate) fn in_own_namespace(test: impl FnOnce() + Send + 'static) {
    if !root_or_skip("changes netfilter state in a namespace of its own") {
        return;
    }
    std::thread::spawn(|| {
        sys::unshare_network_namespace().unwrap();
        test();
    })
    .join()
    .expect("the test in its own namespace failed (its message is above)");
}

/// Runs `program` with `args` and fails the test unless it succeeds.
pub(crate) fn run_ok(program: &str, args: &[&str]) {
    let out = std::process::Command::new(program)
        .args(args)
        .output()
        .unwrap();
    assert!(out.status.success(), "{program} {args:?}: {out:?}");
}
