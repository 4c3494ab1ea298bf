//! Commands, user space to driver: one per write, `id u8` then fixed-size fields, no length prefix.
//! A write whose length does not match its id is rejected (upstream reads past the buffer).

use alloc::vec::Vec;
use core::fmt;

use crate::bytes::Fields;
use crate::constants::{command_id, Verdict};

/// A verdict update for a cached connection; `N` is 4 for IPv4 and 16 for IPv6.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Update<const N: usize> {
    /// IANA protocol number.
    pub protocol: u8,
    /// Local address, network byte order.
    pub local_ip: [u8; N],
    /// Local port.
    pub local_port: u16,
    /// Remote address, network byte order.
    pub remote_ip: [u8; N],
    /// Remote port.
    pub remote_port: u16,
    /// The new verdict.
    pub verdict: Verdict,
}

/// A part of a policy document (command 130): the document is cut into parts sent in order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PolicyPart<'a> {
    /// The document's generation (the same in every part).
    pub generation: u64,
    /// The whole document's length in bytes.
    pub total_len: u32,
    /// Where `data` starts in the document.
    pub offset: u32,
    /// The part's bytes (1..=[`MAX_POLICY_PART`]).
    pub data: &'a [u8],
}

/// The most document bytes one PolicyPart carries.
pub const MAX_POLICY_PART: usize = 8192;
/// PolicyPart's bytes before its data: id, generation, total_len, offset, data_len.
pub const POLICY_PART_HEADER: usize = 19;

/// One decoded command. A PolicyPart borrows its data from the write it was decoded from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Command<'a> {
    /// End the info stream and answer every pending packet.
    Shutdown,
    /// Answer the pending packet `id`.
    Verdict {
        /// Pending-packet id from a connection info.
        id: u64,
        /// The answer.
        verdict: Verdict,
    },
    /// Overwrite the cached verdict of an IPv4 connection.
    UpdateV4(Update<4>),
    /// Overwrite the cached verdict of an IPv6 connection.
    UpdateV6(Update<16>),
    /// Forget all cached verdicts.
    ClearCache,
    /// Queue the buffered log lines.
    GetLogs,
    /// Queue the bandwidth deltas since the last request.
    GetBandwidthStats,
    /// No-op, kept for compatibility.
    PrintMemoryStats,
    /// Drop cache entries ended over a minute ago or idle over ten minutes.
    CleanEndedConnections,
    /// Extension: negotiate extension infos.
    Hello {
        /// The client's extension revision.
        ext_version: u16,
        /// Feature bits the client understands.
        features: u32,
    },
    /// Extension: queue one Counters info.
    GetCounters,
    /// Extension: a part of a policy document.
    PolicyPart(PolicyPart<'a>),
    /// Extension: the client put the network of the NetworkFacts of this epoch in force.
    NetworkSeen {
        /// The epoch of a NetworkFacts info queued to this client.
        epoch: u32,
    },
}

/// Why a write is not a command.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CommandError {
    /// The write was empty.
    Empty,
    /// The first byte is no known command id.
    UnknownId(u8),
    /// The write length does not match the command's size.
    WrongLength {
        /// The command id.
        id: u8,
        /// The size this command has.
        expected: usize,
        /// The length that was written.
        actual: usize,
    },
    /// The verdict byte is outside 0..=11.
    BadVerdict(u8),
    /// A PolicyPart's `data_len` is 0 or above [`MAX_POLICY_PART`].
    BadPartLength(u16),
}

impl fmt::Display for CommandError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CommandError::Empty => write!(f, "empty command write"),
            CommandError::UnknownId(id) => write!(f, "unknown command id {id}"),
            CommandError::WrongLength {
                id,
                expected,
                actual,
            } => write!(
                f,
                "command {id} must be {expected} bytes long, the write had {actual}"
            ),
            CommandError::BadVerdict(value) => write!(f, "verdict value {value} is not 0..=11"),
            CommandError::BadPartLength(len) => write!(
                f,
                "a policy part carries 1..={MAX_POLICY_PART} bytes, this one says {len}"
            ),
        }
    }
}

/// The total size (id byte included) of the command with this id; None for an unknown id and
/// for PolicyPart, whose size is in its bytes (see [`command_len`]).
pub fn command_size(id: u8) -> Option<usize> {
    Some(match id {
        command_id::VERDICT => 10,
        command_id::UPDATE_V4 => 15,
        command_id::UPDATE_V6 => 39,
        command_id::HELLO => 7,
        command_id::NETWORK_SEEN => 5,
        command_id::SHUTDOWN
        | command_id::CLEAR_CACHE
        | command_id::GET_LOGS
        | command_id::GET_BANDWIDTH_STATS
        | command_id::PRINT_MEMORY_STATS
        | command_id::CLEAN_ENDED_CONNECTIONS
        | command_id::GET_COUNTERS => 1,
        _ => return None,
    })
}

