//! Host tests of the whole glue: classify functions run against simulated layer values,
//! metadata and classify-out structures; the device runs against simulated IRPs.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

use alloc::rc::Rc;
use core::cell::RefCell;
use std::collections::BTreeMap;

use zenithfence_core::decision::Action;
use zenithfence_core::flow::{FlowKey, IpAddress};
use zenithfence_protocol::constants::{feature, ioctl as base_ioctl};
use zenithfence_protocol::{Command, Info, InfoReader, ReadItem, Update, Verdict};

use crate::bindings::{
    action, status, FWPS_CLASSIFY_OUT0, FWPS_CLASSIFY_OUT_FLAG_ABSORB, FWPS_INCOMING_VALUE0,
    FWPS_RIGHT_ACTION_WRITE, FWP_BYTE_BLOB, FWP_CONDITION_FLAG_IS_LOOPBACK,
    FWP_CONDITION_FLAG_IS_REAUTHORIZE,
};
use crate::callouts::{self, AleLayer, Clock};
use crate::classify::{apply, ClassifyAction};
use crate::config::{ioctl, Options};
use crate::device::{Driver, Effects, HoldKind, PolicyInbox, Release, WriteResult};
use crate::fields::tests::{blank_metadata, connect_v4, utf16z, v16, v32, v8, vblob};
use crate::fields::{Metadata, Values};
use crate::irp::sim::{CancelState, Ledger, SimIrp};
use crate::layers::field;

type TestDriver = Driver<u32, SimIrp>;

pub(crate) const CLIENT_FILE: usize = 0xF11E;
pub(crate) const CLIENT_PID: u64 = 4000;
pub(crate) const APP_PID: u64 = 1234;
/// The wall clock of the tests: 2024-01-01T00:00:00Z in milliseconds since the Unix epoch.
pub(crate) const WALL_MS: u64 = 1_704_067_200_000;

/// A test harness: the driver, the IRP ledger and every packet release seen.
pub(crate) struct Rig {
    pub(crate) driver: TestDriver,
    pub(crate) inbox: PolicyInbox,
    pub(crate) ledger: Rc<RefCell<Ledger>>,
    pub(crate) released: BTreeMap<u32, Vec<Action>>,
    pub(crate) holds: Vec<HoldKind>,
    pub(crate) next_packet: u32,
    next_irp: usize,
    pub(crate) now: u64,
    pub(crate) wall_ms: u64,
    /// The metadata's `processPath` blob of the next ALE classifies (UTF-16LE bytes), if any.
    pub(crate) process_blob: Option<Vec<u8>>,
    /// The process creation time the kernel passes to the next ALE classifies (0: unknown).
    pub(crate) start_time: u64,
    reader: InfoReader,
}

impl Rig {
    pub(crate) fn new(options: Options) -> Rig {
        Rig {
            driver: Driver::new(options),
            inbox: PolicyInbox::new(),
            ledger: Rc::new(RefCell::new(Ledger::default())),
            released: BTreeMap::new(),
            holds: Vec::new(),
            next_packet: 1,
            next_irp: 1,
            now: 1_000,
            wall_ms: WALL_MS,
            process_blob: None,
            start_time: 0,
            reader: InfoReader::new(),
        }
    }

    pub(crate) fn attached() -> Rig {
        let mut rig = Rig::new(Options::default());
        assert_eq!(rig.driver.create(CLIENT_FILE, CLIENT_PID), status::SUCCESS);
        rig
    }

    pub(crate) fn run(&mut self, effects: Effects<u32, SimIrp>) {
        for Release { packet, action } in effects.releases {
            self.released.entry(packet).or_default().push(action);
        }
        for completion in effects.completions {
            completion.finish();
        }
    }

    fn irp(&mut self, len: usize) -> (SimIrp, usize, Rc<RefCell<CancelState>>) {
        self.irp_on(CLIENT_FILE, len)
    }

    /// A read IRP of handle (file object) `file`; returns it, its id and its cancel switch.
    pub(crate) fn irp_on(
        &mut self,
        file: usize,
        len: usize,
    ) -> (SimIrp, usize, Rc<RefCell<CancelState>>) {
        let id = self.next_irp;
        self.next_irp += 1;
        let (irp, cancel) = SimIrp::new(&self.ledger, id, file, len);
        (irp, id, cancel)
    }

    /// Issues a read; returns the dispatch status and the IRP id.
    pub(crate) fn read(&mut self, len: usize) -> (i32, usize) {
        self.read_on(CLIENT_FILE, len)
    }

    /// Issues a read on handle `file`; returns the dispatch status and the IRP id.
    pub(crate) fn read_on(&mut self, file: usize, len: usize) -> (i32, usize) {
        let (irp, id, _) = self.irp_on(file, len);
        let (code, effects) = self.driver.read(irp);
        self.run(effects);
        (code, id)
    }

    /// Reads everything queued (one big read) and decodes it.
    pub(crate) fn infos(&mut self) -> Vec<Info> {
        let (code, id) = self.read(1 << 16);
        if code == status::PENDING {
            // Nothing queued: cancel the read again.
            let effects = self.driver.cancel_read(id);
            self.run(effects);
            return Vec::new();
        }
        assert_eq!(code, status::SUCCESS);
        self.decode(id)
    }

    pub(crate) fn decode(&mut self, id: usize) -> Vec<Info> {
        let data = self.ledger.borrow().data_of(id);
        let mut items: Vec<ReadItem> = Vec::new();
        self.reader.push(&data, &mut items);
        items.into_iter().map(Result::unwrap).collect()
    }

    pub(crate) fn write(&mut self, command: Command) -> i32 {
        let mut bytes = Vec::new();
        command.encode(&mut bytes);
        self.write_bytes(&bytes)
    }

    /// One write as the kernel's IRP_MJ_WRITE runs it: the command under the lock, then a
    /// PolicyPart through the inbox (no lock) and its update (under the lock again).
    pub(crate) fn write_bytes(&mut self, bytes: &[u8]) -> i32 {
        self.write_bytes_on(CLIENT_FILE, bytes)
    }

    /// [`Rig::write_bytes`] on handle `file`.
    pub(crate) fn write_bytes_on(&mut self, file: usize, bytes: &[u8]) -> i32 {
        let WriteResult {
            status: code,
            information,
            effects,
            policy_part,
        } = self.driver.write(file, bytes, self.now);
        if code == status::SUCCESS {
            assert_eq!(information, bytes.len());
        } else {
            assert!(policy_part.is_none());
        }
        self.run(effects);
        if let Some(part) = policy_part {
            let update = self.inbox.receive(&part);
            let effects = self.driver.policy_update(update);
            self.run(effects);
        }
        code
    }

