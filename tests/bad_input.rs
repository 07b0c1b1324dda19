//! Every kind of bad input, one table: each gets a clear, specific error in
//! the summary (or is handled as documented), the rest of its batch still
//! arrives, and nothing panics. Run through `replay` (dry run), the Lambda
//! code path.

mod support;

use std::io::Write as _;

use base64::Engine as _;
use serde_json::{json, Value};
use support::{path_str, replay};

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(bytes).expect("gzip");
    gz.finish().expect("gzip")
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn payload(events: Value) -> Value {
    json!({"messageType": "DATA_MESSAGE", "owner": "111122223333", "logGroup": "/bad/input",
        "logStream": "s", "subscriptionFilters": ["f"], "logEvents": events})
}

fn awslogs(bytes: &[u8]) -> Vec<u8> {
    json!({"awslogs": {"data": b64(&gzip(bytes))}})
        .to_string()
        .into_bytes()
}

fn event(id: &str, timestamp: i64, message: &str) -> Value {
    json!({"id": id, "timestamp": timestamp, "message": message})
}

struct Case {
    name: &'static str,
    file: Vec<u8>,
    /// Events that must arrive.
    events: u64,
    /// The run must fail (the input is redelivered), with this in the errors.
    error: Option<&'static str>,
    /// Checks on the documents written.
    check: fn(&[Value]),
}

fn documents(ndjson: &[u8]) -> Vec<Value> {
    ndjson
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| serde_json::from_slice(l).expect("NDJSON"))
        .collect()
}

fn none(_: &[Value]) {}

