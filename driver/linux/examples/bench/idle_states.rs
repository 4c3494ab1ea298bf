//! What an idle CPU of this machine does, and `--poll-idle`: every CPU kept out of its sleeping
//! idle states for the run. A diagnostic, not a setting anyone should run a firewall with: in a
//! virtual machine a sleeping vCPU is woken through the hypervisor, and that wake-up can cost
//! more than the work it wakes for; with the CPUs polling instead, the benchmark shows what the
//! same code costs where a wake-up is cheap.

use std::fs::{self, File, OpenOptions};
use std::io::Write;

/// The cpuidle driver and its states, e.g. "haltpoll: POLL, haltpoll idle" (or why not known).
pub(crate) fn describe() -> String {
    let base = "/sys/devices/system/cpu";
    let Ok(driver) = fs::read_to_string(format!("{base}/cpuidle/current_driver")) else {
        return "no cpuidle driver (the kernel's default idle loop)".into();
    };
    let mut states: Vec<(usize, String)> = fs::read_dir(format!("{base}/cpu0/cpuidle"))
        .map(|dir| {
            dir.flatten()
                .filter_map(|entry| {
                    let index = entry
                        .file_name()
                        .to_str()?
                        .strip_prefix("state")?
                        .parse()
                        .ok()?;
                    let name = fs::read_to_string(entry.path().join("name")).ok()?;
                    Some((index, name.trim().to_string()))
                })
                .collect()
        })
        .unwrap_or_default();
    states.sort();
    let names: Vec<String> = states.into_iter().map(|(_, name)| name).collect();
    format!("{}: {}", driver.trim(), names.join(", "))
}

/// Asks the kernel for a CPU wake-up latency of 0 µs (`/dev/cpu_dma_latency`, the PM QoS
/// interface): while the returned file stays open, idle CPUs poll rather than sleep. Closing it
/// (at exit, however the process ends) withdraws the request.
pub(crate) fn hold_polling() -> Result<File, String> {
    let mut file = OpenOptions::new()
        .write(true)
        .open("/dev/cpu_dma_latency")
        .map_err(|e| format!("--poll-idle: /dev/cpu_dma_latency: {e}"))?;
    file.write_all(&0i32.to_ne_bytes())
        .map_err(|e| format!("--poll-idle: writing 0 to /dev/cpu_dma_latency: {e}"))?;
    Ok(file)
}
