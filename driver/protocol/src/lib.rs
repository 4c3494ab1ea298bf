//! The ZenithFence driver wire protocol: the Portmaster kernel extension 2.1 format byte for byte,
//! plus ZenithFence's extension types (ids 128 and up). See `README.md` beside this crate for the
//! byte layouts; `native/src/codec/` is the TypeScript twin and must stay in step.
//!
//! Invariants: every decoder checks lengths before it reads and returns an error instead of
//! panicking, whatever the input; encoders write exactly the layout the README draws.
#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

mod bytes;
pub mod command;
pub mod constants;
pub mod crc32;
pub mod info;
pub mod info_dns_log;
pub mod info_network;
pub mod info_policy;
pub mod policy;
mod policy_blocklist;
pub mod reader;

pub use command::{Command, CommandError, PolicyPart, Update};
pub use constants::{Direction, Verdict};
pub use info::{
    BandwidthEntry, BandwidthStats, Connection, ConnectionEnd, Counters, DnsName, HelloReply, Info,
    InfoProblem, LogLine, Process,
};
pub use info_dns_log::DnsExchange;
pub use info_network::NetworkFacts;
pub use info_policy::{PolicyState, RuleDecided};
pub use reader::{InfoReader, ReadItem};
