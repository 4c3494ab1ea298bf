//! Logging: every line goes to stderr at once and into a bounded ring that GetLogs turns into
//! LogLine infos (the protocol's way for a driver to report). Severity numbers are the
//! protocol's: 1 trace … 6 critical.
//!
//! Repeated messages are rate-limited, so that a client sending a million bad commands (or a
//! host sending a million forged DNS answers) cannot fill the disk or flood the ring: lines of one
//! kind (the same text once numbers are set aside, see [`kind_of`]) are written at most
//! [`PER_INTERVAL`] times per [`INTERVAL`]; the rest are counted, and when the interval ends one
//! line says how many were left out. Stderr and the ring see the same lines.

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use zenithfence_protocol::{Info, LogLine};

use crate::journal;
use crate::stderr_writer::StderrWriter;

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
/// Lines of one kind written per interval at most.
pub(crate) const PER_INTERVAL: u32 = 10;
/// The rate-limiting interval.
pub(crate) const INTERVAL: Duration = Duration::from_secs(10);
/// Kinds tracked at once; lines of further kinds share one budget, so the table stays small
/// whatever the texts.
const MAX_KINDS: usize = 64;
/// Characters of a text that make up its kind.
const KIND_LEN: usize = 96;

/// The kind of a line: its severity and its first characters with every run of hex digits, dots
/// and colons that holds a decimal digit replaced by `#` (ids, ports, addresses, counts).
fn kind_of(severity: Severity, text: &str) -> String {
    let mut kind = format!("{}:", severity as u8);
    let mut run = String::new();
    let flush = |run: &mut String, kind: &mut String| {
        if run.bytes().any(|b| b.is_ascii_digit()) {
            kind.push('#');
        } else {
            kind.push_str(run);
        }
        run.clear();
    };
    for c in text.chars().take(KIND_LEN) {
        if c.is_ascii_hexdigit() || c == '.' || c == ':' {
            run.push(c);
        } else {
            flush(&mut run, &mut kind);
            kind.push(c);
        }
    }
    flush(&mut run, &mut kind);
    kind
}

/// One kind's interval.
struct Window {
    started: Instant,
    severity: Severity,
    written: u32,
    left_out: u64,
    last_left_out: String,
}

/// Decides which lines are written: pure, with the time passed in, so it is tested directly.
#[derive(Default)]
struct RateLimit {
    windows: BTreeMap<String, Window>,
}

/// The kind that lines of new kinds share while [`MAX_KINDS`] are tracked.
const OVERFLOW_KIND: &str = "";

impl RateLimit {
    /// The lines to write for `text` at `now`: summaries of intervals that ended, then the line
    /// itself unless its kind used up its interval's budget.
    fn admit(&mut self, now: Instant, severity: Severity, text: String) -> Vec<(Severity, String)> {
        let mut out = self.end_intervals(now);
        let mut kind = kind_of(severity, &text);
        if !self.windows.contains_key(&kind) && self.windows.len() >= MAX_KINDS {
            kind = OVERFLOW_KIND.into();
        }
        let window = self.windows.entry(kind).or_insert_with(|| Window {
            started: now,
            severity,
            written: 0,
            left_out: 0,
            last_left_out: String::new(),
        });
        if window.written < PER_INTERVAL {
            window.written += 1;
            out.push((severity, text));
        } else {
            window.left_out += 1;
            window.severity = window.severity.max(severity);
            window.last_left_out = text;
        }
        out
    }

    /// Ends the intervals that are over at `now` (or all of them, with `None`) and returns one
    /// summary line for each that left lines out.
    fn end_intervals_at(&mut self, now: Option<Instant>) -> Vec<(Severity, String)> {
        let mut out = Vec::new();
        self.windows.retain(|_, window| {
            let over = now.is_none_or(|now| now.duration_since(window.started) >= INTERVAL);
            if over && window.left_out > 0 {
                let seconds = now
                    .map_or(window.started.elapsed(), |now| now - window.started)
                    .as_secs();
                out.push((
                    window.severity,
                    format!(
                        "{} (repeated {} more times in {} s, not written)",
                        window.last_left_out, window.left_out, seconds
                    ),
                ));
            }
            !over
        });
        out
    }

