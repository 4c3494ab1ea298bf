//! A protocol client that plays the app: it reads infos, records them, and answers connection
//! infos with the verdict a policy returns (after an optional delay), as the real app would.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use zenithfence_protocol::{Command, Info, InfoProblem, Verdict};
use zenithfenced::client_socket::DaemonClient;

/// What to do with a connection info: a verdict after a delay, or no answer.
pub type Policy = dyn Fn(&Info) -> Option<(Verdict, Duration)> + Send + Sync;

/// A policy that answers every connection with `verdict` at once.
#[allow(
    dead_code,
    reason = "each test binary compiles the support module; not all use this"
)]
pub fn always(verdict: Verdict) -> Box<Policy> {
    Box::new(move |_| Some((verdict, Duration::ZERO)))
}

#[derive(Default)]
pub struct Seen {
    pub infos: Vec<Info>,
    pub problems: Vec<InfoProblem>,
    pub answered: Vec<u64>,
    pub ended: bool,
}

pub struct Responder {
    commands: Arc<Mutex<DaemonClient>>,
    pub seen: Arc<Mutex<Seen>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

fn connection_id(info: &Info) -> Option<u64> {
    match info {
        Info::ConnectionV4(c) => Some(c.id),
        Info::ConnectionV6(c) => Some(c.id),
        _ => None,
    }
}

impl Responder {
    /// Connects, says Hello with every feature, and starts answering with `policy`.
    pub fn start(socket: &Path, policy: Box<Policy>) -> Responder {
        Self::start_with(socket, policy, true)
    }

    pub fn start_with(socket: &Path, policy: Box<Policy>, hello: bool) -> Responder {
        Self::start_features(socket, policy, hello.then_some(7))
    }

    /// Connects, says Hello with `features` (none: no Hello), and starts answering.
    pub fn start_features(socket: &Path, policy: Box<Policy>, features: Option<u32>) -> Responder {
        let mut reader = DaemonClient::connect(socket).expect("connect to the daemon");
        reader.set_read_timeout(Duration::from_millis(100)).unwrap();
        let mut writer = reader.try_clone().unwrap();
        // A daemon that stopped reading fails the test instead of hanging it.
        writer.set_write_timeout(Duration::from_secs(5)).unwrap();
        if let Some(features) = features {
            writer
                .send(&Command::Hello {
                    ext_version: 1,
                    features,
                })
                .unwrap();
        }
        let commands = Arc::new(Mutex::new(writer));
        let seen = Arc::new(Mutex::new(Seen::default()));
        let stop = Arc::new(AtomicBool::new(false));
        let policy: Arc<Policy> = Arc::from(policy);
        let thread = {
            let (commands, seen, stop) =
                (Arc::clone(&commands), Arc::clone(&seen), Arc::clone(&stop));
            thread::spawn(move || {
                while !stop.load(Ordering::SeqCst) {
                    let items = match reader.read() {
                        Ok(Some(items)) => items,
                        Ok(None) | Err(_) => {
                            seen.lock().unwrap().ended = true;
                            return;
                        }
                    };
                    for item in items {
                        match item {
                            Ok(info) => {
                                if let (Some(id), Some((verdict, delay))) =
                                    (connection_id(&info), policy(&info))
                                {
                                    let commands = Arc::clone(&commands);
                                    let seen = Arc::clone(&seen);
                                    thread::spawn(move || {
                                        thread::sleep(delay);
                                        if commands
                                            .lock()
                                            .unwrap()
                                            .send(&Command::Verdict { id, verdict })
                                            .is_ok()
                                        {
                                            seen.lock().unwrap().answered.push(id);
                                        }
                                    });
                                }
                                seen.lock().unwrap().infos.push(info);
                            }
                            Err(problem) => seen.lock().unwrap().problems.push(problem),
                        }
                    }
                }
            })
        };
        Responder {
            commands,
            seen,
            stop,
            thread: Some(thread),
        }
    }

    pub fn send(&self, command: &Command) {
        self.try_send(command).unwrap();
    }

    pub fn try_send(&self, command: &Command) -> std::io::Result<()> {
        self.commands.lock().unwrap().send(command)
    }

    /// Sends a policy document as PolicyPart commands.
    pub fn send_policy(&self, generation: u64, document: &[u8]) {
        self.commands
            .lock()
            .unwrap()
            .send_policy(generation, document)
            .unwrap();
    }

    pub fn send_raw(&self, bytes: &[u8]) {
        self.commands.lock().unwrap().send_raw(bytes).unwrap();
    }

    pub fn infos(&self) -> Vec<Info> {
        self.seen.lock().unwrap().infos.clone()
    }

    /// Waits until `done` holds for the infos seen, up to `timeout`; returns whether it did.
    pub fn wait_for(&self, timeout: Duration, done: impl Fn(&[Info]) -> bool) -> bool {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if done(&self.seen.lock().unwrap().infos) {
                return true;
            }
            thread::sleep(Duration::from_millis(10));
        }
        false
    }

    /// Connection infos seen so far.
    pub fn connections(&self) -> Vec<Info> {
        self.infos()
            .into_iter()
            .filter(|i| connection_id(i).is_some())
            .collect()
    }

    /// Disconnects: the daemon sees the client leave.
    pub fn disconnect(mut self) -> Arc<Mutex<Seen>> {
        let _ = self.commands.lock().unwrap().close();
        self.stop.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
        Arc::clone(&self.seen)
    }
}

impl Drop for Responder {
    fn drop(&mut self) {
        if let Ok(commands) = self.commands.lock() {
            let _ = commands.close();
        }
        self.stop.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
