//! `bench hooks [--rounds N] [--sends N] [--connects N] [--lives N] [--compare DAEMON]`: what the daemon's record of each
//! connect (BPF programs on the cgroup v2 root's connect hooks,
//! `driver/linux/src/connect_owners.rs`) costs every other program on the machine, which pays it
//! whether the daemon judges its traffic or not.
//!
//! The daemon runs in a namespace of the benchmark's own (no app, nothing queued there); this
//! process times, on the host's loopback, TCP connects to 127.0.0.1 (which the connect hook's
//! program skips: never held) and to 127.0.0.2 (recorded, as every connect that may be held
//! is), beside the kernel's work for a loopback handshake, and unconnected UDP sends (no program of ours; when
//! the daemon also hooked them they cost about 15 % more, and it no longer does). Three
//! configurations in interleaved rounds: no daemon, the daemon, the daemon with `--no-bpf`
//! (its presence without the programs), and with `--compare` another daemon build with its
//! programs, for an A/B of a change to them. Medians over the rounds of each round's mean send and
//! median connect; it asserts nothing.
//!
//! And what the daemon costs a program in its own network namespace (`namespace_cycles.rs`):
//! TCP connections on loopback there, each connected, accepted and closed, timed with the
//! machine's CPU they took. One more configuration tells the part of the socket-destroy events
//! (which the daemon reads for connection ends) from the rest: no daemon, only a reader of
//! those events in the namespace.

use std::io;
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::Instant;

use super::namespace_cycles::{tcp_lives_in, DestroySubscriber};
use super::{
    daemon_binary, each_option, median, ns_a, number, set_backlog, set_linger_zero, Daemon, Net,
    Res,
};

const USAGE: &str =
    "usage: bench hooks [--rounds N] [--sends N] [--connects N] [--lives N] [--compare DAEMON]";
/// How long a started daemon is left alone before the timing begins.
const SETTLE: std::time::Duration = std::time::Duration::from_millis(500);

struct Options {
    rounds: usize,
    sends: usize,
    connects: usize,
    /// Loopback TCP connections, whole lives, in the daemon's namespace.
    lives: usize,
    compare: Option<PathBuf>,
}

fn parse_options(args: &[String]) -> Res<Options> {
    let mut o = Options {
        rounds: 5,
        sends: 200_000,
        connects: 5_000,
        lives: 20_000,
        compare: None,
    };
    each_option(args, USAGE, |flag, value| {
        match flag {
            "--rounds" => o.rounds = number(&value()?)?,
            "--sends" => o.sends = number(&value()?)?,
            "--connects" => o.connects = number(&value()?)?,
            "--lives" => o.lives = number(&value()?)?,
            "--compare" => o.compare = Some(super::established::compare_daemon(&value()?)?),
            "--quick" => (o.rounds, o.sends, o.connects, o.lives) = (3, 50_000, 2_000, 5_000),
            _ => return Ok(false),
        }
        Ok(true)
    })?;
    o.rounds = o.rounds.clamp(1, 20);
    o.sends = o.sends.clamp(1_000, 5_000_000);
    o.connects = o.connects.clamp(100, 100_000);
    o.lives = o.lives.clamp(100, 200_000);
    Ok(o)
}

#[derive(Clone, Copy, PartialEq)]
enum Config {
    None,
    Daemon,
    NoBpf,
    Compare,
    /// No daemon; a reader of the TCP socket-destroy events in its namespace.
    Subscriber,
}

impl Config {
    fn name(self) -> &'static str {
        match self {
            Config::None => "no daemon",
            Config::Daemon => "the daemon (BPF record)",
            Config::NoBpf => "the daemon --no-bpf",
            Config::Compare => "the --compare daemon (BPF record)",
            Config::Subscriber => "no daemon, a TCP socket-destroy reader",
        }
    }
}

