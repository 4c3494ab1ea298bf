//! Command-line options of `zenithfenced`.

use std::path::PathBuf;
use std::time::Duration;

use zenithfence_core::decision::Action;
use zenithfence_core::flow::IpAddress;
use zenithfence_core::resolv_conf::parse_address;

use crate::log::Severity;

/// The usage text printed by `--help`. Laid out for `help2man` (resources/README.md, "Debian
/// package"): "Usage:" line, description, then sections whose headers end in ':' and whose
/// entries start with two spaces, the option and its text two or more spaces apart.
pub(crate) const USAGE: &str = "\
Usage: zenithfenced [OPTION]...
The ZenithFence Linux driver. Holds the first packet of every new connection in NFQUEUE, hands it
to the app over a Unix socket (the Portmaster kext 2.1 byte stream plus ZenithFence extensions),
applies the verdict, and reports connection ends, DNS names and bytes. The app's policy (its
permanent rules) is stored and enforced here, with or without the app. Run it as root; the
systemd unit zenithfenced.service does.

Options:
  --socket PATH          the client socket [default: /run/zenithfence/driver.sock]
  --queue N              the NFQUEUE number, 1 to 65535 [default: 4242]
  --hold-timeout-ms N    how long a held packet waits for a verdict [default: 60000]; keep it
                         above the app's own hold timeout (30 s by default)
  --default ACTION       accept, block or drop: the answer when the hold times out or the queue
                         to the app is full [default: drop]
  --detached ACTION      accept or block: what new connections get while no app is connected
                         and no policy is in force; a policy brings its own action
                         [default: accept]
  --policy-file PATH     where the app's policy is stored, and read at start before any packet
                         is queued, so its rules hold from the first packet; a missing file is
                         no policy, a damaged one is logged and ignored
                         [default: /var/lib/zenithfence/policy]
  --group NAME           the group whose members may connect (root always may)
  --no-ipv6              leave IPv6 alone
  --base-only            send no extension infos, even to a client that asks (Hello)
  --no-bpf               find the process of a connection in /proc only, and TCP ends from
                         socket-destroy events; by default small BPF programs on the cgroup
                         hooks record which process connected each socket, which is cheaper
                         and names that process even when it passed the socket on, and note
                         the end of each TCP connection made while they run (older ones held
                         again are looked up once a second until they end)
  --unowned-table        write the rule table so that other programs may change or remove it
                         (nft flush ruleset does); the daemon then puts back what goes. By
                         default only the daemon may change it, and it goes with the daemon
                         (kernels before 5.12 get the unowned table by themselves)
  --dns-resolver ADDR    also believe DNS answers from ADDR (IPv4 or IPv6; repeatable). Only
                         answers to queries sent to a resolver name connections: those of
                         /etc/resolv.conf (with systemd-resolved's stub 127.0.0.53, also the
                         upstreams in /run/systemd/resolve/resolv.conf; re-read on change) and
                         these
  --log-level LEVEL      error, warn, info or debug: lines below LEVEL are not written to
                         stderr (GetLogs still returns them) [default: info]
  --help                 print this text and exit
  --version              print the version and exit

Every option that takes a value also takes it as --option=VALUE.

