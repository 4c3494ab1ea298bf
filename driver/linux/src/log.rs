//! Logging: every line goes to stderr at once and into a bounded ring that GetLogs turns into
//! LogLine infos (the protocol's way for a driver to report). Severity numbers are the
//! protocol's: 1 trace … 6 critical.

use std::collections::VecDeque;
use std::sync::{Mutex, PoisonError};

use zenithfence_protocol::{Info, LogLine};

/// Severities used by the daemon.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Severity {
    /// Debug detail.
    Debug = 2,
    /// Normal operation.
    Info = 3,
    /// Something was refused or substituted.
    Warning = 4,
    /// Something failed.
    Error = 5,
}

/// How many lines GetLogs can return at most; older ones are dropped first.
const RING_LEN: usize = 1024;

/// The daemon's log.
pub(crate) struct Log {
    ring: Mutex<VecDeque<LogLine>>,
    min_stderr: Severity,
}

impl Log {
    /// A log that prints lines of at least `min_stderr` to stderr.
    pub(crate) fn new(min_stderr: Severity) -> Self {
        Log {
            ring: Mutex::new(VecDeque::with_capacity(RING_LEN)),
            min_stderr,
        }
    }

    /// Records one line.
    pub(crate) fn write(&self, severity: Severity, text: String) {
        if severity >= self.min_stderr {
            eprintln!("zenithfenced: {}: {text}", label(severity));
        }
        let mut ring = self.ring.lock().unwrap_or_else(PoisonError::into_inner);
        if ring.len() == RING_LEN {
            ring.pop_front();
        }
        ring.push_back(LogLine {
            severity: severity as u8,
            text,
        });
    }

    /// Takes the buffered lines as infos (GetLogs).
    pub(crate) fn take_infos(&self) -> Vec<Info> {
        let mut ring = self.ring.lock().unwrap_or_else(PoisonError::into_inner);
        ring.drain(..).map(Info::LogLine).collect()
    }
}

fn label(severity: Severity) -> &'static str {
    match severity {
        Severity::Debug => "debug",
        Severity::Info => "info",
        Severity::Warning => "warning",
        Severity::Error => "error",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ring_keeps_the_newest_lines() {
        let log = Log::new(Severity::Error);
        for i in 0..(RING_LEN + 5) {
            log.write(Severity::Debug, format!("line {i}"));
        }
        let infos = log.take_infos();
        assert_eq!(infos.len(), RING_LEN);
        assert_eq!(
            infos.first(),
            Some(&Info::LogLine(LogLine {
                severity: 2,
                text: "line 5".into()
            }))
        );
        assert!(log.take_infos().is_empty());
    }
}
