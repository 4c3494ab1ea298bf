//! Byte counts carried across a restart. A stopping daemon records the running totals of the
//! TCP connections it counted, as far as it reported them, beside its instance lock
//! (`/run/zenithfence/net-<inode>.totals`); the next daemon of the namespace takes the record
//! at its start and removes it, and a connection it holds again part-way counts on from its
//! socket's recorded totals (`BandwidthAccounts::carry`). Without it the next daemon counted
//! from what the peer had acknowledged when it held the connection again: bytes in flight at
//! the stop counted twice, and what the connection moved while no daemon ran not at all.
//!
//! A record names the boot (`/proc/sys/kernel/random/boot_id`) and the namespace (its cookie,
//! where the kernel tells it: Linux 5.14); another boot's or namespace's is not taken. (Since
//! Linux 5.3 a socket's cookie names it in every namespace of a boot, so even without the
//! namespace's cookie a record that a deleted namespace left under an inode a later one got
//! matches none of the later one's sockets.)
//! It is a line of text per connection, at most [`MAX_CARRIED`] of them, read with a size
//! limit; a line that does not parse, or is cut short, is left out, and a count above what the
//! socket counts when it is held again is not taken (the core's check), so a damaged record
//! costs at most the exactness it was for. The directory is root's alone (`instance.rs`), and
//! the record is opened without following a link or waiting on a FIFO, and read only when it
//! is a regular file.
//!
//! Under systemd the directory outlives a `systemctl restart` (an upgrade runs one) but not a
//! `systemctl stop` (`RuntimeDirectoryPreserve=restart` in the unit): a later start then finds
//! no record and counts from what the peer acknowledged, as without one.
//!
//! A record whose namespace never gets a daemon again (a container's, a test's) would stay
//! until the next boot: a start removes those of any namespace older than [`STALE_AFTER`].
//!
//! UDP is not recorded: the next daemon's start deletes the flows the last one allowed, and a
//! UDP flow held again is a new conntrack entry, whose counters start at zero.

use std::fs::{self, OpenOptions};
use std::io::{self, Read};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;
use std::time::{Duration, SystemTime};

use zenithfence_core::bandwidth::RunningTotals;
use zenithfence_core::flow::{FlowKey, IpAddress};

use crate::atomic_file;
use crate::nft_netlink;
use crate::sys::O_NOFOLLOW;

/// The most connections recorded (in `/run`, which is memory).
pub(crate) const MAX_CARRIED: usize = 65_536;
/// The longest line: "tcp", two IPv6 addresses of 39 characters, two ports of 5 digits, three
/// numbers of 20, the spaces between and the newline.
const MAX_LINE: u64 = 3 + 2 * 39 + 2 * 5 + 3 * 20 + 7 + 1;
/// A record is read up to this size (its header and the lines); more is not ours.
const RECORD_LIMIT: u64 = 128 + MAX_CARRIED as u64 * MAX_LINE;
/// `O_NONBLOCK`: opening a FIFO planted at the path returns at once instead of waiting for a
/// writer (on a regular file the flag does nothing).
const O_NONBLOCK: i32 = 0o4000;
/// A record this old is of a namespace whose daemon did not come back (a restart takes
/// seconds); any daemon's start removes it.
pub(crate) const STALE_AFTER: Duration = Duration::from_secs(24 * 60 * 60);
/// IANA's number for TCP, the only protocol recorded.
const IPPROTO_TCP: u8 = 6;

/// Where a record belongs: this boot, and this namespace where its cookie is known.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Origin {
    boot_id: String,
    netns_cookie: Option<u64>,
}

impl Origin {
    /// This boot and this thread's namespace.
    pub(crate) fn here() -> io::Result<Origin> {
        let boot_id = fs::read_to_string("/proc/sys/kernel/random/boot_id")?
            .trim()
            .to_string();
        if boot_id.is_empty() || boot_id.contains(char::is_whitespace) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "/proc/sys/kernel/random/boot_id is not one word",
            ));
        }
        Ok(Origin {
            boot_id,
            netns_cookie: nft_netlink::netns_cookie().ok(),
        })
    }

    /// The record's header: two lines.
    fn header(&self) -> String {
        let netns = self
            .netns_cookie
            .map_or_else(|| "unknown".to_string(), |c| c.to_string());
        format!("boot-id {}\nnetns-cookie {netns}\n", self.boot_id)
    }
}