Environment:
  NOTIFY_SOCKET          systemd's notification socket (Type=notify): READY=1 is sent once the
                         queue rules are in place and the client socket listens, STOPPING=1
                         when the daemon begins to shut down
  JOURNAL_STREAM         when it names stderr (systemd's journal), every log line starts with
                         its syslog priority: <3> error, <4> warning, <6> info, <7> debug
";

/// What `--version` prints: help2man takes the first line as name and version.
pub(crate) fn version_text() -> String {
    format!(
        "zenithfenced {}\nCopyright 2026 The ZenithFence authors. License: MIT.\n",
        env!("CARGO_PKG_VERSION")
    )
}

/// Parsed options.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Options {
    /// Client socket path.
    pub(crate) socket: PathBuf,
    /// NFQUEUE number.
    pub(crate) queue: u16,
    /// Hold timeout.
    pub(crate) hold_timeout: Duration,
    /// Answer on hold timeout and on a full queue.
    pub(crate) default_action: Action,
    /// Answer while no client is connected.
    pub(crate) detached_action: Action,
    /// Group allowed to connect.
    pub(crate) group: Option<String>,
    /// Whether IPv6 is intercepted.
    pub(crate) ipv6: bool,
    /// Whether extension infos are withheld.
    pub(crate) base_only: bool,
    /// Whether the kernel's record of each connect is kept (`connect_owners.rs`).
    pub(crate) bpf: bool,
    /// Whether the rule table is owned by the daemon (`rule_table.rs`).
    pub(crate) table_owner: bool,
    /// Resolvers besides those of resolv.conf.
    pub(crate) dns_resolvers: Vec<IpAddress>,
    /// The stored policy.
    pub(crate) policy_file: PathBuf,
    /// Lines below this severity are not written to stderr.
    pub(crate) log_level: Severity,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            socket: PathBuf::from("/run/zenithfence/driver.sock"),
            queue: 4242,
            hold_timeout: Duration::from_millis(60_000),
            default_action: Action::Drop,
            detached_action: Action::Accept,
            group: None,
            ipv6: true,
            base_only: false,
            bpf: true,
            table_owner: true,
            dns_resolvers: Vec::new(),
            policy_file: PathBuf::from(crate::policy_file::DEFAULT_POLICY_FILE),
            log_level: Severity::Info,
        }
    }
}

/// What the command line asks for.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Invocation {
    /// Run the daemon.
    Run(Options),
    /// Print the usage.
    Help,
    /// Print the version.
    Version,
}

fn action(value: &str, allow_drop: bool) -> Result<Action, String> {
    match value {
        "accept" => Ok(Action::Accept),
        "block" => Ok(Action::Block),
        "drop" if allow_drop => Ok(Action::Drop),
        _ if allow_drop => Err(format!("'{value}' is not accept, block or drop")),
        _ => Err(format!("'{value}' is not accept or block")),
    }
}

fn log_level(value: &str) -> Result<Severity, String> {
    match value {
        "error" => Ok(Severity::Error),
        "warn" => Ok(Severity::Warning),
        "info" => Ok(Severity::Info),
        "debug" => Ok(Severity::Debug),
        _ => Err(format!(
            "--log-level: '{value}' is not error, warn, info or debug"
        )),
    }
}

/// The options that take no value: `--flag=value` is an error for them.
const FLAGS: [&str; 7] = [
    "--help",
    "-h",
    "--version",
    "--no-ipv6",
    "--base-only",
    "--no-bpf",
    "--unowned-table",
];