pub(crate) fn bench(args: &[String]) -> Res<()> {
    let options = parse_options(args)?;
    let binary = daemon_binary()?;
    let _net = Net::create()?;
    let mut configs = vec![
        Config::None,
        Config::Daemon,
        Config::NoBpf,
        Config::Subscriber,
    ];
    if options.compare.is_some() {
        configs.push(Config::Compare);
    }
    // Per configuration: the rounds' UDP sends, connects to 127.0.0.1, to 127.0.0.2, and a
    // connection's life in the daemon's namespace (wall, the machine's CPU).
    let mut results: Vec<(Config, [Vec<f64>; 5])> = configs
        .iter()
        .map(|&c| (c, std::array::from_fn(|_| Vec::new())))
        .collect();
    for round in 1..=options.rounds {
        // A different order each round: what runs first is not always the same configuration.
        let mut order = configs.clone();
        order.rotate_left(round % configs.len());
        for config in order {
            let daemon = match config {
                Config::None => None,
                Config::Daemon => Some(Daemon::spawn_with_args(&binary, None, &[])?),
                Config::NoBpf => Some(Daemon::spawn_with_args(&binary, None, &["--no-bpf"])?),
                Config::Compare => {
                    let other = options.compare.as_ref().ok_or("--compare missing")?;
                    Some(Daemon::spawn_with_args(other, None, &[])?)
                }
                Config::Subscriber => None,
            };
            let subscriber = match config {
                Config::Subscriber => Some(
                    DestroySubscriber::start(ns_a())
                        .map_err(|e| format!("the destroy-event reader: {e}"))?,
                ),
                _ => None,
            };
            // What a start does (its first look at the network and /proc) is not measured.
            if daemon.is_some() {
                thread::sleep(SETTLE);
            }
            let send_ns = udp_send_ns(options.sends).map_err(|e| format!("UDP sends: {e}"))?;
            let mut connects = [0.0; 2];
            for (ns, to) in connects
                .iter_mut()
                .zip([Ipv4Addr::LOCALHOST, OTHER_LOOPBACK])
            {
                *ns = tcp_connect_ns(to, options.connects)
                    .map_err(|e| format!("TCP connects to {to}: {e}"))?;
            }
            let (life_us, life_cpu_us) = tcp_lives_in(ns_a(), options.lives)
                .map_err(|e| format!("TCP connections in {}: {e}", ns_a()))?;
            drop((daemon, subscriber));
            println!(
                "round {round} {}: UDP send {send_ns:.0} ns, TCP connect to 127.0.0.1 {:.0} ns, \
                 to 127.0.0.2 {:.0} ns; in the daemon's namespace a TCP connection's life \
                 {life_us:.1} µs, the machine's CPU {life_cpu_us:.1} µs",
                config.name(),
                connects[0],
                connects[1]
            );
            if let Some((_, rounds)) = results.iter_mut().find(|(c, _)| *c == config) {
                let values = [send_ns, connects[0], connects[1], life_us, life_cpu_us];
                for (kept, value) in rounds.iter_mut().zip(values) {
                    kept.push(value);
                }
            }
        }
    }
    // The first configuration is no daemon: the base of the ratios.
    let base = results.first().map_or([f64::NAN; 5], |(_, rounds)| {
        rounds.each_ref().map(|v| median(v))
    });
    println!(
        "\nmedians of {} rounds ({} unconnected UDP sends and {} TCP connects to each address on \
         the host's loopback; {} TCP connections connected, accepted and closed on loopback in \
         the daemon's namespace, each)\n",
        options.rounds, options.sends, options.connects, options.lives
    );
    println!(
        "| configuration | UDP send, ns | of no daemon | TCP connect to 127.0.0.1, ns | of no \
         daemon | to 127.0.0.2, ns | of no daemon | a TCP connection's life in the daemon's \
         namespace, µs | of no daemon | the machine's CPU for it, µs | of no daemon |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|");
    for (config, rounds) in &results {
        let values = rounds.each_ref().map(|v| median(v));
        let cells: Vec<String> = values
            .iter()
            .zip(base)
            .enumerate()
            // Nanoseconds whole, microseconds (the last two) to a tenth.
            .map(|(i, (value, base))| {
                let digits = if i < 3 { 0 } else { 1 };
                format!("{value:.digits$} | {:.2}", value / base)
            })
            .collect();
        println!("| {} | {} |", config.name(), cells.join(" | "));
    }
    Ok(())
}

/// The loopback address the connect hook records connects to (it skips 127.0.0.1).
const OTHER_LOOPBACK: Ipv4Addr = Ipv4Addr::new(127, 0, 0, 2);

/// Mean time of one unconnected `sendto` of a 32-byte datagram to a socket of our own.
fn udp_send_ns(count: usize) -> io::Result<f64> {
    let receiver = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0))?;
    let to = receiver.local_addr()?;
    let sender = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0))?;
    let payload = [0u8; 32];
    receiver.set_nonblocking(true)?;
    let mut drain = [0u8; 64];
    let started = Instant::now();
    for n in 0..count {
        sender.send_to(&payload, to)?;
        // Keep the receiver's queue short (a full one drops, which costs less than delivery).
        if n % 64 == 63 {
            while receiver.recv(&mut drain).is_ok() {}
        }
    }
    Ok(started.elapsed().as_nanos() as f64 / count as f64)
}

/// Median time of one TCP connect to a listener of our own at `to` (accepted and closed by a thread):
/// the median, since a connect now and then waits for a retransmit or a CPU, and a few such in
/// a round would decide its mean.
fn tcp_connect_ns(to: Ipv4Addr, count: usize) -> io::Result<f64> {
    let listener = TcpListener::bind((to, 0))?;
    set_backlog(&listener, 65535)?;
    let to: SocketAddr = listener.local_addr()?;
    let stop = Arc::new(AtomicBool::new(false));
    let acceptor = {
        let stop = Arc::clone(&stop);
        thread::spawn(move || {
            for stream in listener.incoming() {
                if stop.load(Ordering::SeqCst) {
                    break;
                }
                drop(stream);
            }
        })
    };
    let mut took_ns: Vec<u64> = Vec::with_capacity(count);
    let mut result = Ok(());
    for _ in 0..count {
        let started = Instant::now();
        match TcpStream::connect(to) {
            Ok(stream) => {
                took_ns.push(started.elapsed().as_nanos() as u64);
                // An RST at close: no TIME_WAIT piles up over thousands of connects.
                let _ = set_linger_zero(&stream);
            }
            Err(e) => {
                result = Err(e);
                break;
            }
        }
    }
    stop.store(true, Ordering::SeqCst);
    // One more connect wakes the acceptor to see `stop`.
    let _ = TcpStream::connect(to);
    let _ = acceptor.join();
    took_ns.sort_unstable();
    result.map(|()| took_ns.get(took_ns.len() / 2).copied().unwrap_or(0) as f64)
}
