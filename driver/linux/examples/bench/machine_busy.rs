//! The whole machine's busy CPU time: every process, the kernel's own threads (its workers,
//! softirq threads) and interrupts. A firewall's processes are not all it costs: work it asks
//! of the kernel can run elsewhere (a socket-destroy event is filled on a kernel worker, for
//! one), and only the machine's idle time sees that.

use std::fs;
use std::time::Instant;

use super::machine::hold_on_cpu;

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
    /// How many CPUs it covers.
    cpus: f64,
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
                cpus: cpus as f64,
            }])
        })?;
        Some(MachineBusy { readings })
    }

    /// Busy CPU ms since `earlier`: the CPUs' wall time minus their idle time (NaN when the
    /// two readings cover different CPUs).
    pub(crate) fn since(&self, earlier: &MachineBusy) -> f64 {
        if self.readings.len() != earlier.readings.len() {
            return f64::NAN;
        }
        let busy: f64 = self
            .readings
            .iter()
            .zip(&earlier.readings)
            .map(|(now, then)| {
                let wall_ms = now.at.duration_since(then.at).as_secs_f64() * 1000.0;
                wall_ms * now.cpus - (now.idle_ms - then.idle_ms)
            })
            .sum();
        busy.max(0.0)
    }
}

/// Each CPU's time in its idle states, from `/sys/devices/system/cpu/cpuN/cpuidle/stateK/time`
/// (µs), read by a thread held on that CPU: a state's time is added when the CPU leaves it, so
/// a CPU idle at the moment of a reading from elsewhere would miss its current stretch, and
/// count it all at the next. None without cpuidle.
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
    if cpus.is_empty() {
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
                for state in states.flatten() {
                    let text = fs::read_to_string(state.path().join("time")).ok()?;
                    idle_us += text.trim().parse::<u64>().ok()?;
                }
                Some(Reading {
                    at,
                    idle_ms: idle_us as f64 / 1000.0,
                    cpus: 1.0,
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

    fn reading(at: Instant, idle_ms: f64, cpus: f64) -> Reading {
        Reading { at, idle_ms, cpus }
    }

    #[test]
    fn busy_time_is_each_cpus_wall_time_less_its_idle_time() {
        let t0 = Instant::now();
        let ms = |n| t0 + Duration::from_millis(n);
        let earlier = MachineBusy {
            readings: vec![reading(ms(0), 1_000.0, 1.0), reading(ms(1), 2_000.0, 1.0)],
        };
        let later = MachineBusy {
            readings: vec![
                reading(ms(500), 1_400.0, 1.0),
                reading(ms(501), 2_500.0, 1.0),
            ],
        };
        assert!((later.since(&earlier) - 100.0).abs() < 1e-6); // 100 + 0
                                                               // All CPUs in one reading (/proc/stat): its wall time counts once per CPU.
        let all = |at, idle| MachineBusy {
            readings: vec![reading(at, idle, 2.0)],
        };
        assert!((all(ms(500), 1_700.0).since(&all(ms(0), 1_000.0)) - 300.0).abs() < 1e-6);
        // Idle time that ran ahead of the wall clock is no busy time, not a negative one; and
        // readings of different CPUs give no number.
        assert_eq!(all(ms(500), 3_000.0).since(&all(ms(0), 1_000.0)), 0.0);
        assert!(later.since(&all(ms(0), 1_000.0)).is_nan());
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
