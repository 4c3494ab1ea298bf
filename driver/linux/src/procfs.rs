//! Process attribution from procfs: socket inode → pid → process details.
//!
//! The queue reader learns a held connection's socket inode and uid from sock_diag; this module turns
//! the inode into the owning pid and the pid into an executable path, command line and uid
//! (research notes §4.3 and §5.4):
//!
//! 1. `inode → (pid, fd)` is cached. A hit is re-validated with a single `readlink` of
//!    `/proc/PID/fd/FD`, so a closed socket or an exited process never yields a stale answer.
//!    The readlink goes through a held handle on the process's `fd` directory (`fd_dirs.rs`).
//! 2. On a miss, `/proc` is scanned newest pid first (new connections mostly come from new
//!    processes), and the pids owned by the hinted uid (NFQA_UID or the diag uid) before all the
//!    others. Every socket inode met on the way is remembered, so later lookups for sockets of the
//!    same processes hit the cache. A full miss walks every fd on the machine (tens of
//!    milliseconds with ~9 000 fds), so full scans get a share of the time (`scan_budget.rs`):
//!    beyond it, such a socket's owner is not looked for (unknown).
//! 3. `pid → details` is cached. On procfs each cached process keeps a handle on its
//!    `/proc/PID/exe` link, read again on every call (one `readlinkat`): the read fails once the
//!    process it was opened for is gone (even if its pid is reused), and a target that changed
//!    means the process ran another program (exec keeps the pid and the start time, so a start
//!    time check alone served the old program's details). Where no handle is held (other roots,
//!    processes without an executable) the start time (field 22 of `/proc/PID/stat`) is re-read
//!    instead: a reused pid has another start time and gets fresh details.
//!
//! Nothing here trusts procfs content: odd or truncated files give `None`, never a panic.

use std::collections::{HashMap, VecDeque};
use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use crate::connect_owners::{ConnectRecord, ProgramChanges};
use crate::fd_dirs::{self, FdDirs};
use crate::scan_budget::UserScanBudgets;

/// Most socket inodes remembered; the cache is cleared when it is full.
const SOCKET_CACHE_LIMIT: usize = 65_536;

/// Most processes whose details are remembered; the cache is cleared when it is full.
const DETAILS_CACHE_LIMIT: usize = 16_384;

/// Most bytes of paths and command lines the details cache holds; cleared when it would hold
/// more. With the entry limit alone, processes started with long command lines could make it
/// hold gigabytes.
const DETAILS_CACHE_BYTES: usize = 8 << 20;

/// Most bytes of `/proc/PID/cmdline` read. The kernel allows megabytes of arguments; more than
/// this is cut off (the last argument kept cut short and marked), so that no process makes the
/// daemon hold or send megabytes for it.
const MAX_COMMAND_LINE: u64 = 16 * 1024;

/// Most arguments kept (16 KiB of empty ones would be 16 384 strings).
const MAX_ARGUMENTS: usize = 1024;

/// Ends the last argument kept of a command line that was cut, so that the app never shows a
/// part as the whole.
const CUT_MARK: &str = "…";

/// How often `details` re-reads a process whose start time changed while it was being read.
const DETAILS_ATTEMPTS: usize = 3;

/// Most `/proc/PID/exe` handles kept (one descriptor each); all are closed when it is full.
const EXE_LINKS_LIMIT: usize = 128;

/// Room for an executable's path read through a held handle (a longer one is not held).
const EXE_BUFFER: usize = 4096;

/// Room for one `/proc/PID/stat` line (a few hundred bytes; more is read if needed).
const STAT_BUFFER: usize = 1024;

/// What procfs says about one process.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ProcessDetails {
    /// Process id (thread group id).
    pub(crate) pid: u32,
    /// Field 22 of `/proc/PID/stat`: start time in clock ticks since boot. Together with `pid` it
    /// names one process for good (pids are reused, start times of a reused pid differ).
    pub(crate) start_time: u64,
    /// Field 2 of `/proc/PID/stat` without the parentheses: the kernel's short task name (at most
    /// 15 bytes, lossily decoded). The only name kernel threads have.
    pub(crate) comm: String,
    /// Real uid: the first number of the `Uid:` line of `/proc/PID/status`.
    pub(crate) uid: u32,
    /// Target of the `/proc/PID/exe` link (ends with " (deleted)" when the binary was replaced);
    /// empty if unreadable (kernel threads, zombies, or other users' processes when not root).
    pub(crate) exe: String,
    /// `/proc/PID/cmdline` split on NUL (lossily decoded); empty for kernel threads and zombies.
    pub(crate) command_line: Vec<String>,
}

impl ProcessDetails {
    /// Bytes of text it holds, with a little for each string's own bookkeeping.
    fn text_bytes(&self) -> usize {
        const PER_STRING: usize = 24;
        self.exe.len()
            + self.comm.len()
            + self
                .command_line
                .iter()
                .map(|argument| argument.len() + PER_STRING)
                .sum::<usize>()
            + 3 * PER_STRING
    }
}

/// Where a socket inode was last seen: the process and the descriptor number.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct SocketOwner {
    /// The process holding the socket.
    pid: u32,
    /// The descriptor number in that process.
    fd: u32,
}

/// Finds the process owning a socket, with caches. One per reader thread (not shared).
#[derive(Debug)]
pub(crate) struct ProcessFinder {
    /// The procfs mount, `/proc` in production.
    proc_root: PathBuf,
    /// Socket inode → where it was last seen.
    sockets: HashMap<u64, SocketOwner>,
    /// Bound of `sockets`.
    socket_limit: usize,
    /// Pid → details read at the cached start time; shared with callers, so a cache hit
    /// copies nothing.
    processes: HashMap<u32, Arc<ProcessDetails>>,
    /// Bound of `processes`.
    process_limit: usize,
    /// What `processes` holds, in bytes of text, and its bound ([`DETAILS_CACHE_BYTES`]).
    process_bytes: usize,
    process_byte_limit: usize,
    /// Pids that owned the most recent sockets, newest first: a program that opens one
    /// connection usually opens the next one too, so these are checked before listing `/proc`
    /// (which costs far more, and grows with the number of processes).
    recent_owners: VecDeque<SocketOwner>,
    /// Handles (`O_PATH`) on the `/proc/PID/exe` links of recently attributed processes, read
    /// with one `readlinkat` per connection instead of regenerating `/proc/PID/stat` (three
    /// times the kernel's work) or opening files; not even that when the kernel's record of
    /// the connect shows no change of the watched process ([`Self::details_unchanged_at`]).
    /// Safe on procfs only: a handle names the
    /// process it was opened for, so once that process is gone (and even if its pid is reused)
    /// every read of it fails. Empty and unused for other roots (the tests' fake trees are plain
    /// files). Each with the `CLOCK_MONOTONIC` time just after a read of it named the program
    /// the details are of: what the kernel recorded of the process after that time was done by
    /// that program while the handle still names it.
    exe_links: HashMap<u32, ExeLink>,
    /// Whether `proc_root` is the real procfs, where `exe_links` are kept.
    hold_exe_links: bool,
    /// The kernel's watch of program changes (`connect_owners.rs`), when attached: a process
    /// with a held `exe` handle is watched from just before its details are read, so that a
    /// connect record alone can prove they still describe it ([`Self::details_unchanged_at`]).
    changes: Option<ProgramChanges>,
    /// Handles on the `fd` directories of socket owners, for the one readlink per check.
    fd_dirs: FdDirs,
    /// Where a held `exe` link is read into (allocated once).
    link_buf: Vec<u8>,
    /// The time scans of whole descriptor lists may take, per user.
    scans: UserScanBudgets,
    /// How many times details were read in full (`owner_details` checks the owner again after
    /// one; tests check the held handles are used).
    full_reads: u64,
}

/// A held `/proc/PID/exe` handle ([`ProcessFinder`]'s `exe_links`).
#[derive(Debug)]
struct ExeLink {
    handle: fs::File,
    /// `CLOCK_MONOTONIC` just after a read of the handle named the program the details are of.
    verified_ns: u64,
    /// When the kernel's watch of the process's program changes began, if it is watched.
    watched_from: Option<u64>,
}

/// A scan looks at the time after this many descriptors.
const SCAN_CHECK_EVERY: usize = 256;

/// How many recent socket owners are checked before a full scan.
const RECENT_OWNERS: usize = 8;

