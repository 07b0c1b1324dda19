//! All corpus CloudTrail records, flow log lines, S3 access and load
//! balancer log lines, replayed as log objects into a real `osmem-server`
//! with the index templates the forwarder installs: zero rejected
//! documents, addresses mapped as `ip` (CIDR `term` queries work), times as
//! dates (range queries work), CloudTrail's polymorphic subtrees as one
//! `flat_object` field each.

mod support;

use std::net::IpAddr;

use logs_forwarder::config::Settings;
use logs_forwarder::input;
use serde_json::{json, Value};
use support::{path_str, replay, Osmem};

const NONE_AUTH: (&str, &str) = ("ES_AUTH", "none");

/// Our own documents for the same files (dry run), to count what the
/// cluster must find.
fn documents(dir: &str) -> Vec<Value> {
    let settings = Settings::from_lookup(|_| None).expect("defaults");
    let mut docs = Vec::new();
    let mut stack = vec![support::corpus().join(dir)];
    while let Some(path) = stack.pop() {
        if path.is_dir() {
            for entry in std::fs::read_dir(&path).expect("dir") {
                stack.push(entry.expect("entry").path());
            }
            continue;
        }
        let units = input::from_file(&path).expect("readable");
        docs.extend(support::encode_units(&settings, units).docs().cloned());
    }
    docs
}

fn in_cidr(addr: &str, net: IpAddr, bits: u32) -> bool {
    match (addr.parse::<IpAddr>(), net) {
        (Ok(IpAddr::V4(a)), IpAddr::V4(n)) => {
            let mask = u32::MAX.checked_shl(32 - bits).unwrap_or(0);
            u32::from(a) & mask == u32::from(n) & mask
        }
        _ => false,
    }
}

#[test]
fn the_whole_corpus_indexes_with_templates_and_nothing_rejected() {
    let osmem = Osmem::start();
    let dirs = ["cloudtrail", "vpcflow", "s3access", "alb"];
    let paths: Vec<String> = dirs
        .iter()
        .map(|d| path_str(&support::corpus().join(d)))
        .collect();
    let mut args = vec!["--endpoint", osmem.url.as_str()];
    args.extend(paths.iter().map(String::as_str));
    let run = replay(&args, &[NONE_AUTH]);
    let s = &run.summary;
    assert!(run.success, "{}", run.stderr);
    assert_eq!(s["failed"], 0, "{s}");
    assert_eq!(s["dead_lettered"], 0, "{s}");
    let events = s["events"].as_u64().expect("events");
    assert_eq!(
        s["indexed"].as_u64().expect("indexed") + s["duplicates"].as_u64().expect("dups"),
        events,
        "every record indexed: {s}"
    );
    // 9 CloudTrail files, 540 single records, 100+ flow lines, ...
    assert!(events > 700, "{s}");
    // Only the invalid/ records are malformed: the flow line with too few
    // fields and an access log line (a flow line with one value too many
    // keeps it in extra_fields). (The ALB line with an unknown type is not
    // recognisable as ELB by its content; it arrives as text.)
    assert_eq!(s["malformed"], 2, "{s}");

    // Templates were applied before the first document.
    let mapping = osmem.get("/vpc-flowlogs-*/_mapping");
    for (index, body) in mapping.as_object().expect("indices") {
        let props = &body["mappings"]["properties"];
        assert_eq!(props["srcaddr"]["type"], "ip", "{index}");
        assert_eq!(props["dstport"]["type"], "long", "{index}");
        assert_eq!(props["start"]["type"], "date", "{index}");
    }
    let mapping = osmem.get("/cloudtrail-*/_mapping");
    for (index, body) in mapping.as_object().expect("indices") {
        let props = &body["mappings"]["properties"];
        assert_eq!(props["requestParameters"]["type"], "flat_object", "{index}");
        assert_eq!(props["apiVersion"]["type"], "keyword", "{index}");
    }

    // CIDR term queries on addresses.
    let flows = documents("vpcflow");
    for (cidr, net, bits) in [
        ("10.0.0.0/8", IpAddr::from([10, 0, 0, 0]), 8),
        ("172.31.0.0/16", IpAddr::from([172, 31, 0, 0]), 16),
        ("192.0.2.0/24", IpAddr::from([192, 0, 2, 0]), 24),
    ] {
        let expected = flows
            .iter()
            .filter(|d| d["srcaddr"].as_str().is_some_and(|a| in_cidr(a, net, bits)))
            .count() as u64;
        let found = osmem.count("vpc-flowlogs-*", json!({"term": {"srcaddr": cidr}}));
        assert_eq!(found, expected, "srcaddr in {cidr}");
        if bits == 8 {
            assert!(expected > 10, "the corpus has 10/8 sources");
        }
    }

    // Range queries on @timestamp, across sources.
    for (dir, index) in [("s3access", "s3-access-*"), ("alb", "elb-access-*")] {
        let docs = documents(dir);
        let in_2019 = docs
            .iter()
            .filter(|d| {
                d["@timestamp"]
                    .as_str()
                    .is_some_and(|t| t.starts_with("2019-") && d.get("@error").is_none())
            })
            .count() as u64;
        let found = osmem.count(
            index,
            json!({"range": {"@timestamp": {"gte": "2019-01-01T00:00:00Z", "lt": "2020-01-01T00:00:00Z"}}}),
        );
        assert_eq!(found, in_2019, "{index} in 2019");
        assert!(in_2019 > 0, "{dir} has 2019 records");
    }

    // A second replay of the same objects adds nothing.
    let again = replay(&args, &[NONE_AUTH]);
    assert!(again.success, "{}", again.stderr);
    assert_eq!(again.summary["indexed"], 0, "{}", again.summary);
    assert_eq!(again.summary["duplicates"].as_u64(), Some(events));
}
