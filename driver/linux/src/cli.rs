//! Command-line options of `zenithfenced`.

use std::path::PathBuf;
use std::time::Duration;

use zenithfence_core::decision::Action;
use zenithfence_core::flow::IpAddress;
use zenithfence_core::resolv_conf::parse_address;

/// The usage text printed by `--help`.
pub(crate) const USAGE: &str = "\
zenithfenced: the ZenithFence Linux driver. Holds the first packet of every new connection in
NFQUEUE, hands it to the app over a Unix socket (the Portmaster kext 2.1 byte stream plus
ZenithFence extensions), applies the verdict, reports connection ends, DNS names and bytes.
The app's policy (its permanent rules) is stored and enforced here, with or without the app.

Usage: zenithfenced [OPTIONS]        (needs root or CAP_NET_ADMIN)

Options:
  --socket PATH          client socket path            [default: /run/zenithfence/driver.sock]
  --queue N              NFQUEUE number (1-65535)      [default: 4242]
  --hold-timeout-ms N    how long a held packet waits for a verdict [default: 60000];
                         keep it above the app's own hold timeout (30 s by default)
  --default ACTION       accept|block|drop: the answer when the hold times out or the
                         queue to the app is full      [default: drop]
  --detached ACTION      accept|block: what new connections get while no app is connected
                         and no policy is in force (a policy brings its own action)
                                                       [default: accept]
  --policy-file PATH     where the app's policy is stored, and read at start before any
                         packet is queued, so its rules hold from the first packet; a
                         missing file is no policy, a damaged one is logged and ignored
                                                       [default: /var/lib/zenithfence/policy]
  --group NAME           the group whose members may connect (root always may)
  --no-ipv6              leave IPv6 alone
  --base-only            send no extension infos, even to a client that asks (Hello)
  --dns-resolver ADDR    also believe DNS answers from ADDR (IPv4 or IPv6; repeatable). Only
                         answers to queries sent to a resolver name connections: those of
                         /etc/resolv.conf (with systemd-resolved's stub 127.0.0.53, also the
                         upstreams in /run/systemd/resolve/resolv.conf; re-read on change)
                         and these
  --help                 print this text
";

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
    /// Resolvers besides those of resolv.conf.
    pub(crate) dns_resolvers: Vec<IpAddress>,
    /// The stored policy.
    pub(crate) policy_file: PathBuf,
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
            dns_resolvers: Vec::new(),
            policy_file: PathBuf::from(crate::policy_file::DEFAULT_POLICY_FILE),
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

/// Parses the arguments after the program name.
pub(crate) fn parse(args: &[String]) -> Result<Invocation, String> {
    let mut options = Options::default();
    let mut rest = args.iter();
    while let Some(flag) = rest.next() {
        let mut value = |name: &str| {
            rest.next()
                .cloned()
                .ok_or_else(|| format!("{name} needs a value"))
        };
        match flag.as_str() {
            "--help" | "-h" => return Ok(Invocation::Help),
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
            "--dns-resolver" => {
                let v = value("--dns-resolver")?;
                let address = parse_address(&v).ok_or_else(|| {
                    format!("--dns-resolver: '{v}' is not an IPv4 or IPv6 address")
                })?;
                options.dns_resolvers.push(address);
            }
            other => return Err(format!("unknown option '{other}' (see --help)")),
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
        assert!(!o.ipv6 && o.base_only);
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
    }
}
