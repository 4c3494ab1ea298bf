//! The SSID of the default route's interface (protocol README "Network facts"), asked of
//! nl80211 over generic netlink (the bytes are in `nl80211.rs`). Used by the network watcher on
//! the packet thread, so it never waits long and never fails: every error is an empty SSID.
//!
//! - nl80211's family id is asked for once, at the first lookup. A kernel without it (no
//!   cfg80211: no Wi-Fi at all) is asked again only for an interface index higher than any it
//!   was asked for: the kernel numbers new interfaces upwards, and cfg80211 is loaded before its
//!   first Wi-Fi interface exists, so a Wi-Fi device plugged in later is such an index. A family
//!   that went away (cfg80211 unloaded: the kernel answers `ENOENT` to its old id) is asked for
//!   again at the next lookup.
//! - An interface's SSID is kept until a link event about that interface (or lost events):
//!   joining another network means disassociating first, which takes the carrier down and up
//!   (each an `RTM_NEWLINK`), and roaming between access points keeps the network's SSID. An
//!   SSID that changed without a link event (an access point renamed while we stay associated
//!   through firmware roaming) is therefore seen only at the next link change.
//! - Each answer is waited for at most [`REPLY_TIMEOUT`]; an interface that is not Wi-Fi
//!   (`ENODEV`), a timeout or a malformed reply give an empty SSID, kept like any other answer.

use std::collections::HashMap;
use std::io;
use std::time::Duration;

use crate::errno::ENODEV;
use crate::log::{Log, Severity};
use crate::netlink::NetlinkSocket;
use crate::nl80211::{
    family_request, interface_request, parse_family, parse_interface_ssid, GENL_ID_CTRL,
    NETLINK_GENERIC,
};
use crate::sys;

/// How long one nl80211 answer may take: the kernel answers in microseconds, but a Wi-Fi
/// driver busy with its firmware holds the lock nl80211 needs; the packet thread must not wait
/// for it.
const REPLY_TIMEOUT: Duration = Duration::from_millis(200);
/// One reply message is well under a page (an interface's attributes).
const BUF_LEN: usize = 16 * 1024;

/// What the lookup asks of the kernel (a fake in the tests).
pub(crate) trait Nl80211 {
    /// nl80211's family id; `Ok(None)` when the kernel has no such family.
    fn family(&mut self) -> io::Result<Option<u16>>;
    /// The SSID of `if_index` (empty when not connected); `Ok(None)` when `family` is not a
    /// family id (`ENOENT`).
    fn interface_ssid(&mut self, family: u16, if_index: u32) -> io::Result<Option<Vec<u8>>>;
}

/// The kernel, over a generic netlink socket opened at the first question.
#[derive(Default)]
pub(crate) struct GenericNetlink {
    socket: Option<NetlinkSocket>,
    seq: u32,
}

impl GenericNetlink {
    fn socket(&mut self) -> io::Result<(&mut NetlinkSocket, u32)> {
        if self.socket.is_none() {
            let file = sys::netlink_socket(NETLINK_GENERIC, 0)?;
            sys::set_receive_timeout(&file, REPLY_TIMEOUT)?;
            self.socket = Some(NetlinkSocket::new(file, BUF_LEN));
        }
        self.seq = self.seq.wrapping_add(1);
        let seq = self.seq;
        match self.socket.as_mut() {
            Some(socket) => Ok((socket, seq)),
            None => Err(io::Error::other("no generic netlink socket")),
        }
    }
}

impl Nl80211 for GenericNetlink {
    fn family(&mut self) -> io::Result<Option<u16>> {
        let (socket, seq) = self.socket()?;
        // ENOENT (no such family) is Ok(None) in `request_one`.
        socket.request_one(&family_request(seq), seq, GENL_ID_CTRL, parse_family)
    }

    fn interface_ssid(&mut self, family: u16, if_index: u32) -> io::Result<Option<Vec<u8>>> {
        let (socket, seq) = self.socket()?;
        socket.request_one(
            &interface_request(family, seq, if_index),
            seq,
            family,
            |payload| parse_interface_ssid(payload, if_index),
        )
    }
}

/// What is known of nl80211's family.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Family {
    /// Not asked for yet (or gone since).
    NotAsked,
    /// Its id.
    Id(u16),
    /// The kernel had none when asked for interfaces up to this index.
    Absent { asked_for: u32 },
}

/// The SSIDs looked up, per interface index, and nl80211's family.
pub(crate) struct Ssids<K: Nl80211 = GenericNetlink> {
    kernel: K,
    family: Family,
    known: HashMap<u32, Vec<u8>>,
}

