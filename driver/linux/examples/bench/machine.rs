//! What this machine charges for the things a firewall's connection path is made of, measured
//! with nothing of ours involved, so the peer table's numbers can be read against the machine:
//!
//! - a system call (`getppid`, which does nothing), in ns;
//! - a first write to a page of fresh memory (the kernel's page fault, and on a VM whatever its
//!   hypervisor adds), against a write to a page already written: what a process pays for each
//!   page its heap grows by (the daemon's tables while they fill, the engine's JavaScript heap);
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
//! The hand-over and the idle chain are measured twice: as the scheduler places the threads, and
//! with every thread held on one CPU (`sched_setaffinity`). The difference is what a wake-up
//! that crosses CPUs costs here (on a VM, an inter-processor interrupt and a halted vCPU's exit),
//! which a connection's path pays at each hop that moves to the other CPU.
//!
//! `bench machine` prints it alone; `bench peer` prints it first.

use std::io::{self, Read, Write};
use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use super::Res;

/// System calls timed.
const SYSCALLS: u32 = 200_000;
/// Fresh pages written, once each, then again (64 MiB of 4 KiB pages).
const TOUCHED_PAGES: usize = 16_384;
/// x86-64's and arm64's usual page size: a larger one only makes fewer faults per byte.
const PAGE: usize = 4_096;
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
    /// A first write to a fresh page, and a write to one already written, µs.
    pub(crate) page_touch_us: (f64, f64),
    /// CPU per hand-over (one side's sleep, wake-up, read and write), µs.
    pub(crate) wake_cpu_us: f64,
    pub(crate) ping_pong_us: f64,
    /// The same with both threads on one CPU (`None` where they could not be held there).
    pub(crate) one_cpu: Option<(f64, f64)>,
    pub(crate) chain_idle: Trips,
    /// The idle chain with every thread on one CPU.
    pub(crate) chain_one_cpu: Option<Trips>,
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

/// Measures all of it (about 5 s).
pub(crate) fn measure() -> Res<Machine> {
    let syscall_ns = syscall_ns();
    let page_touch_us = page_touch_us();
    let (wake_cpu_us, ping_pong_us) = ping_pong(None)?;
    let one_cpu = on_one_cpu(ping_pong)?;
    let chain_idle = chain(false, None)?;
    let chain_one_cpu = on_one_cpu(|pin| chain(false, pin))?;
    let chain_busy = chain(true, None)?;
    Ok(Machine {
        syscall_ns,
        page_touch_us,
        wake_cpu_us,
        ping_pong_us,
        one_cpu,
        chain_idle,
        chain_one_cpu,
        chain_busy,
    })
}

/// The CPU the one-CPU runs are held on: the first this process may use.
fn first_allowed_cpu() -> Option<usize> {
    let mask = allowed_cpus().ok()?;
    (0..CPU_MASK_WORDS * 64).find(|&cpu| mask_has(&mask, cpu))
}

/// `measure(Some(cpu))` with every thread held on `cpu`, or `None` when no single CPU can be
/// chosen (a machine with one CPU measures nothing new) or the threads cannot be held there
/// (said on stderr): an extra, never a reason to fail the benchmark that asked for the rest.
fn on_one_cpu<T>(measure: impl FnOnce(Option<usize>) -> Res<T>) -> Res<Option<T>> {
    if cpus() < 2 {
        return Ok(None);
    }
    let Some(cpu) = first_allowed_cpu() else {
        return Ok(None);
    };
    match measure(Some(cpu)) {
        Ok(numbers) => Ok(Some(numbers)),
        Err(e) => {
            eprintln!("bench machine: nothing measured on one CPU ({e})");
            Ok(None)
        }
    }
}

