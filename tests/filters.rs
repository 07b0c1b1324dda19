//! Route filters and enrichment on every input path: CloudWatch Logs
//! payloads and log objects (the S3 object reader, fed by `replay` from
//! files), run through `logs-forwarder replay` (the Lambda code path).
//! Each case checks the documents written and that the summary adds up:
//! `events = encoded + filtered` in a dry run.
//!
//! GeoIP runs against small MaxMind DB files that the test writes itself
//! (`tests/support/geoip_db.py`, mmdb-writer from PyPI), and its
//! `geo_point` mapping against osmem.

mod support;

use std::path::{Path, PathBuf};

use serde_json::{json, Value};
use support::{cloudwatch_event, path_str, python_json, replay, temp_dir, Osmem};

/// VPC flow log lines (v2 default format), one per kind of flow.
const FLOWS: [&str; 5] = [
    // Private to private, accepted: the noise most users drop.
    "2 123456789012 eni-0a1 10.0.0.1 10.0.0.2 443 49152 6 10 840 1700000000 1700000060 ACCEPT OK",
    // From the internet, rejected.
    "2 123456789012 eni-0a1 81.2.69.160 10.0.0.2 51000 22 6 3 180 1700000000 1700000060 REJECT OK",
    // To the internet, accepted.
    "2 123456789012 eni-0a1 10.0.0.3 8.8.8.8 40000 53 17 1 70 1700000000 1700000060 ACCEPT OK",
    // IPv6 from the internet, accepted.
    "2 123456789012 eni-0a1 2a02:26f0::9 10.0.0.2 1234 443 6 5 500 1700000000 1700000060 ACCEPT OK",
    // No data: no addresses at all.
    "2 123456789012 eni-0a1 - - - - - - - 1700000000 1700000060 - NODATA",
];

const HEADER: &str =
    "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status";

/// The same payload as a Kinesis record (cross-account subscriptions).
fn kinesis_event(dir: &Path, log_group: &str, messages: &[&str]) -> PathBuf {
    let awslogs: Value = serde_json::from_slice(
        &std::fs::read(cloudwatch_event(dir, log_group, messages)).expect("event"),
    )
    .expect("JSON");
    let record = json!({"eventSource": "aws:kinesis", "eventID": "shardId-000:1",
        "kinesis": {"sequenceNumber": "1", "partitionKey": "p", "data": awslogs["awslogs"]["data"]}});
    let path = dir.join(format!("kinesis-{}.json", fastrand::u32(..)));
    std::fs::write(&path, json!({"Records": [record]}).to_string()).expect("event written");
    path
}

/// A flow log object, as VPC writes it to S3 (a header line, then records).
fn flow_object(dir: &Path) -> PathBuf {
    let path = dir.join("flows.log");
    let text = std::iter::once(HEADER)
        .chain(FLOWS)
        .collect::<Vec<_>>()
        .join("\n");
    std::fs::write(&path, text + "\n").expect("object written");
    path
}

/// The documents of a dry run's NDJSON (every second line).
fn documents(ndjson: &[u8]) -> Vec<Value> {
    ndjson
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .skip(1)
        .step_by(2)
        .map(|l| serde_json::from_slice(l).expect("a document"))
        .collect()
}

struct Case {
    name: &'static str,
    /// The route's rule keys (the selector is added per input).
    rules: Value,
    /// Which of FLOWS are indexed.
    kept: &'static [usize],
    check: fn(&Value),
}

fn nothing(_: &Value) {}