/// The record of `totals` (TCP ones only, at most [`MAX_CARRIED`]); returns it and how many it
/// holds.
fn encode(origin: &Origin, totals: impl Iterator<Item = RunningTotals>) -> (String, usize) {
    let mut text = origin.header();
    let mut count = 0;
    for t in totals
        .filter(|t| t.key.protocol == IPPROTO_TCP)
        .take(MAX_CARRIED)
    {
        let k = &t.key;
        text.push_str(&format!(
            "tcp {} {} {} {} {} {} {}\n",
            std_ip(k.local_ip),
            k.local_port,
            std_ip(k.remote_ip),
            k.remote_port,
            t.socket,
            t.transmitted,
            t.received
        ));
        count += 1;
    }
    (text, count)
}

/// The totals a record of `origin` holds; none for another origin's or for text that is not a
/// record. Lines that do not parse are left out, and so is a last line without its newline (a
/// record cut short by the read limit: its last number may have lost digits).
fn decode(text: &str, origin: &Origin) -> Vec<RunningTotals> {
    let mut lines = text
        .split_inclusive('\n')
        .filter_map(|line| line.strip_suffix('\n'));
    if lines.next() != Some(format!("boot-id {}", origin.boot_id).as_str()) {
        return Vec::new();
    }
    let netns = lines
        .next()
        .and_then(|line| line.strip_prefix("netns-cookie "));
    let same_netns = match (netns, origin.netns_cookie) {
        (None, _) => false,
        // Told by one side only: the socket cookies decide (see the module comment).
        (Some("unknown"), _) | (Some(_), None) => true,
        (Some(written), Some(ours)) => written.parse() == Ok(ours),
    };
    if !same_netns {
        return Vec::new();
    }
    lines.filter_map(parse_line).take(MAX_CARRIED).collect()
}

fn parse_line(line: &str) -> Option<RunningTotals> {
    let mut words = line.split(' ');
    if words.next()? != "tcp" {
        return None;
    }
    let local_ip = core_ip(words.next()?.parse().ok()?);
    let local_port = words.next()?.parse().ok()?;
    let remote_ip = core_ip(words.next()?.parse().ok()?);
    let remote_port = words.next()?.parse().ok()?;
    let socket = words.next()?.parse().ok()?;
    let transmitted = words.next()?.parse().ok()?;
    let received = words.next()?.parse().ok()?;
    let same_family = matches!(
        (local_ip, remote_ip),
        (IpAddress::V4(_), IpAddress::V4(_)) | (IpAddress::V6(_), IpAddress::V6(_))
    );
    if words.next().is_some() || !same_family || socket == 0 {
        return None;
    }
    Some(RunningTotals {
        key: FlowKey {
            protocol: IPPROTO_TCP,
            local_ip,
            local_port,
            remote_ip,
            remote_port,
        },
        socket,
        transmitted,
        received,
    })
}

fn std_ip(ip: IpAddress) -> IpAddr {
    match ip {
        IpAddress::V4(a) => IpAddr::V4(Ipv4Addr::from(a)),
        IpAddress::V6(a) => IpAddr::V6(Ipv6Addr::from(a)),
    }
}

fn core_ip(ip: IpAddr) -> IpAddress {
    match ip {
        IpAddr::V4(a) => IpAddress::V4(a.octets()),
        IpAddr::V6(a) => IpAddress::V6(a.octets()),
    }
}

/// Records `totals` at `path` (replaced whole, atomically); returns how many were recorded.
pub(crate) fn save(
    path: &Path,
    origin: &Origin,
    totals: impl Iterator<Item = RunningTotals>,
) -> io::Result<usize> {
    let (text, count) = encode(origin, totals);
    atomic_file::store(path, text.as_bytes())?;
    Ok(count)
}

