//! What this machine charges for the things a firewall's connection path is made of, measured
//! with nothing of ours involved, so the peer table's numbers can be read against the machine:
//!
//! - a system call (`getppid`, which does nothing), in ns;
//! - a thread wake-up: two threads hand a byte back and forth over a Unix socket pair; the CPU
//!   both threads use per hand-over (a sleep, a wake-up, a read and a write) and the wall time
//!   of a round trip;
//! - a chain of four wake-ups, like a connection that needs the app (client → daemon → app →
//!   daemon → client): four relay threads pass a byte along, 100 µs apart, p50/p99/max of the
//!   round trip, first on an otherwise idle machine, then with one more thread that is busy for
//!   0.5 ms of every 4 ms (12 % of one CPU, like a collector's bursts): a scheduler that moves a
//!   woken thread to an idle CPU keeps p99 near p50, one that queues it behind the busy thread
//!   does not.
//!
//! `bench machine` prints it alone; `bench peer` prints it first.

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use super::Res;

/// System calls timed.
const SYSCALLS: u32 = 200_000;
/// Round trips of the two-thread hand-over.
const PING_PONGS: u32 = 20_000;
/// Threads in the chain, each a wake-up.
const CHAIN_HOPS: usize = 4;
/// Round trips through the chain, each run.
const CHAIN_TRIPS: usize = 3_000;
/// Pause between round trips (the hops sleep in between, as between connections).
const CHAIN_GAP: Duration = Duration::from_micros(100);
/// The busy neighbour: busy this long…
const BUSY_ON: Duration = Duration::from_micros(500);
/// …then asleep this long.
const BUSY_OFF: Duration = Duration::from_micros(3_500);

/// The numbers, for `bench peer` to reason with.
pub(crate) struct Machine {
    pub(crate) syscall_ns: f64,
    /// CPU per hand-over (one side's sleep, wake-up, read and write), µs.
    pub(crate) wake_cpu_us: f64,
    pub(crate) ping_pong_us: f64,
    pub(crate) chain_idle: Trips,
    pub(crate) chain_busy: Trips,
}

/// Round-trip times of one chain run, µs.
pub(crate) struct Trips {
    pub(crate) p50: f64,
    pub(crate) p99: f64,
    pub(crate) max: f64,
}

/// `bench machine`.
pub(crate) fn bench(args: &[String]) -> Res<()> {
    if let Some(unknown) = args.first() {
        return Err(format!("bench machine takes no options (got {unknown})"));
    }
    print(&measure()?);
    Ok(())
}

/// Measures all of it (about 3 s).
pub(crate) fn measure() -> Res<Machine> {
    let syscall_ns = syscall_ns();
    let (wake_cpu_us, ping_pong_us) = ping_pong()?;
    let chain_idle = chain(false)?;
    let chain_busy = chain(true)?;
    Ok(Machine {
        syscall_ns,
        wake_cpu_us,
        ping_pong_us,
        chain_idle,
        chain_busy,
    })
}

/// Prints the numbers and what they mean.
pub(crate) fn print(m: &Machine) {
    println!("this machine ({} CPUs), nothing of ours involved:", cpus());
    println!("  a system call: {:.0} ns (getppid)", m.syscall_ns);
    println!(
        "  a thread wake-up: {:.1} µs of CPU per hand-over, {:.1} µs per round trip (two threads \
         on a Unix socket pair)",
        m.wake_cpu_us, m.ping_pong_us
    );
    for (what, t) in [
        ("idle machine", &m.chain_idle),
        ("a neighbour busy 0.5 ms of every 4", &m.chain_busy),
    ] {
        println!(
            "  a chain of {CHAIN_HOPS} wake-ups (client → daemon → app → daemon → client, no work), \
             {what}: p50 {:.1}, p99 {:.1}, max {:.1} µs",
            t.p50, t.p99, t.max
        );
    }
}

fn cpus() -> usize {
    thread::available_parallelism().map_or(1, |n| n.get())
}

