//! The `errno` values the daemon tells apart, in one place (Linux's generic numbers, the same on
//! x86_64 and aarch64). What one means where it is compared is said there.

/// No such entry (a map key, a conntrack entry, a netlink object).
pub(crate) const ENOENT: i32 = 2;
/// No such device (nl80211: the interface is not Wi-Fi).
pub(crate) const ENODEV: i32 = 19;
/// It exists already (a map insert that must not replace).
pub(crate) const EEXIST: i32 = 17;
/// An argument the kernel does not accept (an attribute it does not know).
pub(crate) const EINVAL: i32 = 22;
/// nf_tables: the ruleset changed since the generation a batch named.
pub(crate) const ERESTART: i32 = 85;
/// The kernel has no such feature (a flag or dump filter it lacks).
pub(crate) const EOPNOTSUPP: i32 = 95;
/// A netlink socket's receive buffer overflowed: events were lost.
pub(crate) const ENOBUFS: i32 = 105;
/// Timed out (the tests' example of an answer the code has no case for).
#[cfg(test)]
pub(crate) const ETIMEDOUT: i32 = 110;
/// A non-blocking connect started and goes on without us.
pub(crate) const EINPROGRESS: i32 = 115;