/// The size of the command that starts `bytes` (a write, or the rest of a stream): fixed per id,
/// or for PolicyPart its header plus its `data_len` (then at least the header must be there).
pub fn command_len(bytes: &[u8]) -> Result<usize, CommandError> {
    let (&id, _) = bytes.split_first().ok_or(CommandError::Empty)?;
    if id != command_id::POLICY_PART {
        return command_size(id).ok_or(CommandError::UnknownId(id));
    }
    let Some(&[low, high]) = bytes.get(POLICY_PART_HEADER - 2..POLICY_PART_HEADER) else {
        return Err(CommandError::WrongLength {
            id,
            expected: POLICY_PART_HEADER,
            actual: bytes.len(),
        });
    };
    let data_len = u16::from_le_bytes([low, high]);
    if data_len == 0 || usize::from(data_len) > MAX_POLICY_PART {
        return Err(CommandError::BadPartLength(data_len));
    }
    Ok(POLICY_PART_HEADER + usize::from(data_len))
}

fn verdict(value: u8) -> Result<Verdict, CommandError> {
    Verdict::from_u8(value).ok_or(CommandError::BadVerdict(value))
}

fn decode_update<const N: usize>(fields: &mut Fields<'_>) -> Result<Update<N>, CommandError> {
    let protocol = fields.u8();
    let local_ip = fields.array();
    let local_port = fields.u16();
    let remote_ip = fields.array();
    let remote_port = fields.u16();
    Ok(Update {
        protocol,
        local_ip,
        local_port,
        remote_ip,
        remote_port,
        verdict: verdict(fields.u8())?,
    })
}

fn encode_update<const N: usize>(update: &Update<N>, out: &mut Vec<u8>) {
    out.push(update.protocol);
    out.extend_from_slice(&update.local_ip);
    out.extend_from_slice(&update.local_port.to_le_bytes());
    out.extend_from_slice(&update.remote_ip);
    out.extend_from_slice(&update.remote_port.to_le_bytes());
    out.push(update.verdict as u8);
}

impl<'a> Command<'a> {
    /// Decodes one whole write. The length is checked once, before any field is read.
    pub fn decode(write: &'a [u8]) -> Result<Command<'a>, CommandError> {
        let expected = command_len(write)?;
        let id = write.first().copied().unwrap_or(0);
        if write.len() != expected {
            return Err(CommandError::WrongLength {
                id,
                expected,
                actual: write.len(),
            });
        }
        let mut fields = Fields::new(write);
        fields.u8();
        Ok(match id {
            command_id::SHUTDOWN => Command::Shutdown,
            command_id::VERDICT => {
                let id = fields.u64();
                Command::Verdict {
                    id,
                    verdict: verdict(fields.u8())?,
                }
            }
            command_id::UPDATE_V4 => Command::UpdateV4(decode_update(&mut fields)?),
            command_id::UPDATE_V6 => Command::UpdateV6(decode_update(&mut fields)?),
            command_id::CLEAR_CACHE => Command::ClearCache,
            command_id::GET_LOGS => Command::GetLogs,
            command_id::GET_BANDWIDTH_STATS => Command::GetBandwidthStats,
            command_id::PRINT_MEMORY_STATS => Command::PrintMemoryStats,
            command_id::CLEAN_ENDED_CONNECTIONS => Command::CleanEndedConnections,
            command_id::HELLO => Command::Hello {
                ext_version: fields.u16(),
                features: fields.u32(),
            },
            command_id::GET_COUNTERS => Command::GetCounters,
            command_id::NETWORK_SEEN => Command::NetworkSeen {
                epoch: fields.u32(),
            },
            command_id::POLICY_PART => {
                let generation = fields.u64();
                let total_len = fields.u32();
                let offset = fields.u32();
                fields.u16();
                Command::PolicyPart(PolicyPart {
                    generation,
                    total_len,
                    offset,
                    data: fields.rest(),
                })
            }
            _ => return Err(CommandError::UnknownId(id)),
        })
    }

    /// The command id.
    pub fn id(&self) -> u8 {
        match self {
            Command::Shutdown => command_id::SHUTDOWN,
            Command::Verdict { .. } => command_id::VERDICT,
            Command::UpdateV4(_) => command_id::UPDATE_V4,
            Command::UpdateV6(_) => command_id::UPDATE_V6,
            Command::ClearCache => command_id::CLEAR_CACHE,
            Command::GetLogs => command_id::GET_LOGS,
            Command::GetBandwidthStats => command_id::GET_BANDWIDTH_STATS,
            Command::PrintMemoryStats => command_id::PRINT_MEMORY_STATS,
            Command::CleanEndedConnections => command_id::CLEAN_ENDED_CONNECTIONS,
            Command::Hello { .. } => command_id::HELLO,
            Command::GetCounters => command_id::GET_COUNTERS,
            Command::PolicyPart(_) => command_id::POLICY_PART,
            Command::NetworkSeen { .. } => command_id::NETWORK_SEEN,
        }
    }

    /// Appends the command's bytes (one write) to `out`.
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.push(self.id());
        match self {
            Command::Verdict { id, verdict } => {
                out.extend_from_slice(&id.to_le_bytes());
                out.push(*verdict as u8);
            }
            Command::UpdateV4(update) => encode_update(update, out),
            Command::UpdateV6(update) => encode_update(update, out),
            Command::Hello {
                ext_version,
                features,
            } => {
                out.extend_from_slice(&ext_version.to_le_bytes());
                out.extend_from_slice(&features.to_le_bytes());
            }
            Command::PolicyPart(part) => {
                out.extend_from_slice(&part.generation.to_le_bytes());
                out.extend_from_slice(&part.total_len.to_le_bytes());
                out.extend_from_slice(&part.offset.to_le_bytes());
                // A part longer than a u16 cannot be described: its length is cut, and the
                // driver rejects the write, as it must.
                let len = u16::try_from(part.data.len()).unwrap_or(u16::MAX);
                out.extend_from_slice(&len.to_le_bytes());
                out.extend_from_slice(part.data);
            }
            Command::NetworkSeen { epoch } => out.extend_from_slice(&epoch.to_le_bytes()),
            _ => {}
        }
    }