impl ProcessFinder {
    /// A finder reading the procfs mounted at `proc_root` (`/proc` in production; tests pass a
    /// fake tree).
    pub(crate) fn new(proc_root: PathBuf) -> Self {
        Self {
            sockets: HashMap::new(),
            socket_limit: SOCKET_CACHE_LIMIT,
            processes: HashMap::new(),
            process_limit: DETAILS_CACHE_LIMIT,
            process_bytes: 0,
            process_byte_limit: DETAILS_CACHE_BYTES,
            recent_owners: VecDeque::with_capacity(RECENT_OWNERS),
            hold_exe_links: proc_root == Path::new("/proc"),
            exe_links: HashMap::new(),
            changes: None,
            fd_dirs: FdDirs::default(),
            link_buf: vec![0; EXE_BUFFER],
            scans: UserScanBudgets::default(),
            full_reads: 0,
            proc_root,
        }
    }

    /// The pid of a process holding the socket `inode`, or `None` if no visible process holds it
    /// (fire-and-forget senders that already exited, kernel sockets, or other users' processes
    /// when not root).
    ///
    /// A cached owner is re-validated with one `readlink`. Otherwise `/proc` is scanned newest pid
    /// first; with `uid_hint`, the pids owned by that uid (owner of `/proc/PID`, i.e. the effective
    /// uid) are scanned first, then the rest. When several processes share the socket (after a
    /// fork), the first one found in that order is returned.
    pub(crate) fn pid_of_socket(&mut self, inode: u64, uid_hint: Option<u32>) -> Option<u32> {
        if let Some(owner) = self.sockets.get(&inode).copied() {
            if self.fd_holds(owner, inode) {
                return Some(owner.pid);
            }
            self.sockets.remove(&inode);
        }
        let recent: Vec<SocketOwner> = self.recent_owners.iter().copied().collect();
        // A program that closes a socket and opens the next one usually gets the same
        // descriptor number back: one readlink per recent owner, before reading whole fd lists.
        if let Some(&owner) = recent.iter().find(|owner| self.fd_holds(**owner, inode)) {
            self.remember_socket(inode, owner);
        } else {
            // Whole descriptor lists from here on, the recent owners' first.
            let found = self.scan_within_share(uid_hint, |finder, deadline| {
                let mut found = false;
                for pid in recent.iter().map(|owner| owner.pid) {
                    found = finder.scan_fds(pid, inode, deadline);
                    if found || Instant::now() >= deadline {
                        break;
                    }
                }
                if !found && Instant::now() < deadline {
                    for pid in finder.scan_order(uid_hint) {
                        found = finder.scan_fds(pid, inode, deadline);
                        if found || Instant::now() >= deadline {
                            break;
                        }
                    }
                }
                found
            });
            if found != Some(true) {
                return None;
            }
        }
        // scan_fds and the probe both cached the socket with its descriptor.
        let owner = *self.sockets.get(&inode)?;
        self.recent_owners.retain(|o| o.pid != owner.pid);
        self.recent_owners.push_front(owner);
        self.recent_owners.truncate(RECENT_OWNERS);
        Some(owner.pid)
    }

    /// Full scans refused since the last call, for lack of time (`scan_budget.rs`).
    pub(crate) fn take_scans_refused(&mut self) -> u64 {
        self.scans.take_refused()
    }

    /// The details of the process holding the socket `inode` ([`Self::pid_of_socket`], then
    /// [`Self::details`]). When the details had to be read afresh (by path), the socket is
    /// looked for once more afterwards through the held handle: found there, the process lived
    /// throughout, so what was read is its own and not that of a process that was given its pid
    /// in between. Otherwise `None`.
    pub(crate) fn owner_details(
        &mut self,
        inode: u64,
        uid_hint: Option<u32>,
    ) -> Option<Arc<ProcessDetails>> {
        let pid = self.pid_of_socket(inode, uid_hint)?;
        self.details_of_holder(inode, pid)
    }

    /// The details of `pid`, which the kernel recorded connecting the socket `inode` at
    /// `connected_ns` (`connect_owners.rs`). Without any search when the process's details were
    /// read, and its held `exe` handle seen naming their program, before that time, and the
    /// handle still reads the same program: that program made the call (the handle dies with the process, whatever later
    /// gets its pid). Otherwise (the first connection of a process, or one that may have run
    /// another program when it connected) the socket must be found in that process's own
    /// descriptors, as [`Self::owner_details`] checks a holder; failing that, the socket's
    /// holder is looked for as without a record.
    ///
    /// Left open: a process that ran the program whose details are cached, then another one
    /// (which connected), then the first again, all between two of its connections. The
    /// allowed program itself would have to run the other one, and one that runs any program
    /// it is told to is as good as the other program anyway.
    pub(crate) fn recorded_owner_details(
        &mut self,
        pid: u32,
        connected_ns: u64,
        inode: u64,
        uid_hint: Option<u32>,
    ) -> Option<Arc<ProcessDetails>> {
        let reads = self.full_reads;
        if let Some(details) = self.details(pid) {
            let known_before = self.full_reads == reads
                && self
                    .exe_links
                    .get(&pid)
                    .is_some_and(|link| link.verified_ns <= connected_ns);
            // Found after the details were read: the process they describe holds it.
            if known_before || self.found_in(pid, inode, uid_hint) {
                return Some(details);
            }
        }
        self.owner_details(inode, uid_hint)
    }

    /// Whether process `pid` holds the socket `inode` now: at the descriptor it was last seen
    /// at, at that of the process's last socket, else in its whole descriptor list (within the
    /// time share of the socket's user, `scan_budget.rs`).
    fn found_in(&mut self, pid: u32, inode: u64, uid_hint: Option<u32>) -> bool {
        let known = self.sockets.get(&inode).copied();
        let last = self.recent_owners.iter().find(|o| o.pid == pid).copied();
        for owner in [known, last].into_iter().flatten() {
            if owner.pid == pid && self.fd_holds(owner, inode) {
                self.remember_socket(inode, owner);
                return true;
            }
        }
        self.scan_within_share(uid_hint, |finder, deadline| {
            finder.scan_fds(pid, inode, deadline)
        }) == Some(true)
    }

    /// Runs `scan` (whole descriptor lists, until the deadline it is given) within the time
    /// share of the socket's user, `uid_hint` (`scan_budget.rs`), and charges what it took;
    /// `None` when the share is spent and nothing was scanned.
    fn scan_within_share(
        &mut self,
        uid_hint: Option<u32>,
        scan: impl FnOnce(&mut Self, Instant) -> bool,
    ) -> Option<bool> {
        let user = uid_hint.unwrap_or(u32::MAX);
        let started = Instant::now();
        let deadline = self.scans.allows(user, started)?;
        let found = scan(self, deadline);
        self.scans.spent(user, started.elapsed());
        Some(found)
    }

    /// The details of `pid`, which [`Self::pid_of_socket`] found holding `inode`, checked as
    /// [`Self::owner_details`] says.
    fn details_of_holder(&mut self, inode: u64, pid: u32) -> Option<Arc<ProcessDetails>> {
        let reads = self.full_reads;
        let details = self.details(pid)?;
        if self.full_reads != reads {
            let owner = *self.sockets.get(&inode)?;
            if owner.pid != pid || !self.fd_holds(owner, inode) {
                return None;
            }
        }
        Some(details)
    }

