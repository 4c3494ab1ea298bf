//! PolicyPart commands of one client session, in: the document is assembled and compiled on the
//! client's command thread with no lock held (tens of milliseconds for 10 000 rules), put in
//! force under the engine lock in one swap (the packet thread sees the old policy or the new
//! one), then stored with no lock held (`policy_file.rs`): the packet thread never waits for the
//! disk; only this client's next commands wait for the write, as they wait behind any command.
//! The assembler belongs to the session: one client at a time, and a client that leaves
//! mid-document leaves nothing behind for the next one.

use std::path::Path;

use zenithfence_core::policy::{receive_part, PartResult, PolicyAssembler, PolicyOrigin};
use zenithfence_protocol::PolicyPart;

use crate::engine::Engine;
use crate::locks::RankedMutex;
use crate::log::{Log, Severity};
use crate::policy_file;

/// Receives the policy documents of one session.
pub(crate) struct PolicyReceiver<'a> {
    engine: &'a RankedMutex<Engine>,
    file: &'a Path,
    log: &'a Log,
    assembler: PolicyAssembler,
}

impl<'a> PolicyReceiver<'a> {
    /// A receiver that installs into `engine` and stores at `file`.
    pub(crate) fn new(engine: &'a RankedMutex<Engine>, file: &'a Path, log: &'a Log) -> Self {
        PolicyReceiver {
            engine,
            file,
            log,
            assembler: PolicyAssembler::new(),
        }
    }

    /// Takes one part. After the last part of a document, or a part that dropped one, a
    /// PolicyState is queued (to a client granted POLICY).
    pub(crate) fn part(&mut self, part: &PolicyPart<'_>) {
        match receive_part(&mut self.assembler, part) {
            PartResult::Incomplete => return,
            PartResult::Ready { prepared, bytes } => {
                let (generation, contents) = (prepared.generation(), prepared.contents());
                let replaced = self
                    .engine
                    .lock()
                    .install_policy(prepared, PolicyOrigin::Client);
                // Freed here, with the lock released: 10 000 compiled rules take a while.
                drop(replaced);
                match policy_file::store(self.file, &bytes) {
                    Ok(()) => self.log.write(
                        Severity::Info,
                        format!(
                            "policy generation {generation} in force: {contents}, stored in {}",
                            self.file.display()
                        ),
                    ),
                    Err(e) => {
                        self.log.write(
                            Severity::Error,
                            format!(
                                "policy generation {generation} in force but not stored ({e}): after a restart the stored one applies"
                            ),
                        );
                        self.engine.lock().policy_not_saved();
                    }
                }
            }
            PartResult::Refused {
                problem,
                generation,
                text,
            } => {
                self.log.write(Severity::Warning, text);
                self.engine.lock().policy_refused(problem, generation);
            }
        }
        self.engine.lock().queue_policy_state();
    }
}
