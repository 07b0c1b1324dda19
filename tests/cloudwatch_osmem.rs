//! The CloudWatch Logs forwarder end to end against a real `osmem-server`:
//! the bundled fixtures replayed through the same code path as the Lambda.

mod support;

use serde_json::json;
use support::proxy::Proxy;
use support::{fixture, replay, Osmem};

const NONE_AUTH: (&str, &str) = ("ES_AUTH", "none");

#[test]
fn fixtures_land_with_index_names_counts_and_typed_values() {
    let osmem = Osmem::start();
    let run = replay(
        &["--endpoint", &osmem.url, &fixture("cloudwatch")],
        &[NONE_AUTH],
    );
    assert!(run.success, "{}", run.stderr);
    let s = &run.summary;
    assert_eq!(s["events"], 77, "{s}");
    assert_eq!(s["indexed"], 77, "{s}");
    assert_eq!(
        s["skipped"], 1,
        "the control message is acknowledged and skipped: {s}"
    );
    assert_eq!(
        (s["failed"].as_u64(), s["malformed"].as_u64()),
        (Some(0), Some(0)),
        "{s}"
    );

    assert_eq!(
        osmem.count("cloudtrail-2025.11.22", json!({"match_all": {}})),
        24
    );
    assert_eq!(
        osmem.count("vpc-flowlogs-2025.11.22", json!({"match_all": {}})),
        30
    );
    assert_eq!(
        osmem.count(
            "cwl-aws-lambda-orders-api-2025.11.22",
            json!({"match_all": {}})
        ),
        8
    );
    assert_eq!(
        osmem.count(
            "cwl-ecs-checkout-service-2025.11.22",
            json!({"match_all": {}})
        ),
        15
    );

    // CloudTrail keeps its own fields; _id is eventID; @timestamp is eventTime.
    let ct = osmem.sources(
        "cloudtrail-2025.11.22",
        json!({"term": {"eventName": "RunInstances"}}),
    );
    assert_eq!(ct.len(), 4);
    assert!(ct.iter().all(|d| d["eventSource"] == "ec2.amazonaws.com"));
    let first = osmem.get("/cloudtrail-2025.11.22/_doc/00000000-1111-4000-8000-91d9f9b439fc");
    assert_eq!(first["_source"]["@timestamp"], "2025-11-22T08:26:40.000Z");
    assert_eq!(first["_source"]["eventTime"], "2025-11-22T08:26:40Z");
    assert_eq!(
        first["_source"]["@log_group"],
        "aws-cloudtrail-logs-111122223333-5f2c1a0e"
    );

    // Flow log numbers are numbers: range queries work on them.
    let flows = "vpc-flowlogs-2025.11.22";
    assert_eq!(osmem.count(flows, json!({"term": {"dstport": 22}})), 7);
    assert_eq!(
        osmem.count(flows, json!({"term": {"log_status": "NODATA"}})),
        3
    );
    assert_eq!(
        osmem.count(flows, json!({"range": {"bytes": {"gte": 5000}}})),
        9
    );
    let mapping = osmem.get(&format!("/{flows}/_mapping"));
    let props = &mapping[flows]["mappings"]["properties"];
    // The template, installed before the first bulk request, typed them.
    assert_eq!(props["bytes"]["type"], "long", "{props}");
    assert_eq!(props["@timestamp"]["type"], "date", "{props}");
    assert_eq!(props["srcaddr"]["type"], "ip", "{props}");
    assert_eq!(props["start"]["type"], "date", "{props}");
    let ipv6 = osmem.sources(
        flows,
        json!({"term": {"srcaddr": "2001:db8:1234:a101::42"}}),
    );
    assert_eq!(ipv6.len(), 3);
    assert_eq!(
        ipv6[0]["account_id"], "111122223333",
        "account ids stay strings"
    );

    // JSON messages contribute their fields, typed as the application wrote them.
    let app = "cwl-ecs-checkout-service-2025.11.22";
    assert_eq!(osmem.count(app, json!({"term": {"level": "error"}})), 3);
    assert_eq!(
        osmem.count(app, json!({"range": {"amount": {"gt": 20.0}}})),
        6
    );
    assert_eq!(
        osmem.count(app, json!({"term": {"customer.tier": "gold"}})),
        8
    );

    // Text keeps @message, including non-ASCII text and tabs.
    let text = osmem.sources(
        "cwl-aws-lambda-orders-api-2025.11.22",
        json!({"match_phrase": {"@message": "emoji"}}),
    );
    assert_eq!(text.len(), 1);
    assert_eq!(
        text[0]["@message"],
        "Ünïcödé line: 日本語のログ — emoji 🚀 and a tab\tinside\n"
    );
}