    /// The details of process `pid`, or `None` if it is gone or its uid cannot be read.
    ///
    /// Cached details are returned while the process's held `exe` handle reads the same target
    /// (see the module's notes), else while its start time matches; otherwise they are read
    /// afresh.
    pub(crate) fn details(&mut self, pid: u32) -> Option<Arc<ProcessDetails>> {
        if let Some(link) = self.exe_links.get(&pid) {
            let current = read_link_into(&link.handle, &mut self.link_buf);
            match self.processes.get(&pid) {
                Some(cached) if current.is_some_and(|target| same_target(target, &cached.exe)) => {
                    return Some(Arc::clone(cached));
                }
                // Gone, or another program now: the handle is of no more use.
                _ => {
                    self.drop_exe_link(pid);
                    self.forget_process(pid);
                }
            }
        }
        let dir = self.proc_root.join(pid.to_string());
        // Opened before anything is read: if it still reads the same target afterwards, the
        // process it names lived throughout, so everything read in between is of that process.
        let handle = self
            .hold_exe_links
            .then(|| open_link(&dir.join("exe")))
            .flatten();
        let Some(mut stat) = read_stat(&dir) else {
            self.forget_process(pid);
            return None;
        };
        if let Some(cached) = self.processes.get(&pid) {
            // With a handle, only a program without an executable (no handle kept for it) is
            // served by its start time; any other was just found gone or changed above.
            if cached.start_time == stat.start_time && (handle.is_none() || cached.exe.is_empty()) {
                return Some(Arc::clone(cached));
            }
        }
        // Watched before anything is read: a change after this time is recorded, and one before
        // it is seen by the reads below.
        let mut watched_from = handle
            .as_ref()
            .and(self.changes.as_ref())
            .and_then(|changes| changes.watch(pid));
        let mut kept = false;
        for _ in 0..DETAILS_ATTEMPTS {
            self.full_reads += 1;
            let fresh = read_details(&dir, pid, &stat);
            // The pid may have died and been reused while we read; confirm it is the same process.
            let Some(after) = read_stat(&dir) else {
                self.forget_process(pid);
                break;
            };
            if after.start_time != stat.start_time {
                stat = after;
                continue;
            }
            // A process that has begun to exit may have passed the exit tracepoint before the
            // watch began (its program still readable until its memory goes): its end would
            // never be marked, and its pid may come back as another process's. One that begins
            // later is marked at a time after the watch's start.
            if after.flags & PF_EXITING != 0 {
                self.unwatch(watched_from.take(), pid);
            }
            let Some(fresh) = fresh else {
                self.forget_process(pid);
                break;
            };
            let fresh = Arc::new(fresh);
            self.remember_process(Arc::clone(&fresh));
            if let Some(handle) = handle {
                if !fresh.exe.is_empty()
                    && read_link_into(&handle, &mut self.link_buf)
                        .is_some_and(|target| same_target(target, &fresh.exe))
                {
                    // Taken after the read that saw this program: the process ran it at this
                    // time at the latest, so a connect it made later was this program's (unless
                    // it ran another one in between, which the next read of the handle sees, or
                    // ran this one again: see `recorded_owner_details`). Without a clock, never.
                    let verified_ns = crate::sys::monotonic_ns().unwrap_or(u64::MAX);
                    if self.exe_links.len() >= EXE_LINKS_LIMIT {
                        let pids: Vec<u32> = self.exe_links.keys().copied().collect();
                        pids.into_iter().for_each(|pid| self.drop_exe_link(pid));
                    }
                    let link = ExeLink {
                        handle,
                        verified_ns,
                        watched_from,
                    };
                    self.exe_links.insert(pid, link);
                    kept = true;
                }
            }
            if !kept {
                self.unwatch(watched_from, pid);
            }
            return Some(fresh);
        }
        if !kept {
            self.unwatch(watched_from, pid);
        }
        self.forget_process(pid);
        None
    }

    /// Uses the kernel's watch of program changes (`connect_owners.rs`) from now on.
    pub(crate) fn set_program_changes(&mut self, changes: ProgramChanges) {
        self.changes = Some(changes);
    }

    /// The details of the process that made the connect `record`, with no read at all, when
    /// the record proves they describe it: they were read, and the held handle seen naming
    /// their program, before the connect; the process was watched from before they were read;
    /// and up to the connect the kernel saw it run no other program, nor end (a change
    /// recorded before the watch began was seen by the read). Otherwise `None` (the caller
    /// checks through `/proc` as [`Self::recorded_owner_details`] says).
    pub(crate) fn details_unchanged_at(
        &self,
        record: &ConnectRecord,
    ) -> Option<Arc<ProcessDetails>> {
        let link = self.exe_links.get(&record.pid)?;
        let from = link.watched_from?;
        if record.changed_ns < from && link.verified_ns <= record.at_ns {
            return self.processes.get(&record.pid).cloned();
        }
        None
    }

    /// Closes the held handle of `pid` and stops watching it.
    fn drop_exe_link(&mut self, pid: u32) {
        if let Some(link) = self.exe_links.remove(&pid) {
            self.unwatch(link.watched_from, pid);
        }
    }

    fn unwatch(&self, watched_from: Option<u64>, pid: u32) {
        if let (Some(_), Some(changes)) = (watched_from, self.changes.as_ref()) {
            changes.unwatch(pid);
        }
    }

    /// Caches `details`, clearing the cache first when it would hold too many processes or bytes.
    fn remember_process(&mut self, details: Arc<ProcessDetails>) {
        self.forget_process(details.pid);
        let bytes = details.text_bytes();
        if self.processes.len() >= self.process_limit
            || self.process_bytes + bytes > self.process_byte_limit
        {
            self.processes.clear();
            self.process_bytes = 0;
        }
        self.process_bytes += bytes;
        self.processes.insert(details.pid, details);
    }

    /// Drops the cached details of `pid`, if any.
    fn forget_process(&mut self, pid: u32) {
        if let Some(gone) = self.processes.remove(&pid) {
            self.process_bytes = self.process_bytes.saturating_sub(gone.text_bytes());
        }
    }

    /// Whether `/proc/PID/fd/FD` still links to `socket:[inode]`.
    fn fd_holds(&mut self, owner: SocketOwner, inode: u64) -> bool {
        self.fd_dirs.socket_at(&self.proc_root, owner.pid, owner.fd) == Some(inode)
    }

    /// The numeric entries of the proc root, newest (highest) pid first; with `uid_hint`, those
    /// whose directory belongs to that uid come first, each group keeping that order.
    fn scan_order(&self, uid_hint: Option<u32>) -> Vec<u32> {
        let Ok(entries) = fs::read_dir(&self.proc_root) else {
            return Vec::new();
        };
        let mut pids: Vec<(u32, bool)> = entries
            .filter_map(Result::ok)
            .filter_map(|entry| {
                let pid = parse_decimal_u32(entry.file_name().as_bytes())?;
                let preferred = uid_hint.is_some_and(|uid| {
                    entry.metadata().is_ok_and(|metadata| metadata.uid() == uid)
                });
                Some((pid, preferred))
            })
            .collect();
        // Preferred first, then newest first.
        pids.sort_unstable_by(|a, b| b.1.cmp(&a.1).then(b.0.cmp(&a.0)));
        pids.into_iter().map(|(pid, _)| pid).collect()
    }

    /// Reads every descriptor link of `pid` (until `deadline`, looked at every
    /// [`SCAN_CHECK_EVERY`] descriptors), remembering each socket met (all of them, so the
    /// process's other sockets hit the cache later); true if one is `socket:[inode]`.
    fn scan_fds(&mut self, pid: u32, inode: u64, deadline: Instant) -> bool {
        let fd_dir = self.proc_root.join(pid.to_string()).join("fd");
        // The handle first: if the pid is reused after it, the listing below is of a process
        // the handle does not name, and its reads find nothing rather than a wrong owner.
        let Some(handle) = fd_dirs::open_fd_dir(&self.proc_root, pid) else {
            return false;
        };
        let Ok(entries) = fs::read_dir(fd_dir) else {
            return false;
        };
        let mut found = false;
        for (n, fd) in entries
            .filter_map(Result::ok)
            .filter_map(|entry| parse_decimal_u32(entry.file_name().as_bytes()))
            .enumerate()
        {
            if n % SCAN_CHECK_EVERY == SCAN_CHECK_EVERY - 1 && Instant::now() >= deadline {
                break;
            }
            if let Some(socket) = fd_dirs::socket_in(&handle, fd) {
                self.remember_socket(socket, SocketOwner { pid, fd });
                found |= socket == inode;
            }
        }
        // Held for the owner found, and in place of a held one (which may name a process that
        // had this pid before); not for every process a full scan lists, which would push the
        // recent owners' handles out.
        if found || self.fd_dirs.holds(pid) {
            self.fd_dirs.keep(pid, handle);
        }
        found
    }

    /// Caches `inode → owner`, clearing the cache first when it is full.
    fn remember_socket(&mut self, inode: u64, owner: SocketOwner) {
        if self.sockets.len() >= self.socket_limit && !self.sockets.contains_key(&inode) {
            self.sockets.clear();
        }
        self.sockets.insert(inode, owner);
    }
}

/// The fields of `/proc/PID/stat` this module uses.
#[derive(Clone, Debug, PartialEq, Eq)]
struct StatFields {
    /// Field 1.
    pid: u32,
    /// Field 2 without the parentheses, lossily decoded.
    comm: String,
    /// Field 9, the kernel's `PF_*` flags of the task.
    flags: u32,
    /// Field 22.
    start_time: u64,
}

/// `PF_EXITING`: the task has begun to exit (set before the exit tracepoint runs).
const PF_EXITING: u32 = 0x4;

/// Reads and parses `DIR/stat`.
fn read_stat(dir: &Path) -> Option<StatFields> {
    parse_stat(&read_stat_at(&fs::File::open(dir.join("stat")).ok()?)?)
}

