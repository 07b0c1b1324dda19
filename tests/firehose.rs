//! Amazon Data Firehose: a data-transformation event and an HTTP endpoint
//! delivery body, each with a CloudWatch Logs payload record, a raw-text
//! record and a record that does not decode, through `replay` (the Lambda
//! code path) to osmem: the good records arrive, the bad one fails alone
//! with its reason.

mod support;

use std::io::Write as _;

use base64::Engine as _;
use serde_json::{json, Value};
use support::{path_str, replay, temp_dir, Osmem};

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn cloudwatch_record() -> String {
    let payload = json!({"messageType": "DATA_MESSAGE", "owner": "123456789012",
        "logGroup": "/aws/lambda/orders", "logStream": "s", "subscriptionFilters": ["f"],
        "logEvents": [{"id": "37000000000000000000000000000000000000000000000000000001",
                       "timestamp": 1_700_000_000_000_i64, "message": "order 1 placed"}]});
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(payload.to_string().as_bytes()).expect("gzip");
    b64(&gz.finish().expect("gzip"))
}

fn check(event: Value, name: &str) {
    let osmem = Osmem::start();
    let dir = temp_dir("firehose");
    let file = dir.join(format!("{name}.json"));
    std::fs::write(&file, event.to_string()).expect("file");
    let run = replay(
        &["--endpoint", &osmem.url, &path_str(&file)],
        &[("ES_AUTH", "none")],
    );
    assert!(
        !run.success,
        "{name}: the bad record makes the run report failure"
    );
    let s = &run.summary;
    assert_eq!(s["indexed"], 3, "{name}: {s}");
    assert_eq!(s["undecodable"], 1, "{name}: {s}");
    let errors = s["errors"].to_string();
    assert!(
        errors.contains("Firehose record bad-one: invalid base64"),
        "{name}: {s}"
    );
    assert_eq!(
        osmem.count("cwl-aws-lambda-orders-*", json!({"match_all": {}})),
        1,
        "{name}"
    );
    let raw = osmem.sources("cwl-app-logs-*", json!({"match_all": {}}));
    assert_eq!(raw.len(), 2, "{name}: the raw record's two lines");
}

#[test]
fn a_transformation_event_delivers_every_good_record() {
    check(
        json!({"invocationId": "inv-1",
               "deliveryStreamArn": "arn:aws:firehose:eu-west-1:123456789012:deliverystream/app-logs",
               "region": "eu-west-1",
               "records": [
                   {"recordId": "good-1", "approximateArrivalTimestamp": 1_700_000_000_000_i64, "data": cloudwatch_record()},
                   {"recordId": "good-2", "approximateArrivalTimestamp": 1_700_000_000_000_i64, "data": b64(b"GET /a 200\nGET /b 404\n")},
                   {"recordId": "bad-one", "approximateArrivalTimestamp": 1_700_000_000_000_i64, "data": "%%%"}]}),
        "transformation",
    );
}

#[test]
fn an_http_endpoint_body_delivers_every_good_record() {
    // An HTTP endpoint body names no stream: raw lines go under "firehose".
    let event = json!({"requestId": "req-1", "timestamp": 1_700_000_000_000_i64,
        "records": [{"data": cloudwatch_record()}, {"data": b64(b"GET /a 200\nGET /b 404")}, {"data": "%%%"}]});
    let osmem = Osmem::start();
    let dir = temp_dir("firehose-http");
    let file = dir.join("http.json");
    std::fs::write(&file, event.to_string()).expect("file");
    let run = replay(
        &["--endpoint", &osmem.url, &path_str(&file)],
        &[("ES_AUTH", "none")],
    );
    let s = &run.summary;
    assert!(!run.success);
    assert_eq!(
        (s["indexed"].as_u64(), s["undecodable"].as_u64()),
        (Some(3), Some(1)),
        "{s}"
    );
    assert_eq!(osmem.count("cwl-firehose-*", json!({"match_all": {}})), 2);
}
