//! `bench idle [--seconds N] [--compare DAEMON]`: the daemon's CPU while nothing new happens but
//! an app asks for byte counts once a second, as the app does while its window is open.
//! Two states, each measured over N seconds (default 20) of the daemon's own CPU time:
//! - quiet: no flows at all;
//! - busy host: 50 TCP connections and 50 UDP flows the daemon decided, open and idle, beside
//!   2 000 loopback TCP sockets that are not ours (loopback is never queued): a desktop with
//!   a browser open.
//!
//! With `--compare DAEMON` each state also runs with another build of the daemon, side by side.
//! It prints numbers and asserts nothing. Goal (with the engine and the UI): ≤ 1 % of one CPU.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use zenithfence_protocol::constants::feature;
use zenithfence_protocol::{Command as ZfCommand, Info, Verdict};
use zenithfenced::client_socket::DaemonClient;

use super::proc_stats::Cpu;
use super::{
    daemon_binary, each_option, fresh_state, ns_a, ns_b, number, run, socket, spawn_in, Daemon,
    Net, Res, IP_B,
};

const USAGE: &str = "usage: bench idle [--seconds N] [--compare DAEMON]";
/// Ports of the held flows' servers in `b`.
const HOLD_PORT: u16 = 7300;
const UDP_PORT: u16 = 7301;
const FLOWS: usize = 50;
const FOREIGN: usize = 1000;

struct Options {
    seconds: u64,
    compare: Option<PathBuf>,
}

fn parse_options(args: &[String]) -> Res<Options> {
    let mut o = Options {
        seconds: 20,
        compare: None,
    };
    each_option(args, USAGE, |flag, value| {
        match flag {
            "--quick" => o.seconds = 10,
            "--seconds" => o.seconds = number(&value()?)?,
            "--compare" => o.compare = Some(super::established::compare_daemon(&value()?)?),
            _ => return Ok(false),
        }
        Ok(true)
    })?;
    o.seconds = o.seconds.clamp(5, 300);
    Ok(o)
}

/// Python in `b`: accepts and holds TCP connections; ends with its stdin.
const HOLD_SERVER: &str = "import socket,sys,threading\n\
s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n\
s.bind((sys.argv[1], int(sys.argv[2]))); s.listen(4096); held=[]\n\
def serve():\n  while True: held.append(s.accept()[0])\n\
threading.Thread(target=serve, daemon=True).start(); print('ready', flush=True); sys.stdin.read()\n";

/// Python in `a`: opens FLOWS TCP connections and FLOWS UDP flows to `b` (a datagram every 5 s
/// keeps each UDP flow's conntrack entry), and FOREIGN loopback connection pairs; prints
/// `ready` and holds them until its stdin closes.
const HOLDER: &str = "import socket,sys,threading,time\n\
ip, tport, uport, n, foreign = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])\n\
tcp=[socket.create_connection((ip, tport), timeout=5) for _ in range(n)]\n\
udp=[socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(n)]\n\
l=socket.socket(); l.bind(('127.0.0.1', 0)); l.listen(4096); lo=[]\n\
for _ in range(foreign):\n  c=socket.create_connection(l.getsockname()); lo.append((c, l.accept()[0]))\n\
def keep():\n  while True:\n    for u in udp: u.sendto(b'x', (ip, uport))\n    time.sleep(5)\n\
threading.Thread(target=keep, daemon=True).start(); time.sleep(0.5); print('ready', flush=True); sys.stdin.read()\n";

/// The app: answers every connection with PermanentAccept and asks for byte counts once a
/// second; returns how many bandwidth infos came back.
struct App {
    stop: Arc<AtomicBool>,
    threads: Vec<thread::JoinHandle<u64>>,
}