/// The whole content of a stat file from offset 0 (procfs regenerates it on a read at 0), in
/// one `pread` when it fits the buffer; `None` on a read error (on procfs: the process is gone).
fn read_stat_at(file: &fs::File) -> Option<Vec<u8>> {
    use std::os::unix::fs::FileExt;
    let mut content = vec![0; STAT_BUFFER];
    let mut filled = 0;
    loop {
        if filled == content.len() {
            content.resize(content.len() * 2, 0);
        }
        let rest = content.get_mut(filled..)?;
        let read = crate::sys::retry_interrupted(|| file.read_at(rest, filled as u64)).ok()?;
        if read == 0 {
            break;
        }
        filled += read;
        // A short read of procfs's one-shot text is the whole of it: skip the read of 0 bytes.
        if filled < content.len() {
            break;
        }
    }
    content.truncate(filled);
    Some(content)
}

/// Parses `/proc/PID/stat`. The comm field is in parentheses and may itself contain spaces,
/// parentheses and any other byte, so it runs from the first '(' to the LAST ')'; the fields after
/// it are numbered from 3 (state) on, flags being field 9 and starttime field 22.
fn parse_stat(content: &[u8]) -> Option<StatFields> {
    let open = content.iter().position(|&byte| byte == b'(')?;
    let close = content.iter().rposition(|&byte| byte == b')')?;
    if close < open {
        return None;
    }
    let pid = parse_decimal_u32(content.get(..open)?.trim_ascii())?;
    let comm = String::from_utf8_lossy(content.get(open + 1..close)?).into_owned();
    let mut fields = content
        .get(close + 1..)?
        .split(u8::is_ascii_whitespace)
        .filter(|field| !field.is_empty());
    let flags = fields.nth(9 - 3)?;
    let start_time = fields.nth(22 - 9 - 1)?;
    Some(StatFields {
        pid,
        comm,
        flags: parse_decimal_u32(flags)?,
        start_time: parse_decimal_u64(start_time)?,
    })
}

/// An `O_PATH` handle on the symbolic link at `path` itself (`None` if there is none).
fn open_link(path: &Path) -> Option<fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    fs::OpenOptions::new()
        .read(true)
        .custom_flags(crate::sys::O_PATH | crate::sys::O_NOFOLLOW)
        .open(path)
        .ok()
}

/// The target a held link handle reads now, in `buf`; `None` if the read fails (on procfs: the
/// process is gone) or the target does not fit.
fn read_link_into<'b>(handle: &fs::File, buf: &'b mut [u8]) -> Option<&'b [u8]> {
    let n = crate::sys::read_link_of(handle, buf).ok()?;
    let room = buf.len();
    buf.get(..n).filter(|_| n < room)
}

/// Whether a link's raw target is `exe` as `read_details` decoded it (lossily: a target that is
/// not UTF-8 is compared decoded).
fn same_target(target: &[u8], exe: &str) -> bool {
    target == exe.as_bytes() || String::from_utf8_lossy(target) == exe
}

/// Reads everything but the start time; `None` if the uid cannot be found.
fn read_details(dir: &Path, pid: u32, stat: &StatFields) -> Option<ProcessDetails> {
    let uid = fs::read(dir.join("status"))
        .ok()
        .and_then(|status| parse_status_uid(&status))
        // The directory owner is the effective uid; better than nothing if status is odd.
        .or_else(|| fs::metadata(dir).ok().map(|metadata| metadata.uid()))?;
    let exe = fs::read_link(dir.join("exe"))
        .map(|target| target.to_string_lossy().into_owned())
        .unwrap_or_default();
    let command_line = read_bounded(&dir.join("cmdline"), MAX_COMMAND_LINE + 1)
        .map(|content| bounded_command_line(&content))
        .unwrap_or_default();
    Some(ProcessDetails {
        pid,
        start_time: stat.start_time,
        comm: stat.comm.clone(),
        uid,
        exe,
        command_line,
    })
}

/// At most `limit` bytes of the file at `path`.
fn read_bounded(path: &Path, limit: u64) -> Option<Vec<u8>> {
    use std::io::Read;
    let mut content = Vec::new();
    fs::File::open(path)
        .ok()?
        .take(limit)
        .read_to_end(&mut content)
        .ok()?;
    Some(content)
}

/// The real uid from `/proc/PID/status`: the first number of the `Uid:` line.
fn parse_status_uid(content: &[u8]) -> Option<u32> {
    let rest = content
        .split(|&byte| byte == b'\n')
        .find_map(|line| line.strip_prefix(b"Uid:"))?;
    let first = rest
        .split(u8::is_ascii_whitespace)
        .find(|field| !field.is_empty())?;
    parse_decimal_u32(first)
}

/// The arguments of `/proc/PID/cmdline` content read up to one byte past the bound: at most
/// [`MAX_COMMAND_LINE`] bytes and [`MAX_ARGUMENTS`] arguments, the last one marked when any
/// were cut off.
fn bounded_command_line(content: &[u8]) -> Vec<String> {
    let limit = usize::try_from(MAX_COMMAND_LINE).unwrap_or(usize::MAX);
    let mut cut = content.len() > limit;
    let mut arguments = parse_cmdline(content.get(..limit).unwrap_or(content));
    if arguments.len() > MAX_ARGUMENTS {
        arguments.truncate(MAX_ARGUMENTS);
        cut = true;
    }
    if cut {
        if let Some(last) = arguments.last_mut() {
            last.push_str(CUT_MARK);
        }
    }
    arguments
}

/// `/proc/PID/cmdline` split on NUL: the arguments, the terminating NUL dropped.
fn parse_cmdline(content: &[u8]) -> Vec<String> {
    let content = content.strip_suffix(b"\0").unwrap_or(content);
    if content.is_empty() {
        return Vec::new();
    }
    content
        .split(|&byte| byte == 0)
        .map(|argument| String::from_utf8_lossy(argument).into_owned())
        .collect()
}

/// A non-empty run of ASCII digits as u64 (no sign, no spaces).
pub(crate) fn parse_decimal_u64(digits: &[u8]) -> Option<u64> {
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(digits).ok()?.parse().ok()
}

/// A non-empty run of ASCII digits as u32 (no sign, no spaces).
fn parse_decimal_u32(digits: &[u8]) -> Option<u32> {
    u32::try_from(parse_decimal_u64(digits)?).ok()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]
mod tests {
    use super::*;
    use std::io::{BufRead, BufReader};
    use std::net::TcpListener;
    use std::os::fd::AsRawFd;
    use std::os::unix::fs::symlink;
    use std::os::unix::process::CommandExt;
    use std::process::{Child, Command, Stdio};
    use std::time::Instant;

    /// A real stat line (from `cat /proc/self/stat`), starttime 76148.
    const REAL_STAT: &[u8] =
        b"13116 (cat) R 13114 13114 11493 0 -1 4194304 98 0 0 0 0 0 0 0 20 0 1 0 \
76148 3133440 413 18446744073709551615 94372315299840 94372315319721 140736780998496 0 0 0 0 0 0 0 \
0 0 17 0 0 0 0 0 0 94372315335728 94372315337344 94372755210240 140736781003488 140736781003508 \
140736781003508 140736781004779 0\n";

    /// A synthetic stat line with the given comm bytes and start time.
    fn stat_line(pid: u32, comm: &[u8], start_time: u64) -> Vec<u8> {
        let mut line = format!("{pid} (").into_bytes();
        line.extend_from_slice(comm);
        line.extend_from_slice(
            format!(") S 1 {pid} {pid} 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 {start_time} 1000 100 0\n")
                .as_bytes(),
        );
        line
    }

    /// The effective uid of this test process (owner of /proc/self).
    fn my_uid() -> u32 {
        fs::metadata("/proc/self").unwrap().uid()
    }

    #[test]
    fn stat_parser_reads_a_real_line() {
        let stat = parse_stat(REAL_STAT).unwrap();
        assert_eq!(
            stat,
            StatFields {
                pid: 13116,
                comm: "cat".into(),
                flags: 4_194_304,
                start_time: 76148
            }
        );
    }

    #[test]
    fn stat_parser_handles_tricky_comm() {
        let tricky: [&[u8]; 9] = [
            b"a b c",
            b"a) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 (",
            b")",
            b"))",
            b"(",
            b"",
            b"x)(y",
            b"new\nline\ttab",
            b"\xff\xfe bad utf8",
        ];
        for comm in tricky {
            let stat = parse_stat(&stat_line(4321, comm, 987_654)).unwrap();
            assert_eq!(stat.pid, 4321, "comm {comm:?}");
            assert_eq!(stat.start_time, 987_654, "comm {comm:?}");
            assert_eq!(stat.comm, String::from_utf8_lossy(comm), "comm {comm:?}");
        }
    }