fn cases() -> Vec<Case> {
    vec![
        Case {
            name: "equals on a keyword",
            rules: json!({"drop_if": [{"field": "action", "equals": "ACCEPT"}]}),
            kept: &[1, 4],
            check: nothing,
        },
        Case {
            name: "in on a number",
            rules: json!({"keep_if": [{"field": "dstport", "in": [22, 53]}]}),
            kept: &[1, 2],
            check: nothing,
        },
        Case {
            name: "prefix on an id",
            rules: json!({"drop_if": [{"field": "interface_id", "prefix": "eni-0a"}]}),
            kept: &[],
            check: nothing,
        },
        Case {
            name: "cidr, IPv4 and IPv6",
            rules: json!({"keep_if": [{"field": "srcaddr", "cidr": ["81.2.69.0/24", "2a02:26f0::/32"]}]}),
            kept: &[1, 3],
            check: nothing,
        },
        Case {
            name: "exists",
            rules: json!({"drop_if": [{"field": "srcaddr", "exists": false}]}),
            kept: &[0, 1, 2, 3],
            check: nothing,
        },
        Case {
            name: "all: accepted between private hosts",
            rules: json!({"drop_if": [{"all": [
                {"field": "action", "equals": "ACCEPT"},
                {"field": "srcaddr", "cidr": "10.0.0.0/8"},
                {"field": "dstaddr", "cidr": ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"]}]}]}),
            kept: &[1, 2, 3, 4],
            check: nothing,
        },
        Case {
            name: "not",
            rules: json!({"drop_if": [{"not": {"field": "log_status", "equals": "OK"}}]}),
            kept: &[0, 1, 2, 3],
            check: nothing,
        },
        Case {
            name: "drop_fields and add_fields",
            rules: json!({"drop_fields": ["account_id", "interface_id"],
                          "add_fields": {"environment": "prod", "action": "not this", "team": {"name": "net"}}}),
            kept: &[0, 1, 2, 3, 4],
            check: |doc| {
                assert!(
                    doc.get("account_id").is_none() && doc.get("interface_id").is_none(),
                    "{doc}"
                );
                assert_eq!(doc["environment"], "prod");
                assert_eq!(doc["team"]["name"], "net");
                // A parsed field is never overwritten; NODATA records have no action.
                let nodata = doc["log_status"] == "NODATA";
                assert_eq!(doc["action"] == "not this", nodata, "{doc}");
                assert!(doc["@timestamp"].is_string());
            },
        },
    ]
}

fn check_run(case: &Case, run: &support::Replay, what: &str) {
    assert!(run.success, "{}: {what}: {}", case.name, run.stderr);
    let s = &run.summary;
    let docs = documents(&run.stdout);
    assert_eq!(s["events"], 5, "{}: {what}: {s}", case.name);
    assert_eq!(s["encoded"], case.kept.len(), "{}: {what}: {s}", case.name);
    assert_eq!(
        s["filtered"],
        5 - case.kept.len(),
        "{}: {what}: {s}",
        case.name
    );
    assert_eq!(docs.len(), case.kept.len(), "{}: {what}", case.name);
    // The documents kept are exactly the flows expected, in order.
    let starts: Vec<String> = docs
        .iter()
        .map(|d| format!("{} {}", d["srcaddr"], d["log_status"]))
        .collect();
    let expected: Vec<String> = case
        .kept
        .iter()
        .map(|&i| {
            let f: Vec<&str> = FLOWS[i].split(' ').collect();
            let src = if f[3] == "-" {
                "null".to_owned()
            } else {
                format!("\"{}\"", f[3])
            };
            format!("{src} \"{}\"", f[13])
        })
        .collect();
    assert_eq!(starts, expected, "{}: {what}", case.name);
    for doc in &docs {
        (case.check)(doc);
    }
}

#[test]
fn filters_on_cloudwatch_payloads() {
    let dir = temp_dir("filters");
    let event = cloudwatch_event(&dir, "/vpc/flows", &FLOWS);
    for case in cases() {
        let mut route = case.rules.clone();
        route["log_group"] = json!("/vpc/*");
        let routes = json!([route]).to_string();
        let run = replay(&["--out", "-", &path_str(&event)], &[("ROUTES", &routes)]);
        check_run(&case, &run, "CloudWatch Logs");
    }
}

#[test]
fn filters_on_kinesis_records() {
    let dir = temp_dir("filters");
    let event = kinesis_event(&dir, "/vpc/flows", &FLOWS);
    for case in cases() {
        let mut route = case.rules.clone();
        route["log_group"] = json!("/vpc/*");
        let routes = json!([route]).to_string();
        let run = replay(&["--out", "-", &path_str(&event)], &[("ROUTES", &routes)]);
        check_run(&case, &run, "Kinesis");
    }
}

#[test]
fn filters_on_log_objects() {
    let dir = temp_dir("filters");
    let object = flow_object(&dir);
    for case in cases() {
        let mut route = case.rules.clone();
        route["bucket"] = json!("*");
        let routes = json!([route]).to_string();
        let run = replay(&["--out", "-", &path_str(&object)], &[("ROUTES", &routes)]);
        check_run(&case, &run, "log object");
    }
}

#[test]
fn nested_cloudtrail_fields_and_other_routes_untouched() {
    let dir = temp_dir("filters");
    let record = |event_id: &str, read_only: bool, arn: &str| {
        json!({"eventVersion": "1.08", "eventSource": "ec2.amazonaws.com", "eventName": "DescribeInstances",
            "eventTime": "2024-01-01T00:00:00Z", "eventID": event_id, "readOnly": read_only,
            "userIdentity": {"type": "AssumedRole", "arn": arn}, "awsRegion": "eu-west-1"})
        .to_string()
    };
    let monitoring = "arn:aws:sts::123456789012:assumed-role/monitoring/session";
    let records = [
        record("e1", true, monitoring),
        record("e2", false, monitoring),
        record(
            "e3",
            true,
            "arn:aws:sts::123456789012:assumed-role/admin/alice",
        ),
    ];
    let messages: Vec<&str> = records.iter().map(String::as_str).collect();
    let trail = cloudwatch_event(&dir, "/trail", &messages);
    let other = cloudwatch_event(&dir, "/vpc/flows", &FLOWS);
    let routes = json!([
        {"log_group": "/trail", "drop_if": [{"all": [
            {"field": "readOnly", "equals": true},
            {"field": "userIdentity.arn", "prefix": "arn:aws:sts::123456789012:assumed-role/monitoring/"}]}],
         "drop_fields": ["userIdentity.arn"]},
        {"log_group": "*"}
    ])
    .to_string();
    let run = replay(
        &["--out", "-", &path_str(&trail), &path_str(&other)],
        &[("ROUTES", &routes)],
    );
    assert!(run.success, "{}", run.stderr);
    assert_eq!(run.summary["events"], 8, "{}", run.summary);
    assert_eq!(run.summary["filtered"], 1, "{}", run.summary);
    assert_eq!(run.summary["encoded"], 7, "{}", run.summary);
    let docs = documents(&run.stdout);
    let ids: Vec<&str> = docs.iter().filter_map(|d| d["eventID"].as_str()).collect();
    assert_eq!(ids, ["e2", "e3"]);
    for d in docs.iter().filter(|d| d.get("eventID").is_some()) {
        assert_eq!(
            d["userIdentity"],
            json!({"type": "AssumedRole"}),
            "nested field dropped"
        );
    }
    // The flows matched the catch-all route, which has no rules.
    assert_eq!(
        docs.iter().filter(|d| d.get("srcaddr").is_some()).count(),
        4
    );
}

#[test]
fn bad_rules_fail_at_start_naming_the_route() {
    let dir = temp_dir("filters");
    let event = cloudwatch_event(&dir, "/vpc/flows", &FLOWS[..1]);
    for (routes, expect) in [
        (
            json!([{"log_group": "*", "drop_if": [{"field": "a", "like": "b"}]}]),
            "route 0: drop_if: unknown operator",
        ),
        (
            json!([{"log_group": "*"}, {"log_group": "x", "keep_if": [{"field": "srcaddr", "cidr": "10.0.0.0/40"}]}]),
            "route 1: keep_if: cidr",
        ),
        (
            json!([{"log_group": "*", "geoip": ["srcaddr"]}]),
            "route 0: geoip needs GEOIP_DB",
        ),
        (
            json!([{"log_group": "*", "drop_fields": "srcaddr"}]),
            "invalid type",
        ),
    ] {
        let (ok, stdout, stderr) = refused(&event, &[("ROUTES", &routes.to_string())]);
        assert!(!ok, "{routes}");
        assert!(stdout.is_empty());
        assert!(stderr.contains(expect), "{routes}: {stderr}");
    }
    let (ok, _, stderr) = refused(&event, &[("GEOIP_DB", "/nonexistent/GeoLite2-City.mmdb")]);
    assert!(!ok);
    assert!(
        stderr.contains("GEOIP_DB /nonexistent/GeoLite2-City.mmdb"),
        "{stderr}"
    );
}

/// A replay whose settings are refused: no summary, only the reason.
fn refused(input: &Path, env: &[(&str, &str)]) -> (bool, Vec<u8>, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_logs-forwarder"))
        .args(["replay", "--out", "-"])
        .arg(input)
        .env_remove("ROUTES")
        .env_remove("GEOIP_DB")
        .envs(env.iter().copied())
        .output()
        .expect("logs-forwarder runs");
    (
        out.status.success(),
        out.stdout,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn geoip_databases(dir: &Path) -> String {
    let paths = python_json("geoip_db.py", &json!({"dir": dir}));
    format!(
        "{},{}",
        paths["city"].as_str().expect("city"),
        paths["asn"].as_str().expect("asn")
    )
}

#[test]
fn geoip_enriches_public_addresses_only() {
    let dir = temp_dir("filters");
    let db = geoip_databases(&dir);
    let routes =
        json!([{"log_group": "*", "bucket": "*", "geoip": ["srcaddr", "dstaddr"]}]).to_string();
    for input in [
        cloudwatch_event(&dir, "/vpc/flows", &FLOWS),
        flow_object(&dir),
    ] {
        let run = replay(
            &["--out", "-", &path_str(&input)],
            &[("ROUTES", &routes), ("GEOIP_DB", &db)],
        );
        assert!(run.success, "{}", run.stderr);
        let docs = documents(&run.stdout);
        assert_eq!(docs.len(), 5);
        // 81.2.69.160: country, city, location and network owner, from two files.
        assert_eq!(
            docs[1]["srcaddr_geo"],
            json!({"country_iso_code": "GB", "country_name": "United Kingdom", "city_name": "London",
                   "location": {"lat": 51.5142, "lon": -0.0931}, "asn": 20712,
                   "as_org": "Andrews & Arnold Ltd"})
        );
        // IPv6, City database only.
        assert_eq!(docs[3]["srcaddr_geo"]["country_iso_code"], "DE");
        assert!(docs[3]["srcaddr_geo"].get("asn").is_none());
        // Private addresses (10.0.0.0/8 is even in the file), an address the
        // databases do not know (8.8.8.8), and no address at all: nothing.
        for (i, doc) in docs.iter().enumerate() {
            if i != 1 && i != 3 {
                assert!(doc.get("srcaddr_geo").is_none(), "{doc}");
            }
            assert!(doc.get("dstaddr_geo").is_none(), "{doc}");
        }
    }
}

#[test]
fn geoip_locations_are_geo_points_in_the_cluster_and_the_summary_adds_up() {
    let dir = temp_dir("filters");
    let db = geoip_databases(&dir);
    let osmem = Osmem::start();
    let routes =
        json!([{"log_group": "*", "index": "flows-geo", "format": "vpc_flow", "geoip": ["srcaddr"],
                "drop_if": [{"field": "log_status", "equals": "NODATA"}]}])
        .to_string();
    let event = cloudwatch_event(&dir, "/vpc/flows", &FLOWS);
    let run = replay(
        &["--endpoint", &osmem.url, &path_str(&event)],
        &[("ROUTES", &routes), ("GEOIP_DB", &db), ("ES_AUTH", "none")],
    );
    assert!(run.success, "{}", run.stderr);
    let s = &run.summary;
    assert_eq!(
        (s["indexed"].as_u64(), s["filtered"].as_u64()),
        (Some(4), Some(1)),
        "{s}"
    );
    let sum: u64 = [
        "indexed",
        "duplicates",
        "filtered",
        "failed",
        "dead_lettered",
    ]
    .iter()
    .map(|k| s[k].as_u64().expect(k))
    .sum();
    assert_eq!(s["events"].as_u64(), Some(sum), "{s}");
    assert_eq!(osmem.count("flows-geo-*", json!({"match_all": {}})), 4);
    let mapping = osmem.get("/flows-geo-*/_mapping");
    let index = mapping
        .as_object()
        .and_then(|m| m.values().next())
        .expect("the index exists");
    let geo = &index["mappings"]["properties"]["srcaddr_geo"]["properties"];
    assert_eq!(geo["location"]["type"], "geo_point", "{mapping:#}");
    let hits = osmem.sources(
        "flows-geo-*",
        json!({"term": {"srcaddr_geo.country_iso_code": "GB"}}),
    );
    assert_eq!(hits.len(), 1);
}
