//! From the adversarial review of issue 12: a reused pid is described again whenever the
//! executable differs, also when its start time cannot be read (processes.rs).
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

use zenithfence_protocol::constants::feature;
use zenithfence_protocol::{Command, Info};

use crate::fields::tests::utf16z;
use crate::tests::{tcp_connect, Rig, APP_PID};

const BROWSER: &str = "\\Device\\HarddiskVolume3\\Program Files\\Browser\\browser.exe";
const OTHER: &str = "\\Device\\HarddiskVolume3\\Users\\me\\Downloads\\other.exe";
/// A creation time (100 ns since 1601).
const STARTED: u64 = 133_000_000_000_000_000;

fn client() -> Rig {
    let mut rig = Rig::attached();
    rig.write(Command::Hello {
        ext_version: 1,
        features: feature::PROCESS,
    });
    rig.infos();
    rig
}

fn process_paths(infos: &[Info]) -> Vec<String> {
    infos
        .iter()
        .filter_map(|info| match info {
            Info::Process(p) => Some(p.path.clone()),
            _ => None,
        })
        .collect()
}

/// processes.rs `Described::knows`: a start time of 0 (the lookup could not run, as for a
/// recv-accept classified at DISPATCH_LEVEL) is taken as "the process already described",
/// even when the ALE classify carries another executable's path for that pid. The pid was
/// reused by another program; the driver sends no Process info, and the app's EventMapper
/// attaches the old program's path to the connection: the prompt names the wrong program and
/// the app's rules for the old program decide for the new one.
#[test]
fn a_reused_pid_whose_start_time_is_unknown_is_described_again_when_its_path_differs() {
    let mut rig = client();
    rig.process_blob = Some(utf16z(BROWSER));
    rig.start_time = STARTED;
    rig.connect(&tcp_connect(1), APP_PID, &[]);
    assert_eq!(process_paths(&rig.infos()), vec![BROWSER.to_string()]);

    // The browser exits; another program gets its pid and connects where the kernel cannot look
    // the creation time up (0: recv-accept at DISPATCH_LEVEL, or the classify at a raised IRQL).
    rig.process_blob = Some(utf16z(OTHER));
    rig.start_time = 0;
    rig.connect(&tcp_connect(2), APP_PID, &[]);
    assert_eq!(
        process_paths(&rig.infos()),
        vec![OTHER.to_string()],
        "the connection's own executable must reach the app (the ALE path differs from the one described)"
    );
}

/// The same with an outbound connect whose process already exited when the classify ran
/// (creation_time gives 0 for "a process that already exited").
#[test]
fn an_unknown_start_time_never_hides_a_different_executable_of_the_same_pid() {
    let mut rig = client();
    rig.process_blob = Some(utf16z(BROWSER));
    rig.start_time = 0;
    rig.connect(&tcp_connect(1), APP_PID, &[]);
    assert_eq!(process_paths(&rig.infos()), vec![BROWSER.to_string()]);
    rig.process_blob = Some(utf16z(OTHER));
    rig.connect(&tcp_connect(2), APP_PID, &[]);
    assert_eq!(process_paths(&rig.infos()), vec![OTHER.to_string()]);
}
