//! Log objects in S3, announced through SQS, end to end with real peers:
//! `moto_server` as S3 and SQS (a real bucket notification configuration
//! makes moto send the messages), `osmem-server` as the cluster, and the
//! forwarder's `replay` on the Lambda SQS event that carries them. The
//! forwarder fetches every object from moto with a SigV4-signed GetObject.

mod support;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use logs_forwarder::config::Settings;
use logs_forwarder::input;
use serde_json::{json, Value};
use support::{fixtures, path_str, replay, Moto, Osmem};

const ACCOUNT: &str = "111122223333";

/// The objects: corpus files and generated ones, gzipped and not, under the
/// keys AWS services write to (and one under a prefix that only a route
/// knows).
fn objects() -> Vec<(String, PathBuf, bool)> {
    let corpus = support::corpus();
    let day = "2025/11/22";
    vec![
        (
            format!("AWSLogs/{ACCOUNT}/CloudTrail/eu-west-1/{day}/{ACCOUNT}_CloudTrail_eu-west-1_x.json"),
            corpus.join("cloudtrail/awsdocs-logfile-example-09-awscloudtrailinsight.json"),
            false,
        ),
        (
            format!("AWSLogs/{ACCOUNT}/CloudTrail/eu-west-1/{day}/{ACCOUNT}_CloudTrail_eu-west-1_y.json.gz"),
            fixtures().join("objects/cloudtrail-huge-record.json.gz"),
            false,
        ),
        (
            format!("AWSLogs/{ACCOUNT}/CloudTrail-Digest/eu-west-1/{day}/digest.json.gz"),
            corpus.join("cloudtrail/awsdocs-digest-1.json"),
            true,
        ),
        (
            format!("AWSLogs/{ACCOUNT}/vpcflowlogs/eu-west-1/{day}/{ACCOUNT}_vpcflowlogs_eu-west-1_fl-1_x.log.gz"),
            corpus.join("vpcflow/awsdocs-v3-tcp-flags-header.log"),
            true,
        ),
        (
            format!("AWSLogs/{ACCOUNT}/elasticloadbalancing/eu-west-1/{day}/{ACCOUNT}_elasticloadbalancing_eu-west-1_app.lb_x.log.gz"),
            corpus.join("alb/elastic-elb-mixed.log"),
            true,
        ),
        (
            "access-logs/2025-11-22-08-26-40-ABCDEF (1).log".to_owned(),
            corpus.join("s3access/elastic-s3-server-access.log"),
            false,
        ),
    ]
}

/// How many documents each object must give, from encoding the same files
/// locally (the S3 path must add and lose nothing).
fn expected_events() -> u64 {
    let settings = Settings::from_lookup(|_| None).expect("defaults");
    objects()
        .iter()
        .map(|(_, file, _)| {
            let units = input::from_file(file).expect("readable");
            support::encode_units(&settings, units).summary.events
        })
        .sum()
}

fn env<'a>(moto: &'a Moto, routes: &'a str) -> Vec<(&'static str, &'a str)> {
    vec![
        ("ES_AUTH", "none"),
        ("S3_ENDPOINT", moto.url.as_str()),
        ("AWS_REGION", "us-east-1"),
        ("AWS_ACCESS_KEY_ID", "testing"),
        ("AWS_SECRET_ACCESS_KEY", "testing"),
        ("ROUTES", routes),
    ]
}

const ROUTES: &str =
    r#"[{"bucket": "central-logs", "key_prefix": "access-logs/", "format": "s3_access"}]"#;

fn write_event(event: &Value) -> (tempdir::Dir, String) {
    let dir = tempdir::Dir::new();
    let path = dir.path.join("sqs-event.json");
    std::fs::write(&path, event.to_string()).expect("write event");
    let path = path_str(&path);
    (dir, path)
}

mod tempdir {
    pub struct Dir {
        pub path: std::path::PathBuf,
    }
    impl Dir {
        pub fn new() -> Dir {
            use std::sync::atomic::{AtomicUsize, Ordering};
            static N: AtomicUsize = AtomicUsize::new(0);
            let path = std::env::temp_dir().join(format!(
                "lf-s3-{}-{}",
                std::process::id(),
                N.fetch_add(1, Ordering::SeqCst)
            ));
            std::fs::create_dir_all(&path).expect("temp dir");
            Dir { path }
        }
    }
    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.path);
        }
    }
}