/// Prints the numbers and what they mean.
pub(crate) fn print(m: &Machine) {
    println!("this machine ({} CPUs), nothing of ours involved:", cpus());
    println!("  a system call: {:.0} ns (getppid)", m.syscall_ns);
    println!(
        "  a first write to a fresh page of memory: {:.2} µs (a page fault); to a page already \
         written: {:.3} µs",
        m.page_touch_us.0, m.page_touch_us.1
    );
    println!(
        "  a thread wake-up: {:.1} µs of CPU per hand-over, {:.1} µs per round trip (two threads \
         on a Unix socket pair)",
        m.wake_cpu_us, m.ping_pong_us
    );
    if let Some((cpu_us, round_trip_us)) = m.one_cpu {
        println!(
            "  the same with both threads held on one CPU: {cpu_us:.1} µs of CPU per hand-over, \
             {round_trip_us:.1} µs per round trip (the rest is what crossing CPUs costs)"
        );
    }
    let mut chains = vec![("idle machine", &m.chain_idle)];
    if let Some(t) = &m.chain_one_cpu {
        chains.push(("idle machine, all on one CPU", t));
    }
    chains.push(("a neighbour busy 0.5 ms of every 4", &m.chain_busy));
    for (what, t) in chains {
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

/// A first and a second write to each of [`TOUCHED_PAGES`] pages, µs per page. A zeroed
/// allocation this large is fresh memory mapped for it (calloc maps it and writes nothing), so
/// the first pass faults each page in.
fn page_touch_us() -> (f64, f64) {
    let mut memory = vec![0u8; TOUCHED_PAGES * PAGE];
    let mut pass = |value: u8| {
        let start = Instant::now();
        for page in memory.chunks_exact_mut(PAGE) {
            if let Some(byte) = page.first_mut() {
                *byte = value;
            }
        }
        std::hint::black_box(&memory);
        start.elapsed().as_secs_f64() * 1e6 / TOUCHED_PAGES as f64
    };
    let first = pass(1);
    let again = pass(2);
    (first, again)
}

/// Exact run time of this process's live threads, ms (0 when `/proc` cannot tell).
fn own_run_time_ms() -> f64 {
    super::proc_stats::run_time_ms_of(std::process::id()).unwrap_or(0.0)
}

/// A thread that passes each byte from `from` to `to` until `from` ends, held on `pin` if given
/// (it passes nothing if it cannot be: the measuring side then sees the link closed).
fn relay(mut from: UnixStream, mut to: UnixStream, pin: Option<usize>) -> thread::JoinHandle<()> {
    thread::spawn(move || {
        if let Some(cpu) = pin {
            if let Err(e) = hold_on_cpu(cpu) {
                // The measuring side then sees the link closed; this says why.
                eprintln!("bench machine: a relay thread could not be held on CPU {cpu}: {e}");
                return;
            }
        }
        let mut byte = [0u8; 1];
        while matches!(from.read(&mut byte), Ok(1)) {
            if to.write_all(&byte).is_err() {
                break;
            }
        }
    })
}

/// Runs `work` on a thread of its own, held on `pin` if given.
fn on_thread<T: Send>(pin: Option<usize>, work: impl FnOnce() -> Res<T> + Send) -> Res<T> {
    thread::scope(|scope| {
        scope
            .spawn(|| {
                if let Some(cpu) = pin {
                    hold_on_cpu(cpu).map_err(|e| format!("sched_setaffinity: {e}"))?;
                }
                work()
            })
            .join()
            .map_err(|_| "a measuring thread panicked".to_string())?
    })
}

/// (CPU µs per hand-over, wall µs per round trip); every thread on `pin` if given.
fn ping_pong(pin: Option<usize>) -> Res<(f64, f64)> {
    on_thread(pin, || ping_pong_here(pin))
}

fn ping_pong_here(pin: Option<usize>) -> Res<(f64, f64)> {
    let (mut near, far) = UnixStream::pair().map_err(|e| format!("socketpair: {e}"))?;
    let echo = relay(far.try_clone().map_err(|e| format!("dup: {e}"))?, far, pin);
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

/// Round trips through `CHAIN_HOPS` relay threads, with or without the busy neighbour; every
/// thread of the chain on `pin` if given.
fn chain(with_neighbour: bool, pin: Option<usize>) -> Res<Trips> {
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
    let result = on_thread(pin, || chain_trips(pin));
    stop.store(true, Ordering::Relaxed);
    if let Some(neighbour) = neighbour {
        let _ = neighbour.join();
    }
    result
}

fn chain_trips(pin: Option<usize>) -> Res<Trips> {
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
        hops.push(relay(from, to_write, pin));
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

/// 1 024 CPUs, as glibc's `cpu_set_t`.
const CPU_MASK_WORDS: usize = 16;
type CpuMask = [u64; CPU_MASK_WORDS];

extern "C" {
    fn sched_setaffinity(pid: i32, size: usize, mask: *const CpuMask) -> i32;
    fn sched_getaffinity(pid: i32, size: usize, mask: *mut CpuMask) -> i32;
}

pub(crate) fn mask_has(mask: &CpuMask, cpu: usize) -> bool {
    mask.get(cpu / 64)
        .is_some_and(|word| word & (1u64 << (cpu % 64)) != 0)
}

/// The CPUs the calling thread may run on.
pub(crate) fn allowed_cpus() -> io::Result<CpuMask> {
    let mut mask: CpuMask = [0; CPU_MASK_WORDS];
    // SAFETY: `mask` is a live, writable array of exactly the size passed; pid 0 is the calling
    // thread; the kernel writes at most `size` bytes into it.
    let rc = unsafe { sched_getaffinity(0, std::mem::size_of::<CpuMask>(), &mut mask) };
    if rc < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(mask)
    }
}

/// Holds the calling thread on `cpu`.
pub(crate) fn hold_on_cpu(cpu: usize) -> io::Result<()> {
    let mut mask: CpuMask = [0; CPU_MASK_WORDS];
    let word = mask
        .get_mut(cpu / 64)
        .ok_or_else(|| io::Error::other(format!("CPU {cpu} is beyond the mask")))?;
    *word = 1u64 << (cpu % 64);
    // SAFETY: `mask` is a live array of exactly the size passed, which the kernel only reads;
    // pid 0 is the calling thread.
    let rc = unsafe { sched_setaffinity(0, std::mem::size_of::<CpuMask>(), &mask) };
    if rc < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(())
    }
}
