//! The whole machine's busy CPU time: every process, the kernel's own threads (its workers,
//! softirq threads) and interrupts. A firewall's processes are not all it costs: work it asks
//! of the kernel can run elsewhere (a socket-destroy event is filled on a kernel worker, for
//! one), and only the machine's idle time sees that.

use std::fs;
use std::time::Instant;

use super::machine::{allowed_cpus, hold_on_cpu, mask_has};

/// One reading of the machine's idle time: per CPU where cpuidle counts it, else all CPUs at
/// once.
#[derive(Clone)]
pub(crate) struct MachineBusy {
    readings: Vec<Reading>,
}

#[derive(Clone, Copy)]
struct Reading {
    at: Instant,
    /// Idle time of the CPUs this reading covers, ms.
    idle_ms: f64,
    covers: Covers,
}

/// The CPUs a reading covers: two readings compare only when they cover the same.
#[derive(Clone, Copy, PartialEq, Debug)]
enum Covers {
    /// One CPU, by number (cpuidle).
    Cpu(usize),
    /// All CPUs at once (`/proc/stat`), this many.
    All(usize),
}

impl Covers {
    fn count(self) -> f64 {
        match self {
            Covers::Cpu(_) => 1.0,
            Covers::All(n) => n as f64,
        }
    }
}

impl MachineBusy {
    /// Now. Idle time comes from cpuidle's per-state counters (µs) where the kernel has a
    /// cpuidle driver, else from `/proc/stat` (idle and iowait, in 10 ms ticks); none when
    /// neither can be read.
    pub(crate) fn read() -> Option<MachineBusy> {
        let readings = cpuidle_readings().or_else(|| {
            let at = Instant::now();
            let stat = fs::read_to_string("/proc/stat").ok()?;
            let (idle_ms, cpus) = proc_stat_idle_ms(&stat, USER_HZ)?;
            Some(vec![Reading {
                at,
                idle_ms,
                covers: Covers::All(cpus),
            }])
        })?;
        Some(MachineBusy { readings })
    }

    /// Where the idle time came from, for the benchmark's header.
    pub(crate) fn source(&self) -> &'static str {
        match self.readings.first().map(|r| r.covers) {
            Some(Covers::Cpu(_)) => "cpuidle's counters (µs), each CPU read on itself",
            _ => "/proc/stat (10 ms ticks)",
        }
    }

    /// Busy CPU ms since `earlier`: the CPUs' wall time minus their idle time (NaN when the
    /// two readings cover different CPUs or come from different sources).
    pub(crate) fn since(&self, earlier: &MachineBusy) -> f64 {
        let same = self.readings.len() == earlier.readings.len()
            && self
                .readings
                .iter()
                .zip(&earlier.readings)
                .all(|(now, then)| now.covers == then.covers);
        if !same {
            return f64::NAN;
        }
        let busy: f64 = self
            .readings
            .iter()
            .zip(&earlier.readings)
            .map(|(now, then)| {
                let wall_ms = now.at.duration_since(then.at).as_secs_f64() * 1000.0;
                wall_ms * now.covers.count() - (now.idle_ms - then.idle_ms)
            })
            .sum();
        busy.max(0.0)
    }
}

/// Each CPU's time in its idle states, from `/sys/devices/system/cpu/cpuN/cpuidle/stateK/time`
/// (µs), read by a thread held on that CPU: a state's time is added when the CPU leaves it, so
/// a CPU idle at the moment of a reading from elsewhere would miss its current stretch, and
/// count it all at the next. None (so `/proc/stat` is read) without cpuidle, or when a CPU
/// with cpuidle is one this process may not run on (offline, or outside its cpuset): its idle
/// time could not be read on it, and a sum without it would not be the machine's.
fn cpuidle_readings() -> Option<Vec<Reading>> {
    let mut cpus: Vec<usize> = fs::read_dir("/sys/devices/system/cpu")
        .ok()?
        .flatten()
        .filter_map(|entry| {
            let name = entry.file_name();
            let number = name.to_str()?.strip_prefix("cpu")?;
            let cpu = number.parse::<usize>().ok()?;
            entry.path().join("cpuidle").is_dir().then_some(cpu)
        })
        .collect();
    cpus.sort_unstable();
    let allowed = allowed_cpus().ok()?;
    if cpus.is_empty() || !cpus.iter().all(|&cpu| mask_has(&allowed, cpu)) {
        return None;
    }
    cpus.into_iter()
        .map(|cpu| {
            std::thread::spawn(move || {
                hold_on_cpu(cpu).ok()?;
                let at = Instant::now();
                let states =
                    fs::read_dir(format!("/sys/devices/system/cpu/cpu{cpu}/cpuidle")).ok()?;
                let mut idle_us = 0u64;
                // Only the states: a kernel with several cpuidle drivers lists `driver` too.
                let is_state =
                    |name: &std::ffi::OsStr| name.to_str().is_some_and(|n| n.starts_with("state"));
                for state in states.flatten().filter(|s| is_state(&s.file_name())) {
                    let text = fs::read_to_string(state.path().join("time")).ok()?;
                    idle_us += text.trim().parse::<u64>().ok()?;
                }
                Some(Reading {
                    at,
                    idle_ms: idle_us as f64 / 1000.0,
                    covers: Covers::Cpu(cpu),
                })
            })
            .join()
            .ok()
            .flatten()
        })
        .collect()
}

