//! Cuts an info byte stream into infos. A driver read may end anywhere, even inside a header, so
//! the reader keeps the unfinished tail and continues with the next chunk. Records of unknown
//! type or wrong size are skipped by their length and reported, so the stream stays in sync.

use alloc::vec::Vec;

use crate::constants::INFO_HEADER_LEN;
use crate::info::{Info, InfoProblem};

/// Bodies larger than this are skipped unread: no driver sends them, and buffering a length
/// taken from a corrupt header could exhaust memory.
pub const MAX_BODY_LEN: u32 = 16 * 1024 * 1024;

/// One record of the stream: an info, or why a record was skipped.
pub type ReadItem = Result<Info, InfoProblem>;

/// Reassembles infos from chunks of any size.
#[derive(Default)]
pub struct InfoReader {
    pending: Vec<u8>,
    skip_remaining: usize,
}

impl InfoReader {
    /// A reader at the start of a stream.
    pub fn new() -> Self {
        Self::default()
    }

    /// Bytes held back until the rest of their info arrives.
    pub fn pending_len(&self) -> usize {
        self.pending.len()
    }

    /// Feeds one chunk and appends every record it completes to `out`, in stream order.
    pub fn push(&mut self, chunk: &[u8], out: &mut Vec<ReadItem>) {
        let chunk = self.skip(chunk);
        if self.pending.is_empty() {
            let used = self.decode_records(chunk, out);
            self.stash(chunk.get(used..).unwrap_or(&[]));
        } else {
            let mut joined = core::mem::take(&mut self.pending);
            joined.extend_from_slice(chunk);
            let used = self.decode_records(&joined, out);
            self.stash(joined.get(used..).unwrap_or(&[]));
        }
    }

    /// Drops the part of `chunk` that belongs to an oversized body being skipped.
    fn skip<'a>(&mut self, chunk: &'a [u8]) -> &'a [u8] {
        let skipped = self.skip_remaining.min(chunk.len());
        self.skip_remaining -= skipped;
        chunk.get(skipped..).unwrap_or(&[])
    }

    fn stash(&mut self, tail: &[u8]) {
        self.pending.extend_from_slice(tail);
    }

    /// Decodes whole records from the front of `bytes`; returns how many bytes were used.
    fn decode_records(&mut self, bytes: &[u8], out: &mut Vec<ReadItem>) -> usize {
        let mut at = 0;
        while let Some(&[info_type, l0, l1, l2, l3]) = bytes.get(at..at + INFO_HEADER_LEN) {
            let body_len = u32::from_le_bytes([l0, l1, l2, l3]);
            if body_len > MAX_BODY_LEN {
                out.push(Err(InfoProblem::Oversized {
                    info_type,
                    body_len,
                }));
                let body_start = at + INFO_HEADER_LEN;
                let available = bytes.len() - body_start;
                let body_len = usize::try_from(body_len).unwrap_or(usize::MAX);
                if body_len > available {
                    self.skip_remaining = body_len - available;
                    return bytes.len();
                }
                at = body_start + body_len;
                continue;
            }
            let body_start = at + INFO_HEADER_LEN;
            let body_end = body_start + body_len as usize;
            let Some(body) = bytes.get(body_start..body_end) else {
                break;
            };
            out.push(Info::decode_body(info_type, body));
            at = body_end;
        }
        at
    }
}
