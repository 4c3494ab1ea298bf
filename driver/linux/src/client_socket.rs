//! A client of the daemon's socket, as the app's binding uses it: each command is one write,
//! each read returns part of the info byte stream. Public for tests, benchmarks and tools.

use std::fs::File;
use std::io::{self, Read, Write};
use std::path::Path;

use zenithfence_protocol::command::MAX_POLICY_PART;
use zenithfence_protocol::{Command, InfoReader, PolicyPart, ReadItem};

use crate::client::MAX_READ;
use crate::sys;

/// A connection to `zenithfenced`.
pub struct DaemonClient {
    socket: File,
    reader: InfoReader,
    buf: Vec<u8>,
}

impl DaemonClient {
    /// Connects to the daemon's socket.
    pub fn connect(path: &Path) -> io::Result<DaemonClient> {
        Ok(DaemonClient {
            socket: sys::seqpacket_connect(path)?,
            reader: InfoReader::new(),
            buf: vec![0; MAX_READ],
        })
    }

    /// A second handle on the same connection (for example one thread reads, another writes).
    pub fn try_clone(&self) -> io::Result<DaemonClient> {
        Ok(DaemonClient {
            socket: self.socket.try_clone()?,
            reader: InfoReader::new(),
            buf: vec![0; MAX_READ],
        })
    }

    /// Closes the connection for every handle: the daemon sees the client leave.
    pub fn close(&self) -> io::Result<()> {
        sys::shutdown_both(&self.socket)
    }

    /// Sends one command.
    pub fn send(&mut self, command: &Command) -> io::Result<()> {
        let mut bytes = Vec::new();
        command.encode(&mut bytes);
        self.send_raw(&bytes)
    }

    /// Sends a policy document (its encoded bytes) as PolicyPart commands of full parts, in
    /// order; the daemon puts it in force when the last one arrives.
    pub fn send_policy(&mut self, generation: u64, document: &[u8]) -> io::Result<()> {
        let total_len = u32::try_from(document.len())
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "policy too large"))?;
        let mut offset = 0u32;
        for data in document.chunks(MAX_POLICY_PART) {
            self.send(&Command::PolicyPart(PolicyPart {
                generation,
                total_len,
                offset,
                data,
            }))?;
            // At most MAX_POLICY_PART, so this cannot wrap.
            offset += data.len() as u32;
        }
        Ok(())
    }

    /// Sends raw bytes as one write (to test how the daemon treats malformed commands).
    pub fn send_raw(&mut self, bytes: &[u8]) -> io::Result<()> {
        let written = sys::retry_interrupted(|| (&self.socket).write(bytes))?;
        if written != bytes.len() {
            return Err(io::Error::new(
                io::ErrorKind::WriteZero,
                "short command write",
            ));
        }
        Ok(())
    }

    /// Sets how long [`DaemonClient::read`] may block.
    pub fn set_read_timeout(&self, timeout: std::time::Duration) -> io::Result<()> {
        sys::set_receive_timeout(&self.socket, timeout)
    }

    /// Sets how long [`DaemonClient::send`] may block (a daemon that stopped reading would
    /// otherwise hold the caller for ever); a send that times out fails with `WouldBlock`.
    pub fn set_write_timeout(&self, timeout: std::time::Duration) -> io::Result<()> {
        sys::set_send_timeout(&self.socket, timeout)
    }

    /// Reads once and returns the records completed; `Ok(None)` at the end of the stream, an
    /// empty list when the read timed out.
    pub fn read(&mut self) -> io::Result<Option<Vec<ReadItem>>> {
        let (socket, buf) = (&self.socket, &mut self.buf);
        let n = match sys::retry_interrupted(|| (&*socket).read(buf)) {
            Ok(0) => return Ok(None),
            Ok(n) => n,
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                return Ok(Some(Vec::new()))
            }
            Err(e) => return Err(e),
        };
        let mut items = Vec::new();
        self.reader
            .push(self.buf.get(..n).unwrap_or(&[]), &mut items);
        Ok(Some(items))
    }
}
