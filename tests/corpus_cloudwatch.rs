//! Every CloudWatch Logs payload in `../shared/corpus/events/` (read in
//! place, never copied) decodes and encodes; the broken ones fail with a
//! clear error, and nothing panics.

mod support;

use std::path::PathBuf;

use logs_forwarder::config::Settings;
use logs_forwarder::input;
use serde_json::Value;

fn events_dir() -> PathBuf {
    support::corpus().join("events")
}

/// Decodes and encodes one file; returns (events, skipped, documents, errors).
fn run(path: &std::path::Path) -> (u64, u64, Vec<Value>, Vec<String>) {
    let bytes = std::fs::read(path).expect("readable");
    let settings = Settings::from_lookup(|_| None).expect("defaults");
    let units = match input::from_file_bytes(bytes) {
        Ok(units) => units,
        Err(e) => return (0, 0, Vec::new(), vec![e.to_string()]),
    };
    let encoded = support::encode_units(&settings, units);
    let docs = encoded.docs().cloned().collect();
    (
        encoded.summary.events,
        encoded.summary.skipped,
        docs,
        encoded.errors,
    )
}

fn is_cloudwatch(name: &str) -> bool {
    name.contains("-cwl-")
        || name.contains("awslogs")
        || name.contains("cloudwatch-logs")
        || name.contains(".decoded")
}

#[test]
fn every_cloudwatch_payload_decodes() {
    let mut checked = 0;
    for entry in std::fs::read_dir(events_dir()).expect("corpus/events") {
        let path = entry.expect("entry").path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("")
            .to_owned();
        if !is_cloudwatch(&name) || name == "awsdocs-lambda-cwl-awslogs-truncated.json" {
            continue;
        }
        if name.starts_with("vector-firehose-cwl-record") {
            // A Vector event after its own decoding, not a payload.
            continue;
        }
        let (events, skipped, docs, errors) = run(&path);
        assert!(errors.is_empty(), "{name}: {errors:?}");
        assert!(events > 0 || skipped > 0, "{name}: nothing decoded");
        assert_eq!(docs.len() as u64, events, "{name}");
        for doc in &docs {
            assert!(doc["@timestamp"].is_string(), "{name}: {doc}");
        }
        checked += 1;
    }
    assert!(checked >= 25, "only {checked} CloudWatch payloads found");
}

#[test]
fn undecodable_payloads_say_why() {
    let (_, _, docs, errors) = run(&events_dir().join("awsdocs-lambda-cwl-awslogs-truncated.json"));
    assert!(docs.is_empty());
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0].contains("base64") || errors[0].contains("JSON"),
        "a specific reason: {}",
        errors[0]
    );
    // Kinesis records whose data is not a CloudWatch payload.
    let (_, _, _, errors) = run(&events_dir().join("lambdago-kinesis.json"));
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert!(
        errors
            .iter()
            .all(|e| e.contains("not valid CloudWatch Logs JSON")),
        "{errors:?}"
    );
}

#[test]
fn envelope_decodes_to_the_collectors_decoded_copy() {
    let dir = events_dir();
    for (envelope, decoded) in [
        (
            "lambdago-awslogs-envelope.json",
            "lambdago-awslogs-envelope.decoded.json",
        ),
        // The Java sample carries the same blob.
        (
            "awsdocs-java-events-cloudwatch-logs.json",
            "lambdago-awslogs-envelope.decoded.json",
        ),
    ] {
        let (_, _, from_envelope, e1) = run(&dir.join(envelope));
        let (_, _, from_decoded, e2) = run(&dir.join(decoded));
        assert!(e1.is_empty() && e2.is_empty());
        assert_eq!(from_envelope, from_decoded);
        assert_eq!(from_envelope[0]["@message"], "[ERROR] First test message");
    }
}

#[test]
fn corpus_edge_cases() {
    let dir = events_dir();
    // Control messages are acknowledged, not indexed.
    for name in [
        "otel-cwl-control-message.json",
        "vector-cwl-control-message.json",
    ] {
        let (events, skipped, docs, _) = run(&dir.join(name));
        assert_eq!((events, skipped, docs.len()), (0, 1, 0), "{name}");
    }
    // Key order does not matter.
    let (_, _, docs, _) = run(&dir.join("otel-cwl-cloudtrail-messagetype-last.json"));
    assert!(docs[0]["eventName"].is_string());
    // extractedFields are kept (OTel reads the account from @aws.account).
    let (_, _, docs, _) = run(&dir.join("otel-cwl-extracted-fields.json"));
    assert_eq!(docs[0]["@aws.account"], "999888777666");
    assert_eq!(docs[0]["@owner"], "123456789012");
    // A timestamp in seconds is read as seconds.
    let (_, _, docs, _) = run(&dir.join("datadog-cwl-rds-cluster.json"));
    assert_eq!(docs[0]["@timestamp"], "2025-01-24T16:22:12.000Z");
    // Identical ids in one payload stay three documents.
    let (events, _, docs, _) = run(&dir.join("awsdocs-cwl-cross-account-decoded-payload.json"));
    assert_eq!((events, docs.len()), (3, 3));
    // Concatenated payloads are both read.
    let (_, _, docs, _) = run(&dir.join("otel-cwl-concatenated-two-payloads.json"));
    let groups: Vec<_> = docs
        .iter()
        .map(|d| d["@log_group"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(groups, ["/my/first/log/group", "/my/second/log/group"]);
    // Invalid JSON in a message stays an opaque string.
    let (_, _, docs, _) = run(&dir.join("datadog-cwl-stepfunctions-vended.json"));
    assert!(docs[0]["@message"]
        .as_str()
        .is_some_and(|m| m.contains("\"")));
    // Flow logs through CloudWatch are typed.
    let (_, _, docs, _) = run(&dir.join("otel-cwl-vpcflow-v2-default.json"));
    assert_eq!(docs[0]["dstport"], 22);
    assert_eq!(docs[1]["action"], "REJECT");
}
