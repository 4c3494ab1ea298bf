//! One PolicyPart in, what the driver must do out: wait for more, install a checked document
//! (and store its bytes), or report why the document was dropped. Both drivers call this
//! outside the lock that decides packets; only the install takes it.

use alloc::boxed::Box;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use zenithfence_protocol::PolicyPart;

use super::assembly::PolicyAssembler;
use super::enforcer::{
    problem_of_assembly_error, problem_of_policy_error, refusal_text, PreparedPolicy,
};

/// The result of one part.
pub enum PartResult {
    /// More parts are expected.
    Incomplete,
    /// A whole, checked document: install `prepared`, store `bytes`.
    Ready {
        /// The compiled policy (boxed: it is large, and the other results are small).
        prepared: Box<PreparedPolicy>,
        /// The document as received (the stored file's content).
        bytes: Vec<u8>,
    },
    /// The document was dropped; the policy in force stays.
    Refused {
        /// PolicyState problem code.
        problem: u8,
        /// The generation it is about.
        generation: u64,
        /// One log line.
        text: String,
    },
}

/// Feeds `part` to `assembler`.
pub fn receive_part(assembler: &mut PolicyAssembler, part: &PolicyPart<'_>) -> PartResult {
    match assembler.part(part) {
        Ok(None) => PartResult::Incomplete,
        Ok(Some((generation, bytes))) => match PreparedPolicy::from_bytes(&bytes) {
            Ok(prepared) if prepared.generation() == generation => PartResult::Ready {
                prepared: Box::new(prepared),
                bytes,
            },
            Ok(prepared) => PartResult::Refused {
                problem: zenithfence_protocol::info_policy::problem::MALFORMED,
                generation,
                text: format!(
                    "policy generation {generation} refused: its document says generation {}",
                    prepared.generation()
                ),
            },
            Err(error) => PartResult::Refused {
                problem: problem_of_policy_error(&error),
                generation,
                text: refusal_text(generation, &error),
            },
        },
        Err(error) => {
            let (problem, generation) = problem_of_assembly_error(&error);
            PartResult::Refused {
                problem,
                generation,
                text: format!(
                    "policy generation {generation} dropped, the policy in force stays: {error:?}"
                ),
            }
        }
    }
}
