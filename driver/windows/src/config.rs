//! Driver settings, the device names and the IOCTL codes.
//!
//! The base IOCTLs (version 0x800, shutdown 0x801) are the protocol's. This driver adds two,
//! in the same `CTL_CODE(0x9C40, fn, METHOD_BUFFERED, FILE_READ_DATA | FILE_WRITE_DATA)` space:
//!
//! | fn | Code | Input | Output |
//! |---|---|---|---|
//! | 0x802 | `0x9C40E008` handshake | client protocol version `[major, minor, revision, build]` | driver version, 4 bytes |
//! | 0x803 | `0x9C40E00C` set options | [`Options::decode`] layout, 12 bytes | the applied options, 12 bytes |
//!
//! The handshake fails with `STATUS_REVISION_MISMATCH` when the major versions differ; the
//! handle is then refused (reads and writes fail the same way) until it is closed.

use zenithfence_protocol::Verdict;

/// The NT device name.
pub const DEVICE_NAME: &str = "\\Device\\ZenithFence";
/// The symbolic link user space opens as `\\.\ZenithFence`.
pub const SYMLINK_NAME: &str = "\\??\\ZenithFence";
/// The device's default security: `SDDL_DEVOBJ_SYS_ALL_ADM_ALL` (wdmsec.h), generic-all for
/// LocalSystem and Administrators, nobody else.
pub const DEVICE_SDDL: &str = "D:P(A;;GA;;;SY)(A;;GA;;;BA)";

const fn ctl_code(function: u32) -> u32 {
    (0x9C40 << 16) | ((0x1 | 0x2) << 14) | (function << 2)
}

/// IOCTL codes.
pub mod ioctl {
    use super::ctl_code;
    /// The protocol's version IOCTL (4 bytes out).
    pub const VERSION: u32 = zenithfence_protocol::constants::ioctl::VERSION;
    /// The protocol's shutdown IOCTL (same as command 0).
    pub const SHUTDOWN: u32 = zenithfence_protocol::constants::ioctl::SHUTDOWN;
    /// Handshake: refuses a client whose protocol major version differs.
    pub const HANDSHAKE: u32 = ctl_code(0x802);
    /// Set options.
    pub const SET_OPTIONS: u32 = ctl_code(0x803);
}

/// Runtime settings (defaults match the Linux daemon's documented example).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Options {
    /// How long a held connection waits for a verdict.
    pub hold_timeout_ms: u64,
    /// The answer on hold timeout or when a request cannot be queued (Accept, Block or Drop).
    pub default_verdict: Verdict,
    /// The answer while no client is attached (or after Shutdown).
    pub detached_verdict: Verdict,
    /// Count bytes at the stream and datagram layers.
    pub byte_counting: bool,
    /// Let loopback connections through without asking.
    pub loopback_bypass: bool,
    /// Minimum severity kept in the log ring (1 trace … 6 critical).
    pub log_level: u8,
    /// Infos the queue to the client holds.
    pub queue_capacity: usize,
    /// Requests (connections) that may wait at once; more get the default verdict.
    pub max_pending_requests: usize,
    /// Packets held per waiting connection; more are dropped.
    pub max_packets_per_flow: usize,
    /// Read IRPs that may be pended at once.
    pub max_pended_reads: usize,
    /// Bytes of a packet copied into a connection info.
    pub max_payload: usize,
    /// How often ended and idle cache entries are removed.
    pub cleanup_interval_ms: u64,
    /// Period of the driver's timer (hold timeouts are this precise).
    pub tick_ms: u64,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            hold_timeout_ms: 10_000,
            default_verdict: Verdict::Drop,
            detached_verdict: Verdict::Accept,
            byte_counting: true,
            loopback_bypass: true,
            log_level: 3,
            queue_capacity: 4096,
            max_pending_requests: 1024,
            max_packets_per_flow: 32,
            max_pended_reads: 8,
            max_payload: 1500,
            cleanup_interval_ms: 30_000,
            tick_ms: 250,
        }
    }
}

