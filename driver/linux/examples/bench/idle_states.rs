//! What an idle CPU of this machine does, and `--poll-idle`: every CPU kept out of its sleeping
//! idle states for the run. A diagnostic, not a setting anyone should run a firewall with: in a
//! virtual machine a sleeping vCPU is woken through the hypervisor, and that wake-up can cost
//! more than the work it wakes for; with the CPUs polling instead, the benchmark shows what the
//! same code costs where a wake-up is cheap.

use std::fs::{self, File, OpenOptions};
use std::io::Write;

/// The cpuidle driver and its states' names, e.g. ("haltpoll", ["POLL", "haltpoll idle"]);
/// none without a driver (the kernel's default idle loop).
fn idle_driver() -> Option<(String, Vec<String>)> {
    let base = "/sys/devices/system/cpu";
    let driver = fs::read_to_string(format!("{base}/cpuidle/current_driver")).ok()?;
    let driver = driver.trim();
    if driver.is_empty() || driver == "none" {
        return None;
    }
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
    Some((
        driver.to_string(),
        states.into_iter().map(|(_, name)| name).collect(),
    ))
}

/// The cpuidle driver and its states, e.g. "haltpoll: POLL, haltpoll idle".
pub(crate) fn describe() -> String {
    match idle_driver() {
        Some((driver, states)) => format!("{driver}: {}", states.join(", ")),
        None => "no cpuidle driver (the kernel's default idle loop)".into(),
    }
}

/// Asks the kernel for a CPU wake-up latency of 0 µs (`/dev/cpu_dma_latency`, the PM QoS
/// interface): while the returned file stays open, idle CPUs poll rather than sleep. Closing it
/// (at exit, however the process ends) withdraws the request.
pub(crate) fn hold_polling() -> Result<File, String> {
    // A 0 µs request makes the governor pick a state that costs nothing to leave: polling only
    // where the driver has a POLL state. Without one (no driver, or an ARM machine whose
    // shallowest state is WFI) the CPUs would still sleep, and the run would claim otherwise.
    match idle_driver() {
        Some((_, states)) if states.iter().any(|s| s == "POLL") => {}
        _ => {
            return Err(format!(
                "--poll-idle: idle CPUs here cannot be made to poll ({})",
                describe()
            ))
        }
    }
    let mut file = OpenOptions::new()
        .write(true)
        .open("/dev/cpu_dma_latency")
        .map_err(|e| format!("--poll-idle: /dev/cpu_dma_latency: {e}"))?;
    file.write_all(&0i32.to_ne_bytes())
        .map_err(|e| format!("--poll-idle: writing 0 to /dev/cpu_dma_latency: {e}"))?;
    Ok(file)
}