    pub(crate) fn tick(&mut self, advance_ms: u64) {
        self.now += advance_ms;
        let effects = self.driver.tick(self.now);
        self.run(effects);
    }

    /// Runs an ALE connect classify over a simulated value array; returns the classify-out.
    pub(crate) fn connect(
        &mut self,
        values: &[FWPS_INCOMING_VALUE0],
        pid: u64,
        payload: &[u8],
    ) -> FWPS_CLASSIFY_OUT0 {
        self.ale(AleLayer::Connect, values, pid, payload)
    }

    pub(crate) fn ale(
        &mut self,
        layer: AleLayer,
        values: &[FWPS_INCOMING_VALUE0],
        pid: u64,
        payload: &[u8],
    ) -> FWPS_CLASSIFY_OUT0 {
        self.ale_of_app(layer, values, pid, None, payload)
    }

    /// An ALE classify whose ALE_APP_ID value is `app` (as the engine gives it: UTF-16 with a
    /// NUL), or FWP_EMPTY.
    pub(crate) fn ale_of_app(
        &mut self,
        layer: AleLayer,
        values: &[FWPS_INCOMING_VALUE0],
        pid: u64,
        app: Option<&str>,
        payload: &[u8],
    ) -> FWPS_CLASSIFY_OUT0 {
        let mut meta = blank_metadata();
        meta.currentMetadataValues = crate::bindings::metadata_field::PROCESS_ID;
        meta.processId = pid;
        let mut process_bytes = self.process_blob.clone().unwrap_or_default();
        let mut process_blob = FWP_BYTE_BLOB {
            size: process_bytes.len() as u32,
            data: process_bytes.as_mut_ptr(),
        };
        if self.process_blob.is_some() {
            meta.currentMetadataValues |= crate::bindings::metadata_field::PROCESS_PATH;
            meta.processPath = &mut process_blob;
        }
        let mut app_bytes = app.map(utf16z).unwrap_or_default();
        let mut blob = FWP_BYTE_BLOB {
            size: app_bytes.len() as u32,
            data: app_bytes.as_mut_ptr(),
        };
        let mut values = values.to_vec();
        if app.is_some() {
            if let Some(slot) = values.get_mut(field::ale_auth_connect::ALE_APP_ID) {
                *slot = vblob(&mut blob);
            }
        }
        let values = Values::from_slice(&values, 0);
        let next = &mut self.next_packet;
        let holds = &mut self.holds;
        let (action, effects) = callouts::ale(
            &mut self.driver,
            layer,
            false,
            &values,
            &Metadata::from_ref(&meta),
            payload,
            Clock {
                now_ms: self.now,
                wall_ms: self.wall_ms,
            },
            self.start_time,
            |kind| {
                holds.push(kind);
                let id = *next;
                *next += 1;
                Some(id)
            },
        );
        self.run(effects);
        let mut out = FWPS_CLASSIFY_OUT0 {
            rights: FWPS_RIGHT_ACTION_WRITE,
            ..Default::default()
        };
        apply(&mut out, action, 0);
        out
    }

    pub(crate) fn packet(&mut self, outbound: bool, bytes: &[u8]) -> ClassifyAction {
        let meta = blank_metadata();
        let next = &mut self.next_packet;
        let holds = &mut self.holds;
        let (action, effects) = callouts::ip_packet(
            &mut self.driver,
            outbound,
            bytes,
            &Metadata::from_ref(&meta),
            self.now,
            |kind| {
                holds.push(kind);
                let id = *next;
                *next += 1;
                Some(id)
            },
        );
        self.run(effects);
        action
    }

    /// Asserts every packet handed out by the hold closure was released exactly once.
    pub(crate) fn assert_all_answered_once(&self) {
        for id in 1..self.next_packet {
            let n = self.released.get(&id).map_or(0, Vec::len);
            assert_eq!(n, 1, "packet {id} answered {n} times");
        }
    }
}

pub(crate) const LOCAL: [u8; 4] = [10, 0, 0, 5];
pub(crate) const REMOTE: [u8; 4] = [93, 184, 216, 34];

pub(crate) fn tcp_connect(lport: u16) -> Vec<FWPS_INCOMING_VALUE0> {
    connect_v4(6, LOCAL, lport, REMOTE, 443, 0)
}

pub(crate) fn reauth(lport: u16) -> Vec<FWPS_INCOMING_VALUE0> {
    connect_v4(
        6,
        LOCAL,
        lport,
        REMOTE,
        443,
        FWP_CONDITION_FLAG_IS_REAUTHORIZE,
    )
}

pub(crate) fn is_absorb(out: &FWPS_CLASSIFY_OUT0) -> bool {
    out.actionType == action::BLOCK
        && out.flags & FWPS_CLASSIFY_OUT_FLAG_ABSORB != 0
        && out.rights & FWPS_RIGHT_ACTION_WRITE == 0
}

pub(crate) fn is_hard_block(out: &FWPS_CLASSIFY_OUT0) -> bool {
    out.actionType == action::BLOCK
        && out.flags & FWPS_CLASSIFY_OUT_FLAG_ABSORB == 0
        && out.rights & FWPS_RIGHT_ACTION_WRITE == 0
}

pub(crate) fn is_permit(out: &FWPS_CLASSIFY_OUT0) -> bool {
    out.actionType == action::PERMIT && out.flags == 0
}

pub(crate) fn request_id(info: &Info) -> u64 {
    match info {
        Info::ConnectionV4(c) => c.id,
        Info::ConnectionV6(c) => c.id,
        other => panic!("expected a connection info, got {other:?}"),
    }
}

/// An IPv4/TCP packet from `src:sport` to `dst:dport`.
pub(crate) fn tcp_packet(src: [u8; 4], sport: u16, dst: [u8; 4], dport: u16) -> Vec<u8> {
    let mut p = vec![0u8; 40];
    p[0] = 0x45;
    p[2..4].copy_from_slice(&40u16.to_be_bytes());
    p[8] = 64;
    p[9] = 6;
    p[12..16].copy_from_slice(&src);
    p[16..20].copy_from_slice(&dst);
    p[20..22].copy_from_slice(&sport.to_be_bytes());
    p[22..24].copy_from_slice(&dport.to_be_bytes());
    p[32] = 5 << 4;
    p[33] = 0x02;
    p
}