#[test]
fn objects_announced_through_sqs_land_exactly_once() {
    let moto = Moto::start();
    let osmem = Osmem::start();
    let spec_objects: Vec<Value> = objects()
        .iter()
        .map(|(key, file, gzip)| json!({"key": key, "file": path_str(file), "gzip": gzip}))
        .collect();
    let event = moto.notify(json!({
        "bucket": "central-logs", "queue": "log-objects", "objects": spec_objects,
    }));
    let records = event["Records"].as_array().expect("records");
    // One test event from the notification configuration, one per object.
    assert_eq!(records.len(), objects().len() + 1, "{event}");
    let (_dir, path) = write_event(&event);

    let expected = expected_events();
    let run = replay(&["--endpoint", &osmem.url, &path], &env(&moto, ROUTES));
    assert!(run.success, "{}", run.stderr);
    let s = &run.summary;
    assert_eq!(s["events"].as_u64(), Some(expected), "{s}");
    assert_eq!(s["indexed"].as_u64(), Some(expected), "{s}");
    assert_eq!(s["malformed"], 0, "{s}");
    // The test event and the digest file.
    assert_eq!(s["skipped"], 2, "{s}");
    assert_eq!(s["failed_items"], json!([]), "{s}");

    // Routed by key: the AWSLogs layouts out of the box, the access logs by
    // the configured prefix.
    assert_eq!(
        osmem.count("cloudtrail-*", json!({"match_all": {}})),
        2 + 40
    );
    assert_eq!(osmem.count("vpc-flowlogs-*", json!({"match_all": {}})), 8);
    assert_eq!(osmem.count("elb-access-*", json!({"match_all": {}})), 10);
    assert_eq!(osmem.count("s3-access-*", json!({"match_all": {}})), 10);
    let flow = &osmem.sources("vpc-flowlogs-*", json!({"term": {"tcp_flags": 19}}))[0];
    assert_eq!(
        flow["@source"]
            .as_str()
            .map(|s| s.starts_with("s3://central-logs/AWSLogs/")),
        Some(true),
        "{flow}"
    );
    let access = &osmem.sources("s3-access-*", json!({"match_all": {}}))[0];
    assert_eq!(
        access["@source"], "s3://central-logs/access-logs/2025-11-22-08-26-40-ABCDEF (1).log",
        "the URL-encoded key was decoded"
    );

    // The same messages again (SQS redelivers): nothing new, nothing twice.
    let again = replay(&["--endpoint", &osmem.url, &path], &env(&moto, ROUTES));
    assert!(again.success, "{}", again.stderr);
    assert_eq!(again.summary["indexed"], 0, "{}", again.summary);
    assert_eq!(again.summary["duplicates"].as_u64(), Some(expected));
    assert_eq!(
        osmem.count("*", json!({"exists": {"field": "@source"}})),
        expected
    );
}

#[test]
fn a_failing_object_is_the_only_message_reported() {
    let moto = Moto::start();
    let osmem = Osmem::start();
    let corpus = support::corpus();
    let keys = [
        "AWSLogs/1/vpcflowlogs/a.log",
        "AWSLogs/1/vpcflowlogs/gone.log",
        "AWSLogs/1/vpcflowlogs/b.log",
    ];
    let file = path_str(&corpus.join("vpcflow/awsdocs-v2-default-header.log"));
    let event = moto.notify(json!({
        "bucket": "flow-bucket", "queue": "flow-queue",
        "objects": keys.iter().map(|k| json!({"key": k, "file": file})).collect::<Vec<_>>(),
        // Deleted after the notification: GetObject answers 404.
        "delete_after": [keys[1]],
    }));
    let gone = event["Records"]
        .as_array()
        .expect("records")
        .iter()
        .find(|r| r["body"].as_str().is_some_and(|b| b.contains("gone.log")))
        .and_then(|r| r["messageId"].as_str())
        .expect("the message for gone.log")
        .to_owned();
    let (_dir, path) = write_event(&event);
    let run = replay(&["--endpoint", &osmem.url, &path], &env(&moto, "[]"));
    assert!(!run.success, "an undelivered object fails the run");
    let s = &run.summary;
    assert_eq!(s["failed_items"], json!([gone]), "{s}");
    assert_eq!(s["indexed"], 14, "the other two objects arrived: {s}");
    let error = s["errors"].to_string();
    assert!(error.contains("NoSuchKey"), "{error}");
}

/// What Firehose writes to S3 from a CloudWatch Logs subscription: gzipped
/// payloads one after the other with no separator.
fn firehose_object(dir: &std::path::Path) -> std::path::PathBuf {
    let payload = |group: &str, n: usize| {
        let events: Vec<Value> = (0..n)
            .map(|i| json!({"id": format!("38{group_len:02}{i:050}", group_len = group.len()), "timestamp": 1_764_496_800_000_i64 + i as i64,
                            "message": format!("{group} event {i}")}))
            .collect();
        json!({"messageType": "DATA_MESSAGE", "owner": "123456789012", "logGroup": group,
               "logStream": "s", "subscriptionFilters": ["to-firehose"], "logEvents": events})
        .to_string()
    };
    let control = json!({"messageType": "CONTROL_MESSAGE", "owner": "CloudwatchLogs", "logGroup": "",
        "logStream": "", "subscriptionFilters": [], "logEvents": [{"id": "", "timestamp": 1_764_496_800_000_i64,
        "message": "CWL CONTROL MESSAGE: Checking health of destination Firehose."}]});
    let body = [
        payload("/aws/lambda/orders", 3),
        control.to_string(),
        payload("/ecs/payments", 2),
        payload("/aws/lambda/logs-forwarder", 4),
    ]
    .concat();
    let path = dir.join("firehose-object");
    std::fs::write(&path, body).expect("object");
    path
}