#[test]
fn a_second_delivery_duplicates_nothing() {
    let osmem = Osmem::start();
    let first = replay(
        &["--endpoint", &osmem.url, &fixture("cloudwatch")],
        &[NONE_AUTH],
    );
    assert_eq!(first.summary["indexed"], 77, "{}", first.stderr);
    let again = replay(
        &["--endpoint", &osmem.url, &fixture("cloudwatch")],
        &[NONE_AUTH],
    );
    assert!(
        again.success,
        "409s on create are deliveries, not failures: {}",
        again.stderr
    );
    assert_eq!(again.summary["indexed"], 0);
    assert_eq!(again.summary["duplicates"], 77);
    assert_eq!(osmem.count("vpc-flowlogs-*", json!({"match_all": {}})), 30);
}

#[test]
fn bodies_larger_than_the_limit_go_out_as_several_bounded_requests() {
    let osmem = Osmem::start();
    let proxy = Proxy::start(&osmem.url, None);
    let limit = 4096;
    let run = replay(
        &[
            "--endpoint",
            &proxy.url,
            &fixture("cloudwatch/cloudtrail.json"),
        ],
        &[NONE_AUTH, ("BULK_MAX_BYTES", &limit.to_string())],
    );
    assert!(run.success, "{}", run.stderr);
    let bulks = proxy.bulk_requests();
    assert!(
        bulks.len() >= 5,
        "24 CloudTrail records of ~1.4 KB need several 4 KiB bodies, got {}",
        bulks.len()
    );
    for r in &bulks {
        assert!(
            r.body_len <= limit,
            "a body of {} bytes exceeds {limit}",
            r.body_len
        );
        assert_eq!(r.header("content-type"), Some("application/x-ndjson"));
    }
    assert_eq!(run.summary["requests"], bulks.len());
    assert_eq!(osmem.count("cloudtrail-*", json!({"match_all": {}})), 24);
}

#[test]
fn type_auto_sends_no_type_to_opensearch_and_sigv4_headers_are_present() {
    let osmem = Osmem::start();
    let proxy = Proxy::start(&osmem.url, None);
    let run = replay(
        &[
            "--endpoint",
            &proxy.url,
            &fixture("cloudwatch/vpc-flow.json"),
        ],
        &[
            ("ES_TYPE", "auto"),
            ("AWS_REGION", "eu-west-1"),
            ("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE"),
            ("AWS_SECRET_ACCESS_KEY", "secret"),
            ("AWS_SESSION_TOKEN", "session"),
        ],
    );
    assert!(run.success, "{}", run.stderr);
    let seen = proxy.requests();
    assert_eq!(
        (seen[0].method.as_str(), seen[0].path.as_str()),
        ("GET", "/"),
        "asks the version first"
    );
    let bulk = seen.iter().find(|r| r.is_bulk()).expect("a bulk request");
    assert!(!String::from_utf8_lossy(&bulk.body).contains("_type"));
    let auth = bulk.header("authorization").expect("signed");
    assert!(
        auth.starts_with("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/"),
        "{auth}"
    );
    assert!(auth.contains("/eu-west-1/es/aws4_request"), "{auth}");
    assert_eq!(bulk.header("x-amz-security-token"), Some("session"));
    assert!(bulk
        .header("x-amz-content-sha256")
        .is_some_and(|h| h.len() == 64));
    assert!(!run.stderr.contains("secret"), "no secret in the logs");
    assert_eq!(osmem.count("vpc-flowlogs-*", json!({"match_all": {}})), 30);
}