    #[test]
    fn stat_parser_rejects_odd_content() {
        let bad: [&[u8]; 8] = [
            b"",
            b"123",
            b"123 (comm",
            b"123 comm) S 1",
            b") 123 (",
            b"x (comm) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20",
            b"1 (comm) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18",
            b"1 (comm) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 -5 20",
        ];
        for content in bad {
            assert_eq!(
                parse_stat(content),
                None,
                "{:?}",
                String::from_utf8_lossy(content)
            );
        }
    }

    #[test]
    fn status_and_cmdline_parsers() {
        let status = b"Name:\tpython3\nUmask:\t0022\nState:\tS (sleeping)\nTgid:\t5\n\
Uid:\t65534\t1000\t1000\t1000\nGid:\t65534\t65534\t65534\t65534\n";
        assert_eq!(parse_status_uid(status), Some(65534));
        assert_eq!(parse_status_uid(b"Name:\tx\nGid:\t0\n"), None);
        assert_eq!(parse_status_uid(b"Uid:\n"), None);
        assert_eq!(parse_status_uid(b"Uid:\tminus\t1\n"), None);

        assert_eq!(
            parse_cmdline(b"/usr/bin/python3\0-c\0print(1)\0"),
            ["/usr/bin/python3", "-c", "print(1)"]
        );
        assert_eq!(parse_cmdline(b"a\0\0"), ["a", ""]);
        assert_eq!(parse_cmdline(b"setproctitle style"), ["setproctitle style"]);
        assert!(parse_cmdline(b"").is_empty());
        assert!(parse_cmdline(b"\0").is_empty());
    }

    /// The inode of a socket fd of this process.
    fn own_socket_inode(fd: i32) -> u64 {
        let target = fs::read_link(format!("/proc/self/fd/{fd}")).unwrap();
        fd_dirs::socket_inode(target.as_os_str().as_bytes()).unwrap()
    }

    #[test]
    fn finds_own_listener_and_details() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let inode = own_socket_inode(listener.as_raw_fd());
        let mut finder = ProcessFinder::new(PathBuf::from("/proc"));
        let pid = std::process::id();
        // Us, or a child another test forks at this moment (it holds a copy of every descriptor
        // until its exec closes them; the scan looks at the newest pids first).
        let ours = |found: Option<u32>| {
            found == Some(pid) || found.is_some_and(|f| parent_of(f) == Some(pid))
        };
        assert!(ours(finder.pid_of_socket(inode, None)));
        // Cached now, and still right.
        assert!(finder.sockets.contains_key(&inode));
        assert!(ours(finder.pid_of_socket(inode, Some(my_uid()))));

        let details = finder.details(pid).unwrap();
        assert_eq!(details.pid, pid);
        assert_eq!(
            fs::canonicalize(&details.exe).unwrap(),
            fs::canonicalize(std::env::current_exe().unwrap()).unwrap()
        );
        assert_eq!(details.uid, my_uid());
        assert!(!details.command_line.is_empty());
        assert!(details.start_time > 0);
        assert_eq!(finder.details(pid).unwrap(), details, "cached details");