// --------------------------------------------------------------------------------------------
// ALE: pend at the first packet, ask, answer, re-authorize
// --------------------------------------------------------------------------------------------

#[test]
fn first_connect_is_pended_reported_and_reauthorized_with_the_verdict() {
    let mut rig = Rig::attached();
    // A blocking read waits before anything happens.
    let (code, read_id) = rig.read(4096);
    assert_eq!(code, status::PENDING);

    let out = rig.connect(&tcp_connect(50_000), APP_PID, &[]);
    assert!(
        is_absorb(&out),
        "the first authorization is pended and absorbed"
    );
    assert_eq!(rig.holds, vec![HoldKind::Pend]);
    rig.ledger.borrow().assert_each_once(&[read_id]);
    let infos = rig.decode(read_id);
    assert_eq!(infos.len(), 1);
    let Info::ConnectionV4(info) = &infos[0] else {
        panic!("expected ConnectionV4");
    };
    assert_eq!(info.process_id, APP_PID);
    assert_eq!(info.direction, 0);
    assert_eq!(info.protocol, 6);
    assert_eq!((info.local_ip, info.remote_ip), (LOCAL, REMOTE));
    assert_eq!((info.local_port, info.remote_port), (50_000, 443));
    assert_eq!(info.payload_layer, 4);
    assert!(
        info.payload.is_empty(),
        "an outbound TCP connect carries no packet"
    );

    assert_eq!(
        rig.write(Command::Verdict {
            id: info.id,
            verdict: Verdict::Accept
        }),
        status::SUCCESS
    );
    assert_eq!(rig.released[&1], vec![Action::Accept]);
    // Completing the pend makes WFP re-authorize: the cached verdict answers.
    assert!(is_permit(&rig.connect(&reauth(50_000), APP_PID, &[])));
    // Later packets of the connection go through at the packet layer.
    let syn = tcp_packet(LOCAL, 50_000, REMOTE, 443);
    assert_eq!(
        rig.packet(true, &syn),
        ClassifyAction::Permit { harden: false }
    );
    rig.assert_all_answered_once();
}

#[test]
fn verdicts_map_to_classify_out_bits_on_reauthorization() {
    for (verdict, check) in [
        (
            Verdict::Block,
            is_hard_block as fn(&FWPS_CLASSIFY_OUT0) -> bool,
        ),
        (Verdict::PermanentBlock, is_hard_block),
        (Verdict::Drop, is_absorb),
        (Verdict::PermanentDrop, is_absorb),
        (Verdict::PermanentAccept, is_permit),
        // No decision / redirects: the driver cannot act on them, they block.
        (Verdict::RedirectNameServer, is_hard_block),
        (Verdict::Undecided, is_hard_block),
    ] {
        let mut rig = Rig::attached();
        rig.connect(&tcp_connect(1), APP_PID, &[]);
        let id = request_id(&rig.infos()[0]);
        rig.write(Command::Verdict { id, verdict });
        let out = rig.connect(&reauth(1), APP_PID, &[]);
        assert!(check(&out), "{verdict:?}: {out:?}");
        rig.assert_all_answered_once();
    }
}

#[test]
fn hold_timeout_answers_with_the_default_verdict() {
    let mut rig = Rig::attached();
    rig.connect(&tcp_connect(7), APP_PID, &[]);
    let id = request_id(&rig.infos()[0]);
    rig.tick(9_000);
    assert!(rig.released.is_empty(), "not yet");
    rig.tick(1_000);
    assert_eq!(rig.released[&1], vec![Action::Drop], "default verdict Drop");
    // The late verdict is counted, not an error.
    assert_eq!(
        rig.write(Command::Verdict {
            id,
            verdict: Verdict::Accept
        }),
        status::SUCCESS
    );
    let counters = rig.driver.counters().values;
    assert_eq!(counters[3], 1, "hold timeouts");
    assert_eq!(counters[5], 1, "commands rejected (unknown id)");
    assert!(is_absorb(&rig.connect(&reauth(7), APP_PID, &[])));
    rig.assert_all_answered_once();
}

#[test]
fn further_packets_of_a_waiting_flow_join_its_request() {
    let options = Options {
        max_packets_per_flow: 3,
        ..Options::default()
    };
    let mut rig = Rig::new(options);
    rig.driver.create(CLIENT_FILE, CLIENT_PID);
    let udp = connect_v4(17, LOCAL, 5353, [8, 8, 8, 8], 53, 0);
    for _ in 0..4 {
        assert!(is_absorb(&rig.connect(&udp, APP_PID, b"query")));
    }
    assert_eq!(
        rig.holds,
        vec![
            HoldKind::Pend,
            HoldKind::Join,
            HoldKind::Join,
            HoldKind::Join
        ]
    );
    assert_eq!(
        rig.released[&4],
        vec![Action::Drop],
        "past the per-flow maximum"
    );
    let infos = rig.infos();
    assert_eq!(infos.len(), 1, "one request for the flow");
    let Info::ConnectionV4(info) = &infos[0] else {
        panic!()
    };
    assert_eq!(info.payload, b"query");
    rig.write(Command::Verdict {
        id: info.id,
        verdict: Verdict::PermanentAccept,
    });
    for id in 1..=3 {
        assert_eq!(rig.released[&id], vec![Action::Accept]);
    }
    rig.assert_all_answered_once();
}

#[test]
fn reauthorization_of_an_unknown_connection_goes_on() {
    let mut rig = Rig::attached();
    assert!(is_permit(&rig.connect(&reauth(9), APP_PID, &[])));
    assert!(rig.holds.is_empty(), "a re-authorization is never pended");
}

#[test]
fn loopback_and_the_clients_own_connections_are_not_asked() {
    let mut rig = Rig::attached();
    let lo = connect_v4(
        6,
        [127, 0, 0, 1],
        1,
        [127, 0, 0, 1],
        2,
        FWP_CONDITION_FLAG_IS_LOOPBACK,
    );
    assert!(is_permit(&rig.connect(&lo, APP_PID, &[])));
    let own = rig.connect(&tcp_connect(3), CLIENT_PID, &[]);
    assert!(is_permit(&own));
    assert_eq!(own.rights & FWPS_RIGHT_ACTION_WRITE, 0, "hardened");
    assert!(rig.holds.is_empty());
    assert!(rig.infos().is_empty());
}

