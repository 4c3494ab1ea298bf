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
use zenithfence_protocol::policy::PolicyDocument;
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

#[test]
fn committed_rust_policy_matches_what_the_encoder_writes_now() {
    let bytes = committed("rust_policy.bin");
    assert!(
        bytes == fixtures::rust_policy().encode(),
        "testdata/rust_policy.bin is stale: run `npm run protocol:regen` and commit the result"
    );
    assert_eq!(PolicyDocument::decode(&bytes), Ok(fixtures::rust_policy()));
}

#[test]
fn the_typescript_policy_decodes_and_reencodes_to_the_same_bytes() {
    let bytes = committed("ts_policy.bin");
    let document = PolicyDocument::decode(&bytes).expect("the TypeScript policy decodes");
    assert_eq!(document, fixtures::ts_policy());
    assert_eq!(document.encode(), bytes);
}

#[test]
fn committed_rust_policy_with_lists_matches_what_the_encoder_writes_now() {
    let bytes = committed("rust_policy_lists.bin");
    assert!(
        bytes == fixtures::rust_policy_lists().encode(),
        "testdata/rust_policy_lists.bin is stale: run `npm run protocol:regen` and commit the result"
    );
    assert_eq!(
        PolicyDocument::decode(&bytes),
        Ok(fixtures::rust_policy_lists())
    );
}

#[test]
fn the_typescript_policy_with_lists_decodes_and_reencodes_to_the_same_bytes() {
    let bytes = committed("ts_policy_lists.bin");
    let document = PolicyDocument::decode(&bytes).expect("the TypeScript policy decodes");
    assert_eq!(document, fixtures::ts_policy_lists());
    assert_eq!(document.encode(), bytes);
}