/// `USER_HZ`, the unit of `/proc/stat`: 100 on every architecture this benchmark runs on.
const USER_HZ: f64 = 100.0;

/// Idle and iowait time of all CPUs from the text of `/proc/stat` (the `cpu` line sums the
/// `cpuN` lines), with the number of `cpuN` lines.
fn proc_stat_idle_ms(stat: &str, ticks_per_second: f64) -> Option<(f64, usize)> {
    let total = stat.lines().find(|l| l.starts_with("cpu "))?;
    // user nice system idle iowait ...
    let fields: Vec<u64> = total
        .split_whitespace()
        .skip(1)
        .map(|f| f.parse().ok())
        .collect::<Option<_>>()?;
    let idle = fields.get(3)? + fields.get(4)?;
    let cpus = stat
        .lines()
        .filter(|l| l.starts_with("cpu") && !l.starts_with("cpu "))
        .count();
    (cpus > 0).then_some((idle as f64 * 1000.0 / ticks_per_second, cpus))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn idle_and_iowait_of_all_cpus_from_proc_stat() {
        let stat = "cpu  100 2 30 4000 50 0 6 0 0 0\n\
                    cpu0 50 1 15 2000 25 0 3 0 0 0\n\
                    cpu1 50 1 15 2000 25 0 3 0 0 0\n\
                    intr 12345\n";
        assert_eq!(proc_stat_idle_ms(stat, 100.0), Some((40_500.0, 2)));
        assert_eq!(proc_stat_idle_ms("intr 1\n", 100.0), None);
        assert_eq!(proc_stat_idle_ms("cpu  1 2 x\ncpu0 1\n", 100.0), None);
    }

    fn reading(at: Instant, idle_ms: f64, covers: Covers) -> Reading {
        Reading {
            at,
            idle_ms,
            covers,
        }
    }

    #[test]
    fn busy_time_is_each_cpus_wall_time_less_its_idle_time() {
        let t0 = Instant::now();
        let ms = |n| t0 + Duration::from_millis(n);
        let per_cpu = |at: [Instant; 2], idle: [f64; 2], cpus: [usize; 2]| MachineBusy {
            readings: vec![
                reading(at[0], idle[0], Covers::Cpu(cpus[0])),
                reading(at[1], idle[1], Covers::Cpu(cpus[1])),
            ],
        };
        let earlier = per_cpu([ms(0), ms(1)], [1_000.0, 2_000.0], [0, 1]);
        let later = per_cpu([ms(500), ms(501)], [1_400.0, 2_500.0], [0, 1]);
        // CPU 0 idle 400 of its 500 ms, CPU 1 all of its 500.
        assert!((later.since(&earlier) - 100.0).abs() < 1e-6);

        // All CPUs in one reading (/proc/stat): its wall time counts once per CPU.
        let all = |at, idle| MachineBusy {
            readings: vec![reading(at, idle, Covers::All(2))],
        };
        assert!((all(ms(500), 1_700.0).since(&all(ms(0), 1_000.0)) - 300.0).abs() < 1e-6);
        // Idle time that ran ahead of the wall clock is no busy time, not a negative one.
        assert_eq!(all(ms(500), 3_000.0).since(&all(ms(0), 1_000.0)), 0.0);

        // Readings of different CPUs, or from different sources, give no number, even when
        // they hold as many readings (one CPU per cpuidle reading, one for /proc/stat).
        let other_cpus = per_cpu([ms(500), ms(501)], [1_400.0, 2_500.0], [0, 2]);
        assert!(other_cpus.since(&earlier).is_nan());
        let one_cpu = |at, idle, covers| MachineBusy {
            readings: vec![reading(at, idle, covers)],
        };
        let from_cpuidle = one_cpu(ms(0), 1_000.0, Covers::Cpu(0));
        let from_proc_stat = one_cpu(ms(500), 1_200.0, Covers::All(1));
        assert!(from_proc_stat.since(&from_cpuidle).is_nan());
        assert_eq!(
            from_cpuidle.source(),
            "cpuidle's counters (µs), each CPU read on itself"
        );
        assert_eq!(from_proc_stat.source(), "/proc/stat (10 ms ticks)");
    }

    #[test]
    fn this_machine_reads_and_a_busy_thread_shows() {
        let Some(before) = MachineBusy::read() else {
            println!("skipped: neither cpuidle nor /proc/stat can be read here");
            return;
        };
        let spin_until = Instant::now() + Duration::from_millis(200);
        while Instant::now() < spin_until {
            std::hint::black_box(0u64);
        }
        let busy = MachineBusy::read().map_or(f64::NAN, |after| after.since(&before));
        // The spinning thread alone kept one CPU busy for the whole 200 ms.
        assert!(
            busy >= 150.0,
            "busy {busy} ms while one thread spun for 200 ms"
        );
    }
}
