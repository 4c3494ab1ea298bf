//! The cross-language golden files of our own: Rust writes the infos the TypeScript codec reads,
//! TypeScript writes the commands this crate reads. `npm run protocol:regen` rewrites both.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod support;

use support::fixtures;
use zenithfence_protocol::{Command, InfoReader};

fn committed(name: &str) -> Vec<u8> {
    let path = fixtures::testdata_dir().join(name);
    std::fs::read(&path).unwrap_or_else(|err| {
        panic!(
            "{} is missing ({err}); it is committed: run `npm run protocol:regen`",
            path.display()
        )
    })
}

#[test]
fn committed_rust_infos_match_what_the_encoder_writes_now() {
    assert!(
        committed("rust_infos.bin") == fixtures::rust_infos_bytes(),
        "testdata/rust_infos.bin is stale: run `npm run protocol:regen` and commit the result"
    );
}

#[test]
fn rust_infos_decode_back_to_the_fixtures() {
    let mut reader = InfoReader::new();
    let mut items = Vec::new();
    reader.push(&committed("rust_infos.bin"), &mut items);
    let infos: Vec<_> = items.into_iter().map(Result::unwrap).collect();
    assert_eq!(infos, fixtures::rust_infos());
}

#[test]
fn typescript_commands_decode_to_the_fixtures() {
    let bytes = committed("ts_commands.bin");
    let commands: Vec<Command> = Command::split_stream(&bytes)
        .map(|c| c.expect("every TypeScript command decodes"))
        .collect();
    assert_eq!(commands, fixtures::ts_commands());
    let mut reencoded = Vec::new();
    commands.iter().for_each(|c| c.encode(&mut reencoded));
    assert_eq!(reencoded, bytes);
}