        // Closed socket: the cache entry fails validation and the scan does not find us. (A
        // child another test forks at this moment holds a copy until its exec closes it: the
        // scan then rightly finds the child.)
        drop(listener);
        assert_ne!(finder.pid_of_socket(inode, None), Some(pid));
        assert!(finder
            .sockets
            .get(&inode)
            .is_none_or(|owner| owner.pid != pid));
    }

    #[test]
    fn details_of_a_missing_pid_is_none() {
        let mut finder = ProcessFinder::new(PathBuf::from("/proc"));
        assert_eq!(finder.details(u32::MAX), None);
    }

    /// A process's details come from the cache while its held `exe` handle reads the same
    /// program, and once the process is gone that read fails: its details are gone too, never
    /// served stale.
    #[test]
    fn details_use_the_held_exe_link_until_the_process_is_gone() {
        let mut child = sleeper();
        let pid = child.0.id();
        let mut finder = ProcessFinder::new(PathBuf::from("/proc"));
        let first = finder.details(pid).unwrap();
        assert_eq!(first.pid, pid);
        assert!(finder.exe_links.contains_key(&pid));
        let reads = finder.full_reads;
        assert_eq!(finder.details(pid), Some(first.clone()));
        assert_eq!(finder.details(pid), Some(first));
        assert_eq!(finder.full_reads, reads, "served through the held handle");

        child.0.kill().unwrap();
        child.0.wait().unwrap();
        assert_eq!(finder.details(pid), None, "gone process");
        assert!(!finder.exe_links.contains_key(&pid));
        assert!(!finder.processes.contains_key(&pid));
    }

    /// exec keeps the pid and the start time: the details must follow the new program, or its
    /// connections would be decided by the rules of the program that ran before.
    #[test]
    fn details_follow_an_exec() {
        let mut child = KillOnDrop(
            Command::new("sh")
                .args(["-c", "read line; exec sleep 30"])
                .stdin(Stdio::piped())
                .spawn()
                .unwrap(),
        );
        let pid = child.0.id();
        let mut finder = ProcessFinder::new(PathBuf::from("/proc"));
        let before = finder.details(pid).unwrap();
        assert!(!before.exe.ends_with("/sleep"), "{}", before.exe);
        let sleep = fs::canonicalize(which("sleep")).unwrap();
        let link = PathBuf::from(format!("/proc/{pid}/exe"));
        let cmdline = PathBuf::from(format!("/proc/{pid}/cmdline"));
        std::io::Write::write_all(child.0.stdin.as_mut().unwrap(), b"go\n").unwrap();
        // Until the exec is complete: the new program and its arguments in place.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        while fs::read_link(&link).ok().as_ref() != Some(&sleep)
            || fs::read(&cmdline).ok().as_deref() != Some(b"sleep\x0030\x00".as_slice())
        {
            assert!(
                std::time::Instant::now() < deadline,
                "the child did not exec"
            );
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        let after = finder.details(pid).unwrap();
        assert_eq!(after.exe, sleep.to_string_lossy());
        assert_eq!(after.command_line, vec!["sleep", "30"]);
        assert_eq!(after.start_time, before.start_time, "the same process");
    }

    /// The parent of `pid` (the `PPid:` line of its status), if it still runs.
    fn parent_of(pid: u32) -> Option<u32> {
        let status = fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
        status
            .lines()
            .find_map(|line| line.strip_prefix("PPid:"))
            .and_then(|rest| rest.trim().parse().ok())
    }

    /// The path `PATH` finds `program` at.
    fn which(program: &str) -> PathBuf {
        std::env::var_os("PATH")
            .and_then(|path| {
                std::env::split_paths(&path)
                    .map(|dir| dir.join(program))
                    .find(|candidate| candidate.is_file())
            })
            .unwrap()
    }

    /// Kills and reaps the child when dropped (also when an assertion fails).
    struct KillOnDrop(Child);

    /// A `sleep 30` of our own, killed when dropped.
    fn sleeper() -> KillOnDrop {
        KillOnDrop(
            Command::new("sleep")
                .arg("30")
                .stdin(Stdio::null())
                .spawn()
                .unwrap(),
        )
    }

    impl Drop for KillOnDrop {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }

    #[test]
    fn a_real_process_with_a_megabyte_of_arguments_is_read_up_to_the_bound() {
        // Arguments of 1 MiB in all (one may hold 128 KiB at most); the script's own name ($0)
        // is the first long one.
        let long = "a".repeat(64 * 1024);
        let child = KillOnDrop(
            Command::new("sh")
                .args(["-c", "sleep 30; true"])
                .args(std::iter::repeat_n(&long, 16))
                .stdin(Stdio::null())
                .spawn()
                .unwrap(),
        );
        // The spawn returns once the exec has begun; the arguments show once it is done (a
        // process connects only after that).
        let path = PathBuf::from(format!("/proc/{}/cmdline", child.0.id()));
        let deadline = Instant::now() + std::time::Duration::from_secs(5);
        while fs::read(&path).map_or(0, |c| c.len()) == 0 && Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(2));
        }
        let mut finder = ProcessFinder::new(PathBuf::from("/proc"));
        let details = finder.details(child.0.id()).unwrap();
        let kept: usize = details.command_line.iter().map(|a| a.len() + 1).sum();
        assert!(
            kept <= MAX_COMMAND_LINE as usize + CUT_MARK.len() + 1,
            "{kept} bytes"
        );
        assert_eq!(details.command_line[..2], ["sh", "-c"]);
        assert!(details.command_line.last().unwrap().ends_with(CUT_MARK));
    }

    /// The inode of the IPv4 TCP socket listening on 127.0.0.1:`port`, from /proc/net/tcp.
    fn listening_inode(port: u16) -> Option<u64> {
        let table = fs::read_to_string("/proc/net/tcp").unwrap();
        let local = format!("0100007F:{port:04X}");
        table.lines().skip(1).find_map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            (fields.get(1) == Some(&local.as_str()) && fields.get(3) == Some(&"0A"))
                .then(|| fields.get(9)?.parse().ok())
                .flatten()
        })
    }

    #[test]
    fn finds_socket_of_child_running_as_nobody() {
        if my_uid() != 0 {
            eprintln!("skipped: needs root to start a child as uid 65534");
            return;
        }
        // The system python: the pyenv shim under /root is neither a binary nor reachable for nobody.
        let Some(python) = ["/usr/bin/python3", "/usr/local/bin/python3", "/bin/python3"]
            .into_iter()
            .map(PathBuf::from)
            .find(|path| path.exists())
        else {
            eprintln!("skipped: no system python3");
            return;
        };
        let child = Command::new(&python)
            .args([
                "-I",
                "-c",
                "import socket,time; s=socket.socket(); s.bind(('127.0.0.1',0)); s.listen(); \
                 print(s.getsockname()[1], flush=True); time.sleep(30)",
            ])
            .env_clear()
            .current_dir("/")
            .uid(65534)
            .gid(65534)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut child = KillOnDrop(child);
        let mut line = String::new();
        BufReader::new(child.0.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let port: u16 = line.trim().parse().unwrap();
        let inode = listening_inode(port).unwrap();

        let mut finder = ProcessFinder::new(PathBuf::from("/proc"));
        let pid = finder.pid_of_socket(inode, Some(65534)).unwrap();
        assert_eq!(pid, child.0.id());
        let details = finder.details(pid).unwrap();
        assert_eq!(details.uid, 65534);
        assert_eq!(
            fs::canonicalize(&details.exe).unwrap(),
            fs::canonicalize(&python).unwrap()
        );
        assert!(details.exe.contains("python3"), "{}", details.exe);
        assert_eq!(details.command_line.get(1).map(String::as_str), Some("-I"));
        assert_eq!(details.comm, "python3");
    }

    /// A fake procfs tree in a temp dir, removed on drop.
    struct FakeProc {
        root: PathBuf,
    }

    impl FakeProc {
        fn new(name: &str) -> Self {
            let root = std::env::temp_dir()
                .join(format!("zenithfence-procfs-{name}-{}", std::process::id()));
            let _ = fs::remove_dir_all(&root);
            fs::create_dir_all(&root).unwrap();
            Self { root }
        }

        fn dir(&self, pid: u32) -> PathBuf {
            self.root.join(pid.to_string())
        }

        /// Writes (or rewrites) PID/{stat,status,cmdline,exe} and creates PID/fd.
        fn set_process(&self, pid: u32, start_time: u64, uid: u32, exe: &str, args: &[&str]) {
            let dir = self.dir(pid);
            fs::create_dir_all(dir.join("fd")).unwrap();
            fs::write(dir.join("stat"), stat_line(pid, b"fake (x)", start_time)).unwrap();
            fs::write(
                dir.join("status"),
                format!("Name:\tfake\nUid:\t{uid}\t{uid}\t{uid}\t{uid}\nGid:\t0\t0\t0\t0\n"),
            )
            .unwrap();
            let mut cmdline = Vec::new();
            for arg in args {
                cmdline.extend_from_slice(arg.as_bytes());
                cmdline.push(0);
            }
            fs::write(dir.join("cmdline"), cmdline).unwrap();
            let _ = fs::remove_file(dir.join("exe"));
            symlink(exe, dir.join("exe")).unwrap();
        }

        /// Makes PID/fd/FD a link to `socket:[inode]` (dangling, as readlink needs no target).
        fn set_socket(&self, pid: u32, fd: u32, inode: u64) {
            let link = self.dir(pid).join("fd").join(fd.to_string());
            let _ = fs::remove_file(&link);
            symlink(format!("socket:[{inode}]"), link).unwrap();
        }

        fn finder(&self) -> ProcessFinder {
            ProcessFinder::new(self.root.clone())
        }
    }

    impl Drop for FakeProc {
        fn drop(&mut self) {
            let _ = fs::remove_dir_all(&self.root);
        }
    }

    #[test]
    fn details_detect_pid_reuse() {
        let fake = FakeProc::new("reuse");
        fake.set_process(300, 1000, 1000, "/usr/bin/first", &["first", "--flag"]);
        let mut finder = fake.finder();
        let first = finder.details(300).unwrap();
        assert_eq!(
            *first,
            ProcessDetails {
                pid: 300,
                start_time: 1000,
                comm: "fake (x)".into(),
                uid: 1000,
                exe: "/usr/bin/first".into(),
                command_line: vec!["first".into(), "--flag".into()],
            }
        );

        // Same start time: served from the cache even though the files changed underneath.
        fs::write(fake.dir(300).join("cmdline"), b"changed\0").unwrap();
        assert_eq!(finder.details(300).unwrap(), first);

        // The pid is reused by another process: new start time, new everything.
        fake.set_process(300, 2000, 65534, "/usr/bin/second", &["second"]);
        let second = finder.details(300).unwrap();
        assert_eq!(second.start_time, 2000);
        assert_eq!(second.uid, 65534);
        assert_eq!(second.exe, "/usr/bin/second");
        assert_eq!(second.command_line, ["second"]);

        // Unreadable exe and empty cmdline (kernel thread, zombie) still give details.
        fs::remove_file(fake.dir(300).join("exe")).unwrap();
        fs::write(fake.dir(300).join("cmdline"), b"").unwrap();
        fs::write(
            fake.dir(300).join("stat"),
            stat_line(300, b"kworker/0:1", 3000),
        )
        .unwrap();
        let third = finder.details(300).unwrap();
        assert_eq!(
            (third.exe.as_str(), third.comm.as_str()),
            ("", "kworker/0:1")
        );
        assert!(third.command_line.is_empty());

        // Garbage stat, then a gone process.
        fs::write(fake.dir(300).join("stat"), b"300 (broken").unwrap();
        assert_eq!(finder.details(300), None);
        fs::remove_dir_all(fake.dir(300)).unwrap();
        assert_eq!(finder.details(300), None);
        assert!(finder.processes.is_empty());
    }

    #[test]
    fn scan_prefers_newest_then_hinted_uid_and_revalidates_cache() {
        let fake = FakeProc::new("order");
        // A forked server: parent 100 (uid 65534) and child 200 (uid 0) share socket 777.
        fake.set_process(100, 10, 65534, "/usr/bin/server", &["server"]);
        fake.set_process(200, 20, 0, "/usr/bin/server", &["server"]);
        fs::create_dir_all(fake.root.join("self")).unwrap(); // non-numeric entries are ignored
        fs::write(fake.root.join("1x"), b"").unwrap();
        fake.set_socket(100, 3, 777);
        fake.set_socket(200, 5, 777);
        fake.set_socket(100, 4, 778);
        if std::os::unix::fs::chown(fake.dir(100), Some(65534), Some(65534)).is_err() {
            eprintln!("skipped: needs root to chown the fake /proc/100");
            return;
        }

        assert_eq!(
            fake.finder().pid_of_socket(777, None),
            Some(200),
            "newest first"
        );
        let mut finder = fake.finder();
        assert_eq!(
            finder.pid_of_socket(777, Some(65534)),
            Some(100),
            "hinted uid first"
        );
        // The socket seen on the way is cached with its fd.
        assert_eq!(
            finder.sockets.get(&778),
            Some(&SocketOwner { pid: 100, fd: 4 })
        );

        // The cached owner closed the socket: revalidation fails, the rescan finds the other one.
        fs::remove_file(fake.dir(100).join("fd").join("3")).unwrap();
        assert_eq!(finder.pid_of_socket(777, Some(65534)), Some(200));
        // The fd number got reused for another socket: not a match any more.
        fake.set_socket(200, 5, 999);
        assert_eq!(finder.pid_of_socket(777, None), None);
        assert_eq!(finder.pid_of_socket(999, None), Some(200));
        assert_eq!(finder.pid_of_socket(12345, None), None);
    }

    #[test]
    fn socket_cache_is_bounded() {
        let fake = FakeProc::new("bounded");
        fake.set_process(50, 1, 0, "/bin/many", &["many"]);
        for fd in 0..10 {
            fake.set_socket(50, fd, 5000 + u64::from(fd));
        }
        let mut finder = fake.finder();
        finder.socket_limit = 4;
        assert_eq!(finder.pid_of_socket(1, None), None);
        assert!(finder.sockets.len() <= 4);
        assert_eq!(finder.pid_of_socket(5007, None), Some(50));
        assert!(finder.sockets.len() <= 4);
    }

    /// A connect record proves the kept details only for a watched process, read before the
    /// connect, with no change recorded since the watch began.
    #[test]
    fn a_record_alone_names_a_watched_process_only_when_nothing_changed_since_the_watch() {
        let child = sleeper();
        let pid = child.0.id();
        let mut finder = ProcessFinder::new(PathBuf::from("/proc"));
        let details = finder.details(pid).unwrap();
        let verified = finder.exe_links[&pid].verified_ns;
        let record = |at_ns, changed_ns| ConnectRecord {
            pid,
            at_ns,
            cookie: 1,
            changed_ns,
        };
        // Without the kernel's watch (none attached here): never.
        assert_eq!(finder.exe_links[&pid].watched_from, None);
        assert!(finder
            .details_unchanged_at(&record(verified + 10, 0))
            .is_none());
        let from = verified - 100;
        finder.exe_links.get_mut(&pid).unwrap().watched_from = Some(from);
        let named = finder
            .details_unchanged_at(&record(verified + 10, 0))
            .unwrap();
        assert!(Arc::ptr_eq(&named, &details));
        // A change before the watch began was seen by the read that followed.
        assert!(finder
            .details_unchanged_at(&record(verified + 10, from - 1))
            .is_some());
        for (at, changed, why) in [
            (verified + 10, from, "a change at the watch's start"),
            (verified + 10, verified + 5, "a change after the read"),
            (verified + 10, u64::MAX, "not watched when it connected"),
            (verified - 1, 0, "a connect before the details were read"),
        ] {
            assert!(
                finder.details_unchanged_at(&record(at, changed)).is_none(),
                "{why}"
            );
        }
        let other = ConnectRecord {
            pid: pid + 1,
            ..record(verified + 10, 0)
        };
        assert!(finder.details_unchanged_at(&other).is_none(), "another pid");
        // Details no longer kept (the cache made room): nothing to name.
        finder.forget_process(pid);
        assert!(finder
            .details_unchanged_at(&record(verified + 10, 0))
            .is_none());
    }

    #[test]
    fn a_recorded_connecter_without_a_held_handle_is_named_only_holding_the_socket() {
        // The fake tree holds no exe handles (as for a process without an executable): the
        // record is always checked against the process's own descriptors.
        let fake = FakeProc::new("recorded");
        fake.set_process(80, 5, 1000, "/usr/bin/connecter", &["connecter"]);
        fake.set_process(81, 6, 1000, "/usr/bin/holder", &["holder"]);
        fake.set_socket(81, 4, 9000);
        fake.set_socket(80, 3, 9001);
        let mut finder = fake.finder();
        // 80 recorded, but only 81 holds 9000 (80 handed it on): the holder is named.
        assert_eq!(
            finder
                .recorded_owner_details(80, u64::MAX, 9000, None)
                .unwrap()
                .pid,
            81
        );
        // 80 holds 9001: named, its details read once and then served from the cache.
        let named = finder
            .recorded_owner_details(80, u64::MAX, 9001, None)
            .unwrap();
        assert_eq!((named.pid, named.exe.as_str()), (80, "/usr/bin/connecter"));
        let reads = finder.full_reads;
        assert_eq!(
            finder.recorded_owner_details(80, u64::MAX, 9001, None),
            Some(named)
        );
        assert_eq!(finder.full_reads, reads);
        // A recorded process that is gone: /proc is searched, and no one holds 9002.
        assert_eq!(
            finder.recorded_owner_details(99, u64::MAX, 9002, None),
            None
        );
        // Its pid taken by another program (a new start time): read afresh, and it does not
        // hold the socket.
        fs::remove_file(fake.dir(80).join("fd").join("3")).unwrap();
        fake.set_process(80, 7, 1000, "/usr/bin/other", &["other"]);
        assert_eq!(
            finder.recorded_owner_details(80, u64::MAX, 9001, None),
            None
        );
    }

    #[test]
    fn a_record_is_trusted_without_a_search_only_after_the_details_were_read() {
        let mut child = sleeper();
        let pid = child.0.id();
        let mut finder = ProcessFinder::new(PathBuf::from("/proc"));
        let before = crate::sys::monotonic_ns().unwrap();
        let details = finder.details(pid).unwrap();
        let after = crate::sys::monotonic_ns().unwrap();
        // The time kept is that of the read that saw the program, within the call.
        let verified_ns = finder.exe_links.get(&pid).unwrap().verified_ns;
        assert!((before..=after).contains(&verified_ns));
        // `sleep` holds no socket, so only a trusted record can name it.
        let nowhere = u64::MAX - 1;
        let reads = finder.full_reads;
        assert_eq!(
            finder.recorded_owner_details(pid, after, nowhere, None),
            Some(details),
            "connected after its details were read: that program"
        );
        assert_eq!(finder.full_reads, reads);
        // Connected before its details were read: it may have run another program then, and
        // it holds no such socket now.
        assert_eq!(
            finder.recorded_owner_details(pid, before, nowhere, None),
            None
        );
        child.0.kill().unwrap();
        child.0.wait().unwrap();
        assert_eq!(
            finder.recorded_owner_details(pid, after, nowhere, None),
            None,
            "gone"
        );
    }

    #[test]
    fn owner_details_name_the_holder_and_are_shared() {
        let fake = FakeProc::new("owner");
        fake.set_process(80, 5, 1000, "/usr/bin/holder", &["holder"]);
        fake.set_socket(80, 3, 8000);
        let mut finder = fake.finder();
        let first = finder.owner_details(8000, None).unwrap();
        assert_eq!((first.pid, first.exe.as_str()), (80, "/usr/bin/holder"));
        assert_eq!(finder.full_reads, 1);
        // Next time from the cache: the same details, nothing read again.
        let again = finder.owner_details(8000, None).unwrap();
        assert!(Arc::ptr_eq(&first, &again));
        assert_eq!(finder.full_reads, 1);
        // Closed: no owner, whatever the cache says.
        fs::remove_file(fake.dir(80).join("fd").join("3")).unwrap();
        assert_eq!(finder.owner_details(8000, None), None);
    }

    #[test]
    fn command_lines_are_read_up_to_their_bound() {
        let fake = FakeProc::new("long-cmdline");
        let long = "a".repeat(10_000);
        let args: Vec<&str> = vec!["prog", &long, &long, &long];
        fake.set_process(60, 1, 0, "/bin/prog", &args);
        let mut finder = fake.finder();
        let details = finder.details(60).unwrap();
        // The arguments and the NULs between them: exactly the bytes kept, and the mark.
        let kept: usize = details
            .command_line
            .iter()
            .map(|a| a.len() + 1)
            .sum::<usize>()
            - 1;
        assert_eq!(
            kept,
            MAX_COMMAND_LINE as usize + CUT_MARK.len(),
            "cut at the bound"
        );
        assert!(details.command_line[2].ends_with(CUT_MARK));
        assert_eq!(
            details.command_line.len(),
            3,
            "the third argument cut short"
        );
        assert_eq!(details.command_line[1], long);
    }

    #[test]
    fn command_lines_keep_a_bounded_number_of_arguments_and_say_when_cut() {
        let limit = MAX_COMMAND_LINE as usize;
        // Within the bounds: as they are.
        assert_eq!(bounded_command_line(b"a\0b\0"), ["a", "b"]);
        let exactly = vec![b'x'; limit];
        assert_eq!(
            bounded_command_line(&exactly),
            [String::from_utf8(exactly.clone()).unwrap()]
        );
        // One byte more than the bound: cut and marked.
        let over = vec![b'y'; limit + 1];
        let args = bounded_command_line(&over);
        assert_eq!(args, [format!("{}{CUT_MARK}", "y".repeat(limit))]);
        // Thousands of empty arguments: the first MAX_ARGUMENTS, the last marked.
        let empties = vec![0u8; 5000];
        let args = bounded_command_line(&empties);
        assert_eq!(args.len(), MAX_ARGUMENTS);
        assert_eq!(args.last().unwrap(), CUT_MARK);
        assert!(args[..MAX_ARGUMENTS - 1].iter().all(String::is_empty));
        // A cut in the middle of a multi-byte character decodes lossily, never panics.
        let mut wide = vec![b'z'; limit - 1];
        wide.extend_from_slice("é".as_bytes());
        let args = bounded_command_line(&wide);
        assert!(args[0].ends_with(CUT_MARK));
    }

    #[test]
    fn details_cache_is_bounded_by_bytes() {
        let fake = FakeProc::new("cache-bytes");
        let arg = "b".repeat(1000);
        for pid in 100..120 {
            fake.set_process(pid, 1, 0, "/bin/wide", &["wide", &arg]);
        }
        let mut finder = fake.finder();
        finder.process_byte_limit = 4096;
        for pid in 100..120 {
            assert_eq!(finder.details(pid).unwrap().pid, pid);
            assert!(
                finder.process_bytes <= 4096,
                "{} bytes",
                finder.process_bytes
            );
            assert!((1..=4).contains(&finder.processes.len()));
            let counted: usize = finder.processes.values().map(|d| d.text_bytes()).sum();
            assert_eq!(finder.process_bytes, counted, "the count follows the cache");
        }
    }

    /// A user's scan credit put in debt by a second's scanning.
    fn in_debt(finder: &mut ProcessFinder, user: u32) {
        finder.scans = UserScanBudgets::default();
        assert!(finder.scans.allows(user, Instant::now()).is_some());
        finder.scans.spent(user, std::time::Duration::from_secs(1));
    }

    #[test]
    fn full_scans_wait_for_their_share_of_time() {
        let fake = FakeProc::new("scan-budget");
        fake.set_process(70, 1, 0, "/bin/far", &["far"]);
        fake.set_socket(70, 3, 7000);
        fake.set_socket(70, 4, 7001);
        let mut finder = fake.finder();
        in_debt(&mut finder, u32::MAX);
        // No credit: the socket of a process met before no lookup is not looked for.
        assert_eq!(finder.pid_of_socket(7000, None), None);
        assert_eq!(finder.take_scans_refused(), 1);
        assert!(finder.sockets.is_empty(), "nothing was scanned");
        // Another user's sockets are still looked for.
        assert_eq!(finder.pid_of_socket(7000, Some(0)), Some(70));
        finder.sockets.clear();
        finder.recent_owners.clear();
        // With credit, the full scan finds it and is charged; the owner's other socket then
        // comes cheaply, even without credit.
        finder.scans = UserScanBudgets::default();
        assert_eq!(finder.pid_of_socket(7000, None), Some(70));
        assert!(finder.scans.credit_ns(u32::MAX) < UserScanBudgets::default().credit_ns(u32::MAX));
        in_debt(&mut finder, u32::MAX);
        assert_eq!(finder.pid_of_socket(7001, None), Some(70));
        assert_eq!(finder.take_scans_refused(), 0);
    }

    #[test]
    fn a_recent_owners_descriptor_list_is_within_the_share_too() {
        let fake = FakeProc::new("scan-recent");
        fake.set_process(90, 1, 0, "/bin/near", &["near"]);
        fake.set_socket(90, 3, 9000);
        let mut finder = fake.finder();
        assert_eq!(finder.pid_of_socket(9000, Some(5)), Some(90));
        // A new socket on another descriptor of that recent owner: its list must be read.
        fake.set_socket(90, 4, 9001);
        in_debt(&mut finder, 5);
        assert_eq!(finder.pid_of_socket(9001, Some(5)), None);
        assert_eq!(finder.take_scans_refused(), 1);
        finder.scans = UserScanBudgets::default();
        assert_eq!(finder.pid_of_socket(9001, Some(5)), Some(90));
    }

    #[test]
    fn a_full_scan_holds_the_handle_of_the_owner_only() {
        let fake = FakeProc::new("scan-handles");
        for pid in 200..210 {
            fake.set_process(pid, 1, 0, "/bin/other", &["other"]);
            fake.set_socket(pid, 3, u64::from(pid) * 10);
        }
        // The owner is the oldest: every other process is scanned before it.
        fake.set_socket(200, 4, 4242);
        let mut finder = fake.finder();
        assert_eq!(finder.pid_of_socket(4242, None), Some(200));
        assert_eq!(finder.fd_dirs.len(), 1);
        assert!(finder.fd_dirs.holds(200));
    }

    #[test]
    fn details_read_afresh_count_only_if_the_holder_still_holds_the_socket() {
        let fake = FakeProc::new("owner-reuse");
        fake.set_process(80, 5, 1000, "/usr/bin/holder", &["holder"]);
        fake.set_socket(80, 3, 8000);
        let mut finder = fake.finder();
        assert_eq!(finder.pid_of_socket(8000, None), Some(80));
        // The holder exits and its pid goes to another program before its details are read:
        // procfs ends the held handle's lookups; a removed directory does the same here.
        fs::remove_dir_all(fake.dir(80)).unwrap();
        fake.set_process(80, 9, 1000, "/usr/bin/other", &["other"]);
        assert_eq!(finder.details(80).unwrap().exe, "/usr/bin/other");
        finder.processes.clear();
        finder.process_bytes = 0;
        assert_eq!(
            finder.details_of_holder(8000, 80),
            None,
            "not the holder's details"
        );
        // The holder itself: its details.
        fake.set_socket(80, 3, 8001);
        assert_eq!(finder.pid_of_socket(8001, None), Some(80));
        finder.processes.clear();
        finder.process_bytes = 0;
        assert_eq!(
            finder.details_of_holder(8001, 80).unwrap().exe,
            "/usr/bin/other"
        );
    }

    #[test]
    fn the_byte_count_follows_every_change_of_the_cache() {
        let fake = FakeProc::new("bytes-follow");
        fake.set_process(300, 1, 0, "/bin/a", &["a", "one"]);
        fake.set_process(301, 1, 0, "/bin/b", &["b"]);
        let mut finder = fake.finder();
        let counted =
            |f: &ProcessFinder| f.processes.values().map(|d| d.text_bytes()).sum::<usize>();
        finder.details(300).unwrap();
        finder.details(301).unwrap();
        assert_eq!(finder.process_bytes, counted(&finder));
        // Another process under the pid (new start time, longer command line).
        fake.set_process(300, 2, 0, "/bin/a-longer", &["a", "one", "two", "three"]);
        assert_eq!(finder.details(300).unwrap().command_line.len(), 4);
        assert_eq!(finder.process_bytes, counted(&finder));
        // Gone.
        fs::remove_dir_all(fake.dir(301)).unwrap();
        assert_eq!(finder.details(301), None);
        assert_eq!(finder.processes.len(), 1);
        assert_eq!(finder.process_bytes, counted(&finder));
    }

    #[test]
    fn missing_proc_root_finds_nothing() {
        let mut finder = ProcessFinder::new(PathBuf::from("/nonexistent/zenithfence-proc"));
        assert_eq!(finder.pid_of_socket(1, Some(0)), None);
        assert_eq!(finder.details(1), None);
    }

    /// Prints the cost of a full-miss scan, a cached hit and details; run with `--nocapture`.
    #[test]
    fn timing_of_scan_and_cache() {
        let mut pids = 0;
        let mut fds = 0;
        for entry in fs::read_dir("/proc").unwrap().filter_map(Result::ok) {
            if parse_decimal_u32(entry.file_name().as_bytes()).is_some() {
                pids += 1;
                fds += fs::read_dir(entry.path().join("fd")).map_or(0, |dir| dir.count());
            }
        }
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let inode = own_socket_inode(listener.as_raw_fd());
        let mut finder = ProcessFinder::new(PathBuf::from("/proc"));

        let start = Instant::now();
        assert_eq!(finder.pid_of_socket(u64::MAX, None), None);
        let miss = start.elapsed();
        let start = Instant::now();
        assert_eq!(finder.pid_of_socket(u64::MAX, Some(my_uid())), None);
        let hinted_miss = start.elapsed();
        let mut cold = ProcessFinder::new(PathBuf::from("/proc"));
        let start = Instant::now();
        let pid = cold.pid_of_socket(inode, None).unwrap();
        let cold_hit = start.elapsed();
        let start = Instant::now();
        assert_eq!(cold.pid_of_socket(inode, None), Some(pid));
        let cached = start.elapsed();
        let start = Instant::now();
        cold.details(pid).unwrap();
        let details_cold = start.elapsed();
        let start = Instant::now();
        cold.details(pid).unwrap();
        let details_warm = start.elapsed();
        println!(
            "procfs timing ({pids} pids, {fds} fds): full miss {miss:?}, full miss with uid hint \
             {hinted_miss:?}, own socket uncached {cold_hit:?}, cached {cached:?}, details cold \
             {details_cold:?}, details warm {details_warm:?}"
        );
    }
}