/// Takes the record at `path`: what it holds for `origin` (none when there is no record), and
/// the file is removed, so that a daemon that does not stop cleanly leaves the next one no
/// totals older than its own.
pub(crate) fn take(path: &Path, origin: &Origin) -> io::Result<Vec<RunningTotals>> {
    let mut text = String::new();
    let opened = OpenOptions::new()
        .read(true)
        .custom_flags(O_NONBLOCK | O_NOFOLLOW)
        .open(path);
    let read = match opened {
        Ok(file) => match file.metadata() {
            Ok(meta) if meta.is_file() => file
                .take(RECORD_LIMIT)
                .read_to_string(&mut text)
                .map(|_| ()),
            Ok(_) => Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("{} is not a regular file", path.display()),
            )),
            Err(e) => Err(e),
        },
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => Err(e),
    };
    let removed = match fs::remove_file(path) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    };
    read?;
    removed?;
    Ok(decode(&text, origin))
}

/// Removes the records in `dir` (of any namespace) last written over `max_age` ago; returns
/// how many. Other files are left alone.
pub(crate) fn remove_stale(dir: &Path, max_age: Duration) -> io::Result<usize> {
    let now = SystemTime::now();
    let mut removed = 0;
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name();
        let is_record = name
            .to_str()
            .and_then(|n| n.strip_prefix("net-"))
            .and_then(|n| n.strip_suffix(".totals"))
            .is_some_and(|inode| !inode.is_empty() && inode.bytes().all(|b| b.is_ascii_digit()));
        if !is_record {
            continue;
        }
        // Gone meanwhile (another daemon took its own): nothing to do.
        let modified = match entry.metadata().and_then(|meta| meta.modified()) {
            Ok(modified) => modified,
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
            Err(e) => return Err(e),
        };
        if now.duration_since(modified).is_ok_and(|age| age > max_age) {
            match fs::remove_file(entry.path()) {
                Ok(()) => removed += 1,
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(e),
            }
        }
    }
    Ok(removed)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn origin() -> Origin {
        Origin {
            boot_id: "0f6a3c1e-9d2b-4c3a-8e71-5b2d9f0a1c44".into(),
            netns_cookie: Some(4097),
        }
    }

    fn totals(local: IpAddress, remote: IpAddress, socket: u64) -> RunningTotals {
        RunningTotals {
            key: FlowKey {
                protocol: IPPROTO_TCP,
                local_ip: local,
                local_port: 40_001,
                remote_ip: remote,
                remote_port: 443,
            },
            socket,
            transmitted: 123_456_789_012,
            received: 7,
        }
    }

    #[test]
    fn a_record_holds_the_tcp_totals_for_its_own_boot_and_namespace_only() {
        let v4 = totals(
            IpAddress::V4([10, 0, 0, 1]),
            IpAddress::V4([192, 0, 2, 9]),
            11,
        );
        let mut v6 = totals(
            IpAddress::V6([0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]),
            IpAddress::V6([0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2]),
            u64::MAX,
        );
        v6.received = u64::MAX;
        let mut udp = v4;
        udp.key.protocol = 17;
        let (text, count) = encode(&origin(), [v4, udp, v6].into_iter());
        assert_eq!(count, 2, "UDP is not recorded");
        assert_eq!(decode(&text, &origin()), vec![v4, v6]);

        let mut other = origin();
        other.boot_id = "another".into();
        assert!(decode(&text, &other).is_empty(), "another boot's");
        let mut other = origin();
        other.netns_cookie = Some(4098);
        assert!(decode(&text, &other).is_empty(), "another namespace's");
        // A kernel that does not tell the namespace's cookie, on either side.
        let mut unknown = origin();
        unknown.netns_cookie = None;
        assert_eq!(decode(&text, &unknown), vec![v4, v6]);
        let (written, _) = encode(&unknown, [v4].into_iter());
        assert_eq!(decode(&written, &origin()), vec![v4]);
        assert!(decode("", &origin()).is_empty());
        let headless = text.lines().skip(2).collect::<Vec<_>>().join("\n");
        assert!(decode(&headless, &origin()).is_empty());
        // Cut short: the last line without its newline is not taken.
        let cut = &text[..text.len() - 2];
        assert_eq!(decode(cut, &origin()), vec![v4]);
    }

    #[test]
    fn lines_that_do_not_parse_are_left_out() {
        let good = totals(
            IpAddress::V4([10, 0, 0, 1]),
            IpAddress::V4([192, 0, 2, 9]),
            11,
        );
        let (text, _) = encode(&origin(), [good].into_iter());
        let bad = [
            "udp 10.0.0.1 1 10.0.0.2 2 3 4 5",
            "tcp 10.0.0.1 1 10.0.0.2 2 3 4",
            "tcp 10.0.0.1 1 10.0.0.2 2 3 4 5 6",
            "tcp 10.0.0.1 1 ::1 2 3 4 5",
            "tcp 10.0.0.1 70000 10.0.0.2 2 3 4 5",
            "tcp 10.0.0.1 1 10.0.0.2 2 0 4 5",
            "tcp 10.0.0.1 1 10.0.0.2 2 3 -4 5",
            "tcp 10.0.0.1 1 10.0.0.2 2 3 18446744073709551616 5",
            "tcp 10.0.0.1  1 10.0.0.2 2 3 4 5",
            "tcp 300.0.0.1 1 10.0.0.2 2 3 4 5",
            "",
            "\u{0}\u{ff}",
        ];
        let damaged = format!("{text}{}\n", bad.join("\n"));
        assert_eq!(decode(&damaged, &origin()), vec![good]);
    }

    #[test]
    fn at_most_the_limit_is_recorded() {
        let many = (1..=MAX_CARRIED as u64 + 5).map(|s| {
            totals(
                IpAddress::V4([10, 0, 0, 1]),
                IpAddress::V4([10, 0, 0, 2]),
                s,
            )
        });
        let (text, count) = encode(&origin(), many);
        assert_eq!(count, MAX_CARRIED);
        assert_eq!(decode(&text, &origin()).len(), MAX_CARRIED);
    }

    use crate::test_dir::TestDir;

    #[test]
    fn a_record_is_taken_once() {
        let dir = TestDir::new("zf-carried");
        let path = dir.0.join("net-1.totals");
        let good = totals(
            IpAddress::V4([10, 0, 0, 1]),
            IpAddress::V4([192, 0, 2, 9]),
            11,
        );
        assert_eq!(save(&path, &origin(), [good].into_iter()).unwrap(), 1);
        assert_eq!(take(&path, &origin()).unwrap(), vec![good]);
        assert!(!path.exists(), "removed once taken");
        assert!(
            take(&path, &origin()).unwrap().is_empty(),
            "none is no error"
        );
        // Another boot's record is removed too: none of its sockets exists.
        save(&path, &origin(), [good].into_iter()).unwrap();
        let mut other = origin();
        other.boot_id = "another".into();
        assert!(take(&path, &other).unwrap().is_empty());
        assert!(!path.exists());
        // Neither a FIFO nor a link is read, and neither stays.
        let made = std::process::Command::new("mkfifo").arg(&path).status();
        assert!(made.unwrap().success());
        assert!(take(&path, &origin()).is_err());
        assert!(!path.exists());
        let target = dir.0.join("elsewhere");
        save(&target, &origin(), [good].into_iter()).unwrap();
        std::os::unix::fs::symlink(&target, &path).unwrap();
        assert!(take(&path, &origin()).is_err());
        assert!(!path.exists() && target.exists());
    }

    #[test]
    fn the_longest_line_fits_its_bound() {
        let max = IpAddress::V6([0xff; 16]);
        let mut longest = totals(max, max, u64::MAX);
        longest.key.local_port = u16::MAX;
        longest.key.remote_port = u16::MAX;
        longest.transmitted = u64::MAX;
        longest.received = u64::MAX;
        let (text, _) = encode(&origin(), [longest].into_iter());
        let line = text.lines().nth(2).unwrap();
        assert_eq!(line.len() as u64 + 1, MAX_LINE);
    }

    #[test]
    fn only_records_older_than_the_bound_are_removed() {
        let dir = TestDir::new("zf-stale");
        fs::create_dir_all(&dir.0).unwrap();
        let old = SystemTime::now() - Duration::from_secs(3_600);
        for name in [
            "net-1.totals",
            "net-2.totals",
            "net-1.lock",
            "net-x.totals",
            "net-.totals",
        ] {
            let file = fs::File::create(dir.0.join(name)).unwrap();
            if name != "net-2.totals" {
                file.set_modified(old).unwrap();
            }
        }
        assert_eq!(remove_stale(&dir.0, Duration::from_secs(60)).unwrap(), 1);
        let mut left: Vec<String> = fs::read_dir(&dir.0)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        left.sort();
        assert_eq!(
            left,
            ["net-.totals", "net-1.lock", "net-2.totals", "net-x.totals"]
        );
    }
}