#[test]
fn elasticsearch_6_gets_a_fixed_type_from_auto() {
    // No Elasticsearch 6 can run here: the proxy answers GET / as 6.8 would
    // and forwards the bulk request, which osmem (OpenSearch 3) then refuses
    // for its _type. That refusal is the proof the type was sent, and the
    // refused documents must be reported as failed, never as indexed.
    let osmem = Osmem::start();
    let es6 = r#"{"name":"n","cluster_name":"c","version":{"number":"6.8.23","build_flavor":"default","lucene_version":"7.7.3"},"tagline":"You Know, for Search"}"#;
    let fault: support::proxy::Fault = std::sync::Arc::new(move |_, seen| {
        (seen.method == "GET" && seen.path == "/").then(|| (200, es6.to_owned()))
    });
    let proxy = Proxy::start(&osmem.url, Some(fault));
    let run = replay(
        &[
            "--endpoint",
            &proxy.url,
            &fixture("cloudwatch/json-app.json"),
        ],
        &[NONE_AUTH],
    );
    let bulk = proxy.bulk_requests().into_iter().next().expect("bulk");
    assert!(String::from_utf8_lossy(&bulk.body).contains(r#""_type":"_doc""#));
    assert!(!run.success, "undelivered documents fail the run");
    assert_eq!(run.summary["failed"], 15, "{}", run.summary);
    assert_eq!(run.summary["indexed"], 0);
}

#[test]
fn gzip_bodies_are_accepted() {
    let osmem = Osmem::start();
    let proxy = Proxy::start(&osmem.url, None);
    let run = replay(
        &["--endpoint", &proxy.url, &fixture("cloudwatch")],
        &[NONE_AUTH, ("BULK_GZIP", "true")],
    );
    assert!(run.success, "{}", run.stderr);
    let bulk = proxy.bulk_requests().into_iter().next().expect("bulk");
    assert_eq!(bulk.header("content-encoding"), Some("gzip"));
    assert_eq!(&bulk.body[..2], &[0x1f, 0x8b]);
    assert_eq!(osmem.count("*", json!({"match_all": {}})), 77);
}

#[test]
fn dry_run_writes_bulk_ndjson_and_contacts_nothing() {
    let run = replay(
        &[&fixture("cloudwatch")],
        &[("ES_ENDPOINT", "http://127.0.0.1:1")],
    );
    assert!(run.success, "{}", run.stderr);
    assert_eq!(run.summary["encoded"], 77);
    assert_eq!(run.summary["requests"], 0);
    let text = String::from_utf8(run.stdout).expect("utf8");
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("NDJSON"))
        .collect();
    assert_eq!(lines.len(), 154);
    assert!(lines[0]["create"]["_index"].is_string());
}

#[test]
fn per_item_429s_are_re_sent_until_the_block_lifts() {
    // osmem answers 429 per item while an index is read_only_allow_delete,
    // as OpenSearch does at the flood-stage disk watermark.
    let osmem = Osmem::start();
    let flows = "vpc-flowlogs-2025.11.22";
    let blocked = osmem.request(
        "PUT",
        &format!("/{flows}"),
        Some(json!({"settings": {"index.blocks.read_only_allow_delete": true}})),
    );
    assert_eq!(blocked["acknowledged"], true, "{blocked}");
    let url = osmem.url.clone();
    let lifter = std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_millis(1500));
        ureq::put(&format!("{url}/{flows}/_settings"))
            .send_json(json!({"index.blocks.read_only_allow_delete": null}))
            .expect("lift the block");
    });
    let run = replay(
        &["--endpoint", &osmem.url, &fixture("cloudwatch")],
        &[NONE_AUTH],
    );
    lifter.join().expect("lifter");
    assert!(run.success, "{}", run.stderr);
    let s = &run.summary;
    assert_eq!(s["indexed"], 77, "{s}");
    assert!(
        s["retried"].as_u64() >= Some(30),
        "the 30 blocked flow records were re-sent: {s}"
    );
    assert_eq!(s["failed"], 0);
    assert_eq!(osmem.count(flows, json!({"match_all": {}})), 30);
    // Only the blocked index's items were re-sent, never the whole batch.
    assert_eq!(osmem.count("cloudtrail-*", json!({"match_all": {}})), 24);
}