impl Ssids {
    /// Asks nothing yet: the first [`Ssids::ssid`] does.
    pub(crate) fn new() -> Self {
        Self::with_kernel(GenericNetlink::default())
    }
}

impl<K: Nl80211> Ssids<K> {
    fn with_kernel(kernel: K) -> Self {
        Ssids {
            kernel,
            family: Family::NotAsked,
            known: HashMap::new(),
        }
    }

    /// The SSID of `if_index`: kept from an earlier lookup, or asked for now.
    pub(crate) fn ssid(&mut self, if_index: u32, log: &Log) -> Vec<u8> {
        if let Some(ssid) = self.known.get(&if_index) {
            return ssid.clone();
        }
        let ssid = self.look_up(if_index, log);
        self.known.insert(if_index, ssid.clone());
        ssid
    }

    /// A link event about `if_index`: its SSID is asked for again at the next lookup.
    pub(crate) fn forget(&mut self, if_index: u32) {
        self.known.remove(&if_index);
    }

    /// Link events were lost (or one could not be read): every SSID is asked for again.
    pub(crate) fn forget_all(&mut self) {
        self.known.clear();
    }

    /// Whether `if_index`'s SSID is kept.
    #[cfg(test)]
    pub(crate) fn knows(&self, if_index: u32) -> bool {
        self.known.contains_key(&if_index)
    }

    fn family_for(&mut self, if_index: u32, log: &Log) -> Option<u16> {
        let asked_for = match self.family {
            Family::Id(id) => return Some(id),
            Family::Absent { asked_for } if if_index <= asked_for => return None,
            Family::Absent { asked_for } => asked_for.max(if_index),
            Family::NotAsked => if_index,
        };
        match self.kernel.family() {
            Ok(Some(id)) => {
                self.family = Family::Id(id);
                log.write(Severity::Debug, format!("nl80211 is family {id}"));
                Some(id)
            }
            Ok(None) => {
                self.family = Family::Absent { asked_for };
                log.write(
                    Severity::Debug,
                    "no nl80211 in the kernel (no Wi-Fi): no SSID in the network facts".into(),
                );
                None
            }
            Err(e) => {
                self.family = Family::Absent { asked_for };
                log.write(
                    Severity::Debug,
                    format!("cannot ask for nl80211 (no SSID in the network facts): {e}"),
                );
                None
            }
        }
    }