#[test]
fn recv_accept_is_inbound() {
    use field::ale_auth_recv_accept as f;
    let mut rig = Rig::attached();
    let mut v = vec![crate::fields::tests::empty(); 40];
    v[f::IP_LOCAL_ADDRESS] = v32(u32::from_be_bytes(LOCAL));
    v[f::IP_LOCAL_PORT] = v16(22);
    v[f::IP_PROTOCOL] = v8(6);
    v[f::IP_REMOTE_ADDRESS] = v32(u32::from_be_bytes(REMOTE));
    v[f::IP_REMOTE_PORT] = v16(40_000);
    v[f::FLAGS] = v32(0);
    assert!(is_absorb(&rig.ale(
        AleLayer::RecvAccept,
        &v,
        0,
        b"\x9c\x40\x00\x16"
    )));
    let infos = rig.infos();
    let Info::ConnectionV4(info) = &infos[0] else {
        panic!()
    };
    assert_eq!(info.direction, 1);
    assert_eq!(info.local_port, 22);
    assert_eq!(info.payload, b"\x9c\x40\x00\x16");
}

#[test]
fn unreadable_classify_values_get_the_default_verdict() {
    let mut rig = Rig::attached();
    let short = [v8(6)];
    assert!(
        is_absorb(&rig.connect(&short, APP_PID, &[])),
        "default Drop"
    );
    assert!(rig.holds.is_empty());
}

// --------------------------------------------------------------------------------------------
// Detached, shutdown, cleanup
// --------------------------------------------------------------------------------------------

#[test]
fn without_a_client_the_detached_verdict_answers() {
    let mut rig = Rig::new(Options::default());
    assert!(is_permit(&rig.connect(&tcp_connect(1), APP_PID, &[])));
    assert!(rig.holds.is_empty());
    let options = Options {
        detached_verdict: Verdict::Block,
        ..Options::default()
    };
    let mut rig = Rig::new(options);
    assert!(is_hard_block(&rig.connect(&tcp_connect(1), APP_PID, &[])));
}

#[test]
fn shutdown_answers_everything_ends_reads_and_is_reversible() {
    let mut rig = Rig::attached();
    rig.connect(&tcp_connect(1), APP_PID, &[]);
    rig.connect(&tcp_connect(2), APP_PID, &[]);
    rig.infos();
    let (code, waiting) = rig.read(128);
    assert_eq!(code, status::PENDING);
    assert_eq!(rig.write(Command::Shutdown), status::SUCCESS);
    assert_eq!(rig.released[&1], vec![Action::Accept], "detached verdict");
    assert_eq!(rig.released[&2], vec![Action::Accept]);
    assert_eq!(rig.ledger.borrow().status_of(waiting), status::END_OF_FILE);
    let (code, after) = rig.read(128);
    assert_eq!(code, status::END_OF_FILE);
    assert_eq!(rig.ledger.borrow().status_of(after), status::END_OF_FILE);
    // After Shutdown nothing is asked: the detached verdict answers.
    assert!(is_permit(&rig.connect(&tcp_connect(3), APP_PID, &[])));
    // Closing the handle and opening again starts a fresh session (no reload needed).
    let effects = rig.driver.cleanup(CLIENT_FILE, rig.now);
    rig.run(effects);
    assert_eq!(
        rig.driver.create(CLIENT_FILE + 1, CLIENT_PID),
        status::SUCCESS
    );
    assert!(is_absorb(&rig.connect(&tcp_connect(4), APP_PID, &[])));
    assert_eq!(rig.holds.len(), 3);
    rig.ledger.borrow().assert_each_once(&[waiting, after]);
}

#[test]
fn shutdown_ioctl_equals_the_command() {
    let mut rig = Rig::attached();
    rig.connect(&tcp_connect(1), APP_PID, &[]);
    let result = rig
        .driver
        .ioctl(CLIENT_FILE, base_ioctl::SHUTDOWN, &[], 0, rig.now);
    assert_eq!(result.status, status::SUCCESS);
    rig.run(result.effects);
    assert_eq!(rig.released[&1], vec![Action::Accept]);
    rig.assert_all_answered_once();
}

#[test]
fn closing_the_handle_cancels_reads_and_answers_held_packets() {
    let mut rig = Rig::attached();
    rig.connect(&tcp_connect(1), APP_PID, &[]);
    rig.infos();
    let (_, a) = rig.read(64);
    let (_, b) = rig.read(64);
    let effects = rig.driver.cleanup(CLIENT_FILE, rig.now);
    rig.run(effects);
    let ledger = rig.ledger.borrow();
    assert_eq!(ledger.status_of(a), status::CANCELLED);
    assert_eq!(ledger.status_of(b), status::CANCELLED);
    drop(ledger);
    assert_eq!(rig.driver.pended_reads(), 0);
    rig.assert_all_answered_once();
    assert_eq!(
        rig.driver.create(7, 1),
        status::SUCCESS,
        "a new client may open"
    );
}

#[test]
fn a_second_open_is_refused_while_a_client_is_attached() {
    let mut rig = Rig::attached();
    assert_eq!(rig.driver.create(99, 5), status::SHARING_VIOLATION);
}

// --------------------------------------------------------------------------------------------
// Reads: blocking, split infos, cancel, limits
// --------------------------------------------------------------------------------------------

#[test]
fn reads_block_split_infos_and_cancel() {
    let mut rig = Rig::attached();
    // A small read pended first gets the head of the info, the next read the rest.
    let (code, small) = rig.read(8);
    assert_eq!(code, status::PENDING);
    rig.connect(&tcp_connect(1), APP_PID, &[]);
    let first = rig.ledger.borrow().data_of(small);
    assert_eq!(first.len(), 8);
    let (code, rest) = rig.read(1024);
    assert_eq!(
        code,
        status::SUCCESS,
        "the rest waits, the read completes at once"
    );
    let mut stream = first;
    stream.extend(rig.ledger.borrow().data_of(rest));
    let mut items = Vec::new();
    InfoReader::new().push(&stream, &mut items);
    assert_eq!(items.len(), 1);
    assert!(matches!(items[0], Ok(Info::ConnectionV4(_))));

    // CancelIoEx on a pended read.
    let (irp, id, cancel) = rig.irp(64);
    let (code, effects) = rig.driver.read(irp);
    assert_eq!(code, status::PENDING);
    rig.run(effects);
    *cancel.borrow_mut() = CancelState::RoutineTaken;
    let effects = rig.driver.cancel_read(id);
    rig.run(effects);
    assert_eq!(rig.ledger.borrow().status_of(id), status::CANCELLED);
    rig.ledger.borrow().assert_each_once(&[small, rest, id]);
}

