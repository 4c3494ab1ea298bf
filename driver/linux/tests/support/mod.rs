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

/// A DNS server (Python, `-c`) that answers every A query with the IPv4 address in argv[1].
pub const DNS_SERVER: &str = r#"
import socket, struct, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(('0.0.0.0', 53))
print('ready', flush=True)
address = bytes(int(x) for x in sys.argv[1].split('.'))
while True:
    q, peer = s.recvfrom(512)
    end = q.index(b'\0', 12) + 5
    answer = b'\xc0\x0c' + struct.pack('>HHIH', 1, 1, 300, 4) + address
    s.sendto(q[:2] + b'\x81\x80' + q[4:6] + b'\x00\x01\x00\x00\x00\x00' + q[12:end] + answer, peer)
"#;

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