    fn end_intervals(&mut self, now: Instant) -> Vec<(Severity, String)> {
        self.end_intervals_at(Some(now))
    }
}

struct State {
    ring: VecDeque<LogLine>,
    limit: RateLimit,
    /// When `tick` next looks for ended intervals.
    next_check: Instant,
}

impl State {
    /// Puts written lines in the ring, dropping the oldest beyond [`RING_LEN`].
    fn keep(&mut self, lines: &[(Severity, String)]) {
        for (severity, text) in lines {
            if self.ring.len() == RING_LEN {
                self.ring.pop_front();
            }
            self.ring.push_back(LogLine {
                severity: *severity as u8,
                text: text.clone(),
            });
        }
    }
}

/// The daemon's log.
pub(crate) struct Log {
    state: Mutex<State>,
    min_stderr: Severity,
    /// Whether stderr lines start with their syslog priority (stderr is the journal).
    priorities: bool,
    /// Stderr on its own thread: a pipe nobody reads must not stop a thread that logs.
    stderr: StderrWriter,
}

/// How long exit waits for stderr to take the last lines.
const EXIT_WRITE_BOUND: Duration = Duration::from_secs(1);

impl Log {
    /// A log that prints lines of at least `min_stderr` to stderr, each with its priority when
    /// stderr is the journal.
    pub(crate) fn new(min_stderr: Severity) -> Self {
        let priorities = journal::stderr_is_journal();
        Self::with_output(min_stderr, Box::new(std::io::stderr()), priorities)
    }

    /// The same, printing to `out` instead of stderr, with priorities or without.
    pub(crate) fn with_output(
        min_stderr: Severity,
        out: Box<dyn std::io::Write + Send>,
        priorities: bool,
    ) -> Self {
        Log {
            state: Mutex::new(State {
                ring: VecDeque::with_capacity(RING_LEN),
                limit: RateLimit::default(),
                next_check: Instant::now(),
            }),
            min_stderr,
            priorities,
            stderr: StderrWriter::start(out, priorities),
        }
    }

    /// Records one line (unless its kind is over its budget, see the module).
    pub(crate) fn write(&self, severity: Severity, text: String) {
        self.write_at(Instant::now(), severity, text);
    }

    fn write_at(&self, now: Instant, severity: Severity, text: String) {
        let lines = self.with_state(|state| {
            let lines = state.limit.admit(now, severity, text);
            state.keep(&lines);
            lines
        });
        self.print(&lines);
    }

    /// Writes the summaries of intervals that ended; call it now and then (the packet thread
    /// does, at every wake-up), so a burst's count appears when its interval ends.
    pub(crate) fn tick(&self) {
        let now = Instant::now();
        let lines = self.with_state(|state| {
            if now < state.next_check {
                return Vec::new();
            }
            state.next_check = now + Duration::from_secs(1);
            let lines = state.limit.end_intervals(now);
            state.keep(&lines);
            lines
        });
        self.print(&lines);
    }

    /// Writes every pending summary, and waits (a bounded time) for stderr to take them (at exit).
    pub(crate) fn flush(&self) {
        let lines = self.with_state(|state| {
            let lines = state.limit.end_intervals_at(None);
            state.keep(&lines);
            lines
        });
        self.print(&lines);
        self.stderr.sync(EXIT_WRITE_BOUND);
    }

    fn with_state<R>(&self, f: impl FnOnce(&mut State) -> R) -> R {
        f(&mut self.state.lock().unwrap_or_else(PoisonError::into_inner))
    }