#[test]
fn every_bad_input_fails_alone_with_its_reason() {
    let good = payload(json!([
        event("1", 1_763_800_000_000, "fine"),
        event("2", 1_763_800_000_001, "also fine")
    ]));
    let mut utf8 = payload(json!([
        event("before", 1_763_800_000_000, "fine"),
        event("u", 1_763_800_000_000, "PLACEHOLDER"),
        event("after", 1_763_800_000_000, "fine too")
    ]))
    .to_string()
    .into_bytes();
    let at = utf8
        .windows(11)
        .position(|w| w == b"PLACEHOLDER")
        .expect("placeholder");
    utf8[at..at + 2].copy_from_slice(b"\xff\xfe");
    let big = "x".repeat(300 * 1024);
    let mut truncated = gzip(good.to_string().as_bytes());
    truncated.truncate(truncated.len() / 2);
    let kinesis_record = |seq: &str, data: String| json!({"eventSource": "aws:kinesis", "kinesis": {"sequenceNumber": seq, "data": data, "partitionKey": "p"}});
    let cases = vec![
        Case {
            name: "corrupt base64",
            file: json!({"awslogs": {"data": "H4sI!!not*base64"}})
                .to_string()
                .into_bytes(),
            events: 0,
            error: Some("invalid base64"),
            check: none,
        },
        Case {
            name: "truncated gzip",
            file: json!({"awslogs": {"data": b64(&truncated)}})
                .to_string()
                .into_bytes(),
            events: 0,
            error: Some("corrupt or truncated gzip"),
            check: none,
        },
        Case {
            name: "not JSON inside",
            file: awslogs(b"hello, I am not a payload"),
            events: 0,
            error: Some("payload is not valid CloudWatch Logs JSON"),
            check: none,
        },
        Case {
            // One bad byte sequence costs nothing but its own message's
            // bytes: the message is kept with U+FFFD and `@error`, the other
            // events are untouched.
            name: "invalid UTF-8 inside",
            file: awslogs(&utf8),
            events: 3,
            error: None,
            check: |docs| {
                assert_eq!(docs[1]["@message"], "fine");
                assert!(docs[1].get("@error").is_none(), "{}", docs[1]);
                assert_eq!(docs[3]["@message"], "\u{fffd}\u{fffd}ACEHOLDER");
                assert!(
                    docs[3]["@error"]
                        .as_str()
                        .unwrap_or("")
                        .contains("invalid UTF-8"),
                    "{}",
                    docs[3]
                );
                assert_eq!(docs[2]["create"]["_id"], "u");
                assert_eq!(docs[5]["@message"], "fine too");
                assert!(docs[5].get("@error").is_none(), "{}", docs[5]);
            },
        },
        Case {
            // An event from a source the forwarder does not take (a DynamoDB
            // stream); a file that is no event at all is a log object.
            name: "wrong envelope",
            file: json!({"Records": [{"eventSource": "aws:dynamodb", "dynamodb": {"Keys": {}}}]})
                .to_string()
                .into_bytes(),
            events: 0,
            error: Some("unrecognised event (top-level keys: Records)"),
            check: none,
        },
        Case {
            name: "event over 256 KB",
            file: awslogs(
                payload(json!([event("big", 1_763_800_000_000, &big)]))
                    .to_string()
                    .as_bytes(),
            ),
            events: 1,
            error: None,
            check: |docs| {
                let doc = &docs[1];
                assert_eq!(
                    doc["@message"].as_str().map(str::len),
                    Some(300 * 1024),
                    "kept whole"
                );
            },
        },
        Case {
            name: "timestamps in seconds",
            file: awslogs(
                payload(json!([
                    event("s1", 1_763_800_000, "a"),
                    event("s2", 1_763_800_001, "b")
                ]))
                .to_string()
                .as_bytes(),
            ),
            events: 2,
            error: None,
            check: |docs| assert_eq!(docs[1]["@timestamp"], "2025-11-22T08:26:40.000Z"),
        },
        Case {
            name: "duplicate event ids",
            file: awslogs(
                payload(json!([
                    event("same", 1_763_800_000_000, "a"),
                    event("same", 1_763_800_000_001, "b")
                ]))
                .to_string()
                .as_bytes(),
            ),
            events: 2,
            error: None,
            check: |docs| {
                assert_eq!(docs[0]["create"]["_id"], "same");
                assert_eq!(
                    docs[2]["create"]["_id"], "same-1",
                    "both kept, deterministically"
                );
            },
        },
        Case {
            name: "concatenated payloads",
            file: format!("{good}{good}").into_bytes(),
            events: 4,
            error: None,
            check: none,
        },
        Case {
            name: "one corrupt record in a Kinesis batch",
            file: json!({"Records": [
                kinesis_record("1", b64(&gzip(good.to_string().as_bytes()))),
                kinesis_record("2", "not base64 at all!".into()),
                kinesis_record("3", b64(&gzip(good.to_string().as_bytes()))),
            ]})
            .to_string()
            .into_bytes(),
            events: 4,
            error: Some("invalid base64"),
            check: none,
        },
    ];
    let dir = std::env::temp_dir().join(format!("lf-bad-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    for case in cases {
        let input = dir.join("input.json");
        let out = dir.join("out.ndjson");
        std::fs::write(&input, &case.file).expect("write");
        let run = replay(&["--out", &path_str(&out), &path_str(&input)], &[]);
        let s = &run.summary;
        assert_eq!(
            s["events"].as_u64(),
            Some(case.events),
            "{}: {s}",
            case.name
        );
        assert_eq!(
            s["encoded"].as_u64(),
            Some(case.events),
            "{}: the rest arrives: {s}",
            case.name
        );
        match case.error {
            Some(reason) => {
                assert!(!run.success, "{}: must be redelivered", case.name);
                assert!(
                    s["errors"].to_string().contains(reason),
                    "{}: {s}",
                    case.name
                );
            }
            None => assert!(run.success, "{}: {}", case.name, run.stderr),
        }
        assert!(
            !run.stderr.contains("panicked"),
            "{}: {}",
            case.name,
            run.stderr
        );
        if case.name.contains("Kinesis") {
            assert_eq!(
                s["failed_items"],
                json!(["2"]),
                "only the corrupt record: {s}"
            );
        }
        if case.name == "timestamps in seconds" {
            assert!(
                s["errors"].to_string().contains("timestamps in seconds"),
                "{s}"
            );
        }
        (case.check)(&documents(&std::fs::read(&out).unwrap_or_default()));
    }
    let _ = std::fs::remove_dir_all(&dir);
}
