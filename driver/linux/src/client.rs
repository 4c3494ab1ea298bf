//! The client socket: a SOCK_SEQPACKET Unix socket that behaves like the Windows device. A read
//! returns part of the info byte stream; each write carries exactly one command, so a write of
//! the wrong length is detected and rejected as on the device (an empty write too: it is a
//! message of no bytes, told apart from the end of the stream by the credentials every message
//! carries). One client at a time; the peer must be root or in the configured group. When it
//! leaves, every pending packet is answered with the detached policy, and a client that stops
//! reading cannot keep the next one out.
//!
//! Infos go out through [`ClientOut`]: the session's writer thread writes them, waiting for a
//! slow client; the packet thread writes those it queued itself when the socket has room at
//! once (`Daemon::run_packets`), which saves a thread switch per new connection.

use std::fs::{self, File};
use std::io::{self, Write};
use std::os::fd::OwnedFd;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, TryLockError};
use std::thread;
use std::time::Duration;

use zenithfence_core::blocking_queue::{BlockingInfoQueue, Waited};
use zenithfence_core::commands::dispatch;
use zenithfence_protocol::command::{MAX_POLICY_PART, POLICY_PART_HEADER};
use zenithfence_protocol::Command;

use crate::client_commands::ClientCommands;
use crate::daemon::Daemon;
use crate::log::Severity;
use crate::sys;
use crate::watchdog::wait_until;

/// The largest info chunk one read returns: clients read with a buffer at least this large.
pub(crate) const MAX_READ: usize = 16 * 1024;
/// The longest command: a PolicyPart with a full part. A longer write is refused whole (the
/// kernel says how long it was), never read in part: cut to a buffer, a write of a full part
/// plus more bytes would read as a valid part.
pub(crate) const MAX_COMMAND: usize = POLICY_PART_HEADER + MAX_POLICY_PART;
/// How often the accept loop looks at the stop flag without a connection.
const ACCEPT_WAKE: Duration = Duration::from_millis(250);
/// How long a leaving client's infos may take to drain before its socket is shut: a client
/// that stopped reading would otherwise hold its session, and the one-client slot, for ever.
const DRAIN_BOUND: Duration = Duration::from_secs(2);

/// How many chunks the packet thread writes at most after one batch of packets; the rest is
/// left to the writer thread, so a burst of infos cannot hold up the next packets.
const DIRECT_CHUNKS: usize = 4;

/// The connected client's socket for infos, and a buffer, behind a lock that is held while
/// infos are taken from the queue until they are written or put back: whichever thread
/// writes, they go out in the order they were queued. Taken with no other lock held; only the
/// queue's own lock is taken under it (daemon.rs, "Locks").
pub(crate) struct ClientOut {
    state: Mutex<OutState>,
}

struct OutState {
    /// `None` while no client is connected.
    socket: Option<File>,
    buf: Vec<u8>,
}

