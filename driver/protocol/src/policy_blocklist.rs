//! The blocklist section of a policy document (README "The policy document"): DNS names and IP
//! networks the driver blocks while no client is connected and no rule decides. It follows the
//! rules when the document's flag bit 1 is set. Checked as strictly as a rule: any flaw refuses
//! the whole document.

use alloc::string::String;
use alloc::vec::Vec;

use crate::bytes::Fields;
use crate::policy::{bad, check_suffix, host_bits_clear, PolicyError};

/// Document flag: a blocklist section follows the rules.
pub const FLAG_BLOCKLIST: u16 = 0x2;
/// The most names a blocklist section may hold.
pub const MAX_BLOCKED_NAMES: u32 = 4_000_000;
/// The most networks a blocklist section may hold.
pub const MAX_BLOCKED_NETWORKS: u32 = 1_000_000;
/// `name_count` and `network_count`.
const COUNTS_LEN: usize = 8;
/// The fewest bytes a name takes (its length byte and one byte).
const MIN_NAME_LEN: usize = 2;
/// The fewest bytes a network takes (family, prefix, an IPv4 address).
const MIN_NETWORK_LEN: usize = 6;

/// The names of a blocklist: one text and where each name ends, so a million names cost two
/// allocations instead of a million.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BlockedNames {
    text: String,
    ends: Vec<u32>,
}

impl BlockedNames {
    /// No names.
    pub fn new() -> BlockedNames {
        BlockedNames::default()
    }

    /// Room for `names` names of `bytes` bytes in all.
    fn with_capacity(names: usize, bytes: usize) -> BlockedNames {
        BlockedNames {
            text: String::with_capacity(bytes),
            ends: Vec::with_capacity(names),
        }
    }

    /// Adds `name` (lowercase, no trailing dot, 1..=253 bytes for a document that decodes).
    pub fn push(&mut self, name: &str) {
        self.text.push_str(name);
        self.ends
            .push(u32::try_from(self.text.len()).unwrap_or(u32::MAX));
    }

    /// How many names.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// Whether there is no name.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// The `index`-th name.
    pub fn get(&self, index: usize) -> Option<&str> {
        let start = match index.checked_sub(1) {
            Some(before) => *self.ends.get(before)? as usize,
            None => 0,
        };
        let end = *self.ends.get(index)? as usize;
        self.text.get(start..end)
    }

    /// The names, in the order they were added.
    pub fn iter(&self) -> impl Iterator<Item = &str> + '_ {
        let starts = core::iter::once(0).chain(self.ends.iter().copied());
        starts
            .zip(self.ends.iter().copied())
            .map(|(start, end)| self.text.get(start as usize..end as usize).unwrap_or(""))
    }

    /// The bytes of every name, back to back.
    pub fn text_len(&self) -> usize {
        self.text.len()
    }
}

impl<'a> FromIterator<&'a str> for BlockedNames {
    fn from_iter<I: IntoIterator<Item = &'a str>>(names: I) -> BlockedNames {
        let mut out = BlockedNames::new();
        names.into_iter().for_each(|name| out.push(name));
        out
    }
}

/// One network of a blocklist; host bits are zero.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BlockedNetwork {
    /// An IPv4 network, prefix 0..=32.
    V4 {
        /// The network address.
        network: [u8; 4],
        /// Leading bits that count.
        prefix: u8,
    },
    /// An IPv6 network, prefix 0..=128.
    V6 {
        /// The network address.
        network: [u8; 16],
        /// Leading bits that count.
        prefix: u8,
    },
}

/// A document's blocklist section; empty when the document has none.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PolicyBlocklist {
    /// Each blocks itself and every name below it.
    pub names: BlockedNames,
    /// Each blocks every address in it.
    pub networks: Vec<BlockedNetwork>,
}

impl PolicyBlocklist {
    /// Whether it lists nothing (then the document has no section).
    pub fn is_empty(&self) -> bool {
        self.names.is_empty() && self.networks.is_empty()
    }

