//! `zenithfenced`, the ZenithFence Linux driver: holds the first packet of every new connection
//! in NFQUEUE, hands it to the app as a protocol info over a Unix socket, applies the verdict,
//! reports connection ends, DNS names and bytes. The policy shared with the Windows driver is in
//! `zenithfence-core`; this crate is the Linux glue around it.
//!
//! Every `unsafe` block lives in `sys.rs` or `bpf_sys.rs` (the `bpf(2)` calls).
//! [`client_socket`] is public so tests, benchmarks and tools can speak to the daemon the way
//! the app does.

mod atomic_file;
mod attribute;
pub mod baseline;
mod bpf_sys;
mod builtin_chains;
mod byte_totals;
mod carried_totals;
mod cli;
mod client;
mod client_commands;
pub mod client_socket;
mod connect_owners;
mod connect_programs;
mod conntrack;
mod daemon;
mod dns_watch;
mod end_program;
mod engine;
mod errno;
mod fd_dirs;
mod file_lock;
mod flow_liveness;
mod instance;
mod journal;
mod last_drain;
mod locks;
mod log;
mod mid_stream;
mod netlink;
mod network_report;
mod network_tables;
mod network_watch;
mod nflog;
mod nfqueue;
mod nft_image;
mod nft_netlink;
mod nl80211;
mod notify;
mod policy_file;
mod policy_receiver;
mod procfs;
mod resolvers;
#[cfg(test)]
mod root_tests;
mod rule_table;
mod rules;
mod rules_watch;
mod run;
mod scan_budget;
mod sock_diag;
mod socket_lock;
mod ssid_lookup;
mod stderr_writer;
mod sys;
mod tcp_ends;
#[cfg(test)]
mod test_dir;
mod verdict_outbox;
mod watchdog;

/// Runs the command line; returns the process exit code.
pub fn main_with_args(args: &[String]) -> i32 {
    match cli::parse(args) {
        Ok(cli::Invocation::Help) => {
            print!("{}", cli::USAGE);
            0
        }
        Ok(cli::Invocation::Version) => {
            print!("{}", cli::version_text());
            0
        }
        Ok(cli::Invocation::Run(options)) => match run::run(options) {
            Ok(()) => 0,
            Err(e) => {
                log::eprint_line(log::Severity::Error, &e.to_string());
                1
            }
        },
        Err(e) => {
            log::eprint_line(log::Severity::Error, &e);
            2
        }
    }
}