impl ClientOut {
    pub(crate) fn new() -> ClientOut {
        ClientOut {
            state: Mutex::new(OutState {
                socket: None,
                buf: vec![0; MAX_READ],
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, OutState> {
        // A panic under the lock leaves at worst a chunk unwritten, as a failed write would.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A client connected: its infos go to `socket`.
    fn attach(&self, socket: File) {
        self.lock().socket = Some(socket);
    }

    /// Whether no client's stream is open any more: none was, or its writer sent what was
    /// queued and ended it. Never waits: a writer blocked on a slow client holds the lock.
    pub(crate) fn flushed(&self) -> bool {
        match self.state.try_lock() {
            Ok(state) => state.socket.is_none(),
            Err(TryLockError::Poisoned(poisoned)) => poisoned.into_inner().socket.is_none(),
            Err(TryLockError::WouldBlock) => false,
        }
    }

    /// The client is gone: its socket is forgotten (and closed unless another handle has it).
    fn detach(&self) -> Option<File> {
        self.lock().socket.take()
    }

    /// Writes one chunk of what is queued, waiting for the client to read (the writer thread);
    /// the bytes written, 0 if nothing was queued; an error once the socket fails or is gone.
    fn write_queued(&self, queue: &BlockingInfoQueue) -> io::Result<usize> {
        let mut state = self.lock();
        let OutState { socket, buf } = &mut *state;
        let Some(socket) = socket.as_mut() else {
            return Err(io::ErrorKind::NotConnected.into());
        };
        let n = queue.try_read(buf);
        socket.write_all(buf.get(..n).unwrap_or(&[]))?;
        Ok(n)
    }

    /// The stream ends: writes what is still queued (bytes the packet thread gave back
    /// included: they are back in the queue whenever this lock is free), then ends the
    /// client's stream and forgets the socket.
    fn finish(&self, queue: &BlockingInfoQueue) {
        while matches!(self.write_queued(queue), Ok(n) if n > 0) {}
        if let Some(socket) = self.detach() {
            // End of stream for the client, as a device read returns EOF after Shutdown.
            let _ = sys::shutdown_write(&socket);
        }
    }

    /// Writes what the caller queued while the queue's wakes were deferred, if the socket has
    /// room now; whatever it cannot write at once is left to the writer thread, woken for it.
    /// Never waits for the client (the packet thread calls it), nor for the writer thread: if
    /// that one holds the lock, it looks at the queue again before it sleeps.
    pub(crate) fn write_now(&self, queue: &BlockingInfoQueue) {
        if !queue.end_deferral() {
            return;
        }
        let mut state = match self.state.try_lock() {
            Ok(state) => state,
            Err(TryLockError::Poisoned(poisoned)) => poisoned.into_inner(),
            // The writer thread holds it and looks at the queue again before it sleeps; or
            // another thread writing its own batch does, which may have read the queue before
            // our push: then only a wake makes sure someone writes it.
            Err(TryLockError::WouldBlock) => {
                queue.wake();
                return;
            }
        };
        let OutState { socket, buf } = &mut *state;
        let Some(socket) = socket.as_ref() else {
            queue.wake();
            return;
        };
        for _ in 0..DIRECT_CHUNKS {
            let n = queue.try_read(buf);
            let Some(chunk) = buf.get(..n).filter(|chunk| !chunk.is_empty()) else {
                return;
            };
            match sys::seqpacket_send_now(socket, chunk) {
                Ok(sent) if sent == n => {}
                // A message goes whole or not at all; anything else (no room, a client that
                // left) is the writer thread's to retry or to find failed.
                _ => {
                    queue.unread(chunk);
                    return;
                }
            }
        }
        queue.wake();
    }
}

/// The listening socket.
pub(crate) struct ClientServer {
    listener: OwnedFd,
    path: PathBuf,
    group_id: Option<u32>,
}

/// Looks a group up in /etc/group.
pub(crate) fn group_id(name: &str) -> io::Result<u32> {
    let groups = fs::read_to_string("/etc/group")?;
    groups
        .lines()
        .filter_map(|line| {
            let mut fields = line.split(':');
            let group = fields.next()?;
            let gid = fields.nth(1)?.parse().ok()?;
            (group == name).then_some(gid)
        })
        .next()
        .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, format!("no group named '{name}'")))
}

/// Whether process `pid` (the peer) belongs to `gid`, as primary or supplementary group.
fn process_in_group(pid: i32, primary_gid: u32, gid: u32) -> bool {
    if primary_gid == gid {
        return true;
    }
    let Ok(status) = fs::read_to_string(format!("/proc/{pid}/status")) else {
        return false;
    };
    status
        .lines()
        .find_map(|line| line.strip_prefix("Groups:"))
        .is_some_and(|groups| groups.split_whitespace().any(|g| g.parse() == Ok(gid)))
}

impl ClientServer {
    /// Creates the socket at `path` with mode 0660, group `group`.
    pub(crate) fn bind(path: &Path, group: Option<&str>) -> io::Result<ClientServer> {
        let group_id = group.map(group_id).transpose()?;
        if let Some(dir) = path.parent() {
            fs::create_dir_all(dir)?;
        }
        // A socket file left by a killed daemon would make bind fail.
        match fs::remove_file(path) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
            _ => {}
        }
        // Bound and set up under a name of its own, then renamed into place: a client that
        // finds the socket file finds it listening, with its owner and mode (a client that
        // came between bind and listen was refused, and tests starting a daemon failed so).
        let mut staging = path.as_os_str().to_owned();
        staging.push(format!(".{}.new", std::process::id()));
        let staging = PathBuf::from(staging);
        let _ = fs::remove_file(&staging);
        let listener = match Self::listen_at(&staging, group_id) {
            Ok(listener) => listener,
            Err(e) => {
                let _ = fs::remove_file(&staging);
                return Err(e);
            }
        };
        if let Err(e) = fs::rename(&staging, path) {
            let _ = fs::remove_file(&staging);
            return Err(e);
        }
        Ok(ClientServer {
            listener,
            path: path.to_path_buf(),
            group_id,
        })
    }

    /// A listening socket at `path`, owned by root and `group_id`, mode 0660.
    fn listen_at(path: &Path, group_id: Option<u32>) -> io::Result<OwnedFd> {
        let listener = sys::seqpacket_listen(path)?;
        // Inherited by every accepted socket: an empty write then reads as a message.
        sys::pass_credentials(&listener)?;
        // Accept wakes now and then to see a stop, whether or not `wake` gets through.
        sys::set_receive_timeout(&listener, ACCEPT_WAKE)?;
        std::os::unix::fs::chown(path, Some(0), group_id)?;
        fs::set_permissions(path, fs::Permissions::from_mode(0o660))?;
        Ok(listener)
    }

    /// Accepts clients until `stop` is set, serving one at a time; others are refused.
    pub(crate) fn serve(&self, daemon: &Arc<Daemon>, stop: &AtomicBool) {
        let busy = Arc::new(AtomicBool::new(false));
        while !stop.load(Ordering::SeqCst) {
            let stream = match sys::seqpacket_accept(&self.listener) {
                Ok(stream) => stream,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
                Err(e) => {
                    daemon.log(Severity::Error, format!("accept failed: {e}"));
                    thread::sleep(Duration::from_millis(100));
                    continue;
                }
            };
            if stop.load(Ordering::SeqCst) {
                break;
            }
            if let Err(reason) = self.admit(&stream) {
                daemon.log(Severity::Warning, format!("refused a client: {reason}"));
                continue;
            }
            if busy.swap(true, Ordering::SeqCst) {
                daemon.log(
                    Severity::Warning,
                    "refused a second client: one is connected".into(),
                );
                continue;
            }
            let session = {
                let (daemon, busy) = (Arc::clone(daemon), Arc::clone(&busy));
                thread::Builder::new()
                    .name("session".into())
                    .spawn(move || {
                        serve_client(&daemon, stream);
                        busy.store(false, Ordering::SeqCst);
                    })
            };
            if let Err(e) = session {
                // The stream went with the closure: the client sees its connection closed.
                busy.store(false, Ordering::SeqCst);
                daemon.log(
                    Severity::Error,
                    format!("refused a client: no thread for it ({e})"),
                );
            }
        }
    }

    fn admit(&self, stream: &File) -> Result<(), String> {
        let peer =
            sys::peer_credentials(stream).map_err(|e| format!("no peer credentials: {e}"))?;
        let allowed = peer.uid == 0
            || self
                .group_id
                .is_some_and(|gid| process_in_group(peer.pid, peer.gid, gid));
        if allowed {
            Ok(())
        } else {
            Err(format!(
                "pid {} uid {} is neither root nor in the configured group",
                peer.pid, peer.uid
            ))
        }
    }

    /// Wakes a blocked `serve` so it sees `stop` (connects to ourselves).
    pub(crate) fn wake(&self) {
        let _ = sys::seqpacket_connect(&self.path);
    }

    /// Removes the socket file.
    pub(crate) fn remove(&self) {
        let _ = fs::remove_file(&self.path);
    }
}

/// Serves one client: infos out on a writer thread, commands in on this one.
fn serve_client(daemon: &Arc<Daemon>, stream: File) {
    if !daemon.attach() {
        daemon.log(
            Severity::Warning,
            "refused a client: the daemon is stopping".into(),
        );
        return;
    }
    daemon.log(Severity::Info, "client connected".into());
    let spawned = stream.try_clone().and_then(|out| {
        daemon.client_out().attach(out);
        let daemon = Arc::clone(daemon);
        thread::Builder::new()
            .name("infos".into())
            .spawn(move || write_infos(&daemon))
    });
    let writer = match spawned {
        Ok(writer) => writer,
        Err(e) => {
            daemon.log(Severity::Error, format!("cannot serve the client: {e}"));
            daemon.detach();
            // No writer thread: its socket is closed here.
            daemon.client_out().detach();
            return;
        }
    };
    read_commands(daemon, &stream);
    daemon.detach();
    // The writer sends what is queued, then the end of the stream. A client that does not read
    // would keep it blocked in a write: after a while its socket is shut, which fails the write.
    let finished = wait_until(DRAIN_BOUND, Duration::from_millis(10), || {
        writer.is_finished()
    });
    if !finished {
        daemon.log(
            Severity::Warning,
            "the leaving client did not read its last infos: connection closed".into(),
        );
        let _ = sys::shutdown_both(&stream);
    }
    let _ = writer.join();
    daemon.log(
        Severity::Info,
        "client disconnected; pending packets answered".into(),
    );
}

fn read_commands(daemon: &Daemon, stream: &File) {
    let mut target = ClientCommands::new(daemon);
    let mut buf = vec![0u8; MAX_COMMAND];
    loop {
        let n = match sys::seqpacket_recv(stream, &mut buf) {
            Ok(sys::Received::Message(n)) => n,
            Ok(sys::Received::Oversized(n)) => {
                daemon.reject_command(&format!(
                    "a write of {n} bytes is longer than any command (at most {MAX_COMMAND})"
                ));
                continue;
            }
            Ok(sys::Received::End) => return,
            // A timeout cannot come from an accepted Unix socket (it does not inherit the
            // listener's), but would not end the session either.
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::Interrupted
                        | io::ErrorKind::WouldBlock
                        | io::ErrorKind::TimedOut
                ) =>
            {
                continue
            }
            Err(_) => return,
        };
        // An empty write is a message too: rejected like any other bad command (the protocol
        // says so), and the session goes on.
        let write = buf.get(..n).unwrap_or(&[]);
        match Command::decode(write) {
            Ok(command) => {
                dispatch(command, &mut target);
                if target.ended() {
                    return;
                }
            }
            Err(e) => daemon.reject_command(&e.to_string()),
        }
    }
}

fn write_infos(daemon: &Daemon) {
    let (queue, out) = (daemon.queue(), daemon.client_out());
    loop {
        match queue.wait(Duration::from_millis(250)) {
            // The packet thread may have written it meanwhile: then nothing is written here.
            Waited::Ready => {
                if out.write_queued(queue).is_err() {
                    break;
                }
            }
            Waited::TimedOut => {}
            Waited::Shutdown => break,
        }
    }
    out.finish(queue);
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::os::unix::fs::{FileTypeExt, MetadataExt};

    use crate::test_dir::TestDir;

    #[test]
    fn the_socket_appears_listening_with_its_mode_and_nothing_else_is_left() {
        let dir = TestDir::new("zf-client");
        fs::create_dir_all(&dir.0).unwrap();
        let path = dir.0.join("d.sock");
        // A stale file of a killed daemon is replaced.
        fs::write(&path, b"stale").unwrap();
        let server = ClientServer::bind(&path, None).unwrap();
        let meta = fs::metadata(&path).unwrap();
        assert!(meta.file_type().is_socket());
        assert_eq!(meta.mode() & 0o777, 0o660);
        // The name leads to a listening socket: a client connects (into the backlog) at once.
        let client = crate::client_socket::DaemonClient::connect(&path).unwrap();
        drop(client);
        let names: Vec<_> = fs::read_dir(&dir.0)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("d.sock")]);
        drop(server);
    }

    #[test]
    fn infos_written_at_once_or_left_to_the_writer_arrive_all_and_in_order() {
        use zenithfence_protocol::{Info, LogLine};
        let dir = TestDir::new("zf-out");
        fs::create_dir_all(&dir.0).unwrap();
        let path = dir.0.join("o.sock");
        let listener = sys::seqpacket_listen(&path).unwrap();
        let mut client = crate::client_socket::DaemonClient::connect(&path).unwrap();
        let out = ClientOut::new();
        assert!(out.flushed(), "no client: nothing to send");
        out.attach(sys::seqpacket_accept(&listener).unwrap());
        let queue = BlockingInfoQueue::new(100_000);
        let line = |i: usize| {
            Info::LogLine(LogLine {
                severity: 3,
                text: format!("line {i}"),
            })
        };
        // The client reads nothing yet: the packet thread's way (deferred wake, then a write
        // that never waits) sends while the socket has room, then leaves the rest queued.
        const LINES: usize = 30_000;
        for i in 0..LINES {
            queue.defer_wakes();
            queue.push(&line(i)).unwrap();
            out.write_now(&queue);
        }
        assert_eq!(
            queue.wait(Duration::ZERO),
            Waited::Ready,
            "the socket never filled: the test did not reach the writer's part"
        );
        // The client reads now; the writer thread's way writes the rest, waiting.
        let reader = thread::spawn(move || {
            let mut texts = Vec::new();
            while let Some(items) = client.read().unwrap() {
                for item in items {
                    if let Info::LogLine(l) = item.unwrap() {
                        texts.push(l.text);
                    }
                }
            }
            texts
        });
        assert!(!out.flushed(), "a client's stream is open");
        queue.shutdown();
        out.finish(&queue);
        assert!(
            out.flushed(),
            "its stream ended once everything queued was sent"
        );
        let texts = reader.join().unwrap();
        assert_eq!(texts.len(), LINES);
        assert!(texts
            .iter()
            .enumerate()
            .all(|(i, t)| *t == format!("line {i}")));
        assert!(out.detach().is_none());
    }
}
