//! The engine with believed DNS answers: DnsName infos as before, then one DnsExchange for a
//! client granted DNS_LOG, after a Process info for its pid (once per process, none for pid 0),
//! for answers without addresses too; nothing of it for other clients.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

use zenithfence_core::dns::{DnsQuestion, DnsRecord};
use zenithfence_core::dns_queries::Endpoint;
use zenithfence_protocol::DnsExchange;

use super::tests::{fixture, process, Fixture};
use super::*;

const LOCAL: Endpoint = Endpoint {
    ip: IpAddress::V4([10, 0, 0, 1]),
    port: 40_000,
};
const RESOLVER: Endpoint = Endpoint {
    ip: IpAddress::V4([10, 0, 0, 53]),
    port: 53,
};

/// An answer for `name` (A) with `addresses`, each with a TTL of 300 then 60, 61, ...
fn answer(name: &str, rcode: u8, addresses: &[[u8; 4]]) -> AnsweredQuery {
    AnsweredQuery {
        local: LOCAL,
        resolver: RESOLVER,
        question: DnsQuestion {
            name: name.into(),
            qtype: 1,
            qclass: 1,
        },
        rcode,
        records: addresses
            .iter()
            .zip([300, 60, 61, 62])
            .map(|(&a, ttl_s)| DnsRecord {
                name: name.into(),
                address: IpAddress::V4(a),
                ttl_s,
            })
            .collect(),
    }
}

/// A connected client that said Hello with `features`; the HelloReply (and PolicyState) read.
fn client(features: u32) -> Fixture {
    let mut f = fixture(64, false);
    f.engine.attach();
    f.engine.hello(1, features);
    f.infos();
    f
}

fn exchanges(infos: &[Info]) -> Vec<&DnsExchange> {
    infos
        .iter()
        .filter_map(|i| match i {
            Info::DnsExchange(e) => Some(e),
            _ => None,
        })
        .collect()
}

#[test]
fn names_come_first_then_the_process_then_the_exchange() {
    let mut f = client(feature::PROCESS | feature::DNS | feature::DNS_LOG);
    let found = answer("www.example", 0, &[[192, 0, 2, 1], [192, 0, 2, 2]]);
    f.engine.dns_answer(found, Some(process(42, 7)), 0);
    let infos = f.infos();
    let kinds: Vec<u8> = infos.iter().map(Info::info_type).collect();
    assert_eq!(kinds, vec![130, 130, 129, 136]);
    let Info::Process(p) = &infos[2] else {
        panic!()
    };
    assert_eq!(p.process_id, 42);
    let e = exchanges(&infos)[0];
    assert_eq!(
        (e.process_id, e.name.as_str(), e.rcode, e.ttl_s),
        (42, "www.example", 0, 60)
    );
    assert_eq!(e.v4_addresses, vec![[192, 0, 2, 1], [192, 0, 2, 2]]);
    assert_eq!(
        (e.local_port, e.resolver_port, e.ip_version),
        (40_000, 53, 4)
    );
    assert_eq!(&e.resolver_ip[..4], &[10, 0, 0, 53]);

    // The same process again: described once. An answer without addresses is logged too.
    f.engine
        .dns_answer(answer("nope.example", 3, &[]), Some(process(42, 7)), 1);
    let infos = f.infos();
    assert_eq!(infos.len(), 1, "{infos:?}");
    let e = exchanges(&infos)[0];
    assert_eq!(
        (e.process_id, e.rcode, e.ttl_s, e.v4_addresses.len()),
        (42, 3, 0, 0)
    );
}

#[test]
fn an_unknown_asker_is_pid_0_without_a_process_info() {
    let mut f = client(feature::ALL);
    let unknown = Attribution {
        pid: 0,
        cookie: None,
        connected: false,
        interface: 0,
        process: process(0, 0).process,
    };
    f.engine
        .dns_answer(answer("a.example", 0, &[[192, 0, 2, 1]]), Some(unknown), 0);
    // Granted while the caller did not look the asker up: pid 0 too.
    f.engine
        .dns_answer(answer("b.example", 0, &[[192, 0, 2, 2]]), None, 0);
    let infos = f.infos();
    let kinds: Vec<u8> = infos.iter().map(Info::info_type).collect();
    assert_eq!(kinds, vec![130, 136, 130, 136]);
    assert!(exchanges(&infos).iter().all(|e| e.process_id == 0));
}

#[test]
fn without_process_the_exchange_comes_alone() {
    let mut f = client(feature::DNS_LOG);
    f.engine.dns_answer(
        answer("a.example", 0, &[[192, 0, 2, 1]]),
        Some(process(42, 7)),
        0,
    );
    let infos = f.infos();
    assert!(
        matches!(infos.as_slice(), [Info::DnsExchange(e)] if e.process_id == 42),
        "{infos:?}"
    );
}

#[test]
fn a_client_without_dns_log_gets_no_exchange() {
    let mut f = client(feature::PROCESS | feature::DNS | feature::COUNTERS | feature::POLICY);
    f.engine.dns_answer(
        answer("a.example", 0, &[[192, 0, 2, 1]]),
        Some(process(42, 7)),
        0,
    );
    f.engine
        .dns_answer(answer("nope.example", 3, &[]), Some(process(42, 7)), 0);
    assert!(
        matches!(f.infos().as_slice(), [Info::DnsNameV4(d)] if d.name == "a.example"),
        "the name as before, nothing else"
    );
    // --base-only grants nothing, DNS_LOG neither.
    let mut f = fixture(64, true);
    f.engine.attach();
    f.engine.hello(1, feature::ALL);
    let Info::HelloReply(reply) = &f.infos()[0] else {
        panic!()
    };
    assert_eq!(reply.features, 0);
    f.engine
        .dns_answer(answer("a.example", 0, &[[192, 0, 2, 1]]), None, 0);
    assert!(f.infos().is_empty());
}

#[test]
fn the_names_are_kept_for_rules_whatever_the_client_asked() {
    let mut f = fixture(64, false);
    f.engine
        .dns_answer(answer("a.example", 0, &[[192, 0, 2, 1]]), None, 0);
    assert!(f.infos().is_empty(), "no client, no infos");
    let mut names = Vec::new();
    f.engine
        .names
        .names_of(&IpAddress::V4([192, 0, 2, 1]), 1, &mut names);
    assert_eq!(names, vec!["a.example".to_string()]);
}
