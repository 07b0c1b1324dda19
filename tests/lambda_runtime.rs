//! The Lambda path: the real binary under `cargo lambda watch` (the Lambda
//! runtime API emulator), invoked with `cargo lambda invoke --data-file`,
//! indexing into a real `osmem-server`.

mod support;

use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use support::snapshot_standin::{Flavor, StandIn};
use support::{fixture, path_str, Osmem};

/// `cargo lambda watch`, and on drop every process it started.
struct Watch {
    child: Child,
    port: u16,
    /// The function (binary) it runs.
    function: &'static str,
}

impl Drop for Watch {
    fn drop(&mut self) {
        // cargo-lambda and the function put themselves in process groups of
        // their own, so the whole tree is found through /proc and killed.
        kill_tree(self.child.id());
        let _ = self.child.wait();
    }
}

fn kill_tree(pid: u32) {
    let tasks = std::fs::read_dir(format!("/proc/{pid}/task"))
        .into_iter()
        .flatten()
        .flatten();
    let children: Vec<u32> = tasks
        .filter_map(|t| std::fs::read_to_string(t.path().join("children")).ok())
        .flat_map(|c| {
            c.split_whitespace()
                .filter_map(|p| p.parse().ok())
                .collect::<Vec<u32>>()
        })
        .collect();
    let _ = Command::new("kill")
        .args(["-KILL", &pid.to_string()])
        .status();
    for child in children {
        kill_tree(child);
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

fn cargo_lambda(args: &[&str]) -> Command {
    let mut cmd = Command::new("cargo");
    let path = format!(
        "{}:{}",
        support::venv().join("bin").display(),
        std::env::var("PATH").unwrap_or_default()
    );
    // The emulator builds into its own target directory, so that it never
    // waits on the lock of the `cargo test` that runs this test.
    cmd.arg("lambda")
        .args(args)
        .current_dir(support::root())
        .env("PATH", path)
        .env(
            "CARGO_TARGET_DIR",
            support::root().join("target/cargo-lambda"),
        );
    cmd
}

fn watch(env: &str) -> Watch {
    watch_bin("logs-forwarder", env)
}

fn watch_bin(function: &'static str, env: &str) -> Watch {
    support::venv_bin("cargo-lambda");
    let port = free_port();
    let child = cargo_lambda(&[
        "watch",
        "--ignore-changes",
        "--bin",
        function,
        "--invoke-address",
        "127.0.0.1",
        "--invoke-port",
        &port.to_string(),
        "--env-var",
        env,
    ])
    .stdout(Stdio::null())
    .stderr(Stdio::null())
    .spawn()
    .expect("cargo lambda watch starts");
    Watch {
        child,
        port,
        function,
    }
}

/// Invokes once the emulator listens. The first invocation waits for the
/// function to build.
fn invoke(watch: &Watch, file: &str) -> Output {
    let deadline = Instant::now() + Duration::from_secs(120);
    while TcpStream::connect(("127.0.0.1", watch.port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "cargo lambda watch never listened on {}",
            watch.port
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    cargo_lambda(&[
        "invoke",
        watch.function,
        "--invoke-address",
        "127.0.0.1",
        "--invoke-port",
        &watch.port.to_string(),
        "--data-file",
        file,
    ])
    .output()
    .expect("cargo lambda invoke runs")
}

fn json_of(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "invoke printed no JSON ({e}): {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

#[test]
fn lambda_invocations_index_and_report_failures() {
    let osmem = Osmem::start();
    let watch = watch(&format!("ES_ENDPOINT={},ES_AUTH=none", osmem.url));

    // A CloudWatch Logs subscription event.
    let out = invoke(&watch, &fixture("cloudwatch/cloudtrail.json"));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let summary = json_of(&out);
    assert_eq!(
        (summary["events"].as_u64(), summary["indexed"].as_u64()),
        (Some(24), Some(24)),
        "{summary}"
    );
    assert_eq!(osmem.count("cloudtrail-*", json!({"match_all": {}})), 24);

    // The same event again (a Lambda retry): nothing new, nothing lost.
    let again = json_of(&invoke(&watch, &fixture("cloudwatch/cloudtrail.json")));
    assert_eq!(again["duplicates"], 24, "{again}");
    assert_eq!(osmem.count("cloudtrail-*", json!({"match_all": {}})), 24);

    // Kinesis: only the broken record is reported for redelivery.
    let out = invoke(&watch, &fixture("bad/kinesis-one-truncated-record.json"));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let response = json_of(&out);
    assert_eq!(
        response,
        json!({"batchItemFailures": [{"itemIdentifier": "49590338271490256608559692538361571095921575989136588802"}]})
    );
    assert_eq!(osmem.count("vpc-flowlogs-*", json!({"match_all": {}})), 30);
    assert_eq!(
        osmem.count("cwl-aws-lambda-orders-api-*", json!({"match_all": {}})),
        8
    );

    // Firehose: every record answered, the one that did not decode as
    // ProcessingFailed (to the stream's error output), the rest Ok with
    // their data unchanged.
    let dir = support::temp_dir("lambda-firehose");
    let payload = json!({"messageType": "DATA_MESSAGE", "owner": "123456789012",
        "logGroup": "/aws/lambda/firehosed", "logStream": "s", "subscriptionFilters": ["f"],
        "logEvents": [{"id": "1", "timestamp": 1_700_000_000_000_i64, "message": "from firehose"}]});
    let gzipped = {
        use std::io::Write as _;
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(payload.to_string().as_bytes()).expect("gzip");
        gz.finish().expect("gzip")
    };
    let b64 = |b: &[u8]| {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD.encode(b)
    };
    let event = json!({"invocationId": "inv-1", "region": "eu-west-1",
    "deliveryStreamArn": "arn:aws:firehose:eu-west-1:123456789012:deliverystream/app-logs",
    "records": [
        {"recordId": "r1", "approximateArrivalTimestamp": 1_700_000_000_000_i64, "data": b64(&gzipped)},
        {"recordId": "r2", "approximateArrivalTimestamp": 1_700_000_000_000_i64, "data": b64(b"raw line\n")},
        {"recordId": "r3", "approximateArrivalTimestamp": 1_700_000_000_000_i64, "data": "%%not base64"},
    ]});
    let file = dir.join("firehose.json");
    std::fs::write(&file, event.to_string()).expect("written");
    let out = invoke(&watch, &path_str(&file));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let response = json_of(&out);
    let records = response["records"].as_array().expect("records");
    let results: Vec<(&str, &str)> = records
        .iter()
        .map(|r| {
            (
                r["recordId"].as_str().unwrap_or(""),
                r["result"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        results,
        [("r1", "Ok"), ("r2", "Ok"), ("r3", "ProcessingFailed")],
        "{response}"
    );
    assert_eq!(records[0]["data"], event["records"][0]["data"]);
    assert_eq!(records[1]["data"], event["records"][1]["data"]);
    assert_eq!(
        osmem.count("cwl-aws-lambda-firehosed-*", json!({"match_all": {}})),
        1
    );
    assert_eq!(osmem.count("cwl-app-logs-*", json!({"match_all": {}})), 1);

    // An undecodable subscription event fails the invocation, with the reason.
    let out = invoke(&watch, &fixture("bad/awslogs-truncated-gzip.json"));
    assert!(!out.status.success());
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    // cargo-lambda wraps the message in a box: undo the wrapping.
    let said = said
        .replace('│', " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert!(said.contains("corrupt or truncated gzip"), "{said}");
}

/// The snapshot manager's Lambda mode: a scheduled event's payload (the
/// `Input` of the Schedule events in template.yaml) selects the action. The
/// cluster is the recorded-response stand-in of the snapshot API (no server
/// installable here implements it).
#[test]
fn the_snapshot_manager_takes_its_action_from_the_scheduled_event() {
    let standin = StandIn::start(Flavor::OpenSearch2, "manual");
    let watch = watch_bin(
        "snapshot-manager",
        &format!(
            "ES_ENDPOINT={},ES_AUTH=none,SNAPSHOT_REPOSITORY=manual",
            standin.url
        ),
    );
    let dir = std::env::temp_dir().join(format!("lf-snapshot-lambda-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let event = |name: &str, payload: Value| {
        let path = dir.join(name);
        std::fs::write(&path, payload.to_string()).expect("write event");
        path_str(&path)
    };

    let create = event(
        "create.json",
        json!({"action": "create", "prefix": "scheduled"}),
    );
    let out = invoke(&watch, &create);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let result = json_of(&out);
    assert_eq!(result["result"], "started", "{result}");
    let name = result["name"].as_str().expect("name").to_owned();
    assert!(name.starts_with("scheduled-"), "{name}");
    assert_eq!(standin.names(), [name]);

    let prune = event(
        "prune.json",
        json!({"action": "prune", "prefix": "scheduled", "older_than": "30d", "keep_min": 1, "dry_run": true}),
    );
    let result = json_of(&invoke(&watch, &prune));
    assert_eq!(result["dry_run"], true, "{result}");
    assert_eq!(result["deleted"], json!([]), "nothing that young is pruned");

    let out = invoke(&watch, &event("bad.json", json!({"prefix": "x"})));
    assert!(!out.status.success());
    let said = String::from_utf8_lossy(&out.stderr).replace('│', " ");
    let said = said.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(said.contains("has no \"action\""), "{said}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// History fanned out over the function: `backfill` announces objects in
/// moto S3 to a moto SQS queue, and the messages, drained in batches of
/// ten as Lambda's SQS poller hands them over, go through the real
/// function under the runtime API emulator, which reads each object from
/// S3 and indexes every event once.
#[test]
fn backfilled_objects_are_read_by_the_function() {
    let (osmem, moto) = (Osmem::start(), support::Moto::start());
    let dir = support::temp_dir("lambda-backfill");
    let bucket = dir.join("bucket");
    for i in 0..23u32 {
        let records: Vec<Value> = (0..2)
            .map(|n| json!({"eventVersion": "1.08", "eventTime": format!("2025-11-22T08:{:02}:0{n}Z", i % 60),
                "eventSource": "sts.amazonaws.com", "eventName": "AssumeRole", "awsRegion": "eu-west-1",
                "sourceIPAddress": "198.51.100.7", "eventID": format!("backfill-{i:03}-{n}"),
                "eventType": "AwsApiCall", "recipientAccountId": "111122223333"}))
            .collect();
        let key = format!(
            "AWSLogs/111122223333/CloudTrail/eu-west-1/2025/11/22/111122223333_CloudTrail_eu-west-1_20251122T0830Z_{i:03}.json.gz"
        );
        support::write_object(
            &bucket,
            &key,
            &support::gzip(&json!({"Records": records}).to_string()),
        );
    }
    let uploaded = support::python_json(
        "s3_history.py",
        &json!({"endpoint": moto.url, "upload": {"bucket": "org-logs", "dir": path_str(&bucket)}}),
    );
    assert_eq!(uploaded["objects"], 23);
    let queue = support::python_json(
        "s3_history.py",
        &json!({"endpoint": moto.url, "queue": "objects"}),
    );
    let aws = [
        ("AWS_ENDPOINT_URL", moto.url.as_str()),
        ("AWS_REGION", "us-east-1"),
        ("AWS_ACCESS_KEY_ID", "testing"),
        ("AWS_SECRET_ACCESS_KEY", "testing"),
    ];
    let queue_url = queue["url"].as_str().expect("queue URL");
    let backfill = support::run_forwarder_in(
        None,
        &["backfill", "--queue", queue_url, "s3://org-logs/AWSLogs/"],
        &aws,
    );
    assert!(
        backfill.success,
        "{}\n{}",
        backfill.summary, backfill.stderr
    );
    assert_eq!(
        backfill.summary["objects_queued"], 23,
        "{}",
        backfill.summary
    );

    let drained = support::python_json(
        "s3_history.py",
        &json!({"endpoint": moto.url, "drain": "objects"}),
    );
    let events = drained["events"].as_array().expect("events");
    assert_eq!(events.len(), 3, "ten, ten and three messages");
    let watch = watch(&format!(
        "ES_ENDPOINT={},ES_AUTH=none,S3_BUCKETS=org-logs,AWS_ENDPOINT_URL_S3={},AWS_REGION=us-east-1,AWS_ACCESS_KEY_ID=testing,AWS_SECRET_ACCESS_KEY=testing",
        osmem.url, moto.url
    ));
    for (n, event) in events.iter().enumerate() {
        let file = dir.join(format!("sqs-{n}.json"));
        std::fs::write(&file, event.to_string()).expect("event");
        let out = invoke(&watch, &path_str(&file));
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(json_of(&out), json!({"batchItemFailures": []}));
    }
    assert_eq!(osmem.count("cloudtrail-*", json!({"match_all": {}})), 46);
    let _ = std::fs::remove_dir_all(&dir);
}