#[test]
fn too_many_pended_reads_are_refused_and_empty_reads_are_invalid() {
    let mut rig = Rig::attached();
    let max = rig.driver.options().max_pended_reads;
    let mut ids = Vec::new();
    for _ in 0..max {
        let (code, id) = rig.read(16);
        assert_eq!(code, status::PENDING);
        ids.push(id);
    }
    let (code, busy) = rig.read(16);
    assert_eq!(code, status::DEVICE_BUSY);
    let (code, empty) = rig.read(0);
    assert_eq!(code, status::INVALID_PARAMETER);
    let effects = rig.driver.cleanup(CLIENT_FILE, rig.now);
    rig.run(effects);
    ids.extend([busy, empty]);
    rig.ledger.borrow().assert_each_once(&ids);
}

#[test]
fn a_read_without_a_client_fails_at_once() {
    let mut rig = Rig::new(Options::default());
    let (code, id) = rig.read(16);
    assert_eq!(code, status::INVALID_DEVICE_STATE);
    rig.ledger.borrow().assert_each_once(&[id]);
}

// --------------------------------------------------------------------------------------------
// Commands and IOCTLs
// --------------------------------------------------------------------------------------------

#[test]
fn command_lengths_are_validated() {
    let mut rig = Rig::attached();
    for bad in [&[][..], &[1u8, 2, 3][..], &[200u8][..], &[0u8, 0][..]] {
        let result = rig.driver.write(CLIENT_FILE, bad, rig.now);
        assert_eq!(result.status, status::INVALID_PARAMETER, "{bad:?}");
        assert_eq!(result.information, 0);
        assert!(result.effects.is_empty() && result.policy_part.is_none());
    }
    // A verdict byte out of range is refused without popping the request.
    rig.connect(&tcp_connect(1), APP_PID, &[]);
    let id = request_id(&rig.infos()[0]);
    let mut bytes = vec![1u8];
    bytes.extend_from_slice(&id.to_le_bytes());
    bytes.push(12);
    assert_eq!(rig.write_bytes(&bytes), status::INVALID_PARAMETER);
    assert_eq!(
        rig.driver.pending_requests(),
        1,
        "still waiting for a valid verdict"
    );
    assert_eq!(rig.driver.counters().values[5], 5);
}

#[test]
fn hello_grants_process_counters_and_policy_not_dns_and_get_counters_answers() {
    let mut rig = Rig::attached();
    rig.write(Command::GetCounters);
    assert!(rig.infos().is_empty(), "not granted yet");
    rig.write(Command::Hello {
        ext_version: 1,
        features: feature::ALL,
    });
    rig.write(Command::GetCounters);
    let infos = rig.infos();
    let Info::HelloReply(reply) = &infos[0] else {
        panic!()
    };
    assert_eq!(
        reply.features,
        feature::PROCESS | feature::COUNTERS | feature::POLICY
    );
    assert_eq!(reply.driver_kind, 1);
    assert_eq!(reply.version, [2, 1, 0, 0]);
    assert!(
        matches!(infos[1], Info::PolicyState(_)),
        "a POLICY client hears what is enforced"
    );
    let Info::Counters(counters) = &infos[2] else {
        panic!()
    };
    assert_eq!(counters.values.len(), 9);
}

#[test]
fn network_seen_is_rejected_and_counted_since_network_is_never_granted() {
    let mut rig = Rig::attached();
    rig.write(Command::Hello {
        ext_version: 1,
        features: feature::ALL,
    });
    let before = rig.driver.counters().values[5];
    rig.write(Command::NetworkSeen { epoch: 1 });
    assert_eq!(
        rig.driver.counters().values[5],
        before + 1,
        "commands rejected"
    );
    assert!(
        !rig.infos()
            .iter()
            .any(|info| matches!(info, Info::NetworkFacts(_))),
        "no NetworkFacts from the Windows driver"
    );
}

#[test]
fn version_and_handshake_ioctls() {
    let mut rig = Rig::attached();
    let result = rig
        .driver
        .ioctl(CLIENT_FILE, base_ioctl::VERSION, &[], 4, rig.now);
    assert_eq!(
        (result.status, result.output),
        (status::SUCCESS, vec![2, 1, 0, 0])
    );
    let result = rig
        .driver
        .ioctl(CLIENT_FILE, base_ioctl::VERSION, &[], 3, rig.now);
    assert_eq!(result.status, status::BUFFER_TOO_SMALL);
    let result = rig
        .driver
        .ioctl(CLIENT_FILE, ioctl::HANDSHAKE, &[2, 1, 0, 0], 4, rig.now);
    assert_eq!(result.status, status::SUCCESS);
    assert_eq!(
        rig.driver
            .ioctl(CLIENT_FILE, ioctl::HANDSHAKE, &[], 4, rig.now)
            .status,
        status::INVALID_PARAMETER
    );
    let (code, pended) = rig.read(16);
    assert_eq!(code, status::PENDING);
    let result = rig
        .driver
        .ioctl(CLIENT_FILE, ioctl::HANDSHAKE, &[3, 0, 0, 0], 4, rig.now);
    assert_eq!(result.status, status::REVISION_MISMATCH);
    rig.run(result.effects);
    assert_eq!(
        rig.ledger.borrow().status_of(pended),
        status::REVISION_MISMATCH
    );
    let (code, _) = rig.read(16);
    assert_eq!(code, status::REVISION_MISMATCH);
    assert_eq!(rig.write(Command::GetLogs), status::REVISION_MISMATCH);
    assert_eq!(
        rig.driver
            .ioctl(CLIENT_FILE, 0x9C40_E0FC, &[], 0, rig.now)
            .status,
        status::INVALID_DEVICE_REQUEST
    );
    // A refused client is not asked: connections get the detached verdict.
    assert!(is_permit(&rig.connect(&tcp_connect(1), APP_PID, &[])));
}

