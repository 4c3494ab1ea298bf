//! Host tests of the client session over two handles, as the app's Windows transport opens
//! them (`native/src/windows/device-transport.ts`): a writer handle (commands, IOCTLs) and a
//! reader handle (the blocking read), both from the app's process, are one client.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

use zenithfence_core::decision::Action;
use zenithfence_protocol::constants::feature;
use zenithfence_protocol::{Command, Info, Verdict};

use crate::bindings::status;
use crate::config::ioctl;
use crate::device::MAX_CLIENT_HANDLES;
use crate::irp::sim::CancelState;
use crate::tests::{
    is_absorb, is_permit, request_id, tcp_connect, Rig, APP_PID, CLIENT_FILE, CLIENT_PID,
};

/// The writer handle is the rig's usual client file; the reader is a second file object.
const WRITER: usize = CLIENT_FILE;
const READER: usize = 0x5EAD;
/// Another process that tries to open the device.
const OTHER_PID: u64 = 5150;
const OTHER_FILE: usize = 0x0BAD;

/// A client with both handles open, as the transport leaves it after `openWindowsDevice`.
fn two_handles() -> Rig {
    let mut rig = Rig::attached();
    assert_eq!(
        rig.driver.create(READER, CLIENT_PID),
        status::SUCCESS,
        "the reader handle of the same process joins"
    );
    assert_eq!(rig.driver.client_handles(), 2);
    rig
}

fn encoded(command: Command) -> Vec<u8> {
    let mut bytes = Vec::new();
    command.encode(&mut bytes);
    bytes
}

fn cleanup(rig: &mut Rig, file: usize) {
    let effects = rig.driver.cleanup(file, rig.now);
    rig.run(effects);
}

#[test]
fn the_second_handle_of_the_client_process_joins_its_session() {
    let mut rig = Rig::attached();
    // The writer says Hello before the reader is open: joining keeps what is queued.
    let hello = encoded(Command::Hello {
        ext_version: 1,
        features: feature::COUNTERS,
    });
    assert_eq!(rig.write_bytes_on(WRITER, &hello), status::SUCCESS);
    assert_eq!(rig.driver.create(READER, CLIENT_PID), status::SUCCESS);
    let (code, hello_read) = rig.read_on(READER, 1 << 16);
    assert_eq!(code, status::SUCCESS);
    assert!(matches!(rig.decode(hello_read)[..], [Info::HelloReply(_)]));
    // The grant is the session's: GetCounters on the writer is answered on the reader.
    let (code, counters_read) = rig.read_on(READER, 1 << 16);
    assert_eq!(code, status::PENDING);
    assert_eq!(
        rig.write_bytes_on(WRITER, &encoded(Command::GetCounters)),
        status::SUCCESS
    );
    assert!(matches!(rig.decode(counters_read)[..], [Info::Counters(_)]));
    // A held connection is reported on the reader and answered through the writer.
    let (_, asked) = rig.read_on(READER, 1 << 16);
    assert!(is_absorb(&rig.connect(&tcp_connect(1), APP_PID, &[])));
    let id = request_id(&rig.decode(asked)[0]);
    let verdict = encoded(Command::Verdict {
        id,
        verdict: Verdict::Accept,
    });
    assert_eq!(rig.write_bytes_on(WRITER, &verdict), status::SUCCESS);
    assert_eq!(rig.released[&1], vec![Action::Accept]);
    // Still one owner: the app's own connections are not asked about.
    assert!(is_permit(&rig.connect(&tcp_connect(2), CLIENT_PID, &[])));
    // IOCTLs work on either handle of the session.
    let version = rig.driver.ioctl(READER, ioctl::VERSION, &[], 4, rig.now);
    assert_eq!(version.status, status::SUCCESS);
    rig.run(version.effects);
    rig.ledger
        .borrow()
        .assert_each_once(&[hello_read, counters_read, asked]);
    rig.assert_all_answered_once();
}

