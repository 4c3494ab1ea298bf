//! The client session: which handles belong to the client, and what opening and closing one
//! does.
//!
//! The app opens the device twice from one process (`native/src/windows/device-transport.ts`):
//! a writer handle (read + write access: commands and IOCTLs) and a reader handle (read access:
//! the blocking read). Two, because the I/O manager serializes the I/O of a synchronous handle,
//! so a read pending on the writer would hold every verdict back until the next info. Both
//! handles are **one client**: one session, one info queue, one owner pid, one Hello grant.
//!
//! - The first open of a process attaches it (a fresh session, an empty queue).
//! - A further open from the same process joins that session (at most [`MAX_CLIENT_HANDLES`]).
//! - An open from another process while a session exists is refused with
//!   `STATUS_SHARING_VIOLATION` (the app maps it to "another ZenithFence client?") and changes
//!   nothing.
//! - Closing a handle (IRP_MJ_CLEANUP) completes that handle's pending reads with
//!   `STATUS_CANCELLED`, only those. The client leaves (everything held answered with the
//!   detached verdict) when its **last** handle closes: the reader closing alone drops nothing.
//! - Shutdown and a refused handshake end or refuse the session, so every handle of it; a fresh
//!   session starts when the process opens the device again after closing all of them.

use alloc::format;
use alloc::vec::Vec;

use super::{Driver, Effects};
use crate::bindings::{status, NTSTATUS};
use crate::irp::Irp;
use crate::log::severity;

/// Handles one client process may hold at once (the app needs two). Bounds the session.
pub const MAX_CLIENT_HANDLES: usize = 8;

/// The client: its handles and what it negotiated.
#[derive(Clone, Debug)]
pub(super) struct Session {
    /// The file objects of its open handles (1..=[`MAX_CLIENT_HANDLES`]).
    pub(super) files: Vec<usize>,
    /// The process that opened them; its own connections are not asked about.
    pub(super) owner_pid: u64,
    /// The features its Hello was granted.
    pub(super) features: u32,
    /// A handshake with another protocol major refused it.
    pub(super) refused: bool,
    /// Shutdown ended its stream.
    pub(super) ended: bool,
}

impl<P, I: Irp> Driver<P, I> {
    /// IRP_MJ_CREATE from process `pid` on file object `file`: attaches the client, or joins the
    /// session of the same process, or refuses another process.
    pub fn create(&mut self, file: usize, pid: u64) -> NTSTATUS {
        let Some(session) = self.session.as_mut() else {
            self.queue.clear();
            self.session = Some(Session {
                files: alloc::vec![file],
                owner_pid: pid,
                features: 0,
                refused: false,
                ended: false,
            });
            self.log(severity::INFO, format!("client attached: pid {pid}"));
            return status::SUCCESS;
        };
        if session.owner_pid != pid {
            // One client process at a time; this open changes nothing.
            let owner = session.owner_pid;
            self.log(
                severity::WARNING,
                format!("open from pid {pid} refused: pid {owner} is the client"),
            );
            return status::SHARING_VIOLATION;
        }
        if session.files.contains(&file) {
            return status::SUCCESS;
        }
        if session.files.len() >= MAX_CLIENT_HANDLES {
            return status::TOO_MANY_OPENED_FILES;
        }
        session.files.push(file);
        let handles = session.files.len();
        self.log(
            severity::DEBUG,
            format!("client handle opened: pid {pid}, {handles} handles"),
        );
        status::SUCCESS
    }

    /// IRP_MJ_CLEANUP (the last user handle of `file` closed): that handle's reads are
    /// cancelled, and when it was the client's last handle, everything the client was asked is
    /// answered with the detached verdict.
    pub fn cleanup(&mut self, file: usize, now: u64) -> Effects<P, I> {
        let mut effects = Effects::new();
        effects.completions.extend(
            self.reads
                .flush(status::CANCELLED, |irp| irp.file() == file),
        );
        let Some(session) = self.session.as_mut() else {
            return effects;
        };
        session.files.retain(|&f| f != file);
        if session.files.is_empty() {
            self.detach(&mut effects, now);
            self.session = None;
            self.log(severity::INFO, "client detached".into());
        }
        effects
    }

    /// Whether `file` is one of the client's handles.
    pub(super) fn is_client_file(&self, file: usize) -> bool {
        self.session
            .as_ref()
            .is_some_and(|s| s.files.contains(&file))
    }

    /// The client's open handles (0 without a client).
    pub fn client_handles(&self) -> usize {
        self.session.as_ref().map_or(0, |s| s.files.len())
    }
}