#[test]
fn whole_request_503_and_429_are_retried() {
    let osmem = Osmem::start();
    let bulk_requests = std::sync::atomic::AtomicUsize::new(0);
    let fault: support::proxy::Fault = std::sync::Arc::new(move |_, seen| {
        if !seen.is_bulk() {
            return None;
        }
        match bulk_requests.fetch_add(1, std::sync::atomic::Ordering::SeqCst) {
            0 => Some((503, r#"{"error":"unavailable"}"#.to_owned())),
            1 => Some((429, r#"{"error":"too many requests"}"#.to_owned())),
            _ => None,
        }
    });
    let proxy = Proxy::start(&osmem.url, Some(fault));
    let run = replay(
        &[
            "--endpoint",
            &proxy.url,
            &fixture("cloudwatch/json-app.json"),
        ],
        &[NONE_AUTH],
    );
    assert!(run.success, "{}", run.stderr);
    assert_eq!(run.summary["indexed"], 15);
    assert_eq!(
        run.summary["retried"], 30,
        "the 15 documents were sent three times"
    );
    assert_eq!(run.summary["requests"], 3);
    assert_eq!(osmem.count("cwl-*", json!({"match_all": {}})), 15);
}

#[test]
fn index_action_overwrites_instead_of_reporting_duplicates() {
    let osmem = Osmem::start();
    let env = [NONE_AUTH, ("ES_ACTION", "index")];
    let first = replay(
        &[
            "--endpoint",
            &osmem.url,
            &fixture("cloudwatch/json-app.json"),
        ],
        &env,
    );
    assert_eq!(first.summary["indexed"], 15, "{}", first.stderr);
    let again = replay(
        &[
            "--endpoint",
            &osmem.url,
            &fixture("cloudwatch/json-app.json"),
        ],
        &env,
    );
    assert_eq!(
        (
            again.summary["indexed"].as_u64(),
            again.summary["duplicates"].as_u64()
        ),
        (Some(15), Some(0))
    );
    assert_eq!(osmem.count("cwl-*", json!({"match_all": {}})), 15);
}

#[test]
fn bodies_in_flight_are_bounded_and_sent_concurrently() {
    use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
    let osmem = Osmem::start();
    let in_flight = std::sync::Arc::new(AtomicUsize::new(0));
    let peak = std::sync::Arc::new(AtomicUsize::new(0));
    let (now, max) = (in_flight.clone(), peak.clone());
    // A slow cluster: each bulk request takes 150 ms before it is forwarded.
    let fault: support::proxy::Fault = std::sync::Arc::new(move |_, seen| {
        if seen.is_bulk() {
            let current = now.fetch_add(1, SeqCst) + 1;
            max.fetch_max(current, SeqCst);
            std::thread::sleep(std::time::Duration::from_millis(150));
            now.fetch_sub(1, SeqCst);
        }
        None
    });
    let proxy = Proxy::start(&osmem.url, Some(fault));
    let run = replay(
        &[
            "--endpoint",
            &proxy.url,
            &fixture("cloudwatch/cloudtrail.json"),
        ],
        &[
            NONE_AUTH,
            ("BULK_MAX_BYTES", "4096"),
            ("BULK_CONCURRENCY", "2"),
        ],
    );
    assert!(run.success, "{}", run.stderr);
    assert_eq!(
        peak.load(SeqCst),
        2,
        "two bodies in flight at once, never more"
    );
    assert_eq!(osmem.count("cloudtrail-*", json!({"match_all": {}})), 24);
}
