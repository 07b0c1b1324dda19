//! The re-drive after an outage: Lambda writes a failure record to the
//! on-failure destination (the dead-letter bucket) when a CloudWatch Logs
//! event (asynchronous invocation: the event in `requestPayload`) or a
//! Kinesis batch (S3 destination: the batch in `payload`) failed every
//! retry. `replay` sends the event inside again, into a real
//! `osmem-server`, exactly once however often it is replayed. Records are
//! written here from the layout in Lambda's documentation ("Capturing
//! records of Lambda asynchronous invocations", "Retain discarded batch
//! records for a Kinesis Data Streams event source").

mod support;

use serde_json::{json, Value};
use support::{fixture, path_str, replay, Osmem};

fn captured_event() -> Value {
    serde_json::from_str(
        &std::fs::read_to_string(fixture("cloudwatch/cloudtrail.json")).expect("fixture"),
    )
    .expect("fixture JSON")
}

fn context(condition: &str) -> Value {
    json!({"requestId": "c9b8fa9f-5a7f-4c2a-af9c-0c604cde93a5",
        "functionArn": "arn:aws:lambda:eu-west-1:111122223333:function:logs-forwarder:$LATEST",
        "condition": condition, "approximateInvokeCount": 3})
}

fn write(dir: &std::path::Path, name: &str, record: &Value) -> String {
    let path = dir.join(name);
    std::fs::write(&path, record.to_string()).expect("write");
    path_str(&path)
}

#[test]
fn failure_records_are_re_driven_exactly_once() {
    let osmem = Osmem::start();
    let dir = support::temp_dir("failure-records");
    let event = captured_event();
    let dry = replay(
        &["--out", "/dev/null", &fixture("cloudwatch/cloudtrail.json")],
        &[],
    );
    let events = dry.summary["events"].as_u64().expect("events");
    assert!(events > 0);

    let asynchronous = json!({"version": "1.0", "timestamp": "2026-12-05T10:00:00.000Z",
        "requestContext": context("RetriesExhausted"),
        "requestPayload": event,
        "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"},
        "responsePayload": {"errorMessage": "not everything was delivered", "errorType": "&alloc::boxed::Box<dyn core::error::Error>"}});
    let file = write(&dir, "async-failure.json", &asynchronous);
    let env = [("ES_AUTH", "none")];
    let first = replay(&["--endpoint", &osmem.url, &file], &env);
    assert!(first.success, "{}\n{}", first.summary, first.stderr);
    assert_eq!(
        first.summary["indexed"].as_u64(),
        Some(events),
        "{}",
        first.summary
    );
    let again = replay(&["--endpoint", &osmem.url, &file], &env);
    assert_eq!(
        (
            again.summary["indexed"].as_u64(),
            again.summary["duplicates"].as_u64()
        ),
        (Some(0), Some(events)),
        "exactly once: {}",
        again.summary
    );

    // A Kinesis batch, its event as JSON text, with one record of another
    // group so that the documents are new.
    let data = event["awslogs"]["data"].as_str().expect("data");
    let batch = json!({"Records": [{"eventSource": "aws:kinesis", "eventID": "shardId-000000000001:495",
        "kinesis": {"kinesisSchemaVersion": "1.0", "partitionKey": "p", "sequenceNumber": "495",
            "data": data, "approximateArrivalTimestamp": 1_764_928_800.5}}]});
    let kinesis = json!({"requestContext": context("RetryAttemptsExhausted"),
        "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"},
        "version": "1.0", "timestamp": "2026-12-05T10:00:00.000Z",
        "KinesisBatchInfo": {"shardId": "shardId-000000000001", "startSequenceNumber": "495",
            "endSequenceNumber": "495", "approximateArrivalOfFirstRecord": "2026-12-05T09:59:59.500Z",
            "approximateArrivalOfLastRecord": "2026-12-05T09:59:59.500Z", "batchSize": 1,
            "streamArn": "arn:aws:kinesis:eu-west-1:111122223333:stream/logs-forwarder-logs"},
        "payload": batch.to_string()});
    let file = write(&dir, "kinesis-failure.json", &kinesis);
    let run = replay(&["--endpoint", &osmem.url, &file], &env);
    assert!(run.success, "{}\n{}", run.summary, run.stderr);
    assert_eq!(
        run.summary["events"].as_u64(),
        Some(events),
        "{}",
        run.summary
    );
    assert_eq!(
        run.summary["duplicates"].as_u64(),
        Some(events),
        "the same events, already in: {}",
        run.summary
    );

    // What an SQS destination keeps: no records, and a clear word.
    let mut position_only = kinesis.clone();
    position_only
        .as_object_mut()
        .expect("object")
        .remove("payload");
    let file = write(&dir, "position-only.json", &position_only);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_logs-forwarder"))
        .args(["replay", "--out", "/dev/null", &file])
        .output()
        .expect("runs");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("without the event it failed on"),
        "{stderr}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// The same records where Lambda put them, in the dead-letter bucket (moto
