//! The ZenithFence Windows kernel driver: a WFP callout driver on the shared driver core.
//!
//! The crate is split in two:
//!
//! - **OS-independent glue** (every module except [`kernel`]): the decision logic of each
//!   callout ([`callouts`]), the device's read/write/IOCTL state machine ([`device`], [`irp`]),
//!   the mapping of decisions to `FWPS_CLASSIFY_OUT0` ([`classify`]), the readers of the
//!   classify arguments ([`fields`]) and the hand-written WDK/WFP declarations ([`bindings`],
//!   [`layers`]). All of it is `no_std` + `alloc` and runs in the host unit tests.
//! - **The kernel layer** ([`kernel`], feature `kernel`): `DriverEntry`, the dispatch routines,
//!   WFP registration, the classify trampolines, cloning, pending and injection. It is compiled
//!   for Windows (the `.sys`), and type-checked on other hosts; nothing links there.
//!
//! Panics: the `.sys` is built with `panic=abort` and a panic handler that bug-checks with
//! [`kernel::BUGCHECK_CODE`] (line and column of the panic in the parameters) instead of
//! spinning. The glue is written so no input reaches a panic: lengths are checked, slices are
//! read with `get`, and the workspace lints deny `unwrap`/`expect`/indexing outside tests.
#![cfg_attr(not(test), no_std)]
#![deny(unsafe_op_in_unsafe_fn)]

extern crate alloc;

pub mod bindings;
pub mod boot_guard;
pub mod callouts;
pub mod classify;
pub mod config;
pub mod device;
pub mod fields;
pub mod guard_removal;
pub mod irp;
pub mod layers;
pub mod log;
pub mod stored_policy;
pub mod wall_clock;

#[cfg(test)]
mod blocklist_tests;
#[cfg(test)]
mod policy_tests;
#[cfg(test)]
mod process_tests;
#[cfg(test)]
mod review_tests;
#[cfg(test)]
mod session_tests;
#[cfg(test)]
mod tests;

#[cfg(feature = "kernel")]
pub mod kernel;