#[test]
fn set_options_changes_timeout_default_and_counting() {
    let mut rig = Rig::attached();
    let wanted = Options {
        hold_timeout_ms: 500,
        default_verdict: Verdict::Block,
        byte_counting: false,
        ..Options::default()
    };
    let result = rig.driver.ioctl(
        CLIENT_FILE,
        ioctl::SET_OPTIONS,
        &wanted.encode(),
        12,
        rig.now,
    );
    assert_eq!(result.status, status::SUCCESS);
    assert_eq!(result.output, wanted.encode().to_vec());
    rig.connect(&tcp_connect(1), APP_PID, &[]);
    rig.tick(500);
    assert_eq!(rig.released[&1], vec![Action::Block]);
    assert!(!rig.driver.counts_bytes());
    let bad = rig
        .driver
        .ioctl(CLIENT_FILE, ioctl::SET_OPTIONS, &[0; 3], 12, rig.now);
    assert_eq!(bad.status, status::INVALID_PARAMETER);
}

#[test]
fn update_changes_the_packet_layer_verdict_of_a_connection() {
    let mut rig = Rig::attached();
    rig.connect(&tcp_connect(1), APP_PID, &[]);
    let id = request_id(&rig.infos()[0]);
    rig.write(Command::Verdict {
        id,
        verdict: Verdict::PermanentAccept,
    });
    let out = tcp_packet(LOCAL, 1, REMOTE, 443);
    let back = tcp_packet(REMOTE, 443, LOCAL, 1);
    assert_eq!(
        rig.packet(true, &out),
        ClassifyAction::Permit { harden: false }
    );
    rig.write(Command::UpdateV4(Update {
        protocol: 6,
        local_ip: LOCAL,
        local_port: 1,
        remote_ip: REMOTE,
        remote_port: 443,
        verdict: Verdict::PermanentDrop,
    }));
    assert_eq!(rig.packet(true, &out), ClassifyAction::Absorb);
    assert_eq!(
        rig.packet(false, &back),
        ClassifyAction::Absorb,
        "both directions"
    );
    rig.write(Command::UpdateV4(Update {
        protocol: 6,
        local_ip: LOCAL,
        local_port: 1,
        remote_ip: REMOTE,
        remote_port: 443,
        verdict: Verdict::PermanentBlock,
    }));
    assert_eq!(rig.packet(true, &out), ClassifyAction::Block);
}

#[test]
fn clear_cache_while_a_request_waits_keeps_its_verdict_for_the_reauthorization() {
    let mut rig = Rig::attached();
    rig.connect(&tcp_connect(1), APP_PID, &[]);
    let id = request_id(&rig.infos()[0]);
    rig.write(Command::ClearCache);
    rig.write(Command::Verdict {
        id,
        verdict: Verdict::Block,
    });
    assert!(is_hard_block(&rig.connect(&reauth(1), APP_PID, &[])));
}

// --------------------------------------------------------------------------------------------
// The IP packet layers
// --------------------------------------------------------------------------------------------

#[test]
fn packet_layer_holds_packets_of_waiting_flows_and_passes_unknown_ones() {
    let mut rig = Rig::attached();
    // Inbound SYN of a flow nobody decided: it goes on to ALE recv-accept.
    let syn_in = tcp_packet(REMOTE, 40_000, LOCAL, 22);
    assert_eq!(
        rig.packet(false, &syn_in),
        ClassifyAction::Permit { harden: false }
    );
    // A waiting outbound flow: its packets are held with the request.
    rig.connect(&tcp_connect(5), APP_PID, &[]);
    let out = tcp_packet(LOCAL, 5, REMOTE, 443);
    assert_eq!(rig.packet(true, &out), ClassifyAction::Absorb);
    assert_eq!(rig.holds, vec![HoldKind::Pend, HoldKind::Join]);
    let id = request_id(&rig.infos()[0]);
    rig.write(Command::Verdict {
        id,
        verdict: Verdict::Drop,
    });
    assert_eq!(rig.released[&2], vec![Action::Drop]);
    // A non-first fragment goes on; garbage goes on.
    let mut fragment = out.clone();
    fragment[6..8].copy_from_slice(&185u16.to_be_bytes());
    assert_eq!(
        rig.packet(true, &fragment),
        ClassifyAction::Permit { harden: false }
    );
    assert_eq!(
        rig.packet(true, &[0x45, 0]),
        ClassifyAction::Permit { harden: false }
    );
    rig.assert_all_answered_once();
}

// --------------------------------------------------------------------------------------------
// Connection ends and byte counting
// --------------------------------------------------------------------------------------------

#[test]
fn endpoint_closure_and_resource_release_end_connections_once() {
    use field::ale_endpoint_closure as c;
    let mut rig = Rig::attached();
    for port in [1, 2] {
        rig.connect(&tcp_connect(port), APP_PID, &[]);
        let id = request_id(&rig.infos()[0]);
        rig.write(Command::Verdict {
            id,
            verdict: Verdict::PermanentAccept,
        });
    }
    let mut v = vec![crate::fields::tests::empty(); 13];
    v[c::IP_PROTOCOL] = v8(6);
    v[c::IP_LOCAL_ADDRESS] = v32(u32::from_be_bytes(LOCAL));
    v[c::IP_LOCAL_PORT] = v16(1);
    v[c::IP_REMOTE_ADDRESS] = v32(u32::from_be_bytes(REMOTE));
    v[c::IP_REMOTE_PORT] = v16(443);
    let values = Values::from_slice(&v, 0);
    let now = rig.now;
    // A read waits; the end is delivered to it at once.
    let (code, waiting) = rig.read(1024);
    assert_eq!(code, status::PENDING);
    let (action, effects) = callouts::endpoint_closure(&mut rig.driver, false, &values, now);
    assert_eq!(action, ClassifyAction::Continue);
    rig.run(effects);
    let (_, effects) = callouts::endpoint_closure(&mut rig.driver, false, &values, now);
    assert!(effects.is_empty(), "ended once");
    let infos = rig.decode(waiting);
    assert_eq!(infos.len(), 1);
    let Info::ConnectionEndV4(end) = &infos[0] else {
        panic!()
    };
    assert_eq!(
        (end.process_id, end.local_port, end.local_ip),
        (APP_PID, 1, LOCAL)
    );
    // Port 2 is released: its connection ends too.
    let (ended, effects) = rig
        .driver
        .on_resource_release(6, IpAddress::V4(LOCAL), 2, now);
    assert_eq!(ended, 1);
    rig.run(effects);
    let (ended, _) = rig
        .driver
        .on_resource_release(6, IpAddress::V4(LOCAL), 2, now);
    assert_eq!(ended, 0);
    let infos = rig.infos();
    let Info::ConnectionEndV4(end) = &infos[0] else {
        panic!()
    };
    assert_eq!(end.local_port, 2);
    // An ended connection's packets are no longer decided by the cache.
    rig.now += 70_000;
    rig.tick(0);
    assert_eq!(
        rig.driver.clean(rig.now + 1),
        0,
        "the timer already cleaned them"
    );
    assert_eq!(rig.driver.cached_connections(), 0);
}

