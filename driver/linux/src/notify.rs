//! systemd's readiness protocol (`Type=notify`): the service manager passes a datagram socket in
//! `NOTIFY_SOCKET` (a path, or an abstract name written with a leading '@'), and the service
//! sends newline-separated `KEY=VALUE` states to it. We send `READY=1` once the queue rules are in
//! place and the client socket listens (units ordered after us can rely on both), and
//! `STOPPING=1` when the shutdown begins. Without the variable nothing is sent.

use std::ffi::OsStr;
use std::io;
use std::os::linux::net::SocketAddrExt;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::net::{SocketAddr, UnixDatagram};
use std::path::Path;
use std::time::Duration;

/// The variable systemd sets for `Type=notify` services.
pub(crate) const NOTIFY_SOCKET: &str = "NOTIFY_SOCKET";
/// How long `READY=1` may wait for room in the receiver's queue. systemd reads its socket at
/// once; the bound keeps a reader that does not from holding the main thread (and with it the
/// handling of SIGTERM) for good. Well above the namespace tests' 10 s wait for the socket.
pub(crate) const READY_BOUND: Duration = Duration::from_secs(30);
/// How long `STOPPING=1` may wait: the stop has begun and must end well within the unit's
/// `TimeoutStopSec`, whether or not anybody reads the socket.
pub(crate) const STOPPING_BOUND: Duration = Duration::from_millis(500);

/// The address `NOTIFY_SOCKET` names: '@' starts an abstract name, '/' a path; anything else
/// (systemd also knows `vsock:` for virtual machines) is not supported here. Taken as bytes:
/// a name need not be UTF-8, and a lossy conversion would name another socket.
pub(crate) fn address(value: &OsStr) -> io::Result<SocketAddr> {
    let bytes = value.as_bytes();
    if let Some(name) = bytes.strip_prefix(b"@") {
        SocketAddr::from_abstract_name(name)
    } else if bytes.starts_with(b"/") {
        SocketAddr::from_pathname(Path::new(value))
    } else {
        Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "{NOTIFY_SOCKET}='{}' is neither a path nor an abstract name (@…)",
                value.to_string_lossy()
            ),
        ))
    }
}

/// A connection to the service manager's notification socket.
pub(crate) struct Notifier {
    socket: UnixDatagram,
    address: SocketAddr,
}

impl Notifier {
    /// The notifier `NOTIFY_SOCKET` asks for: `None` without it, an error when it cannot be used.
    pub(crate) fn from_env() -> Option<io::Result<Notifier>> {
        let value = std::env::var_os(NOTIFY_SOCKET)?;
        Some(Self::to(&value))
    }

    /// A notifier for the socket `value` names.
    pub(crate) fn to(value: impl AsRef<OsStr>) -> io::Result<Notifier> {
        let address = address(value.as_ref())?;
        let socket = UnixDatagram::unbound()?;
        Ok(Notifier { socket, address })
    }

    /// Sends one state message, e.g. "READY=1", waiting at most `bound` for room in the
    /// receiver's queue (`bound` must not be zero).
    pub(crate) fn send(&self, state: &str, bound: Duration) -> io::Result<()> {
        self.socket.set_write_timeout(Some(bound))?;
        let sent = self.socket.send_to_addr(state.as_bytes(), &self.address)?;
        if sent == state.len() {
            Ok(())
        } else {
            Err(io::Error::new(
                io::ErrorKind::WriteZero,
                "the notification was cut short",
            ))
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn receive(socket: &UnixDatagram) -> String {
        socket
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        let mut buffer = [0u8; 256];
        let length = socket.recv(&mut buffer).unwrap();
        String::from_utf8_lossy(buffer.get(..length).unwrap()).into_owned()
    }

    #[test]
    fn sends_to_an_abstract_socket_named_with_an_at_sign() {
        let name = format!("zenithfenced-notify-test-{}", std::process::id());
        let listener =
            UnixDatagram::bind_addr(&SocketAddr::from_abstract_name(name.as_bytes()).unwrap())
                .unwrap();
        let notifier = Notifier::to(format!("@{name}")).unwrap();
        notifier.send("READY=1", READY_BOUND).unwrap();
        notifier.send("STOPPING=1", STOPPING_BOUND).unwrap();
        assert_eq!(receive(&listener), "READY=1");
        assert_eq!(receive(&listener), "STOPPING=1");
    }

    #[test]
    fn sends_to_a_path_socket() {
        let dir = std::env::temp_dir().join(format!("zf-notify-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("notify");
        let listener = UnixDatagram::bind(&path).unwrap();
        let sent = Notifier::to(&path).and_then(|n| n.send("READY=1", READY_BOUND));
        let received = receive(&listener);
        std::fs::remove_dir_all(&dir).unwrap();
        sent.unwrap();
        assert_eq!(received, "READY=1");
    }

    #[test]
    fn refuses_what_names_no_socket() {
        for value in ["", "relative/path", "vsock:2:1234"] {
            assert_eq!(
                address(OsStr::new(value)).unwrap_err().kind(),
                io::ErrorKind::InvalidInput,
                "{value:?}"
            );
        }
        // A path socket nobody listens on is an error to send to, never a panic.
        let notifier = Notifier::to("/nonexistent-zenithfence/notify").unwrap();
        assert!(notifier.send("READY=1", READY_BOUND).is_err());
    }

    #[test]
    fn a_name_that_is_not_utf8_is_used_byte_for_byte() {
        let mut name = format!("zenithfenced-notify-latin1-{}", std::process::id()).into_bytes();
        // Latin-1 é: not UTF-8, which a lossy conversion would turn into U+FFFD.
        name.push(0xe9);
        let listener =
            UnixDatagram::bind_addr(&SocketAddr::from_abstract_name(&name).unwrap()).unwrap();
        let mut value = b"@".to_vec();
        value.extend_from_slice(&name);
        let notifier = Notifier::to(OsStr::from_bytes(&value)).unwrap();
        notifier.send("READY=1", READY_BOUND).unwrap();
        assert_eq!(receive(&listener), "READY=1");
    }

    #[test]
    fn stopping_does_not_wait_longer_than_its_bound_for_a_full_queue() {
        let name = format!("zenithfenced-notify-full-{}", std::process::id());
        let listener =
            UnixDatagram::bind_addr(&SocketAddr::from_abstract_name(name.as_bytes()).unwrap())
                .unwrap();
        let notifier = Notifier::to(format!("@{name}")).unwrap();
        // Fill the receiver's queue (net.unix.max_dgram_qlen) without blocking.
        let filler = UnixDatagram::unbound().unwrap();
        filler.set_nonblocking(true).unwrap();
        let address = SocketAddr::from_abstract_name(name.as_bytes()).unwrap();
        let mut queued = 0;
        while filler.send_to_addr(b"FILLER", &address).is_ok() {
            queued += 1;
            assert!(queued < 100_000, "the queue never filled");
        }
        let error = notifier
            .send("STOPPING=1", STOPPING_BOUND)
            .expect_err("a full queue that nobody reads refuses the state");
        assert_eq!(error.kind(), io::ErrorKind::WouldBlock, "{error}");
        drop(listener);
    }
}
