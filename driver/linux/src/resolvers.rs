//! The resolvers this host asks (`zenithfence_core::resolv_conf` says which): read from
//! `/etc/resolv.conf` (and systemd-resolved's upstream list when it names the stub) and the
//! `--dns-resolver` options, and read again when a file changes, since a laptop that joins
//! another network gets other resolvers. The same read gives the network facts' DNS suffix
//! (`resolv_conf::search_suffix`).
//!
//! Cheap enough for the packet thread: at most once per [`CHECK_EVERY_MS`] the two files are
//! `stat`ed (about a microsecond each), and read only when their identity, size or modification
//! time changed.

use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::PathBuf;

use zenithfence_core::flow::IpAddress;
use zenithfence_core::resolv_conf::{configured_resolvers, names_resolved_stub, search_suffix};

/// Where glibc reads its resolvers.
pub(crate) const RESOLV_CONF: &str = "/etc/resolv.conf";
/// systemd-resolved's list of the upstream servers it queries.
pub(crate) const RESOLVED_UPSTREAMS: &str = "/run/systemd/resolve/resolv.conf";
/// How often the files are checked for changes.
pub(crate) const CHECK_EVERY_MS: u64 = 1_000;

/// What tells a file's content changed without reading it (`None`: it cannot be read).
type Stamp = Option<(u64, u64, u64, i64, i64)>;

fn stamp(path: &PathBuf) -> Stamp {
    // Follows symlinks: /etc/resolv.conf is usually a link that a network manager repoints.
    let meta = fs::metadata(path).ok()?;
    Some((
        meta.dev(),
        meta.ino(),
        meta.size(),
        meta.mtime(),
        meta.mtime_nsec(),
    ))
}

/// The current resolver set and the files it came from.
pub(crate) struct Resolvers {
    resolv_conf: PathBuf,
    upstreams: PathBuf,
    extra: Vec<IpAddress>,
    stamps: [Stamp; 2],
    current: Vec<IpAddress>,
    /// The first search domain of `resolv_conf` (empty: none, or the file cannot be read).
    suffix: String,
    next_check_ms: u64,
}

impl Resolvers {
    /// Reads the files now; `extra` are the `--dns-resolver` addresses.
    pub(crate) fn new(resolv_conf: PathBuf, upstreams: PathBuf, extra: Vec<IpAddress>) -> Self {
        let mut resolvers = Resolvers {
            resolv_conf,
            upstreams,
            extra,
            // Never equal to a real stamp pair, so the first refresh reads.
            stamps: [Some((0, 0, 0, i64::MIN, 0)), None],
            current: Vec::new(),
            suffix: String::new(),
            next_check_ms: 0,
        };
        resolvers.refresh(0);
        resolvers
    }

    /// Re-reads the files if [`CHECK_EVERY_MS`] passed and one of them changed; returns whether
    /// the set was read again.
    pub(crate) fn refresh(&mut self, now_ms: u64) -> bool {
        if now_ms < self.next_check_ms {
            return false;
        }
        self.next_check_ms = now_ms.saturating_add(CHECK_EVERY_MS);
        let stamps = [stamp(&self.resolv_conf), stamp(&self.upstreams)];
        if stamps == self.stamps {
            return false;
        }
        self.stamps = stamps;
        let text = fs::read_to_string(&self.resolv_conf).ok();
        let upstreams = text
            .as_deref()
            .filter(|t| names_resolved_stub(t))
            .and_then(|_| fs::read_to_string(&self.upstreams).ok());
        self.current = configured_resolvers(text.as_deref(), upstreams.as_deref(), &self.extra);
        self.suffix = text.as_deref().map(search_suffix).unwrap_or_default();
        true
    }

    /// Whether a query to `address` goes to a resolver of this host.
    pub(crate) fn contains(&self, address: &IpAddress) -> bool {
        self.current.contains(address)
    }

    /// The current set (sorted).
    pub(crate) fn current(&self) -> &[IpAddress] {
        &self.current
    }

    /// The DNS suffix: the first search domain of `/etc/resolv.conf`, lowercase, without the
    /// trailing dot; empty when there is none.
    pub(crate) fn suffix(&self) -> &str {
        &self.suffix
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_changed_file_is_read_again_at_the_next_check() {
        let dir = std::env::temp_dir().join(format!("zf-resolvers-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        let (conf, upstreams) = (dir.join("resolv.conf"), dir.join("upstreams.conf"));
        fs::write(&conf, "nameserver 10.0.0.53\nsearch Home.Example.\n").unwrap();
        fs::write(&upstreams, "nameserver 10.9.9.9\n").unwrap();
        let extra = IpAddress::V4([192, 0, 2, 53]);
        let mut resolvers = Resolvers::new(conf.clone(), upstreams.clone(), vec![extra]);
        let first = IpAddress::V4([10, 0, 0, 53]);
        assert_eq!(resolvers.current(), &[first, extra]);
        assert_eq!(resolvers.suffix(), "home.example");
        assert!(!resolvers.refresh(10), "not before the interval");
        assert!(!resolvers.refresh(CHECK_EVERY_MS), "unchanged: not read");
        // Another network: resolved's stub, whose upstreams then count too.
        fs::write(
            &conf,
            "nameserver 127.0.0.53\n# a longer file\nsearch work.example\n",
        )
        .unwrap();
        assert!(!resolvers.refresh(CHECK_EVERY_MS + 1));
        assert!(resolvers.refresh(2 * CHECK_EVERY_MS));
        let upstream = IpAddress::V4([10, 9, 9, 9]);
        assert!(resolvers.contains(&upstream) && resolvers.contains(&extra));
        assert!(
            !resolvers.contains(&first),
            "the old network's resolver is gone"
        );
        assert_eq!(resolvers.suffix(), "work.example");
        fs::remove_file(&conf).unwrap();
        assert!(resolvers.refresh(3 * CHECK_EVERY_MS));
        assert_eq!(resolvers.suffix(), "", "no file, no suffix");
        assert!(resolvers.contains(&IpAddress::V4([127, 0, 0, 1])));
        fs::remove_dir_all(&dir).unwrap();
    }
}