impl App {
    fn start() -> Res<App> {
        let deadline = Instant::now() + Duration::from_secs(3);
        let reader = loop {
            match DaemonClient::connect(Path::new(socket())) {
                Ok(client) => break client,
                Err(_) if Instant::now() < deadline => thread::sleep(Duration::from_millis(10)),
                Err(e) => return Err(format!("the app cannot connect: {e}")),
            }
        };
        reader
            .set_read_timeout(Duration::from_millis(200))
            .map_err(|e| e.to_string())?;
        let mut writer = reader.try_clone().map_err(|e| e.to_string())?;
        let mut ticker = reader.try_clone().map_err(|e| e.to_string())?;
        writer
            .send(&ZfCommand::Hello {
                ext_version: 1,
                features: feature::ALL,
            })
            .map_err(|e| e.to_string())?;
        let stop = Arc::new(AtomicBool::new(false));
        let mut reader = reader;
        let answers = {
            let stop = Arc::clone(&stop);
            thread::spawn(move || {
                let mut bandwidth = 0;
                while !stop.load(Ordering::SeqCst) {
                    let Ok(read) = reader.read() else {
                        continue; // the read timeout: look at `stop` again
                    };
                    let Some(items) = read else { break };
                    for item in items.into_iter().flatten() {
                        let id = match item {
                            Info::ConnectionV4(c) => c.id,
                            Info::ConnectionV6(c) => c.id,
                            Info::BandwidthStatsV4(_) | Info::BandwidthStatsV6(_) => {
                                bandwidth += 1;
                                continue;
                            }
                            _ => continue,
                        };
                        let verdict = ZfCommand::Verdict {
                            id,
                            verdict: Verdict::PermanentAccept,
                        };
                        if writer.send(&verdict).is_err() {
                            return bandwidth;
                        }
                    }
                }
                bandwidth
            })
        };
        let ticks = {
            let stop = Arc::clone(&stop);
            thread::spawn(move || {
                while !stop.load(Ordering::SeqCst) {
                    if ticker.send(&ZfCommand::GetBandwidthStats).is_err() {
                        break;
                    }
                    thread::sleep(Duration::from_secs(1));
                }
                0
            })
        };
        Ok(App {
            stop,
            threads: vec![answers, ticks],
        })
    }

    fn stop(self) -> u64 {
        self.stop.store(true, Ordering::SeqCst);
        self.threads.into_iter().filter_map(|t| t.join().ok()).sum()
    }
}

/// One measurement: the daemon `binary`, flows held or not; the daemon's CPU % of one CPU.
fn measure(binary: &Path, busy: bool, seconds: u64) -> Res<(f64, u64)> {
    fresh_state();
    let daemon = Daemon::spawn(binary)?;
    let pid = daemon
        .child
        .as_ref()
        .map(std::process::Child::id)
        .ok_or("the daemon has no pid")?;
    let app = App::start()?;
    let mut holder = None;
    if busy {
        let mut child = spawn_in(
            ns_a(),
            "python3",
            &[
                "-c",
                HOLDER,
                IP_B,
                &HOLD_PORT.to_string(),
                &UDP_PORT.to_string(),
                &FLOWS.to_string(),
                &FOREIGN.to_string(),
            ],
            true,
        )?;
        let ready = super::lines_of(&mut child)?.recv_timeout(Duration::from_secs(60));
        holder = Some(child);
        if !matches!(ready.as_deref(), Ok("ready")) {
            return Err("the flows were not opened".into());
        }
    }
    // Let the start settle (the first dumps, the flows' verdicts).
    thread::sleep(Duration::from_secs(2));
    let before = Cpu::read(&[pid]);
    thread::sleep(Duration::from_secs(seconds));
    let used_ms = Cpu::read(&[pid]).since(before);
    let bandwidth = app.stop();
    drop(daemon);
    if let Some(mut child) = holder {
        drop(child.stdin.take());
        super::wait_bounded(&mut child, Duration::from_secs(5));
    }
    Ok((100.0 * used_ms / (seconds as f64 * 1000.0), bandwidth))
}

pub(crate) fn bench(args: &[String]) -> Res<()> {
    let options = parse_options(args)?;
    if !super::peer::is_root() {
        return Err("needs root (namespaces, netfilter rules, NFQUEUE)".into());
    }
    let daemon = daemon_binary()?;
    println!("idle: the daemon's CPU while an app asks for byte counts once a second");
    println!(
        "command: {}",
        std::env::args().collect::<Vec<_>>().join(" ")
    );
    println!(
        "date:    {}; {} s per measurement",
        run("date", &["-u", "+%Y-%m-%d %H:%M:%S UTC"])
            .unwrap_or_default()
            .trim(),
        options.seconds
    );
    let mut net = Net::create()?;
    let mut server = spawn_in(
        ns_b(),
        "python3",
        &["-c", HOLD_SERVER, IP_B, &HOLD_PORT.to_string()],
        true,
    )?;
    let ready = super::lines_of(&mut server)?.recv_timeout(Duration::from_secs(10));
    net.keep(server)?;
    if !matches!(ready.as_deref(), Ok("ready")) {
        return Err("the holding server did not start".into());
    }
    let mut binaries = vec![("this build", daemon)];
    if let Some(compare) = &options.compare {
        binaries.push(("--compare", compare.clone()));
    }
    println!("| state | daemon | CPU % of one CPU | byte-count infos |");
    println!("|---|---|---|---|");
    for (busy, state) in [
        (false, "quiet: no flows"),
        (
            true,
            "busy host: 50 TCP + 50 UDP flows ours, 2 000 loopback sockets",
        ),
    ] {
        for (name, binary) in &binaries {
            let (percent, infos) = measure(binary, busy, options.seconds)?;
            println!("| {state} | {name} | {percent:.3} | {infos} |");
            let _ = std::io::stdout().flush();
        }
    }
    drop(net);
    Ok(())
}
