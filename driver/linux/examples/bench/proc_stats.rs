//! CPU time and resident memory of a firewall's processes, read from `/proc` (same pid
//! namespace: `ip netns exec` changes only the network and mount namespaces).

use std::fs;
use std::sync::OnceLock;

/// Clock ticks per second of `/proc/PID/stat` (`getconf CLK_TCK`; 100 on Linux).
fn ticks_per_second() -> f64 {
    static TICKS: OnceLock<f64> = OnceLock::new();
    *TICKS.get_or_init(|| {
        super::run("getconf", &["CLK_TCK"])
            .ok()
            .and_then(|t| t.trim().parse().ok())
            .unwrap_or(100.0)
    })
}

/// User + system CPU time of a process, all its threads (also those that ended), in ms, at
/// the resolution of a clock tick.
fn cpu_ms_of(pid: u32) -> Option<f64> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name is in parentheses and may hold spaces; fields count from after it.
    let rest = stat.get(stat.rfind(')')? + 1..)?;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // After the name: state is field 3 (index 0), utime field 14 (index 11), stime 15 (12).
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) as f64 * 1000.0 / ticks_per_second())
}

/// Run time of a process's live threads in ms, from each thread's `schedstat` (ns, exact,
/// where `stat` counts 10 ms ticks). A thread that ended is missing here, not in `stat`.
pub(crate) fn run_time_ms_of(pid: u32) -> Option<f64> {
    let tasks = fs::read_dir(format!("/proc/{pid}/task")).ok()?;
    let mut ns = 0u64;
    for task in tasks.filter_map(Result::ok) {
        let text = fs::read_to_string(task.path().join("schedstat")).ok()?;
        ns += text.split_whitespace().next()?.parse::<u64>().ok()?;
    }
    Some(ns as f64 / 1e6)
}

/// CPU time of a set of processes at one moment, read two ways.
#[derive(Clone, Copy)]
pub(crate) struct Cpu {
    /// Live threads' exact run time (ms).
    exact: f64,
    /// User + system ticks of the processes, ended threads included (ms).
    ticks: f64,
}

impl Cpu {
    /// Now, for all `pids` together (a process that is gone counts nothing).
    pub(crate) fn read(pids: &[u32]) -> Cpu {
        Cpu {
            exact: pids.iter().filter_map(|&pid| run_time_ms_of(pid)).sum(),
            ticks: pids.iter().filter_map(|&pid| cpu_ms_of(pid)).sum(),
        }
    }

    /// CPU ms used since `earlier`: the exact time, unless the ticks show clearly more (a
    /// thread that ran and ended in between), then the ticks.
    pub(crate) fn since(self, earlier: Cpu) -> f64 {
        let exact = self.exact - earlier.exact;
        let ticks = self.ticks - earlier.ticks;
        if ticks > exact * 1.1 + 20.0 {
            ticks
        } else {
            exact
        }
    }
}

/// Waits until `pids` together use under 2 % of one CPU over a quarter of a second (a firewall
/// that has finished starting: the engine compiles and opens its database for a second or more
/// after it serves), at most `limit`; returns how long it waited.
pub(crate) fn wait_quiet(pids: &[u32], limit: std::time::Duration) -> std::time::Duration {
    const WINDOW: std::time::Duration = std::time::Duration::from_millis(250);
    let started = std::time::Instant::now();
    if pids.is_empty() {
        return std::time::Duration::ZERO;
    }
    while started.elapsed() < limit {
        let before = Cpu::read(pids);
        std::thread::sleep(WINDOW);
        if Cpu::read(pids).since(before) < WINDOW.as_secs_f64() * 1000.0 * 0.02 {
            break;
        }
    }
    started.elapsed()
}

/// Resident memory of all `pids` together, in MB (VmRSS).
pub(crate) fn rss_mb(pids: &[u32]) -> f64 {
    let kib: u64 = pids
        .iter()
        .filter_map(|pid| {
            let status = fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
            let line = status.lines().find_map(|l| l.strip_prefix("VmRSS:"))?;
            line.split_whitespace().next()?.parse::<u64>().ok()
        })
        .sum();
    kib as f64 / 1024.0
}

/// Run time in ms of each live thread of `pid`, summed by thread name (`comm`), exact
/// (`schedstat`): where a process's CPU goes, thread by thread.
pub(crate) fn run_time_by_thread(pid: u32) -> Vec<(String, f64)> {
    let mut by_name: Vec<(String, f64)> = Vec::new();
    let Ok(tasks) = fs::read_dir(format!("/proc/{pid}/task")) else {
        return by_name;
    };
    for task in tasks.filter_map(Result::ok) {
        let Ok(name) = fs::read_to_string(task.path().join("comm")) else {
            continue;
        };
        let Some(ns) = fs::read_to_string(task.path().join("schedstat"))
            .ok()
            .and_then(|t| t.split_whitespace().next()?.parse::<u64>().ok())
        else {
            continue;
        };
        let name = name.trim().to_string();
        match by_name.iter_mut().find(|(n, _)| *n == name) {
            Some((_, ms)) => *ms += ns as f64 / 1e6,
            None => by_name.push((name, ns as f64 / 1e6)),
        }
    }
    by_name
}

/// What each thread name ran between two [`run_time_by_thread`] readings, most first (threads
/// that started in between count from zero).
pub(crate) fn thread_time_since(
    now: &[(String, f64)],
    earlier: &[(String, f64)],
) -> Vec<(String, f64)> {
    let mut spent: Vec<(String, f64)> = now
        .iter()
        .map(|(name, ms)| {
            let before = earlier.iter().find(|(n, _)| n == name).map_or(0.0, |e| e.1);
            (name.clone(), (ms - before).max(0.0))
        })
        .collect();
    spent.sort_by(|a, b| b.1.total_cmp(&a.1));
    spent
}

/// Times the live threads of all `pids` went to sleep waiting (each later woken): the sum of
/// `voluntary_ctxt_switches` over `/proc/PID/task/*/status`.
pub(crate) fn sleeps(pids: &[u32]) -> u64 {
    let mut total = 0;
    for pid in pids {
        let Ok(tasks) = fs::read_dir(format!("/proc/{pid}/task")) else {
            continue;
        };
        for task in tasks.filter_map(Result::ok) {
            let Ok(status) = fs::read_to_string(task.path().join("status")) else {
                continue;
            };
            total += status
                .lines()
                .find_map(|l| l.strip_prefix("voluntary_ctxt_switches:"))
                .and_then(|n| n.trim().parse::<u64>().ok())
                .unwrap_or(0);
        }
    }
    total
}
