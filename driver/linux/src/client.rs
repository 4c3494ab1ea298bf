//! The client socket: a SOCK_SEQPACKET Unix socket that behaves like the Windows device. A read
//! returns part of the info byte stream; each write carries exactly one command, so a write of
//! the wrong length is detected and rejected as on the device (an empty write too: it is a
//! message of no bytes, told apart from the end of the stream by the credentials every message
//! carries). One client at a time; the peer must be root or in the configured group. When it
//! leaves, every pending packet is answered with the detached policy, and a client that stops
//! reading cannot keep the next one out.

use std::fs::{self, File};
use std::io::{self, Write};
use std::os::fd::OwnedFd;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use zenithfence_core::blocking_queue::ReadOutcome;
use zenithfence_core::commands::dispatch;
use zenithfence_protocol::command::{MAX_POLICY_PART, POLICY_PART_HEADER};
use zenithfence_protocol::Command;

use crate::client_commands::ClientCommands;
use crate::daemon::Daemon;
use crate::log::Severity;
use crate::sys;

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
        let daemon = Arc::clone(daemon);
        thread::Builder::new()
            .name("infos".into())
            .spawn(move || write_infos(&daemon, out))
    });
    let writer = match spawned {
        Ok(writer) => writer,
        Err(e) => {
            daemon.log(Severity::Error, format!("cannot serve the client: {e}"));
            daemon.detach();
            return;
        }
    };
    read_commands(daemon, &stream);
    daemon.detach();
    // The writer sends what is queued, then the end of the stream. A client that does not read
    // would keep it blocked in a write: after a while its socket is shut, which fails the write.
    let deadline = std::time::Instant::now() + DRAIN_BOUND;
    while !writer.is_finished() && std::time::Instant::now() < deadline {
        thread::sleep(Duration::from_millis(10));
    }
    if !writer.is_finished() {
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

fn write_infos(daemon: &Daemon, mut out: File) {
    let mut buf = vec![0u8; MAX_READ];
    loop {
        match daemon.queue().read(&mut buf, Duration::from_millis(250)) {
            ReadOutcome::Data(n) => {
                if out.write_all(buf.get(..n).unwrap_or(&[])).is_err() {
                    break;
                }
            }
            ReadOutcome::TimedOut => {}
            ReadOutcome::Shutdown => break,
        }
    }
    // End of stream for the client, as a device read returns EOF after Shutdown.
    let _ = sys::shutdown_write(&out);
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::os::unix::fs::{FileTypeExt, MetadataExt};

    /// A private directory under the target dir, removed at the end.
    struct Dir(PathBuf);
    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = fs::remove_dir_all(&self.0);
        }
    }

    #[test]
    fn the_socket_appears_listening_with_its_mode_and_nothing_else_is_left() {
        let dir = Dir(std::env::temp_dir().join(format!("zf-client-{}", std::process::id())));
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
}
