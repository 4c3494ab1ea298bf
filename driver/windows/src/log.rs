//! The driver's bounded log: lines are kept in a ring (oldest dropped first, and counted) until
//! the client asks for them with GetLogs, which turns them into LogLine infos.

use alloc::collections::VecDeque;
use alloc::string::String;
use alloc::vec::Vec;

use zenithfence_protocol::{Info, LogLine};

/// Log severities (the protocol's numbering).
pub mod severity {
    /// Trace.
    pub const TRACE: u8 = 1;
    /// Debug.
    pub const DEBUG: u8 = 2;
    /// Info.
    pub const INFO: u8 = 3;
    /// Warning.
    pub const WARNING: u8 = 4;
    /// Error.
    pub const ERROR: u8 = 5;
    /// Critical.
    pub const CRITICAL: u8 = 6;
}

/// Lines kept at most.
pub const CAPACITY: usize = 256;
/// Bytes kept of one line's text.
pub const MAX_LINE: usize = 240;

/// The ring of log lines.
pub struct LogRing {
    lines: VecDeque<LogLine>,
    min_severity: u8,
    dropped: u64,
}

impl LogRing {
    /// An empty ring keeping lines of `min_severity` and above.
    pub fn new(min_severity: u8) -> Self {
        LogRing {
            lines: VecDeque::new(),
            min_severity,
            dropped: 0,
        }
    }

    /// Changes the minimum severity.
    pub fn set_min_severity(&mut self, min_severity: u8) {
        self.min_severity = min_severity;
    }

    /// Records a line (cut to [`MAX_LINE`] bytes at a character boundary).
    pub fn push(&mut self, severity: u8, text: String) {
        if severity < self.min_severity {
            return;
        }
        let mut text = text;
        if text.len() > MAX_LINE {
            let mut cut = MAX_LINE;
            while !text.is_char_boundary(cut) {
                cut -= 1;
            }
            text.truncate(cut);
        }
        if self.lines.len() >= CAPACITY {
            self.lines.pop_front();
            self.dropped += 1;
        }
        self.lines.push_back(LogLine { severity, text });
    }

    /// Takes every line as LogLine infos.
    pub fn drain(&mut self) -> Vec<Info> {
        self.lines.drain(..).map(Info::LogLine).collect()
    }

    /// Lines waiting.
    pub fn len(&self) -> usize {
        self.lines.len()
    }

    /// Whether no line waits.
    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    /// Lines dropped because the ring was full.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;

    #[test]
    fn ring_filters_cuts_and_overwrites_oldest() {
        let mut ring = LogRing::new(severity::INFO);
        ring.push(severity::DEBUG, "hidden".to_string());
        assert!(ring.is_empty());
        ring.push(severity::ERROR, "é".repeat(200));
        for i in 0..CAPACITY {
            ring.push(severity::INFO, i.to_string());
        }
        assert_eq!(ring.len(), CAPACITY);
        assert_eq!(ring.dropped(), 1);
        let infos = ring.drain();
        assert_eq!(infos.len(), CAPACITY);
        assert!(ring.is_empty());
        let mut long = LogRing::new(1);
        long.push(severity::WARNING, "é".repeat(200));
        let infos = long.drain();
        let Some(Info::LogLine(line)) = infos.first() else {
            unreachable!("one line was pushed");
        };
        assert!(line.text.len() <= MAX_LINE);
        assert!(line.text.chars().all(|c| c == 'é'));
    }
}
