//! The driver core shared by the Windows WFP driver and the Linux daemon `zenithfenced`: the logic
//! the two drivers have in common, without OS calls, so it runs and is tested on real traffic on
//! Linux. Time is always passed in (milliseconds on a monotonic clock), never read here.
#![cfg_attr(not(feature = "std"), no_std)]
#![forbid(unsafe_code)]

extern crate alloc;

pub mod bandwidth;
#[cfg(feature = "std")]
pub mod blocking_queue;
pub mod cache;
pub mod commands;
pub mod counters;
pub mod decision;
pub mod dns;
pub mod dns_log;
pub mod dns_queries;
pub mod flow;
pub mod info_queue;
pub mod infos;
pub mod network;
pub mod packet;
pub mod pending;
pub mod policy;
pub mod resolv_conf;
pub mod sliced;
#[cfg(test)]
mod test_rng;
