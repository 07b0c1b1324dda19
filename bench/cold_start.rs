//! `cargo bench --bench cold_start`: the release binary as Lambda runs it.
//!
//! A runtime API stand-in (the four requests `lambda_runtime` makes: `next`,
//! `response`, `error`, `init/error`) and an accept-all `_bulk` endpoint run
//! in this process on loopback; the `logs-forwarder` binary is started with
//! the environment Lambda gives it, and for each of several fresh processes
//! the bench measures:
//!
//! - init: process start to its first `next` request (what Lambda bills as
//!   Init Duration, minus the sandbox's own start);
//! - first invocation: the first event handed out to its answer, on a cold
//!   connection pool;
//! - warm invocations, per envelope: a CloudWatch Logs subscription (1,000
//!   events), Kinesis (100 records of 100 events), SQS with S3 notifications
//!   whose objects are missing (envelope and S3 error path only), Firehose
//!   (100 records of 100 events).
//!
//! It prints medians, and the binary's size (and the arm64 one's, when
//! `sam build` has made it). `COLD_START_BINARY` names another binary to
//! measure the same way.

#[path = "loopback.rs"]
mod loopback;

use std::collections::VecDeque;
use std::io::Write as _;
use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine as _;
use bytes::Bytes;
use http_body_util::Full;
use serde_json::{json, Value};

const PROCESSES: usize = 15;
const WARM_ROUNDS: usize = 8;
const T0: i64 = 1_763_800_000_000;

/// What the stand-ins saw, in order.
#[derive(Default)]
struct Shared {
    events: VecDeque<(String, Bytes)>,
    /// (what happened, request id, when).
    log: Vec<(&'static str, String, Instant)>,
}

type State = Arc<Mutex<Shared>>;

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(data).expect("gzip");
    gz.finish().expect("gzip")
}

fn b64(data: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(data)
}

fn payload(group: &str, events: usize, salt: usize) -> Vec<u8> {
    let events: Vec<Value> = (0..events)
        .map(|i| {
            json!({"id": format!("{}", 37_000_000_000_000_000_000_000u128 + (salt * 100_000 + i) as u128),
                "timestamp": T0 + i as i64,
                "message": format!("2025-11-22T08:26:42.120Z\tc793869b-{i:04}\tINFO\tprocessed order {i} in 12 ms")})
        })
        .collect();
    let payload = json!({"messageType": "DATA_MESSAGE", "owner": "111122223333", "logGroup": group,
        "logStream": "s", "subscriptionFilters": ["f"], "logEvents": events});
    gzip(payload.to_string().as_bytes())
}

/// The events handed out, by envelope.
fn events() -> Vec<(&'static str, Value)> {
    let cwl = json!({"awslogs": {"data": b64(&payload("/aws/lambda/app", 1000, 0))}});
    let kinesis = json!({"Records": (0..100).map(|r| json!({
        "kinesis": {"kinesisSchemaVersion": "1.0", "partitionKey": "p", "sequenceNumber": format!("4959{r:040}"),
            "data": b64(&payload("/aws/lambda/app", 100, r + 1)), "approximateArrivalTimestamp": 1_763_800_000.5},
        "eventSource": "aws:kinesis", "eventVersion": "1.0", "eventID": format!("shardId-000000000000:4959{r:040}"),
        "eventName": "aws:kinesis:record", "invokeIdentityArn": "arn:aws:iam::111122223333:role/r",
        "awsRegion": "eu-west-1", "eventSourceARN": "arn:aws:kinesis:eu-west-1:111122223333:stream/logs"})).collect::<Vec<_>>()});
    let sqs = json!({"Records": (0..10).map(|r| {
        let notification = json!({"Records": [{"eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": "eu-west-1",
            "eventTime": "2025-11-22T08:26:40.000Z", "eventName": "ObjectCreated:Put",
            "userIdentity": {"principalId": "AWS:AROAEXAMPLE"}, "requestParameters": {"sourceIPAddress": "10.0.0.1"},
            "responseElements": {"x-amz-request-id": "R", "x-amz-id-2": "I"},
            "s3": {"s3SchemaVersion": "1.0", "configurationId": "c", "bucket": {"name": "missing-bucket", "arn": "arn:aws:s3:::missing-bucket"},
                "object": {"key": format!("AWSLogs/111122223333/vpcflowlogs/eu-west-1/{r}.log.gz"), "size": 100, "eTag": "e", "sequencer": "0"}}}]});
        json!({"messageId": format!("m-{r}"), "receiptHandle": "h", "body": notification.to_string(),
            "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": "1763800000000"}, "messageAttributes": {},
            "md5OfBody": "x", "eventSource": "aws:sqs", "eventSourceARN": "arn:aws:sqs:eu-west-1:111122223333:q", "awsRegion": "eu-west-1"})
    }).collect::<Vec<_>>()});
    let firehose = json!({"invocationId": "i", "deliveryStreamArn": "arn:aws:firehose:eu-west-1:111122223333:deliverystream/logs",
        "region": "eu-west-1", "records": (0..100).map(|r| json!({"recordId": format!("r-{r}"),
            "approximateArrivalTimestamp": T0, "data": b64(&payload("/aws/lambda/app", 100, 200 + r))})).collect::<Vec<_>>()});
    vec![
        ("cloudwatch", cwl),
        ("kinesis", kinesis),
        ("sqs", sqs),
        ("firehose", firehose),
    ]
}

