//! Removes the built-in chains iptables-nft made for an older version's rules, after a killed
//! daemon of that version (until 2026-12-07 the queue's rules were in iptables-nft's mangle
//! table: `rules.rs`).
//!
//! iptables-nft creates a table's built-in chains (mangle OUTPUT, INPUT, POSTROUTING) as nftables
//! base chains the first time a rule goes into one, and never removes them. After the rules are
//! removed they would stay, empty, with policy accept: they pass every packet, as no chain at all
//! would, but every packet of the host still pays a hook call for each, and mangle OUTPUT is a
//! `route` chain that also saves and compares the packet's routing keys (`bench established
//! --profile` counted it).
//!
//! Only what that daemon made goes: the tables and chains of [`rules::BUILTINS`] it recorded as
//! made by its rules ([`Made`]), beside the instance lock (`/run/zenithfence/net-<inode>.chains`,
//! with the namespace's cookie, since a later namespace may get the same inode). Another
//! program's, even an empty one it keeps ready for later rules, stays.
//!
//! A chain goes only while it is a base chain with policy accept that holds no rule and no jump:
//! deleting it changes no verdict. The check and the delete are bound to the ruleset's generation
//! (`NFNL_BATCH_GENID`): if anything changed in between (a rule added, a policy set to drop), the
//! kernel refuses the delete (`ERESTART`) and it is tried again from the check. The deletes also
//! carry `NLM_F_NONREC`, so the kernel refuses one that would take a rule or a chain with it
//! (`EBUSY`). A table goes only once it holds nothing. Every failure is logged by the caller at
//! most: a chain that stays costs time, never a packet.

use std::fs;
use std::io;
use std::path::Path;

use crate::nft_netlink::{self, Nftables};
use crate::rules::{self, Family};

/// The record is a few lines; anything longer is not ours.
const RECORD_LIMIT: u64 = 4096;

/// A table or one of its built-in chains (`chain` `None`: the table itself), as named in
/// [`rules::BUILTINS`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Object {
    family: Family,
    table: &'static str,
    chain: Option<&'static str>,
}

impl Object {
    /// The object a record line names, only if it is one of [`rules::BUILTINS`] (the names are
    /// then ours, not the file's).
    fn from_line(line: &str) -> Option<Object> {
        let mut words = line.split_whitespace();
        let family = match words.next()? {
            "ip" => Family::V4,
            "ip6" => Family::V6,
            _ => return None,
        };
        let table_word = words.next()?;
        let chain_word = words.next();
        if words.next().is_some() {
            return None;
        }
        let (table, chains) = rules::BUILTINS.iter().find(|(t, _)| *t == table_word)?;
        let chain = match chain_word {
            None => None,
            Some(word) => Some(*chains.iter().find(|c| **c == word)?),
        };
        Some(Object {
            family,
            table,
            chain,
        })
    }
}

/// Tables and built-in chains an older daemon made.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct Made {
    objects: Vec<Object>,
}

impl Made {
    /// The objects of a record written in the namespace with `cookie`; `None` for another
    /// namespace's record or text that is not a record. Lines naming anything but
    /// [`rules::BUILTINS`] are left out.
    fn decode(text: &str, cookie: u64) -> Option<Made> {
        let mut lines = text.lines();
        let written = lines
            .next()?
            .strip_prefix("netns-cookie ")?
            .parse::<u64>()
            .ok()?;
        if written != cookie {
            return None;
        }
        Some(Made {
            objects: lines.filter_map(Object::from_line).collect(),
        })
    }

    /// The record a killed daemon left in this namespace, if any.
    pub(crate) fn recorded(path: &Path) -> Option<Made> {
        use std::io::Read;
        let mut text = String::new();
        fs::File::open(path)
            .ok()?
            .take(RECORD_LIMIT)
            .read_to_string(&mut text)
            .ok()?;
        let cookie = nft_netlink::netns_cookie().ok()?;
        Made::decode(&text, cookie)
    }

    /// Deletes each chain that still passes every packet and holds nothing, then each table
    /// left empty. Returns how many chains went.
    pub(crate) fn remove(&self) -> io::Result<usize> {
        if self.objects.is_empty() {
            return Ok(0);
        }
        let mut nft = Nftables::open()?;
        let mut removed = 0;
        for object in self.objects.iter().filter(|o| o.chain.is_some()) {
            if nft.delete_unused(object.family, object.table, object.chain) {
                removed += 1;
            }
        }
        for object in self.objects.iter().filter(|o| o.chain.is_none()) {
            nft.delete_unused(object.family, object.table, object.chain);
        }
        Ok(removed)
    }
}

/// Removes the record (there being none is fine).
pub(crate) fn forget_record(path: &Path) -> io::Result<()> {
    match fs::remove_file(path) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_record_names_only_our_builtins_and_only_in_its_own_namespace() {
        let text = "netns-cookie 77\nip mangle\nip mangle OUTPUT\nip6 filter INPUT\n";
        let object = |family, table, chain| Object {
            family,
            table,
            chain,
        };
        assert_eq!(
            Made::decode(text, 77),
            Some(Made {
                objects: vec![
                    object(Family::V4, "mangle", None),
                    object(Family::V4, "mangle", Some("OUTPUT")),
                    object(Family::V6, "filter", Some("INPUT")),
                ]
            })
        );
        // Another namespace's record (a reused inode) is not this one's.
        assert_eq!(Made::decode(text, 78), None);
        // Names outside rules::BUILTINS, odd lines and a missing cookie line are not taken.
        let odd = "netns-cookie 5\nip mangle PREROUTING\nip nat OUTPUT\ninet mangle OUTPUT\n\
                   ip mangle OUTPUT extra\nip\nip6 mangle POSTROUTING\n";
        assert_eq!(
            Made::decode(odd, 5),
            Some(Made {
                objects: vec![object(Family::V6, "mangle", Some("POSTROUTING"))]
            })
        );
        assert_eq!(Made::decode("ip mangle OUTPUT\n", 5), None);
        assert_eq!(Made::decode("", 5), None);
    }
}