#[test]
fn stream_and_datagram_bytes_are_counted_and_reported() {
    use crate::bindings::{
        FWPS_STREAM_CALLOUT_IO_PACKET0, FWPS_STREAM_DATA0, FWPS_STREAM_DATA_OFFSET0,
        FWPS_STREAM_FLAG_RECEIVE, FWP_DIRECTION_OUTBOUND,
    };
    use field::{datagram_data as d, stream as s};
    let mut rig = Rig::attached();
    let mut sv = vec![crate::fields::tests::empty(); 8];
    sv[s::IP_LOCAL_ADDRESS] = v32(u32::from_be_bytes(LOCAL));
    sv[s::IP_REMOTE_ADDRESS] = v32(u32::from_be_bytes(REMOTE));
    sv[s::IP_LOCAL_PORT] = v16(1);
    sv[s::IP_REMOTE_PORT] = v16(443);
    let mut data = FWPS_STREAM_DATA0 {
        flags: FWPS_STREAM_FLAG_RECEIVE,
        dataOffset: FWPS_STREAM_DATA_OFFSET0 {
            netBufferList: core::ptr::null_mut(),
            netBuffer: core::ptr::null_mut(),
            mdl: core::ptr::null_mut(),
            mdlOffset: 0,
            netBufferOffset: 0,
            streamDataOffset: 0,
        },
        dataLength: 1000,
        netBufferListChain: core::ptr::null_mut(),
    };
    let io = FWPS_STREAM_CALLOUT_IO_PACKET0 {
        streamData: &mut data,
        missedBytes: 0,
        countBytesRequired: 0,
        countBytesEnforced: 0,
        streamAction: 0,
    };
    let values = Values::from_slice(&sv, 0);
    // SAFETY: `io` and `data` are alive for the call.
    let action = unsafe {
        callouts::stream(
            &mut rig.driver,
            false,
            &values,
            (&io as *const FWPS_STREAM_CALLOUT_IO_PACKET0).cast(),
        )
    };
    assert_eq!(action, ClassifyAction::Continue);

    let mut dv = vec![crate::fields::tests::empty(); 14];
    dv[d::IP_PROTOCOL] = v8(17);
    dv[d::IP_LOCAL_ADDRESS] = v32(u32::from_be_bytes(LOCAL));
    dv[d::IP_REMOTE_ADDRESS] = v32(0x0808_0808);
    dv[d::IP_LOCAL_PORT] = v16(5353);
    dv[d::IP_REMOTE_PORT] = v16(53);
    dv[d::DIRECTION] = v32(FWP_DIRECTION_OUTBOUND);
    let mut meta = blank_metadata();
    meta.currentMetadataValues = crate::bindings::metadata_field::TRANSPORT_HEADER_SIZE;
    meta.transportHeaderSize = 8;
    let values = Values::from_slice(&dv, 0);
    callouts::datagram(
        &mut rig.driver,
        false,
        &values,
        &Metadata::from_ref(&meta),
        108,
    );

    rig.write(Command::GetBandwidthStats);
    let infos = rig.infos();
    assert_eq!(infos.len(), 2, "TCP and UDP");
    let Info::BandwidthStatsV4(tcp) = &infos[0] else {
        panic!()
    };
    assert_eq!(tcp.protocol, 6);
    assert_eq!(
        (tcp.entries[0].transmitted, tcp.entries[0].received),
        (0, 1000)
    );
    let Info::BandwidthStatsV4(udp) = &infos[1] else {
        panic!()
    };
    assert_eq!(udp.protocol, 17);
    assert_eq!(
        (udp.entries[0].transmitted, udp.entries[0].received),
        (100, 0),
        "the UDP header is not payload"
    );
}

// --------------------------------------------------------------------------------------------
// Bounds
// --------------------------------------------------------------------------------------------

#[test]
fn too_many_waiting_requests_get_the_default_verdict_without_holding() {
    let options = Options {
        max_pending_requests: 2,
        ..Options::default()
    };
    let mut rig = Rig::new(options);
    rig.driver.create(CLIENT_FILE, CLIENT_PID);
    assert!(is_absorb(&rig.connect(&tcp_connect(1), APP_PID, &[])));
    assert!(is_absorb(&rig.connect(&tcp_connect(2), APP_PID, &[])));
    assert!(
        is_absorb(&rig.connect(&tcp_connect(3), APP_PID, &[])),
        "Drop by default"
    );
    assert_eq!(rig.holds.len(), 2, "the third was not pended");
    assert_eq!(rig.driver.counters().values[2], 1);
}

#[test]
fn a_full_info_queue_defers_the_default_answer_to_the_timer() {
    let options = Options {
        queue_capacity: 1,
        ..Options::default()
    };
    let mut rig = Rig::new(options);
    rig.driver.create(CLIENT_FILE, CLIENT_PID);
    rig.connect(&tcp_connect(1), APP_PID, &[]);
    assert!(is_absorb(&rig.connect(&tcp_connect(2), APP_PID, &[])));
    assert!(
        rig.released.is_empty(),
        "never answered inside the classify that pended it"
    );
    rig.tick(1);
    assert_eq!(rig.released[&2], vec![Action::Drop]);
    assert_eq!(rig.driver.counters().values[2], 1);
    assert!(is_absorb(&rig.connect(&reauth(2), APP_PID, &[])));
    let id = request_id(&rig.infos()[0]);
    rig.write(Command::Verdict {
        id,
        verdict: Verdict::Accept,
    });
    rig.assert_all_answered_once();
}

