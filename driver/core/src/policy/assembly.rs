//! Reassembles a policy document from its PolicyPart commands (protocol README, "Policy"):
//! parts in order, one generation at a time; a part out of order drops the document.

use alloc::vec::Vec;

use zenithfence_protocol::policy::MAX_POLICY_LEN;
use zenithfence_protocol::PolicyPart;

/// Why a part dropped the document being assembled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AssemblyError {
    /// `total_len` is above [`MAX_POLICY_LEN`] (or 0).
    TooLarge {
        /// The generation the part belongs to.
        generation: u64,
    },
    /// Not the part that was expected next.
    OutOfOrder {
        /// The generation the part belongs to.
        generation: u64,
    },
}

struct InProgress {
    generation: u64,
    total_len: usize,
    bytes: Vec<u8>,
}

/// The document being received, if any.
#[derive(Default)]
pub struct PolicyAssembler {
    current: Option<InProgress>,
}

impl PolicyAssembler {
    /// A new assembler with nothing received.
    pub fn new() -> PolicyAssembler {
        PolicyAssembler::default()
    }

    /// Takes one part; returns the whole document (and its generation) when this part was the
    /// last one. Memory grows with the bytes received, never with a claimed `total_len`.
    pub fn part(&mut self, part: &PolicyPart<'_>) -> Result<Option<(u64, Vec<u8>)>, AssemblyError> {
        let generation = part.generation;
        let total_len = usize::try_from(part.total_len).unwrap_or(usize::MAX);
        let offset = usize::try_from(part.offset).unwrap_or(usize::MAX);
        if total_len == 0 || total_len > MAX_POLICY_LEN {
            self.current = None;
            return Err(AssemblyError::TooLarge { generation });
        }
        if offset == 0 {
            // A new document replaces an unfinished one.
            self.current = Some(InProgress {
                generation,
                total_len,
                bytes: Vec::new(),
            });
        }
        let fits = match &self.current {
            Some(c) => {
                c.generation == generation
                    && c.total_len == total_len
                    && c.bytes.len() == offset
                    && offset.saturating_add(part.data.len()) <= total_len
            }
            None => false,
        };
        let Some(current) = self.current.as_mut().filter(|_| fits) else {
            self.current = None;
            return Err(AssemblyError::OutOfOrder { generation });
        };
        current.bytes.extend_from_slice(part.data);
        if current.bytes.len() < current.total_len {
            return Ok(None);
        }
        Ok(self.current.take().map(|c| (c.generation, c.bytes)))
    }

    /// Whether a document is partly received.
    pub fn in_progress(&self) -> bool {
        self.current.is_some()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn part(generation: u64, total_len: u32, offset: u32, data: &[u8]) -> PolicyPart<'_> {
        PolicyPart {
            generation,
            total_len,
            offset,
            data,
        }
    }

    #[test]
    fn assembles_parts_in_order() {
        let mut a = PolicyAssembler::new();
        assert_eq!(a.part(&part(7, 5, 0, b"ab")), Ok(None));
        assert_eq!(a.part(&part(7, 5, 2, b"cd")), Ok(None));
        assert_eq!(
            a.part(&part(7, 5, 4, b"e")),
            Ok(Some((7, b"abcde".to_vec())))
        );
        assert!(!a.in_progress());
    }

    #[test]
    fn a_gap_a_repeat_or_another_generation_drops_the_document() {
        let mut a = PolicyAssembler::new();
        a.part(&part(7, 6, 0, b"ab")).unwrap();
        assert_eq!(
            a.part(&part(7, 6, 3, b"d")),
            Err(AssemblyError::OutOfOrder { generation: 7 })
        );
        assert!(!a.in_progress());
        // Nothing started: a middle part alone is out of order.
        assert_eq!(
            a.part(&part(7, 6, 2, b"cd")),
            Err(AssemblyError::OutOfOrder { generation: 7 })
        );
        a.part(&part(7, 6, 0, b"ab")).unwrap();
        assert_eq!(
            a.part(&part(8, 6, 2, b"cd")),
            Err(AssemblyError::OutOfOrder { generation: 8 })
        );
        a.part(&part(7, 6, 0, b"ab")).unwrap();
        assert_eq!(
            a.part(&part(7, 7, 2, b"cd")),
            Err(AssemblyError::OutOfOrder { generation: 7 })
        );
        // A part past the end.
        a.part(&part(7, 3, 0, b"ab")).unwrap();
        assert_eq!(
            a.part(&part(7, 3, 2, b"cd")),
            Err(AssemblyError::OutOfOrder { generation: 7 })
        );
    }

    #[test]
    fn a_new_start_replaces_an_unfinished_document() {
        let mut a = PolicyAssembler::new();
        a.part(&part(7, 6, 0, b"ab")).unwrap();
        assert_eq!(a.part(&part(9, 2, 0, b"xy")), Ok(Some((9, b"xy".to_vec()))));
    }

    #[test]
    fn too_large_is_refused() {
        let mut a = PolicyAssembler::new();
        let over = u32::try_from(MAX_POLICY_LEN + 1).unwrap();
        assert_eq!(
            a.part(&part(7, over, 0, b"ab")),
            Err(AssemblyError::TooLarge { generation: 7 })
        );
        assert_eq!(
            a.part(&part(7, 0, 0, b"ab")),
            Err(AssemblyError::TooLarge { generation: 7 })
        );
    }
}
