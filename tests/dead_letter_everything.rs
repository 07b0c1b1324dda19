//! Everything that cannot be delivered reaches the dead-letter destination
//! with its reason, or fails the invocation with it counted: a document
//! the cluster refuses even alone (413), a payload that does not decode,
//! a whole request refused (403). The cluster is a real `osmem-server`;
//! the 413 and 403 answers come from the project's own fault-injecting
//! front (no peer here answers them on demand), which forwards the rest.

mod support;

use std::sync::Arc;

use serde_json::{json, Value};
use support::proxy::{Fault, Proxy};
use support::{fixture, path_str, replay, Moto, Osmem};

fn dead_letter_records(dir: &std::path::Path) -> Vec<Value> {
    let mut records = Vec::new();
    for entry in std::fs::read_dir(dir).expect("dead-letter dir") {
        let text = std::fs::read_to_string(entry.expect("entry").path()).expect("read");
        records.extend(
            text.lines()
                .map(|l| serde_json::from_str::<Value>(l).expect("NDJSON")),
        );
    }
    records
}

#[test]
fn a_document_refused_even_alone_is_dead_lettered_and_the_rest_indexed() {
    let osmem = Osmem::start();
    // A body that holds the marked document is too large for this front.
    let fault: Fault = Arc::new(|_, seen| {
        let marked = memchr::memmem::find(&seen.body, b"TOO-LARGE-FOR-THE-CLUSTER").is_some();
        (seen.is_bulk() && marked).then(|| (413, "request entity too large".to_owned()))
    });
    let proxy = Proxy::start(&osmem.url, Some(fault));
    let dir = support::temp_dir("dlq-413");
    let dlq = dir.join("dead-letters");
    let event = support::cloudwatch_event(
        &dir,
        "/app/large",
        &[
            "first",
            "TOO-LARGE-FOR-THE-CLUSTER and more",
            "third",
            "fourth",
        ],
    );
    let run = replay(
        &["--endpoint", &proxy.url, &path_str(&event)],
        &[
            ("ES_AUTH", "none"),
            ("DLQ_URI", &format!("file://{}", path_str(&dlq))),
        ],
    );
    let s = &run.summary;
    assert!(run.success, "{s}\n{}", run.stderr);
    assert_eq!(
        (s["events"].as_u64(), s["indexed"].as_u64()),
        (Some(4), Some(3)),
        "{s}"
    );
    assert_eq!(s["dead_lettered"], 1, "{s}");
    let records = dead_letter_records(&dlq);
    assert_eq!(records.len(), 1, "{records:?}");
    assert_eq!(records[0]["error_type"], "request_entity_too_large");
    assert!(records[0]["reason"].as_str().unwrap_or("").contains("413"));
    assert!(records[0]["document"]["@message"]
        .as_str()
        .unwrap_or("")
        .starts_with("TOO-LARGE-FOR-THE-CLUSTER"));
    // Without a destination it fails the invocation instead.
    let again = replay(
        &["--endpoint", &proxy.url, &path_str(&event)],
        &[("ES_AUTH", "none")],
    );
    assert!(!again.success, "{}", again.summary);
    assert_eq!(again.summary["failed"], 1, "{}", again.summary);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn an_undecodable_payload_is_kept_as_it_came() {
    let dir = support::temp_dir("dlq-undecodable");
    let dlq = dir.join("dead-letters");
    let file = fixture("bad/awslogs-truncated-gzip.json");
    let run = replay(
        &["--out", "/dev/null", &file],
        &[("DLQ_URI", &format!("file://{}", path_str(&dlq)))],
    );
    let s = &run.summary;
    assert!(run.success, "kept, so not retried: {s}");
    assert_eq!(
        (s["undecodable"].as_u64(), s["undecodable_kept"].as_u64()),
        (Some(1), Some(1)),
        "{s}"
    );
    let records = dead_letter_records(&dlq);
    assert_eq!(records.len(), 1);
    assert_eq!(records[0]["error_type"], "undecodable");
    assert!(
        records[0]["reason"].as_str().unwrap_or("").contains("gzip"),
        "{}",
        records[0]
    );
    let event: Value = serde_json::from_str(&std::fs::read_to_string(&file).expect("fixture"))
        .expect("fixture JSON");
    assert_eq!(
        records[0]["raw"], event["awslogs"]["data"],
        "the payload as it came"
    );
    // Replaying the dead letters sends nothing and says why.
    let files: Vec<_> = std::fs::read_dir(&dlq)
        .expect("dir")
        .map(|e| e.expect("e").path())
        .collect();
    let back = replay(&["--out", "/dev/null", &path_str(&files[0])], &[]);
    assert_eq!(back.summary["skipped"], 1, "{}", back.summary);
    assert_eq!(back.summary["encoded"], 0, "{}", back.summary);
    // Without a destination it fails, as before, so that Lambda's on-failure
    // destination keeps the event.
    let plain = replay(&["--out", "/dev/null", &file], &[]);
    assert!(!plain.success);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_request_refused_whole_is_counted_and_logged_once() {
    let osmem = Osmem::start();
    let fault: Fault = Arc::new(|_, seen| {
        seen.is_bulk().then(|| {
            (
                403,
                json!({"message": "no permissions for [indices:data/write/bulk]"}).to_string(),
            )
        })
    });
    let proxy = Proxy::start(&osmem.url, Some(fault));
    let run = replay(
        &[
            "--endpoint",
            &proxy.url,
            &fixture("cloudwatch/vpc-flow.json"),
        ],
        &[("ES_AUTH", "none")],
    );
    let s = &run.summary;
    assert!(!run.success, "{s}");
    let events = s["events"].as_u64().expect("events");
    assert!(events > 1, "{s}");
    assert_eq!(s["failed"].as_u64(), Some(events), "{s}");
    assert_eq!(
        s["refused"].as_u64(),
        Some(proxy.bulk_requests().len() as u64),
        "{s}"
    );
    assert!(s["errors"].to_string().contains("HTTP 403"), "{s}");
    let logged = run.stderr.matches("documents not delivered").count();
    assert_eq!(
        logged as u64,
        s["refused"].as_u64().unwrap_or(0),
        "once per request:\n{}",
        run.stderr
    );
}

/// A record larger than the reader holds (over 8 MiB): a truncated copy is
/// indexed with `@error`, as before, and the whole record goes to the
/// dead-letter bucket (a real bucket in `moto_server`, written with a
/// multipart upload: the record is larger than one part), byte for byte.
#[test]
fn a_record_too_large_to_index_is_kept_whole() {
    let moto = Moto::start();
    moto.notify(json!({"bucket": "dead-letters", "queue": "unused", "objects": []}));
    let dir = support::temp_dir("dlq-oversize");
    let mut huge = b"2025-11-22T08:26:40Z huge line ".to_vec();
    huge.extend((0..9 * 1024 * 1024).map(|i| b"abcdefghijklmnopqrstuvwxyz"[i % 26]));
    let object = dir.join("app.log");
    let mut text = b"first line\n".to_vec();
    text.extend_from_slice(&huge);
    text.extend_from_slice(b"\nlast line\n");
    std::fs::write(&object, &text).expect("write");
    let run = replay(
        &["--out", "/dev/null", &path_str(&object)],
        &[
            ("DLQ_URI", "s3://dead-letters/forwarder"),
            ("S3_ENDPOINT", &moto.url),
            ("AWS_REGION", "us-east-1"),
            ("AWS_ACCESS_KEY_ID", "testing"),
            ("AWS_SECRET_ACCESS_KEY", "testing"),
        ],
    );
    let s = &run.summary;
    assert!(run.success, "{s}\n{}", run.stderr);
    assert_eq!(
        (s["events"].as_u64(), s["encoded"].as_u64()),
        (Some(3), Some(3)),
        "{s}"
    );
    assert_eq!(s["malformed"], 1, "the truncated copy: {s}");
    let objects = moto.objects("dead-letters");
    let record = objects
        .iter()
        .find(|(key, _)| key.ends_with(".record"))
        .unwrap_or_else(|| panic!("{:?}", objects.iter().map(|o| &o.0).collect::<Vec<_>>()));
    assert!(record.0.starts_with("forwarder/"), "{}", record.0);
    assert!(
        record.1 == huge,
        "every byte: {} of {}",
        record.1.len(),
        huge.len()
    );
    let (_, letter) = objects
        .iter()
        .find(|(key, _)| key.ends_with(".ndjson"))
        .expect("the record saying what it is");
    let letter: Value = serde_json::from_slice(letter).expect("NDJSON");
    assert_eq!(letter["error_type"], "record_too_large");
    assert_eq!(letter["position"], 1);
    assert_eq!(letter["bytes"], huge.len());
    assert_eq!(letter["record"], format!("s3://dead-letters/{}", record.0));
    assert_eq!(letter["source"], path_str(&object));
    let _ = std::fs::remove_dir_all(&dir);
}
