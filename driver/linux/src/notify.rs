//! systemd's readiness protocol (`Type=notify`): the service manager passes a datagram socket in
//! `NOTIFY_SOCKET` (a path, or an abstract name written with a leading '@'), and the service
//! sends newline-separated `KEY=VALUE` states to it. We send `READY=1` once the queue rules are in
//! place and the client socket listens (units ordered after us can rely on both), and
//! `STOPPING=1` when the shutdown begins. Without the variable nothing is sent.

use std::io;
use std::os::linux::net::SocketAddrExt;
use std::os::unix::net::{SocketAddr, UnixDatagram};
use std::time::Duration;

/// The variable systemd sets for `Type=notify` services.
pub(crate) const NOTIFY_SOCKET: &str = "NOTIFY_SOCKET";
/// How long a send may wait for room in the receiver's queue. systemd reads its socket at once;
/// the bound keeps a reader that does not from holding the main thread (and with it the
/// handling of SIGTERM) for good. Well above the namespace tests' 10 s wait for the socket.
const SEND_BOUND: Duration = Duration::from_secs(30);

/// The address `NOTIFY_SOCKET` names: '@' starts an abstract name, '/' a path; anything else
/// (systemd also knows `vsock:` for virtual machines) is not supported here.
pub(crate) fn address(value: &str) -> io::Result<SocketAddr> {
    if let Some(name) = value.strip_prefix('@') {
        SocketAddr::from_abstract_name(name.as_bytes())
    } else if value.starts_with('/') {
        SocketAddr::from_pathname(value)
    } else {
        Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{NOTIFY_SOCKET}='{value}' is neither a path nor an abstract name (@…)"),
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
        let value = value.to_string_lossy();
        Some(Self::to(&value))
    }

    /// A notifier for the socket `value` names.
    pub(crate) fn to(value: &str) -> io::Result<Notifier> {
        let address = address(value)?;
        let socket = UnixDatagram::unbound()?;
        socket.set_write_timeout(Some(SEND_BOUND))?;
        Ok(Notifier { socket, address })
    }

    /// Sends one state message, e.g. "READY=1".
    pub(crate) fn send(&self, state: &str) -> io::Result<()> {
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
#[allow(clippy::unwrap_used)]
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
        let notifier = Notifier::to(&format!("@{name}")).unwrap();
        notifier.send("READY=1").unwrap();
        notifier.send("STOPPING=1").unwrap();
        assert_eq!(receive(&listener), "READY=1");
        assert_eq!(receive(&listener), "STOPPING=1");
    }

    #[test]
    fn sends_to_a_path_socket() {
        let dir = std::env::temp_dir().join(format!("zf-notify-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("notify");
        let listener = UnixDatagram::bind(&path).unwrap();
        let sent = Notifier::to(path.to_str().unwrap()).and_then(|n| n.send("READY=1"));
        let received = receive(&listener);
        std::fs::remove_dir_all(&dir).unwrap();
        sent.unwrap();
        assert_eq!(received, "READY=1");
    }

    #[test]
    fn refuses_what_names_no_socket() {
        for value in ["", "relative/path", "vsock:2:1234"] {
            assert_eq!(
                address(value).unwrap_err().kind(),
                io::ErrorKind::InvalidInput,
                "{value:?}"
            );
        }
        // A path socket nobody listens on is an error to send to, never a panic.
        let notifier = Notifier::to("/nonexistent-zenithfence/notify").unwrap();
        assert!(notifier.send("READY=1").is_err());
    }
}