fn syscall_ns() -> f64 {
    let start = Instant::now();
    let mut sum = 0u64;
    for _ in 0..SYSCALLS {
        // getppid(2) each time: glibc does not cache it.
        sum = sum.wrapping_add(u64::from(std::os::unix::process::parent_id()));
    }
    std::hint::black_box(sum);
    start.elapsed().as_nanos() as f64 / f64::from(SYSCALLS)
}

/// Exact run time of this process's live threads, ms (0 when `/proc` cannot tell).
fn own_run_time_ms() -> f64 {
    super::proc_stats::run_time_ms_of(std::process::id()).unwrap_or(0.0)
}

/// A thread that passes each byte from `from` to `to` until `from` ends.
fn relay(mut from: UnixStream, mut to: UnixStream) -> thread::JoinHandle<()> {
    thread::spawn(move || {
        let mut byte = [0u8; 1];
        while matches!(from.read(&mut byte), Ok(1)) {
            if to.write_all(&byte).is_err() {
                break;
            }
        }
    })
}

/// (CPU µs per hand-over, wall µs per round trip).
fn ping_pong() -> Res<(f64, f64)> {
    let (mut near, far) = UnixStream::pair().map_err(|e| format!("socketpair: {e}"))?;
    let echo = relay(far.try_clone().map_err(|e| format!("dup: {e}"))?, far);
    let mut byte = [7u8; 1];
    let cpu_before = own_run_time_ms();
    let start = Instant::now();
    for _ in 0..PING_PONGS {
        near.write_all(&byte)
            .and_then(|()| near.read_exact(&mut byte))
            .map_err(|e| format!("ping-pong: {e}"))?;
    }
    let wall = start.elapsed();
    let cpu_ms = (own_run_time_ms() - cpu_before).max(0.0);
    drop(near);
    let _ = echo.join();
    let handovers = 2.0 * f64::from(PING_PONGS);
    Ok((
        cpu_ms * 1000.0 / handovers,
        wall.as_secs_f64() * 1e6 / f64::from(PING_PONGS),
    ))
}

/// Round trips through `CHAIN_HOPS` relay threads, with or without the busy neighbour.
fn chain(with_neighbour: bool) -> Res<Trips> {
    let stop = Arc::new(AtomicBool::new(false));
    let neighbour = with_neighbour.then(|| {
        let stop = Arc::clone(&stop);
        thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                let start = Instant::now();
                while start.elapsed() < BUSY_ON {
                    std::hint::spin_loop();
                }
                thread::sleep(BUSY_OFF);
            }
        })
    });
    let result = chain_trips();
    stop.store(true, Ordering::Relaxed);
    if let Some(neighbour) = neighbour {
        let _ = neighbour.join();
    }
    result
}

fn chain_trips() -> Res<Trips> {
    let pair = || UnixStream::pair().map_err(|e| format!("socketpair: {e}"));
    // Link i carries the byte into hop i; the last link brings it back.
    let mut links = Vec::with_capacity(CHAIN_HOPS + 1);
    for _ in 0..=CHAIN_HOPS {
        links.push(pair()?);
    }
    let mut ends = links.into_iter();
    let (mut first_in, mut from) = ends.next().ok_or("no link")?;
    let mut hops = Vec::with_capacity(CHAIN_HOPS);
    for (to_write, to_read) in ends {
        hops.push(relay(from, to_write));
        from = to_read;
    }
    let mut back = from;
    let mut times = Vec::with_capacity(CHAIN_TRIPS);
    let mut byte = [1u8; 1];
    for _ in 0..CHAIN_TRIPS {
        let start = Instant::now();
        first_in
            .write_all(&byte)
            .and_then(|()| back.read_exact(&mut byte))
            .map_err(|e| format!("chain: {e}"))?;
        times.push(start.elapsed().as_nanos() as u64);
        thread::sleep(CHAIN_GAP);
    }
    // Closing the first link ends every hop in turn.
    drop(first_in);
    drop(back);
    for hop in hops {
        let _ = hop.join();
    }
    times.sort_unstable();
    let us = |q: f64| super::percentile(&times, q) as f64 / 1000.0;
    Ok(Trips {
        p50: us(0.50),
        p99: us(0.99),
        max: us(1.0),
    })
}