/// S3): `replay s3://…` recognises each by its content and sends the event
/// inside, as it does a downloaded file.
#[test]
fn failure_records_in_the_bucket_are_re_driven_from_s3() {
    let (osmem, moto) = (Osmem::start(), support::Moto::start());
    let dir = support::temp_dir("failure-records-s3");
    let event = captured_event();
    let records = dir.join("bucket");
    let asynchronous = json!({"version": "1.0", "timestamp": "2026-12-05T10:00:00.000Z",
        "requestContext": context("RetriesExhausted"), "requestPayload": event,
        "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"},
        "responsePayload": {"errorMessage": "not everything was delivered"}});
    support::write_object(
        &records,
        "aws/lambda/async/logs-forwarder/2026/12/05/10/0b5d7f6e-1a2b-4c3d-8e9f-0123456789ab",
        asynchronous.to_string().as_bytes(),
    );
    let uploaded = support::python_json(
        "s3_history.py",
        &json!({"endpoint": moto.url, "upload": {"bucket": "dead-letters", "dir": path_str(&records)}}),
    );
    assert_eq!(uploaded["objects"], 1);
    let dry = replay(
        &["--out", "/dev/null", &fixture("cloudwatch/cloudtrail.json")],
        &[],
    );
    let events = dry.summary["events"].as_u64().expect("events");
    let env = [
        ("ES_AUTH", "none"),
        ("AWS_ENDPOINT_URL_S3", moto.url.as_str()),
        ("AWS_REGION", "us-east-1"),
        ("AWS_ACCESS_KEY_ID", "testing"),
        ("AWS_SECRET_ACCESS_KEY", "testing"),
    ];
    // And a log of Lambda events whose first lines merely look like one:
    // read as the log it is, every line indexed.
    let lines: String = (0..3)
        .map(|n| format!("{{\"requestContext\":{{\"requestId\":\"r{n}\"}},\"requestPayload\":{{\"n\":{n}}},\"level\":\"info\"}}\n"))
        .collect();
    let key = "app-logs/2026/12/05/events.log";
    support::write_object(&records, key, lines.as_bytes());
    let _ = moto.botocore(
        "s3",
        "client.put_object(Bucket='dead-letters', Key=sys.argv[1], Body=open(sys.argv[2], 'rb').read())",
        &[key, &path_str(&records.join(key))],
    );
    let logs = replay(&["--out", "/dev/null", "s3://dead-letters/app-logs/"], &env);
    assert!(logs.success, "{}\n{}", logs.summary, logs.stderr);
    assert_eq!(logs.summary["events"].as_u64(), Some(3), "{}", logs.summary);
    let run = replay(
        &["--endpoint", &osmem.url, "s3://dead-letters/aws/lambda/"],
        &env,
    );
    let s = &run.summary;
    assert!(run.success, "{s}\n{}", run.stderr);
    assert_eq!(
        (s["events"].as_u64(), s["indexed"].as_u64()),
        (Some(events), Some(events)),
        "{s}"
    );
    assert_eq!(s["objects"]["finished"], 1, "{s}");
    let _ = std::fs::remove_dir_all(&dir);
}