#[test]
fn an_open_from_another_process_is_refused_and_changes_nothing() {
    let mut rig = two_handles();
    rig.write(Command::Hello {
        ext_version: 1,
        features: feature::COUNTERS,
    });
    rig.connect(&tcp_connect(1), APP_PID, &[]);
    // The HelloReply and the connection info wait in the queue while another process opens.
    assert_eq!(
        rig.driver.create(OTHER_FILE, OTHER_PID),
        status::SHARING_VIOLATION
    );
    assert_eq!(rig.driver.client_handles(), 2);
    assert_eq!(rig.driver.pending_requests(), 1, "nothing answered");
    let (code, read) = rig.read_on(READER, 1 << 16);
    assert_eq!(code, status::SUCCESS);
    let infos = rig.decode(read);
    assert!(
        matches!(infos[..], [Info::HelloReply(_), Info::ConnectionV4(_)]),
        "the queue was not cleared: {infos:?}"
    );
    // The refused process did not become the owner: its connections are asked about.
    assert!(is_absorb(&rig.connect(&tcp_connect(2), OTHER_PID, &[])));
    // I/O from a file object that is not the client's is refused (defence in depth: a refused
    // open never becomes a handle).
    let (code, foreign_read) = rig.read_on(OTHER_FILE, 64);
    assert_eq!(code, status::INVALID_DEVICE_STATE);
    assert_eq!(
        rig.write_bytes_on(OTHER_FILE, &encoded(Command::Shutdown)),
        status::INVALID_DEVICE_STATE
    );
    let shutdown = rig
        .driver
        .ioctl(OTHER_FILE, ioctl::SHUTDOWN, &[], 0, rig.now);
    assert_eq!(shutdown.status, status::INVALID_DEVICE_STATE);
    rig.run(shutdown.effects);
    assert_eq!(rig.driver.pending_requests(), 2, "nothing was shut down");
    rig.ledger.borrow().assert_each_once(&[read, foreign_read]);
    // While the session lasts, even after its stream ended, another process stays out.
    rig.write(Command::Shutdown);
    assert_eq!(
        rig.driver.create(OTHER_FILE, OTHER_PID),
        status::SHARING_VIOLATION
    );
}

#[test]
fn closing_the_reader_handle_keeps_held_packets_while_the_writer_is_open() {
    let mut rig = two_handles();
    assert!(is_absorb(&rig.connect(&tcp_connect(1), APP_PID, &[])));
    let (_, first) = rig.read_on(READER, 1 << 16);
    let id = request_id(&rig.decode(first)[0]);
    // The read loop waits again; the app cancels it (CancelIoEx) and closes the reader.
    let (irp, waiting, cancel) = rig.irp_on(READER, 1 << 16);
    let (code, effects) = rig.driver.read(irp);
    assert_eq!(code, status::PENDING);
    rig.run(effects);
    *cancel.borrow_mut() = CancelState::RoutineTaken;
    let effects = rig.driver.cancel_read(waiting);
    rig.run(effects);
    assert_eq!(rig.ledger.borrow().status_of(waiting), status::CANCELLED);
    cleanup(&mut rig, READER);
    assert!(
        rig.released.is_empty(),
        "nothing answered by the reader's close"
    );
    assert_eq!(rig.driver.pending_requests(), 1);
    assert_eq!(rig.driver.client_handles(), 1);
    // The writer still answers the request, once.
    let verdict = encoded(Command::Verdict {
        id,
        verdict: Verdict::Block,
    });
    assert_eq!(rig.write_bytes_on(WRITER, &verdict), status::SUCCESS);
    assert_eq!(rig.released[&1], vec![Action::Block]);
    // The reader closing with its read still pending (no CancelIoEx first) keeps them too.
    assert_eq!(rig.driver.create(READER, CLIENT_PID), status::SUCCESS);
    rig.infos();
    rig.connect(&tcp_connect(2), APP_PID, &[]);
    rig.infos();
    let (code, pending) = rig.read_on(READER, 64);
    assert_eq!(code, status::PENDING);
    cleanup(&mut rig, READER);
    assert_eq!(rig.ledger.borrow().status_of(pending), status::CANCELLED);
    assert_eq!(rig.driver.pending_requests(), 1, "still held");
    assert!(!rig.released.contains_key(&2));
    rig.ledger
        .borrow()
        .assert_each_once(&[first, waiting, pending]);
}

#[test]
fn the_client_leaves_when_its_last_handle_closes() {
    let mut rig = two_handles();
    rig.connect(&tcp_connect(1), APP_PID, &[]);
    rig.infos();
    let (code, waiting) = rig.read_on(READER, 64);
    assert_eq!(code, status::PENDING);
    // The writer closes first: the session and the reader's read go on.
    cleanup(&mut rig, WRITER);
    assert!(rig.released.is_empty());
    assert!(!rig.ledger.borrow().completions.contains_key(&waiting));
    assert_eq!(
        rig.driver.create(OTHER_FILE, OTHER_PID),
        status::SHARING_VIOLATION,
        "still attached"
    );
    // The last handle closes: its read is cancelled and the held packet gets the detached
    // verdict (Accept by default).
    cleanup(&mut rig, READER);
    assert_eq!(rig.ledger.borrow().status_of(waiting), status::CANCELLED);
    assert_eq!(rig.released[&1], vec![Action::Accept]);
    assert_eq!(rig.driver.client_handles(), 0);
    assert_eq!(
        rig.driver.create(OTHER_FILE, OTHER_PID),
        status::SUCCESS,
        "another process may attach now"
    );
    rig.assert_all_answered_once();
    rig.ledger.borrow().assert_each_once(&[waiting]);
}