#[test]
fn every_held_packet_is_answered_exactly_once_whatever_happens() {
    let options = Options {
        max_packets_per_flow: 2,
        max_pending_requests: 40,
        ..Options::default()
    };
    let mut rig = Rig::new(options);
    rig.driver.create(CLIENT_FILE, CLIENT_PID);
    let mut ids = Vec::new();
    for round in 0u64..300 {
        let port = (round % 37) as u16 + 1;
        let rport = 443 + (round % 11) as u16;
        let tcp = connect_v4(6, LOCAL, port, REMOTE, rport, 0);
        rig.connect(&tcp, APP_PID, &[]);
        if round % 3 == 0 {
            let packet = tcp_packet(LOCAL, port, REMOTE, rport);
            rig.packet(true, &packet);
            rig.packet(true, &packet);
        }
        for info in rig.infos() {
            ids.push(request_id(&info));
        }
        if round % 4 == 0 {
            if let Some(id) = ids.pop() {
                let verdict = Verdict::ALL[(round % 12) as usize];
                rig.write(Command::Verdict { id, verdict });
            }
        }
        if round % 7 == 0 {
            rig.tick(2_500);
        }
        if round == 150 {
            rig.write(Command::ClearCache);
        }
        if round % 50 == 49 {
            let effects = rig.driver.cleanup(CLIENT_FILE, rig.now);
            rig.run(effects);
            rig.driver.create(CLIENT_FILE, CLIENT_PID);
        }
    }
    let effects = rig.driver.unload(rig.now);
    rig.run(effects);
    assert_eq!(rig.driver.pending_requests(), 0);
    assert!(rig.next_packet > 100);
    assert!(rig.holds.iter().filter(|k| **k == HoldKind::Join).count() > 10);
    rig.assert_all_answered_once();
    assert!(rig.ledger.borrow().leaked.is_empty());
}

#[test]
fn a_full_connection_cache_is_logged_at_the_next_clean_up() {
    use zenithfence_protocol::Direction;
    let mut rig = Rig::attached();
    let limit = zenithfence_core::cache::MAX_ENTRIES;
    for i in 0..=limit {
        let key = FlowKey {
            protocol: 17,
            local_ip: IpAddress::V4([10, 0, (i >> 16) as u8, (i >> 8) as u8]),
            local_port: (i & 0xff) as u16 + 1024,
            remote_ip: IpAddress::V4([10, 9, 9, 9]),
            remote_port: 53,
        };
        rig.driver.cache_mut().insert(
            key,
            Verdict::PermanentAccept,
            APP_PID,
            Direction::Outbound,
            rig.now,
        );
    }
    assert!(rig.driver.cached_connections() <= limit);
    rig.driver.clean(rig.now);
    assert_eq!(rig.write(Command::GetLogs), status::SUCCESS);
    let warned = rig.infos().into_iter().any(|info| {
        matches!(info, Info::LogLine(line) if line.severity == 4
            && line.text.contains("connection cache was full"))
    });
    assert!(warned, "the eviction was logged");
}

/// The `i`th of many UDP flows from network 10.`net`.0.0/16 to one resolver (i < 65 536).
fn numbered_udp_flow(net: u8, i: usize) -> FlowKey {
    FlowKey {
        protocol: 17,
        local_ip: IpAddress::V4([10, net, (i >> 8) as u8, i as u8]),
        local_port: 5000,
        remote_ip: IpAddress::V4([10, 9, 9, 9]),
        remote_port: 53,
    }
}

#[test]
fn a_full_cache_is_cleaned_for_new_connections_at_most_once_a_second() {
    use crate::device::{FULL_CACHE_CLEAN_EVERY_MS, MAX_CACHE_ENTRIES};
    use zenithfence_protocol::Direction;
    let mut rig = Rig::attached();
    rig.now = 100_000;
    let key = |i: usize| numbered_udp_flow(1, i);
    for i in 0..MAX_CACHE_ENTRIES {
        rig.driver.cache_mut().insert(
            key(i),
            Verdict::PermanentAccept,
            APP_PID,
            Direction::Outbound,
            rig.now,
        );
    }
    // Full of live connections: the clean-up frees nothing, the default verdict answers.
    assert!(is_absorb(&rig.connect(&tcp_connect(1), APP_PID, &[])));
    assert!(rig.holds.is_empty());
    // Now every entry ended long ago: a clean-up would free them all, but within the second
    // none runs, and the next new connection is answered by default too.
    for i in 0..MAX_CACHE_ENTRIES {
        rig.driver.cache_mut().mark_ended(&key(i), 0);
    }
    rig.now += FULL_CACHE_CLEAN_EVERY_MS - 1;
    assert!(is_absorb(&rig.connect(&tcp_connect(2), APP_PID, &[])));
    assert!(rig.holds.is_empty());
    assert_eq!(
        rig.driver.cached_connections(),
        MAX_CACHE_ENTRIES,
        "not cleaned"
    );
    // A second after the last one, the next new connection cleans the cache and is asked.
    rig.now += 1;
    assert!(is_absorb(&rig.connect(&tcp_connect(3), APP_PID, &[])));
    assert_eq!(rig.holds, vec![HoldKind::Pend], "pended for the app");
    assert_eq!(
        rig.driver.cached_connections(),
        1,
        "only the new one is cached"
    );
    assert_eq!(
        rig.driver.counters().values[2],
        2,
        "two got the default verdict"
    );
}

#[test]
fn the_timer_cleans_the_cache_a_slice_per_tick() {
    use crate::device::CLEAN_SLICE;
    use zenithfence_protocol::Direction;
    let mut rig = Rig::attached();
    let key = |i: usize| numbered_udp_flow(2, i);
    // Connections that ended at time 0, long before any clean-up below.
    let ended = |rig: &mut Rig, count: usize| {
        for i in 0..count {
            let cache = rig.driver.cache_mut();
            cache.insert(
                key(i),
                Verdict::PermanentAccept,
                APP_PID,
                Direction::Outbound,
                0,
            );
            cache.mark_ended(&key(i), 0);
        }
    };
    let count = CLEAN_SLICE * 2 + 10;
    ended(&mut rig, count);
    // The interval is due: each tick removes one slice, never the whole cache at once.
    rig.tick(Options::default().cleanup_interval_ms + 61_000);
    assert_eq!(rig.driver.cached_connections(), count - CLEAN_SLICE);
    rig.tick(250);
    assert_eq!(rig.driver.cached_connections(), 10);
    rig.tick(250);
    assert_eq!(rig.driver.cached_connections(), 0, "the pass is done");
    // The next pass begins a cleanup interval after this one did.
    ended(&mut rig, 3);
    rig.tick(250);
    assert_eq!(rig.driver.cached_connections(), 3, "not due yet");
    rig.tick(Options::default().cleanup_interval_ms);
    assert_eq!(rig.driver.cached_connections(), 0);
}