    /// Writes the section (counts, names, networks); nothing when it lists nothing.
    pub(crate) fn encode(&self, out: &mut Vec<u8>) {
        if self.is_empty() {
            return;
        }
        let count = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
        out.extend_from_slice(&count(self.names.len()).to_le_bytes());
        out.extend_from_slice(&count(self.networks.len()).to_le_bytes());
        for name in self.names.iter() {
            // Cut to what a length byte says, so the bytes stay in step (such a name is refused).
            let bytes = name.as_bytes();
            let bytes = bytes.get(..usize::from(u8::MAX)).unwrap_or(bytes);
            out.push(u8::try_from(bytes.len()).unwrap_or(u8::MAX));
            out.extend_from_slice(bytes);
        }
        for network in &self.networks {
            match network {
                BlockedNetwork::V4 { network, prefix } => {
                    out.extend_from_slice(&[4, *prefix]);
                    out.extend_from_slice(network);
                }
                BlockedNetwork::V6 { network, prefix } => {
                    out.extend_from_slice(&[6, *prefix]);
                    out.extend_from_slice(network);
                }
            }
        }
    }

    /// Decodes the section at `at`, which runs to the end of `content` (the bytes before the
    /// checksum); returns it and the offset after it.
    pub(crate) fn decode(
        content: &[u8],
        at: usize,
    ) -> Result<(PolicyBlocklist, usize), PolicyError> {
        let counts = content
            .get(at..at + COUNTS_LEN)
            .ok_or(bad(at, "blocklist section cut short"))?;
        let mut f = Fields::new(counts);
        let (name_count, network_count) = (f.u32(), f.u32());
        if name_count > MAX_BLOCKED_NAMES {
            return Err(bad(at, "more blocked names than the limit"));
        }
        if network_count > MAX_BLOCKED_NETWORKS {
            return Err(bad(at + 4, "more blocked networks than the limit"));
        }
        if name_count == 0 && network_count == 0 {
            // The encoders write no section then; one way to say "no lists" keeps the bytes
            // of a document a function of its contents.
            return Err(bad(at, "a blocklist section that lists nothing"));
        }
        // Counts the bytes cannot hold are refused before anything is allocated for them.
        let (names, networks) = (name_count as usize, network_count as usize);
        let room = content.len().saturating_sub(at + COUNTS_LEN);
        let least = names * MIN_NAME_LEN + networks * MIN_NETWORK_LEN;
        if least > room {
            return Err(bad(at, "blocklist counts larger than the document"));
        }
        // Every byte not taken by a length byte or a network is at most name text.
        let text_room = room - names - networks * MIN_NETWORK_LEN;
        let mut list = PolicyBlocklist {
            names: BlockedNames::with_capacity(names, text_room),
            networks: Vec::with_capacity(networks),
        };
        let mut at = at + COUNTS_LEN;
        for _ in 0..names {
            let len = usize::from(*content.get(at).ok_or(bad(at, "blocked name cut short"))?);
            let bytes = content
                .get(at + 1..at + 1 + len)
                .ok_or(bad(at, "blocked name cut short"))?;
            list.names.push(check_suffix(bytes, at)?);
            at += 1 + len;
        }
        for _ in 0..networks {
            let (network, next) = decode_network(content, at)?;
            list.networks.push(network);
            at = next;
        }
        Ok((list, at))
    }
}

/// Decodes the network at `at`; returns it and the offset after it.
fn decode_network(content: &[u8], at: usize) -> Result<(BlockedNetwork, usize), PolicyError> {
    let (family, prefix) = match content.get(at..at + 2) {
        Some(&[family, prefix]) => (family, prefix),
        _ => return Err(bad(at, "blocked network cut short")),
    };
    let (len, bits) = match family {
        4 => (4, 32),
        6 => (16, 128),
        _ => return Err(bad(at, "a blocked network's family is 4 or 6")),
    };
    if prefix > bits {
        return Err(bad(
            at + 1,
            "blocked network prefix too long for its family",
        ));
    }
    let address = content
        .get(at + 2..at + 2 + len)
        .ok_or(bad(at, "blocked network cut short"))?;
    if !host_bits_clear(address, prefix) {
        return Err(bad(at + 2, "blocked network has host bits set"));
    }
    let cut = || bad(at, "blocked network cut short");
    let network = if family == 4 {
        BlockedNetwork::V4 {
            network: address.try_into().map_err(|_| cut())?,
            prefix,
        }
    } else {
        BlockedNetwork::V6 {
            network: address.try_into().map_err(|_| cut())?,
            prefix,
        }
    };
    Ok((network, at + 2 + len))
}

#[cfg(test)]
#[path = "policy_blocklist_tests.rs"]
mod tests;
