//! The peer benchmark's traffic beyond the sequential TCP client: 32 parallel connect loops,
//! and new UDP flows (one datagram out, its echo back). Each runs as a child mode inside a
//! namespace and prints one `RESULT` line in the sequential client's format.

use std::net::{SocketAddr, TcpStream, UdpSocket};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use super::{
    arg, exit_with_parent, number, set_linger_zero, timed_sequence, Res, CONNECT_TIMEOUT,
    RUN_DEADLINE,
};

/// A UDP flow whose echo takes longer than this counts as an error.
const ECHO_TIMEOUT: Duration = Duration::from_secs(2);

/// `__pclient ADDR THREADS COUNT [EXTRA_FDS]`: COUNT connects (each reset at once) from THREADS
/// threads, with EXTRA_FDS more descriptors (of `/dev/null`) held open throughout, opened first
/// as a long-running program's are; prints how many succeeded and how long all took.
pub(crate) fn parallel_client(args: &[String]) -> Res<()> {
    let addr: SocketAddr = arg(args, 0)?.parse().map_err(|e| format!("address: {e}"))?;
    let threads: usize = number(arg(args, 1)?)?;
    let count: usize = number(arg(args, 2)?)?;
    let extra: usize = args.get(3).map_or(Ok(0), |n| number(n))?;
    let _held: Vec<std::fs::File> = (0..extra)
        .map(|_| std::fs::File::open("/dev/null"))
        .collect::<Result<_, _>>()
        .map_err(|e| format!("holding {extra} descriptors: {e}"))?;
    let next = Arc::new(AtomicUsize::new(0));
    let ok = Arc::new(AtomicU64::new(0));
    let errors = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let workers: Vec<_> = (0..threads.max(1))
        .map(|_| {
            let (next, ok, errors) = (Arc::clone(&next), Arc::clone(&ok), Arc::clone(&errors));
            thread::spawn(move || {
                while next.fetch_add(1, Ordering::Relaxed) < count
                    && started.elapsed() < RUN_DEADLINE
                {
                    let connected = TcpStream::connect_timeout(&addr, CONNECT_TIMEOUT)
                        .and_then(|stream| set_linger_zero(&stream));
                    let counter = if connected.is_ok() { &ok } else { &errors };
                    counter.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    for worker in workers {
        let _ = worker.join();
    }
    println!(
        "RESULT ok={} errors={} elapsed_ns={} mean_ns=0 p50_ns=0 p90_ns=0 p99_ns=0 max_ns=0",
        ok.load(Ordering::Relaxed),
        errors.load(Ordering::Relaxed),
        started.elapsed().as_nanos()
    );
    Ok(())
}

/// `__udp_server IP FIRST_PORT PORTS`: echoes every datagram on each of PORTS ports, until
/// stdin closes. Each run of the benchmark sends to a port of its own, so no flow of an earlier
/// run (UDP conntrack entries live 30 s and more) can be reused.
pub(crate) fn udp_server(args: &[String]) -> Res<()> {
    let ip: std::net::IpAddr = arg(args, 0)?.parse().map_err(|e| format!("address: {e}"))?;
    let first: u16 = number(arg(args, 1)?)?;
    let ports: u16 = number(arg(args, 2)?)?;
    let mut sockets = Vec::new();
    for port in first..first.saturating_add(ports) {
        let socket = UdpSocket::bind(SocketAddr::new(ip, port))
            .map_err(|e| format!("bind {ip}:{port}: {e}"))?;
        sockets.push(socket);
    }
    for socket in sockets {
        thread::spawn(move || {
            let mut buf = [0u8; 64];
            while let Ok((n, from)) = socket.recv_from(&mut buf) {
                let _ = socket.send_to(buf.get(..n).unwrap_or_default(), from);
            }
        });
    }
    println!("ready");
    exit_with_parent();
    loop {
        thread::park();
    }
}

/// `__udp_client SRC_IP FIRST_SRC_PORT DST COUNT WARMUP`: WARMUP + COUNT new flows, each from
/// a socket bound to the next source port (so every flow is new to conntrack) and connected,
/// timing one datagram's round trip; prints one `RESULT` line.
pub(crate) fn udp_client(args: &[String]) -> Res<()> {
    let ip: std::net::IpAddr = arg(args, 0)?.parse().map_err(|e| format!("address: {e}"))?;
    let first: u16 = number(arg(args, 1)?)?;
    let dst: SocketAddr = arg(args, 2)?.parse().map_err(|e| format!("address: {e}"))?;
    let count: usize = number(arg(args, 3)?)?;
    let warmup: usize = number(arg(args, 4)?)?;
    let mut port = first;
    let flow = || -> Option<Duration> {
        let source = SocketAddr::new(ip, port);
        port = port.checked_add(1)?;
        let socket = UdpSocket::bind(source).ok()?;
        // Connected, as resolvers' sockets are: sock_diag finds a connected socket by its
        // addresses, so both firewalls attribute the process (an unconnected one OpenSnitch
        // 1.5.8 does not find, and lets through unattributed).
        socket.connect(dst).ok()?;
        socket.set_read_timeout(Some(ECHO_TIMEOUT)).ok()?;
        let mut buf = [0u8; 64];
        let started = Instant::now();
        socket.send(b"zf").ok()?;
        let n = socket.recv(&mut buf).ok()?;
        let took = started.elapsed();
        (n == 2).then_some(took)
    };
    timed_sequence(count, warmup, flow);
    Ok(())
}