/// Parses the arguments after the program name. `--option value` and `--option=value` are the
/// same (GNU style, which help2man and most init scripts expect).
pub(crate) fn parse(args: &[String]) -> Result<Invocation, String> {
    let mut options = Options::default();
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        // Only long options carry an inline value; the value may itself hold '='.
        let (flag, mut inline) = match arg.split_once('=') {
            Some((flag, value)) if flag.starts_with("--") => (flag, Some(value.to_string())),
            _ => (arg.as_str(), None),
        };
        if FLAGS.contains(&flag) && inline.is_some() {
            return Err(format!("{flag} takes no value (got '{arg}')"));
        }
        let mut value = |name: &str| match inline.take() {
            Some(value) => Ok(value),
            None => rest
                .next()
                .cloned()
                .ok_or_else(|| format!("{name} needs a value")),
        };
        match flag {
            "--help" | "-h" => return Ok(Invocation::Help),
            "--version" => return Ok(Invocation::Version),
            "--socket" => options.socket = PathBuf::from(value("--socket")?),
            "--queue" => {
                let v = value("--queue")?;
                options.queue = v
                    .parse::<u16>()
                    .ok()
                    .filter(|&q| q > 0)
                    .ok_or_else(|| format!("--queue: '{v}' is not a number from 1 to 65535"))?;
            }
            "--hold-timeout-ms" => {
                let v = value("--hold-timeout-ms")?;
                let ms = v
                    .parse::<u64>()
                    .ok()
                    .filter(|&ms| (1..=600_000).contains(&ms))
                    .ok_or_else(|| format!("--hold-timeout-ms: '{v}' is not 1 to 600000"))?;
                options.hold_timeout = Duration::from_millis(ms);
            }
            "--default" => {
                options.default_action =
                    action(&value("--default")?, true).map_err(|e| format!("--default: {e}"))?
            }
            "--detached" => {
                options.detached_action =
                    action(&value("--detached")?, false).map_err(|e| format!("--detached: {e}"))?
            }
            "--group" => options.group = Some(value("--group")?),
            "--policy-file" => {
                let v = value("--policy-file")?;
                if v.is_empty() || v.ends_with('/') {
                    return Err(format!("--policy-file: '{v}' is not a file path"));
                }
                options.policy_file = PathBuf::from(v);
            }
            "--no-ipv6" => options.ipv6 = false,
            "--base-only" => options.base_only = true,
            "--no-bpf" => options.bpf = false,
            "--unowned-table" => options.table_owner = false,
            "--dns-resolver" => {
                let v = value("--dns-resolver")?;
                let address = parse_address(&v).ok_or_else(|| {
                    format!("--dns-resolver: '{v}' is not an IPv4 or IPv6 address")
                })?;
                options.dns_resolvers.push(address);
            }
            "--log-level" => options.log_level = log_level(&value("--log-level")?)?,
            _ => return Err(format!("unknown option '{arg}' (see --help)")),
        }
    }
    Ok(Invocation::Run(options))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn parses_every_option() {
        let parsed = parse(&args(&[
            "--socket",
            "/tmp/s",
            "--queue",
            "7",
            "--hold-timeout-ms",
            "2000",
            "--default",
            "block",
            "--detached",
            "block",
            "--group",
            "zf",
            "--no-ipv6",
            "--base-only",
            "--no-bpf",
            "--unowned-table",
            "--dns-resolver",
            "10.0.0.53",
            "--dns-resolver",
            "fd00::53",
            "--policy-file",
            "/srv/zf/policy",
        ]))
        .unwrap();
        let Invocation::Run(o) = parsed else {
            panic!("expected run")
        };
        assert_eq!(o.socket, PathBuf::from("/tmp/s"));
        assert_eq!((o.queue, o.hold_timeout), (7, Duration::from_secs(2)));
        assert_eq!(
            (o.default_action, o.detached_action),
            (Action::Block, Action::Block)
        );
        assert_eq!(o.group.as_deref(), Some("zf"));
        assert!(!o.ipv6 && o.base_only && !o.bpf && !o.table_owner);
        assert!(Options::default().bpf, "the record is kept by default");
        assert!(
            Options::default().table_owner,
            "the table is owned by default"
        );
        let mut six = [0u8; 16];
        (six[0], six[15]) = (0xfd, 0x53);
        assert_eq!(
            o.dns_resolvers,
            vec![IpAddress::V4([10, 0, 0, 53]), IpAddress::V6(six)]
        );
        assert_eq!(o.policy_file, PathBuf::from("/srv/zf/policy"));
        assert_eq!(parse(&args(&["--help"])).unwrap(), Invocation::Help);
        let Invocation::Run(defaults) = parse(&[]).unwrap() else {
            panic!("expected run")
        };
        assert_eq!(
            defaults.policy_file,
            PathBuf::from("/var/lib/zenithfence/policy")
        );
    }

    #[test]
    fn rejects_bad_values_with_a_reason() {
        assert!(parse(&args(&["--queue", "0"]))
            .unwrap_err()
            .contains("--queue"));
        assert!(parse(&args(&["--detached", "drop"]))
            .unwrap_err()
            .contains("accept or block"));
        assert!(parse(&args(&["--default"]))
            .unwrap_err()
            .contains("needs a value"));
        assert!(parse(&args(&["--dns-resolver", "resolver.lan"]))
            .unwrap_err()
            .contains("not an IPv4 or IPv6 address"));
        assert!(parse(&args(&["--policy-file", "/var/lib/zf/"]))
            .unwrap_err()
            .contains("not a file path"));
        assert!(parse(&args(&["--frobnicate"]))
            .unwrap_err()
            .contains("unknown option"));
        assert!(parse(&args(&["--log-level", "verbose"]))
            .unwrap_err()
            .contains("not error, warn, info or debug"));
    }

    #[test]
    fn every_option_with_a_value_takes_it_after_an_equals_sign_too() {
        let spaced = parse(&args(&[
            "--socket",
            "/tmp/s",
            "--queue",
            "7",
            "--hold-timeout-ms",
            "2000",
            "--default",
            "block",
            "--detached",
            "block",
            "--group",
            "zf",
            "--dns-resolver",
            "10.0.0.53",
            "--policy-file",
            "/srv/zf/policy=1",
            "--log-level",
            "debug",
        ]))
        .unwrap();
        let joined = parse(&args(&[
            "--socket=/tmp/s",
            "--queue=7",
            "--hold-timeout-ms=2000",
            "--default=block",
            "--detached=block",
            "--group=zf",
            "--dns-resolver=10.0.0.53",
            // Only the first '=' separates: the value keeps the rest.
            "--policy-file=/srv/zf/policy=1",
            "--log-level=debug",
        ]))
        .unwrap();
        assert_eq!(spaced, joined);
        let Invocation::Run(o) = joined else {
            panic!("expected run")
        };
        assert_eq!(o.policy_file, PathBuf::from("/srv/zf/policy=1"));
        assert_eq!(o.log_level, Severity::Debug);
        // An empty inline value is a value, checked like any other.
        assert!(parse(&args(&["--queue="])).unwrap_err().contains("''"));
        assert!(parse(&args(&["--policy-file="]))
            .unwrap_err()
            .contains("not a file path"));
    }

    #[test]
    fn a_flag_without_a_value_refuses_one_given_with_an_equals_sign() {
        for flag in [
            "--no-ipv6",
            "--base-only",
            "--no-bpf",
            "--unowned-table",
            "--help",
            "--version",
        ] {
            let error = parse(&args(&[&format!("{flag}=yes")])).unwrap_err();
            assert_eq!(error, format!("{flag} takes no value (got '{flag}=yes')"));
        }
        assert!(parse(&args(&["--frobnicate=1"]))
            .unwrap_err()
            .contains("unknown option '--frobnicate=1'"));
    }

    #[test]
    fn log_levels_and_version() {
        let level = |name: &str| match parse(&args(&["--log-level", name])).unwrap() {
            Invocation::Run(o) => o.log_level,
            other => panic!("expected run, got {other:?}"),
        };
        assert_eq!(level("error"), Severity::Error);
        assert_eq!(level("warn"), Severity::Warning);
        assert_eq!(level("info"), Severity::Info);
        assert_eq!(level("debug"), Severity::Debug);
        let Invocation::Run(defaults) = parse(&[]).unwrap() else {
            panic!("expected run")
        };
        assert_eq!(defaults.log_level, Severity::Info);
        assert_eq!(parse(&args(&["--version"])).unwrap(), Invocation::Version);
        assert_eq!(
            version_text().lines().next(),
            Some(format!("zenithfenced {}", env!("CARGO_PKG_VERSION")).as_str())
        );
    }

    #[test]
    fn the_usage_lists_every_option_the_parser_knows() {
        for option in [
            "--socket PATH",
            "--queue N",
            "--hold-timeout-ms N",
            "--default ACTION",
            "--detached ACTION",
            "--policy-file PATH",
            "--group NAME",
            "--no-ipv6",
            "--base-only",
            "--dns-resolver ADDR",
            "--log-level LEVEL",
            "--help",
            "--version",
        ] {
            assert!(
                USAGE
                    .lines()
                    .any(|l| l.starts_with(&format!("  {option}  "))),
                "{option} is not an option line of the usage"
            );
        }
        assert!(USAGE.starts_with("Usage: zenithfenced [OPTION]...\n"));
    }
}
