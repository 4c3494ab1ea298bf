//! A TCP connection's whole life on loopback inside the daemon's own network namespace, for
//! `bench hooks`: connect, accept, close both. What the daemon costs every program there
//! beyond its connect hooks: the kernel fills a socket-destroy message on one of its workers
//! for every TCP socket freed in a namespace where someone listens to those events (the daemon
//! does, for connection ends and their final byte counts), and the daemon's rules have the
//! namespace's connections tracked. Loopback is never held, so no verdict is in the way.
//!
//! The timed thread enters the namespace with `setns(2)` (which moves only that thread), so
//! it runs beside the daemon the way a program of the machine runs beside it.

use std::fs::File;
use std::io;
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::os::unix::net::UnixDatagram;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::Instant;

use zenithfenced::baseline::tcp_destroy_subscription;

use super::machine_busy::MachineBusy;
use super::set_linger_zero;

/// `CLONE_NEWNET`.
const CLONE_NEWNET: i32 = 0x4000_0000;
extern "C" {
    fn setns(fd: RawFd, nstype: i32) -> i32;
}

/// Moves the calling thread into network namespace `name` (`ip netns` names it).
fn enter(name: &str) -> io::Result<()> {
    let file = File::open(format!("/var/run/netns/{name}"))?;
    // SAFETY: `file` is an open namespace file, alive for the call; setns reads only the fd
    // and the flag, and changes only the calling thread's network namespace.
    if unsafe { setns(file.as_raw_fd(), CLONE_NEWNET) } < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// The mean of `count` loopback TCP connections' whole lives in namespace `name`, wall time
/// and the machine's CPU, each in µs per connection (CPU NaN when it cannot be read).
pub(crate) fn tcp_lives_in(name: &str, count: usize) -> io::Result<(f64, f64)> {
    let name = name.to_string();
    thread::spawn(move || -> io::Result<(f64, f64)> {
        enter(&name)?;
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
        let to = listener.local_addr()?;
        let before = MachineBusy::read();
        let started = Instant::now();
        for _ in 0..count {
            let client = TcpStream::connect(to)?;
            let (served, _) = listener.accept()?;
            // An RST at close: no TIME_WAIT piles up, and both sockets are freed at once.
            set_linger_zero(&client)?;
            drop((client, served));
        }
        let wall_us = started.elapsed().as_secs_f64() * 1e6 / count as f64;
        let cpu_us = match (before, MachineBusy::read()) {
            (Some(before), Some(after)) => after.since(&before) * 1000.0 / count as f64,
            _ => f64::NAN,
        };
        Ok((wall_us, cpu_us))
    })
    .join()
    .map_err(|_| io::Error::other("the timed thread panicked"))?
}

/// A reader of the TCP socket-destroy events in namespace `name`, as the daemon's would be
/// without the daemon: it drains what comes until dropped. For telling the events' cost from
/// the rest of the daemon's.
pub(crate) struct DestroySubscriber {
    stop: Arc<AtomicBool>,
    reader: Option<thread::JoinHandle<()>>,
}

impl DestroySubscriber {
    pub(crate) fn start(name: &str) -> io::Result<DestroySubscriber> {
        let name = name.to_string();
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let stop = Arc::new(AtomicBool::new(false));
        let stopping = Arc::clone(&stop);
        let reader = thread::spawn(move || {
            let opened = enter(&name).and_then(|()| subscribe());
            let socket = match opened {
                Ok(socket) => {
                    let _ = ready_tx.send(Ok(()));
                    socket
                }
                Err(e) => {
                    let _ = ready_tx.send(Err(e));
                    return;
                }
            };
            let mut buf = vec![0u8; 64 * 1024];
            while !stopping.load(Ordering::SeqCst) {
                // The read times out (below), so the flag is seen within 100 ms.
                let _ = socket.recv(&mut buf);
            }
        });
        ready_rx
            .recv()
            .map_err(|_| io::Error::other("the subscriber thread ended"))??;
        Ok(DestroySubscriber {
            stop,
            reader: Some(reader),
        })
    }
}

impl Drop for DestroySubscriber {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(reader) = self.reader.take() {
            let _ = reader.join();
        }
    }
}

/// The daemon's own subscription to the TCP destroy events, with a 100 ms receive timeout.
/// It is held as a `UnixDatagram` only for std's `recv` and `set_read_timeout`, which are the
/// same system calls for any datagram socket.
fn subscribe() -> io::Result<UnixDatagram> {
    let socket = UnixDatagram::from(OwnedFd::from(tcp_destroy_subscription()?));
    socket.set_read_timeout(Some(std::time::Duration::from_millis(100)))?;
    Ok(socket)
}