async fn serve(state: State) -> SocketAddr {
    loopback::serve(move |req| {
        let state = state.clone();
        async move { answer(&state, req).await }
    })
    .await
}

async fn answer(
    state: &State,
    req: hyper::Request<hyper::body::Incoming>,
) -> hyper::Response<Full<Bytes>> {
    let path = req.uri().path().to_owned();
    let body = loopback::body(req).await;
    let now = Instant::now();
    if path == "/2018-06-01/runtime/invocation/next" {
        let next = {
            let mut shared = state.lock().expect("state");
            let next = shared.events.pop_front();
            let id = next.as_ref().map_or_else(String::new, |(id, _)| id.clone());
            shared.log.push(("next", id, now));
            next
        };
        let Some((id, event)) = next else {
            // Nothing more: the bench kills the process while it waits.
            tokio::time::sleep(Duration::from_secs(3600)).await;
            return hyper::Response::new(Full::new(Bytes::new()));
        };
        let deadline = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64)
            + 300_000;
        return hyper::Response::builder()
            .header("lambda-runtime-aws-request-id", id)
            .header("lambda-runtime-deadline-ms", deadline.to_string())
            .header(
                "lambda-runtime-invoked-function-arn",
                "arn:aws:lambda:eu-west-1:111122223333:function:logs-forwarder",
            )
            .header("lambda-runtime-trace-id", "Root=1-0-0")
            .body(Full::new(event))
            .expect("response");
    }
    if let Some(rest) = path.strip_prefix("/2018-06-01/runtime/invocation/") {
        let id = rest.split('/').next().unwrap_or_default().to_owned();
        let what = if rest.ends_with("/response") {
            "response"
        } else {
            eprintln!("invocation {id} failed: {}", String::from_utf8_lossy(&body));
            "error"
        };
        state.lock().expect("state").log.push((what, id, now));
        return hyper::Response::builder()
            .status(202)
            .body(Full::new(Bytes::from_static(b"{}")))
            .expect("response");
    }
    if path.starts_with("/2018-06-01/runtime/init/error") {
        panic!("init failed: {}", String::from_utf8_lossy(&body));
    }
    if path.ends_with("/_bulk") {
        return loopback::bulk_created(&body);
    }
    // S3 GetObject for the SQS notifications' objects: not there.
    hyper::Response::builder()
        .status(404)
        .body(Full::new(Bytes::from_static(
            b"<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message></Error>",
        )))
        .expect("response")
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v.get(v.len() / 2).copied().unwrap_or_default()
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn main() {
    // `COLD_START_BINARY=path` measures another build (an earlier commit's)
    // against the same stand-ins, for a before / after in one sitting.
    let binary = std::env::var("COLD_START_BINARY")
        .unwrap_or_else(|_| env!("CARGO_BIN_EXE_logs-forwarder").to_owned());
    let binary = binary.as_str();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    let state: State = Arc::default();
    let addr = runtime.block_on(serve(state.clone()));
    let kinds = events();
    let bodies: Vec<(&str, Bytes)> = kinds
        .iter()
        .map(|(k, v)| (*k, Bytes::from(v.to_string())))
        .collect();

    let mut init = Vec::new();
    let mut first = Vec::new();
    let mut warm: Vec<(&str, Vec<Duration>)> =
        bodies.iter().map(|(k, _)| (*k, Vec::new())).collect();
    for process in 0..PROCESSES {
        {
            let mut shared = state.lock().expect("state");
            shared.log.clear();
            shared.events.clear();
            shared
                .events
                .push_back((format!("p{process}-first"), bodies[0].1.clone()));
            for round in 0..WARM_ROUNDS {
                for (kind, body) in &bodies {
                    shared
                        .events
                        .push_back((format!("p{process}-{kind}-{round}"), body.clone()));
                }
            }
        }
        let expected = 1 + WARM_ROUNDS * bodies.len();
        let started = Instant::now();
        let mut child = Command::new(binary)
            .env_clear()
            .env("AWS_LAMBDA_RUNTIME_API", addr.to_string())
            .env("AWS_LAMBDA_FUNCTION_NAME", "logs-forwarder")
            .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
            .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "512")
            .env("AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/logs-forwarder")
            .env("AWS_LAMBDA_LOG_STREAM_NAME", "s")
            .env("AWS_REGION", "eu-west-1")
            .env("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE")
            .env(
                "AWS_SECRET_ACCESS_KEY",
                "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            )
            .env("AWS_SESSION_TOKEN", "token")
            .env("ES_ENDPOINT", format!("http://{addr}"))
            .env("S3_ENDPOINT", format!("http://{addr}"))
            .env("ES_TYPE", "none")
            .env("TEMPLATES", "off")
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("binary starts");
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            let done = state
                .lock()
                .expect("state")
                .log
                .iter()
                .filter(|(what, _, _)| *what != "next")
                .count();
            if done >= expected || Instant::now() > deadline {
                break;
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        let _ = child.kill();
        let _ = child.wait();
        let shared = state.lock().expect("state");
        let when = |what: &str, id: &str| {
            shared
                .log
                .iter()
                .find(|(w, i, _)| *w == what && i == id)
                .map(|(_, _, t)| *t)
        };
        let first_id = format!("p{process}-first");
        let handed = when("next", &first_id).expect("first next");
        let first_next = shared.log.first().map(|(_, _, t)| *t).expect("a next");
        init.push(first_next - started);
        let answered = when("response", &first_id)
            .or_else(|| when("error", &first_id))
            .expect("first answered");
        first.push(answered - handed);
        for (kind, times) in &mut warm {
            for round in 0..WARM_ROUNDS {
                let id = format!("p{process}-{kind}-{round}");
                if let (Some(a), Some(b)) = (
                    when("next", &id),
                    when("response", &id).or_else(|| when("error", &id)),
                ) {
                    times.push(b - a);
                }
            }
        }
    }

    println!("cold start: {PROCESSES} fresh processes of {binary}");
    println!(
        "  init (start to first `next`): median {:.2} ms, min {:.2} ms",
        ms(median(init.clone())),
        ms(init.iter().min().copied().unwrap_or_default())
    );
    println!(
        "  first invocation (1,000 CloudWatch events, cold connections): median {:.2} ms",
        ms(median(first))
    );
    println!(
        "warm invocations (median of {} each):",
        PROCESSES * WARM_ROUNDS
    );
    for (kind, times) in warm {
        let n = times.len();
        println!("  {kind:<10} {:>8.2} ms  ({n} answered)", ms(median(times)));
    }
    let size = |p: &str| std::fs::metadata(p).map(|m| m.len());
    if let Ok(bytes) = size(binary) {
        println!(
            "binary ({}): {:.2} MB",
            std::env::consts::ARCH,
            bytes as f64 / 1e6
        );
    }
    let arm = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/target/sam/ForwarderFunction/bootstrap"
    );
    match size(arm) {
        Ok(bytes) => println!("binary (aarch64, sam build): {:.2} MB", bytes as f64 / 1e6),
        Err(_) => println!("binary (aarch64): run scripts/check-template (sam build) to report it"),
    }
}
