//! The policy the driver enforces by itself (protocol README, "Policy"): the user's permanent
//! rules, matched here with the same meaning as the app's engine (both pass
//! `driver/protocol/testdata/rule_cases.txt`), so a connection a rule decides needs no round trip
//! and the rules hold while no app is connected; and the blocklists it applies without an app
//! (`blocklist.rs`).

pub mod address_class;
pub mod assembly;
pub mod blocklist;
pub mod enforcer;
pub mod matcher;
pub mod names;
pub mod rank;
pub mod receive;

pub use assembly::{AssemblyError, PolicyAssembler};
pub use blocklist::CompiledBlocklist;
pub use enforcer::{PolicyEnforcer, PolicyOrigin, PolicyVerdict, PreparedPolicy};
pub use matcher::{CompiledPolicy, Outcome, PolicyConnection, RuleNames};
pub use names::NameTable;
pub use receive::{receive_part, PartResult};