    /// Splits a stream of commands written back to back (as in a golden file) by their sizes.
    /// Stops at the first error, which it yields.
    pub fn split_stream(stream: &'a [u8]) -> CommandStream<'a> {
        CommandStream { rest: stream }
    }
}

/// Iterator returned by [`Command::split_stream`].
pub struct CommandStream<'a> {
    rest: &'a [u8],
}

impl<'a> Iterator for CommandStream<'a> {
    type Item = Result<Command<'a>, CommandError>;

    fn next(&mut self) -> Option<Self::Item> {
        let &id = self.rest.first()?;
        let size = match command_len(self.rest) {
            Ok(size) => size,
            Err(e) => {
                self.rest = &[];
                return Some(Err(e));
            }
        };
        if size > self.rest.len() {
            let actual = self.rest.len();
            self.rest = &[];
            return Some(Err(CommandError::WrongLength {
                id,
                expected: size,
                actual,
            }));
        }
        let (write, rest) = self.rest.split_at(size);
        self.rest = rest;
        Some(Command::decode(write))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use alloc::vec;

    #[test]
    fn rejects_wrong_lengths_and_unknown_ids() {
        assert_eq!(Command::decode(&[]), Err(CommandError::Empty));
        assert_eq!(Command::decode(&[9]), Err(CommandError::UnknownId(9)));
        assert_eq!(Command::decode(&[127]), Err(CommandError::UnknownId(127)));
        assert_eq!(
            Command::decode(&[1, 0, 0]),
            Err(CommandError::WrongLength {
                id: 1,
                expected: 10,
                actual: 3
            })
        );
        assert_eq!(
            Command::decode(&[0, 0]),
            Err(CommandError::WrongLength {
                id: 0,
                expected: 1,
                actual: 2
            })
        );
        assert_eq!(
            Command::decode(&[1, 5, 0, 0, 0, 0, 0, 0, 0, 12]),
            Err(CommandError::BadVerdict(12))
        );
    }

    #[test]
    fn decodes_a_verdict() {
        let bytes = [1, 0x2a, 0, 0, 0, 0, 0, 0, 0x80, 3];
        assert_eq!(
            Command::decode(&bytes),
            Ok(Command::Verdict {
                id: 0x8000_0000_0000_002a,
                verdict: Verdict::PermanentAccept
            })
        );
    }

    #[test]
    fn update_v4_layout() {
        let command = Command::UpdateV4(Update {
            protocol: 6,
            local_ip: [1, 2, 3, 4],
            local_port: 0x0102,
            remote_ip: [5, 6, 7, 8],
            remote_port: 443,
            verdict: Verdict::Block,
        });
        let mut out = vec![];
        command.encode(&mut out);
        assert_eq!(
            out,
            [2, 6, 1, 2, 3, 4, 0x02, 0x01, 5, 6, 7, 8, 0xbb, 0x01, 4]
        );
        assert_eq!(Command::decode(&out), Ok(command));
    }

    #[test]
    fn network_seen_layout_and_length_checks() {
        // Written by hand from the README: id 131, then epoch 0x01020304 little-endian.
        let bytes = [131, 0x04, 0x03, 0x02, 0x01];
        let command = Command::NetworkSeen { epoch: 0x0102_0304 };
        assert_eq!(Command::decode(&bytes), Ok(command));
        let mut out = vec![];
        command.encode(&mut out);
        assert_eq!(out, bytes);
        assert_eq!(command_size(131), Some(5));
        for len in [1, 4, 6] {
            let mut write = vec![0u8; len];
            write[0] = 131;
            assert_eq!(
                Command::decode(&write),
                Err(CommandError::WrongLength {
                    id: 131,
                    expected: 5,
                    actual: len
                })
            );
        }
    }

    #[test]
    fn policy_part_layout_and_length_checks() {
        let data = [7u8, 8, 9];
        let command = Command::PolicyPart(PolicyPart {
            generation: 0x0102,
            total_len: 40,
            offset: 37,
            data: &data,
        });
        let mut out = vec![];
        command.encode(&mut out);
        assert_eq!(
            out,
            [130, 2, 1, 0, 0, 0, 0, 0, 0, 40, 0, 0, 0, 37, 0, 0, 0, 3, 0, 7, 8, 9]
        );
        assert_eq!(Command::decode(&out), Ok(command));
        // One byte more or less than data_len says.
        assert_eq!(
            Command::decode(&out[..out.len() - 1]),
            Err(CommandError::WrongLength {
                id: 130,
                expected: 22,
                actual: 21
            })
        );
        let mut longer = out.clone();
        longer.push(0);
        assert!(matches!(
            Command::decode(&longer),
            Err(CommandError::WrongLength { .. })
        ));
        // A header cut short, an empty part, a part above the limit.
        assert!(matches!(
            Command::decode(&out[..10]),
            Err(CommandError::WrongLength { .. })
        ));
        let mut empty = out[..POLICY_PART_HEADER].to_vec();
        empty[17] = 0;
        assert_eq!(Command::decode(&empty), Err(CommandError::BadPartLength(0)));
        let mut big = vec![130u8; POLICY_PART_HEADER + MAX_POLICY_PART + 1];
        big[17..19].copy_from_slice(&8193u16.to_le_bytes());
        assert_eq!(
            Command::decode(&big),
            Err(CommandError::BadPartLength(8193))
        );
    }

    #[test]
    fn a_stream_splits_policy_parts_by_their_length() {
        let data = vec![5u8; MAX_POLICY_PART];
        let commands = [
            Command::GetCounters,
            Command::PolicyPart(PolicyPart {
                generation: 9,
                total_len: 8193,
                offset: 0,
                data: &data,
            }),
            Command::PolicyPart(PolicyPart {
                generation: 9,
                total_len: 8193,
                offset: 8192,
                data: &data[..1],
            }),
            Command::Shutdown,
        ];
        let mut stream = vec![];
        for command in &commands {
            command.encode(&mut stream);
        }
        let decoded: Vec<_> = Command::split_stream(&stream).collect();
        assert_eq!(decoded, commands.iter().map(|c| Ok(*c)).collect::<Vec<_>>());
    }

    #[test]
    fn every_size_matches_its_encoding() {
        let commands = [
            Command::Shutdown,
            Command::Verdict {
                id: 1,
                verdict: Verdict::Accept,
            },
            Command::UpdateV6(Update {
                protocol: 17,
                local_ip: [1; 16],
                local_port: 1,
                remote_ip: [2; 16],
                remote_port: 2,
                verdict: Verdict::Drop,
            }),
            Command::Hello {
                ext_version: 1,
                features: 7,
            },
            Command::GetCounters,
            Command::NetworkSeen { epoch: u32::MAX },
        ];
        for command in commands {
            let mut out = vec![];
            command.encode(&mut out);
            assert_eq!(Some(out.len()), command_size(command.id()));
            assert_eq!(Command::decode(&out), Ok(command));
        }
    }
}