#[test]
fn closing_one_handle_completes_only_that_handles_reads() {
    let mut rig = two_handles();
    let (code, on_reader) = rig.read_on(READER, 1 << 16);
    assert_eq!(code, status::PENDING);
    let (code, on_writer) = rig.read_on(WRITER, 1 << 16);
    assert_eq!(code, status::PENDING);
    cleanup(&mut rig, READER);
    assert_eq!(rig.ledger.borrow().status_of(on_reader), status::CANCELLED);
    assert!(
        !rig.ledger.borrow().completions.contains_key(&on_writer),
        "the other handle's read is not touched"
    );
    // It still gets the next info.
    rig.connect(&tcp_connect(1), APP_PID, &[]);
    assert_eq!(rig.ledger.borrow().status_of(on_writer), status::SUCCESS);
    assert!(matches!(rig.decode(on_writer)[..], [Info::ConnectionV4(_)]));
    cleanup(&mut rig, WRITER);
    rig.ledger
        .borrow()
        .assert_each_once(&[on_reader, on_writer]);
    rig.assert_all_answered_once();
}

#[test]
fn a_refused_handshake_refuses_every_handle_of_the_session() {
    let mut rig = two_handles();
    let (code, waiting) = rig.read_on(READER, 64);
    assert_eq!(code, status::PENDING);
    let result = rig
        .driver
        .ioctl(WRITER, ioctl::HANDSHAKE, &[3, 0, 0, 0], 4, rig.now);
    assert_eq!(result.status, status::REVISION_MISMATCH);
    rig.run(result.effects);
    assert_eq!(
        rig.ledger.borrow().status_of(waiting),
        status::REVISION_MISMATCH,
        "the reader's pending read ends too"
    );
    let (code, again) = rig.read_on(READER, 64);
    assert_eq!(code, status::REVISION_MISMATCH);
    rig.ledger.borrow().assert_each_once(&[waiting, again]);
}

#[test]
fn shutdown_ends_both_handles_and_a_fresh_session_starts_after_both_close() {
    let mut rig = two_handles();
    rig.connect(&tcp_connect(1), APP_PID, &[]);
    rig.infos();
    let (_, waiting) = rig.read_on(READER, 64);
    assert_eq!(rig.write(Command::Shutdown), status::SUCCESS);
    assert_eq!(rig.ledger.borrow().status_of(waiting), status::END_OF_FILE);
    assert_eq!(rig.released[&1], vec![Action::Accept]);
    // A handle opened while the ended session lasts joins it: its reads end too.
    assert_eq!(rig.driver.create(0x3333, CLIENT_PID), status::SUCCESS);
    let (code, ended) = rig.read_on(0x3333, 64);
    assert_eq!(code, status::END_OF_FILE);
    for file in [WRITER, READER, 0x3333] {
        cleanup(&mut rig, file);
    }
    // Both handles again: a fresh session that asks.
    assert_eq!(rig.driver.create(0x4444, CLIENT_PID), status::SUCCESS);
    assert_eq!(rig.driver.create(0x5555, CLIENT_PID), status::SUCCESS);
    assert!(is_absorb(&rig.connect(&tcp_connect(2), APP_PID, &[])));
    let (code, fresh) = rig.read_on(0x5555, 1 << 16);
    assert_eq!(code, status::SUCCESS);
    assert!(matches!(rig.decode(fresh)[..], [Info::ConnectionV4(_)]));
    rig.ledger
        .borrow()
        .assert_each_once(&[waiting, ended, fresh]);
}

#[test]
fn one_process_holds_a_bounded_number_of_handles() {
    let mut rig = Rig::attached();
    for file in 1..MAX_CLIENT_HANDLES {
        assert_eq!(rig.driver.create(0x100 + file, CLIENT_PID), status::SUCCESS);
    }
    assert_eq!(rig.driver.client_handles(), MAX_CLIENT_HANDLES);
    assert_eq!(
        rig.driver.create(0x999, CLIENT_PID),
        status::TOO_MANY_OPENED_FILES
    );
    cleanup(&mut rig, 0x101);
    assert_eq!(rig.driver.create(0x999, CLIENT_PID), status::SUCCESS);
    assert_eq!(rig.driver.client_handles(), MAX_CLIENT_HANDLES);
}
