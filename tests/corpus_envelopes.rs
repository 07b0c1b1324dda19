//! Every event in `../shared/corpus/events/` that carries S3 notifications
//! or Kinesis data (directly, in SQS, in SNS, in SQS wrapping SNS) is
//! understood: object-created events name their objects, other S3 events
//! and test events are acknowledged, and messages that carry something
//! else fail alone with a specific reason (the queue's redrive policy keeps
//! them; nothing is silently dropped).

mod support;

use logs_forwarder::input::{self, Unit, Work};

#[derive(Debug, PartialEq)]
enum Expect {
    /// Units naming these keys.
    Objects(&'static [&'static str]),
    Skip(&'static str),
    /// Every unit undecodable, with this in the reason.
    Undecodable(&'static str),
    /// CloudWatch Logs data (Kinesis).
    Logs,
    /// Kinesis data that is not a CloudWatch Logs payload: each record fails
    /// alone when its payload is parsed.
    NotCloudWatchLogs,
}

fn units(name: &str) -> Vec<Unit> {
    let path = support::corpus().join("events").join(name);
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{name}: {e}"));
    input::from_file_bytes(bytes).unwrap_or_else(|e| panic!("{name}: {e}"))
}

#[test]
fn s3_sqs_sns_and_kinesis_envelopes_are_understood() {
    use Expect::*;
    let cases: &[(&str, Expect)] = &[
        (
            "awsdocs-java-events-s3-notification.json",
            Objects(&["inbound/sample-java-s3.png"]),
        ),
        (
            "awsdocs-s3-put-notification.json",
            Objects(&["HappyFace.jpg"]),
        ),
        // `Happy%20Face.jpg` in the notification: keys are URL-decoded.
        ("lambdago-s3-put.json", Objects(&["Happy Face.jpg"])),
        (
            "lambdarust-s3-event-with-decoded.json",
            Objects(&["Happy Face.jpg"]),
        ),
        ("awsdocs-s3-test-event.json", Skip("s3:TestEvent")),
        (
            "lambdago-s3-restore-completed.json",
            Skip("not an object-created event"),
        ),
        (
            "lambdago-s3-lifecycle-transition.json",
            Skip("not an object-created event"),
        ),
        (
            "lambdago-s3-replication-failed.json",
            Skip("not an object-created event"),
        ),
        (
            "lambdago-s3-intelligent-tiering.json",
            Skip("not an object-created event"),
        ),
        (
            "datadog-sqs-wrapping-s3-notification.json",
            Objects(&["my-key.log"]),
        ),
        (
            "datadog-sqs-wrapping-sns-wrapping-s3.json",
            Objects(&["my-key.log"]),
        ),
        (
            "lambdago-sqs.json",
            Undecodable("SQS message body is not JSON"),
        ),
        (
            "awsdocs-java-events-sqs-record.json",
            Undecodable("SQS message body is not JSON"),
        ),
        ("lambdago-sns.json", Undecodable("SNS message is not JSON")),
        (
            "awsdocs-java-events-sns-notification.json",
            Undecodable("SNS message is not JSON"),
        ),
        (
            "lambdarust-sns-pascal-case.json",
            Undecodable("SNS message is not JSON"),
        ),
        (
            "lambdago-cloudwatch-alarm-via-sns.json",
            Undecodable("SNS message is not an S3 notification"),
        ),
        ("lambdago-kinesis.json", NotCloudWatchLogs),
        ("awsdocs-java-events-kinesis-record.json", NotCloudWatchLogs),
        ("lambdarust-kinesis-encrypted.json", NotCloudWatchLogs),
    ];
    for (name, expect) in cases {
        let units = units(name);
        assert!(!units.is_empty(), "{name}");
        // Batched sources name each unit for batchItemFailures.
        if name.contains("sqs") || name.contains("kinesis") {
            assert!(units.iter().all(|u| u.item_id.is_some()), "{name}");
        }
        match expect {
            Objects(keys) => {
                let mut found = Vec::new();
                for unit in &units {
                    match &unit.work {
                        Work::S3(objects) => found.extend(objects.iter().map(|o| o.key.clone())),
                        other => panic!("{name}: {other:?}"),
                    }
                }
                assert_eq!(found, *keys, "{name}");
            }
            Skip(reason) => {
                for unit in &units {
                    assert!(
                        matches!(&unit.work, Work::Skip(r) if r == reason),
                        "{name}: {:?}",
                        unit.work
                    );
                }
            }
            Undecodable(reason) => {
                for unit in &units {
                    assert!(
                        matches!(&unit.work, Work::Undecodable(r) if r.contains(reason)),
                        "{name}: {:?}",
                        unit.work
                    );
                }
            }
            Logs => {
                for unit in &units {
                    assert!(
                        matches!(&unit.work, Work::Logs(_)),
                        "{name}: {:?}",
                        unit.work
                    );
                }
            }
            NotCloudWatchLogs => {
                let count = units.len();
                let settings =
                    logs_forwarder::config::Settings::from_lookup(|_| None).expect("defaults");
                let encoded = support::encode_units(&settings, units);
                assert_eq!(encoded.errors.len(), count, "{name}: {:?}", encoded.errors);
                for error in &encoded.errors {
                    assert!(
                        error.contains("not valid CloudWatch Logs JSON")
                            || error.contains("payload is empty"),
                        "{name}: {error}"
                    );
                }
            }
        }
    }
    // Kinesis records carrying CloudWatch Logs data (our fixture; the
    // corpus's Kinesis samples carry other data) are payloads, each its own
    // unit, decoded when forwarded: the truncated one fails then, alone.
    let bytes = std::fs::read(support::fixtures().join("bad/kinesis-one-truncated-record.json"))
        .expect("fixture");
    let units = input::from_file_bytes(bytes).expect("kinesis event");
    let kinds: Vec<Expect> = units
        .into_iter()
        .map(|u| match u.work {
            Work::Logs(payload) => match payload.decode() {
                Ok(_) => Logs,
                Err(_) => Undecodable(""),
            },
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(kinds, [Logs, Undecodable(""), Logs]);
}
