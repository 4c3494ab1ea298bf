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

/// One decoded command.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Command {
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
        }
    }
}

/// The total size (id byte included) of the command with this id.
pub fn command_size(id: u8) -> Option<usize> {
    Some(match id {
        command_id::VERDICT => 10,
        command_id::UPDATE_V4 => 15,
        command_id::UPDATE_V6 => 39,
        command_id::HELLO => 7,
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

impl Command {
    /// Decodes one whole write. The length is checked once, before any field is read.
    pub fn decode(write: &[u8]) -> Result<Command, CommandError> {
        let (&id, _) = write.split_first().ok_or(CommandError::Empty)?;
        let expected = command_size(id).ok_or(CommandError::UnknownId(id))?;
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
            _ => {}
        }
    }

    /// Splits a stream of commands written back to back (as in a golden file) by their sizes.
    /// Stops at the first error, which it yields.
    pub fn split_stream(stream: &[u8]) -> CommandStream<'_> {
        CommandStream { rest: stream }
    }
}

/// Iterator returned by [`Command::split_stream`].
pub struct CommandStream<'a> {
    rest: &'a [u8],
}

impl Iterator for CommandStream<'_> {
    type Item = Result<Command, CommandError>;

    fn next(&mut self) -> Option<Self::Item> {
        let &id = self.rest.first()?;
        let Some(size) = command_size(id) else {
            self.rest = &[];
            return Some(Err(CommandError::UnknownId(id)));
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
        ];
        for command in commands {
            let mut out = vec![];
            command.encode(&mut out);
            assert_eq!(Some(out.len()), command_size(command.id()));
            assert_eq!(Command::decode(&out), Ok(command));
        }
    }
}