#[test]
fn objects_firehose_wrote_from_a_subscription_are_read_as_payloads() {
    let moto = Moto::start();
    let osmem = Osmem::start();
    let dir = tempdir::Dir::new();
    let object = firehose_object(&dir.path);
    let event = moto.notify(json!({
        "bucket": "central-logs", "queue": "firehose-objects",
        "objects": [{"key": "firehose/2026/11/30/10/cwl-stream-1-2026-11-30-10-00-00-abc", "file": path_str(&object), "gzip": true}],
    }));
    let (_dir, path) = write_event(&event);
    let mut vars = env(&moto, "[]");
    vars.push(("AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/logs-forwarder"));
    let run = replay(&["--endpoint", &osmem.url, &path], &vars);
    assert!(run.success, "{}", run.stderr);
    let s = &run.summary;
    assert_eq!(s["indexed"], 5, "{s}");
    // The test event, the control message, and the forwarder's own 4 events.
    assert_eq!(s["skipped"], 6, "{s}");
    assert_eq!(
        osmem.count("cwl-aws-lambda-orders-*", json!({"match_all": {}})),
        3
    );
    let payments = osmem.sources("cwl-ecs-payments-*", json!({"match_all": {}}));
    assert_eq!(payments.len(), 2);
    assert_eq!(payments[0]["@log_group"], "/ecs/payments");
    assert_eq!(payments[0]["@owner"], "123456789012");
    // Redelivered: the events' own ids make it a no-op.
    let again = replay(&["--endpoint", &osmem.url, &path], &vars);
    assert!(again.success, "{}", again.stderr);
    assert_eq!(again.summary["duplicates"], 5, "{}", again.summary);
}

/// An SQS batch names several objects: they are read at once, not one
/// after the other on S3's latency, and all of them arrive. S3 is moto
/// behind a relay that holds each request 300 ms. The invocation's time is
/// printed for both settings (a measurement, not asserted: these machines
/// are noisy); what is asserted is that the reads overlapped.
#[test]
fn the_objects_of_a_batch_are_read_concurrently() {
    let moto = Moto::start();
    let osmem = Osmem::start();
    let corpus = support::corpus();
    let file = path_str(&corpus.join("vpcflow/awsdocs-v2-default-header.log"));
    let keys: Vec<String> = (0..6)
        .map(|i| format!("AWSLogs/1/vpcflowlogs/eu-west-1/2025/11/22/o{i}.log"))
        .collect();
    let event = moto.notify(json!({
        "bucket": "flow-bucket", "queue": "flow-queue",
        "objects": keys.iter().map(|k| json!({"key": k, "file": file})).collect::<Vec<_>>(),
    }));
    let (_dir, path) = write_event(&event);
    let mut times = Vec::new();
    for concurrency in ["1", "4"] {
        let far = support::delay::Delay::start(&moto.url, Duration::from_millis(300));
        let mut vars = env(&moto, "[]");
        vars.retain(|(k, _)| *k != "S3_ENDPOINT");
        vars.push(("S3_ENDPOINT", far.url.as_str()));
        vars.push(("OBJECT_CONCURRENCY", concurrency));
        let started = Instant::now();
        let run = replay(&["--endpoint", &osmem.url, &path], &vars);
        let closest = far.closest_arrivals().expect("requests reached S3");
        times.push((concurrency, started.elapsed(), closest));
        assert!(run.success, "{}", run.stderr);
        let s = &run.summary;
        // Seven records per object; the second run finds them all indexed.
        assert_eq!(
            s["indexed"].as_u64().unwrap_or(0) + s["duplicates"].as_u64().unwrap_or(0),
            6 * 7,
            "{s}"
        );
        // One at a time, each request waits for the last answer (300 ms
        // away); at once, two leave within a fraction of that.
        if concurrency == "1" {
            assert!(closest >= Duration::from_millis(300), "{closest:?}");
        } else {
            assert!(
                closest < Duration::from_millis(150),
                "reads overlapped: {closest:?}"
            );
        }
    }
    assert_eq!(
        osmem.count("vpc-flowlogs-*", json!({"match_all": {}})),
        6 * 7
    );
    for (concurrency, took, closest) in times {
        eprintln!("OBJECT_CONCURRENCY={concurrency}: 6 objects, S3 300 ms away: {took:?} (requests {closest:?} apart at the closest)");
    }
}