    /// Hands lines of at least `min_stderr` to the stderr thread, outside the lock, all at once;
    /// never waits for stderr (see stderr_writer.rs).
    fn print(&self, lines: &[(Severity, String)]) {
        let printed: String = lines
            .iter()
            .filter(|(severity, _)| *severity >= self.min_stderr)
            .map(|(severity, text)| stderr_line(*severity, text, self.priorities))
            .collect();
        if !printed.is_empty() {
            self.stderr.send(printed);
        }
    }

    /// Takes the buffered lines as infos (GetLogs).
    pub(crate) fn take_infos(&self) -> Vec<Info> {
        self.with_state(|state| state.ring.drain(..).map(Info::LogLine).collect())
    }
}

impl Drop for Log {
    fn drop(&mut self) {
        // The last lines (a failed start's) reach stderr before the process exits.
        self.stderr.sync(EXIT_WRITE_BOUND);
    }
}

/// One line as stderr gets it: "zenithfenced: LEVEL: text", after the syslog priority when
/// stderr is the journal.
pub(crate) fn stderr_line(severity: Severity, text: &str, priorities: bool) -> String {
    let priority = if priorities {
        journal::priority_prefix(severity)
    } else {
        ""
    };
    format!("{priority}zenithfenced: {}: {text}\n", label(severity))
}