/// Why a SET_OPTIONS input was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OptionsError {
    /// Not exactly [`Options::ENCODED_LEN`] bytes.
    Length(usize),
    /// The hold timeout is outside 100 ms ..= 300 s.
    HoldTimeout(u32),
    /// A verdict byte is not Accept (2), Block (4) or Drop (6).
    Verdict(u8),
    /// The log level is outside 1..=7.
    LogLevel(u8),
}

impl Options {
    /// Size of the SET_OPTIONS input and output.
    pub const ENCODED_LEN: usize = 12;

    /// Applies a SET_OPTIONS input: `hold_timeout_ms u32 LE`, `default_verdict u8`,
    /// `detached_verdict u8`, `flags u8` (bit 0 byte counting, bit 1 loopback bypass),
    /// `log_level u8`, `reserved [u8; 4]` (zero). Returns the new options.
    pub fn decode(&self, input: &[u8]) -> Result<Options, OptionsError> {
        let bytes: &[u8; Self::ENCODED_LEN] = input
            .try_into()
            .map_err(|_| OptionsError::Length(input.len()))?;
        let [t0, t1, t2, t3, default, detached, flags, level, ..] = *bytes;
        let hold = u32::from_le_bytes([t0, t1, t2, t3]);
        if !(100..=300_000).contains(&hold) {
            return Err(OptionsError::HoldTimeout(hold));
        }
        let verdict = |v: u8| match Verdict::from_u8(v) {
            Some(verdict @ (Verdict::Accept | Verdict::Block | Verdict::Drop)) => Ok(verdict),
            _ => Err(OptionsError::Verdict(v)),
        };
        if !(1..=7).contains(&level) {
            return Err(OptionsError::LogLevel(level));
        }
        Ok(Options {
            hold_timeout_ms: u64::from(hold),
            default_verdict: verdict(default)?,
            detached_verdict: verdict(detached)?,
            byte_counting: flags & 1 != 0,
            loopback_bypass: flags & 2 != 0,
            log_level: level,
            ..*self
        })
    }

    /// The SET_OPTIONS layout of these options.
    pub fn encode(&self) -> [u8; Self::ENCODED_LEN] {
        let hold = u32::try_from(self.hold_timeout_ms)
            .unwrap_or(u32::MAX)
            .to_le_bytes();
        let flags = u8::from(self.byte_counting) | (u8::from(self.loopback_bypass) << 1);
        [
            hold[0],
            hold[1],
            hold[2],
            hold[3],
            self.default_verdict as u8,
            self.detached_verdict as u8,
            flags,
            self.log_level,
            0,
            0,
            0,
            0,
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ioctl_codes() {
        assert_eq!(ioctl::VERSION, 0x9C40_E000);
        assert_eq!(ioctl::SHUTDOWN, 0x9C40_E004);
        assert_eq!(ioctl::HANDSHAKE, 0x9C40_E008);
        assert_eq!(ioctl::SET_OPTIONS, 0x9C40_E00C);
    }

    #[test]
    fn options_round_trip_and_validation() {
        let base = Options::default();
        let mut input = base.encode();
        assert_eq!(base.decode(&input), Ok(base));
        input[0..4].copy_from_slice(&2_000u32.to_le_bytes());
        input[4] = Verdict::Block as u8;
        input[6] = 0;
        let applied = base.decode(&input).unwrap_or(base);
        assert_eq!(applied.hold_timeout_ms, 2_000);
        assert_eq!(applied.default_verdict, Verdict::Block);
        assert!(!applied.byte_counting && !applied.loopback_bypass);
        assert_eq!(base.decode(&input[..11]), Err(OptionsError::Length(11)));
        input[5] = Verdict::PermanentAccept as u8;
        assert_eq!(base.decode(&input), Err(OptionsError::Verdict(3)));
        input[5] = 2;
        input[0..4].copy_from_slice(&50u32.to_le_bytes());
        assert_eq!(base.decode(&input), Err(OptionsError::HoldTimeout(50)));
        input[0..4].copy_from_slice(&500u32.to_le_bytes());
        input[7] = 0;
        assert_eq!(base.decode(&input), Err(OptionsError::LogLevel(0)));
    }
}