    fn look_up(&mut self, if_index: u32, log: &Log) -> Vec<u8> {
        let Some(family) = self.family_for(if_index, log) else {
            return Vec::new();
        };
        match self.kernel.interface_ssid(family, if_index) {
            Ok(Some(ssid)) => ssid,
            Ok(None) => {
                // The id is no family's now: cfg80211 went away (and may come back).
                self.family = Family::NotAsked;
                Vec::new()
            }
            // Not a Wi-Fi interface: the usual answer, nothing to say.
            Err(e) if e.raw_os_error() == Some(ENODEV) => Vec::new(),
            Err(e) => {
                log.write(
                    Severity::Debug,
                    format!("cannot read interface {if_index}'s SSID: {e}"),
                );
                Vec::new()
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use std::time::Instant;
    use zenithfence_protocol::Info;

    /// A kernel with a family or none, Wi-Fi interfaces by index, and the questions it got.
    #[derive(Default)]
    struct FakeKernel {
        family: Option<u16>,
        wifi: HashMap<u32, Vec<u8>>,
        asked: Vec<String>,
    }

    impl Nl80211 for FakeKernel {
        fn family(&mut self) -> io::Result<Option<u16>> {
            self.asked.push("family".into());
            Ok(self.family)
        }

        fn interface_ssid(&mut self, family: u16, if_index: u32) -> io::Result<Option<Vec<u8>>> {
            self.asked.push(format!("interface {if_index}"));
            if Some(family) != self.family {
                return Ok(None);
            }
            match self.wifi.get(&if_index) {
                Some(ssid) => Ok(Some(ssid.clone())),
                None => Err(io::Error::from_raw_os_error(ENODEV)),
            }
        }
    }

    fn kernel_with_wifi(family: u16, if_index: u32, ssid: &[u8]) -> FakeKernel {
        FakeKernel {
            family: Some(family),
            wifi: HashMap::from([(if_index, ssid.to_vec())]),
            asked: Vec::new(),
        }
    }

    fn asked(ssids: &mut Ssids<FakeKernel>) -> Vec<String> {
        std::mem::take(&mut ssids.kernel.asked)
    }

    #[test]
    fn an_ssid_is_asked_for_once_per_interface_until_its_link_changes() {
        let log = Log::new(Severity::Error);
        let mut ssids = Ssids::with_kernel(kernel_with_wifi(0x1c, 3, b"home"));
        assert_eq!(ssids.ssid(3, &log), b"home");
        assert_eq!(asked(&mut ssids), ["family", "interface 3"]);
        assert_eq!(ssids.ssid(3, &log), b"home");
        assert_eq!(asked(&mut ssids), Vec::<String>::new(), "kept");
        // Not Wi-Fi: empty, and kept too.
        assert_eq!(ssids.ssid(2, &log), b"");
        assert_eq!(ssids.ssid(2, &log), b"");
        assert_eq!(asked(&mut ssids), ["interface 2"], "the family id is kept");
        // The link changed (the carrier came back on another network).
        ssids.kernel.wifi.insert(3, b"cafe".to_vec());
        ssids.forget(2);
        assert_eq!(ssids.ssid(3, &log), b"home", "another link's event");
        ssids.forget(3);
        assert_eq!(ssids.ssid(3, &log), b"cafe");
        assert_eq!(asked(&mut ssids), ["interface 3"]);
        ssids.forget_all();
        ssids.ssid(3, &log);
        ssids.ssid(2, &log);
        assert_eq!(asked(&mut ssids), ["interface 3", "interface 2"]);
    }

    #[test]
    fn without_nl80211_the_family_is_asked_again_only_for_a_newer_interface() {
        let log = Log::new(Severity::Error);
        let mut ssids = Ssids::with_kernel(FakeKernel::default());
        assert_eq!(ssids.ssid(2, &log), b"");
        assert_eq!(asked(&mut ssids), ["family"]);
        ssids.forget(2);
        assert_eq!(ssids.ssid(2, &log), b"");
        assert_eq!(ssids.ssid(1, &log), b"");
        assert_eq!(asked(&mut ssids), Vec::<String>::new(), "not asked again");
        // A Wi-Fi device plugged in: cfg80211 loaded, a new interface with a higher index.
        ssids.kernel = kernel_with_wifi(0x1d, 5, b"home");
        assert_eq!(ssids.ssid(5, &log), b"home");
        assert_eq!(asked(&mut ssids), ["family", "interface 5"]);
    }

    #[test]
    fn a_family_gone_is_asked_for_again() {
        let log = Log::new(Severity::Error);
        let mut ssids = Ssids::with_kernel(kernel_with_wifi(0x1c, 3, b"home"));
        ssids.ssid(3, &log);
        // cfg80211 reloaded under another id.
        ssids.kernel.family = Some(0x1e);
        ssids.forget(3);
        assert_eq!(ssids.ssid(3, &log), b"", "the old id gets ENOENT");
        ssids.forget(3);
        assert_eq!(ssids.ssid(3, &log), b"home");
        assert_eq!(
            asked(&mut ssids),
            [
                "family",
                "interface 3",
                "interface 3",
                "family",
                "interface 3"
            ]
        );
    }

    /// The live kernel. Wi-Fi hardware (even mac80211_hwsim) cannot exist on the machine these
    /// tests run on (no kernel modules, no cfg80211), so this exercises only the path without
    /// nl80211: the loopback's SSID is empty, found without an error or a warning, at once, and
    /// the family is not asked for again for it. On a kernel with nl80211 the loopback is not
    /// Wi-Fi (`ENODEV`), and the same holds but for the family being known.
    #[test]
    fn on_this_machine_the_live_lookup_is_empty_quick_and_quiet() {
        let log = Log::new(Severity::Error);
        let mut ssids = Ssids::new();
        let start = Instant::now();
        assert_eq!(ssids.ssid(1, &log), b"");
        let first = start.elapsed();
        assert!(first < Duration::from_millis(50), "took {first:?}");
        let cfg80211 = std::path::Path::new("/sys/module/cfg80211").exists();
        if !cfg80211 {
            assert_eq!(ssids.family, Family::Absent { asked_for: 1 });
        }
        // A link event for the loopback: asked again, without asking for the family.
        ssids.forget(1);
        let start = Instant::now();
        assert_eq!(ssids.ssid(1, &log), b"");
        assert!(
            start.elapsed() < Duration::from_millis(5),
            "{:?}",
            start.elapsed()
        );
        for info in log.take_infos() {
            let Info::LogLine(line) = info else { continue };
            assert!(line.severity < Severity::Warning as u8, "{}", line.text);
            assert!(
                !line.text.starts_with("cannot"),
                "an error asking the kernel: {}",
                line.text
            );
        }
    }
}