/// Writes "zenithfenced: text" to stderr directly, without the log: a failed start's reason (the
/// form users and scripts have always seen) or a stuck exit's last words. With its priority when
/// stderr is the journal.
pub(crate) fn eprint_line(severity: Severity, text: &str) {
    let priority = if journal::stderr_is_journal() {
        journal::priority_prefix(severity)
    } else {
        ""
    };
    eprintln!("{priority}zenithfenced: {text}");
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
#[allow(clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::stderr_writer::blocked_sink::Gate;

    #[test]
    fn a_stderr_nobody_reads_holds_up_no_thread_that_logs() {
        let gate = Gate::default();
        let log = Log::with_output(Severity::Error, Box::new(gate.clone()), false);
        // Many kinds of lines, far more than a pipe holds: every write returns at once.
        for kind in 0..2000 {
            let text = format!("{}{kind}", "x".repeat(kind % 97));
            log.write(Severity::Error, text);
        }
        assert!(!log.take_infos().is_empty(), "GetLogs still has the lines");
        gate.open();
        log.flush();
        assert!(gate.text().starts_with("zenithfenced: "), "{}", gate.text());
    }

    /// A text without digits, different for every `i` (digits would make one kind of them all).
    fn distinct(i: usize) -> String {
        let mut word = String::from("line ");
        let mut n = i;
        loop {
            word.push(char::from(b'a' + (n % 26) as u8));
            n /= 26;
            if n == 0 {
                return word;
            }
        }
    }

    #[test]
    fn the_ring_keeps_the_newest_lines() {
        let log = Log::new(Severity::Error);
        let start = Instant::now();
        for i in 0..(RING_LEN + 5) {
            // Within the rate limit: a few lines per interval.
            let at = start + INTERVAL * (i / PER_INTERVAL as usize) as u32;
            log.write_at(at, Severity::Debug, format!("line {i}"));
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

    #[test]
    fn kinds_set_numbers_and_addresses_aside() {
        let kind = |text: &str| kind_of(Severity::Error, text);
        assert_eq!(
            kind("verdict for unknown request 17 (answered already)"),
            kind("verdict for unknown request 123456 (answered already)")
        );
        assert_eq!(
            kind("DNS answer from 10.0.0.2:53 to 10.0.0.1:4000 ignored"),
            kind("DNS answer from fd77::2:53 to fd77::1:39999 ignored")
        );
        assert_ne!(
            kind("rejected command: empty"),
            kind("rejected command: unknown")
        );
        assert_ne!(
            kind_of(Severity::Warning, "x 1"),
            kind_of(Severity::Error, "x 1")
        );
        assert_eq!(kind("a deadbeef face"), "5:a deadbeef face", "words stay");
        assert!(kind(&"y".repeat(1000)).len() < 2 * KIND_LEN);
    }

    #[test]
    fn repeated_lines_are_written_a_few_times_per_interval_then_counted() {
        let mut limit = RateLimit::default();
        let start = Instant::now();
        let mut written = Vec::new();
        for i in 0..1000u32 {
            let at = start + Duration::from_millis(u64::from(i));
            written.extend(limit.admit(at, Severity::Error, format!("bad command {i}")));
        }
        assert_eq!(written.len(), PER_INTERVAL as usize);
        assert_eq!(written[9].1, "bad command 9");
        // Another kind has its own budget.
        let other = limit.admit(start, Severity::Error, "client connected".into());
        assert_eq!(other.len(), 1);
        // Nothing ends before the interval does.
        assert!(limit.end_intervals(start + INTERVAL / 2).is_empty());
        let summary = limit.end_intervals(start + INTERVAL);
        assert_eq!(
            summary,
            vec![(
                Severity::Error,
                "bad command 999 (repeated 990 more times in 10 s, not written)".into()
            )]
        );
        // A new interval starts with a fresh budget, and a summary of the last one comes first
        // when the next line arrives after it ended.
        let later = start + INTERVAL * 2;
        for i in 0..(PER_INTERVAL + 3) {
            limit.admit(later, Severity::Error, format!("bad command {i}"));
        }
        let next = limit.admit(later + INTERVAL, Severity::Error, "bad command 1".into());
        assert_eq!(next.len(), 2);
        assert!(next[0].1.contains("repeated 3 more times"), "{next:?}");
        assert_eq!(next[1].1, "bad command 1");
    }

    #[test]
    fn many_kinds_share_one_budget_beyond_the_table() {
        let mut limit = RateLimit::default();
        let now = Instant::now();
        let written: usize = (0..10_000)
            .map(|i| limit.admit(now, Severity::Warning, distinct(i)).len())
            .sum();
        assert_eq!(written, MAX_KINDS + PER_INTERVAL as usize);
        assert_eq!(limit.windows.len(), MAX_KINDS + 1);
        let summaries = limit.end_intervals_at(None);
        assert_eq!(summaries.len(), 1);
        assert!(limit.windows.is_empty());
    }

    #[test]
    fn the_ring_gets_the_same_lines_as_stderr() {
        let log = Log::new(Severity::Error);
        for i in 0..100 {
            log.write(
                Severity::Error,
                format!("rejected command: unknown command id {i}"),
            );
        }
        log.flush();
        let texts: Vec<String> = log
            .take_infos()
            .into_iter()
            .filter_map(|i| match i {
                Info::LogLine(l) => Some(l.text),
                _ => None,
            })
            .collect();
        assert_eq!(texts.len(), PER_INTERVAL as usize + 1, "{texts:?}");
        assert!(texts[PER_INTERVAL as usize].contains("repeated 90 more times"));
    }

    #[test]
    fn lines_below_the_level_are_not_written_and_the_journal_gets_priorities() {
        for (priorities, expected) in [
            (
                true,
                "<3>zenithfenced: error: e\n<4>zenithfenced: warning: w\n<6>zenithfenced: info: i\n",
            ),
            (
                false,
                "zenithfenced: error: e\nzenithfenced: warning: w\nzenithfenced: info: i\n",
            ),
        ] {
            let gate = Gate::default();
            gate.open();
            let log = Log::with_output(Severity::Info, Box::new(gate.clone()), priorities);
            log.write(Severity::Error, "e".into());
            log.write(Severity::Warning, "w".into());
            log.write(Severity::Info, "i".into());
            log.write(Severity::Debug, "d".into());
            log.flush();
            assert_eq!(gate.text(), expected);
            // GetLogs still has the debug line.
            assert_eq!(log.take_infos().len(), 4);
        }
        let gate = Gate::default();
        gate.open();
        let log = Log::with_output(Severity::Debug, Box::new(gate.clone()), true);
        log.write(Severity::Debug, "d".into());
        log.flush();
        assert_eq!(gate.text(), "<7>zenithfenced: debug: d\n");
    }
}
