//! A notification names the bucket and region that the S3 request's host
//! is built from: a forged one must not steer a signed request anywhere.
//! A listener on loopback stands where a steered request would go and
//! counts the connections it gets; the forwarder's `replay` runs the
//! Lambda code path on the forged events.

mod support;

use std::io::{Read as _, Write as _};
use std::net::TcpListener;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};
use support::{path_str, replay};

/// Counts connections to a loopback port, answering each with a 404.
struct Listener {
    port: u16,
    connections: Arc<AtomicUsize>,
}

impl Listener {
    fn start() -> Listener {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let connections = Arc::new(AtomicUsize::new(0));
        let counted = connections.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                counted.fetch_add(1, Ordering::SeqCst);
                let _ = stream.set_read_timeout(Some(Duration::from_millis(500)));
                let _ = stream.read(&mut [0u8; 4096]);
                let _ = stream.write_all(
                    b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                );
            }
        });
        Listener { port, connections }
    }

    fn count(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }
}

fn notification(records: &[(&str, &str)]) -> Value {
    let records: Vec<Value> = records
        .iter()
        .map(|(bucket, region)| {
            json!({"eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": region,
                "eventTime": "2026-12-05T10:00:00.000Z", "eventName": "ObjectCreated:Put",
                "s3": {"bucket": {"name": bucket}, "object": {"key": "AWSLogs/k.log", "size": 10}}})
        })
        .collect();
    json!({ "Records": records })
}

fn run(event: &Value, extra: &[(&str, &str)]) -> support::Replay {
    let dir = support::temp_dir("steering");
    let path = dir.join("event.json");
    std::fs::write(&path, event.to_string()).expect("write");
    let mut env = vec![
        ("AWS_REGION", "us-east-1"),
        ("AWS_ACCESS_KEY_ID", "AKIDSTEERINGTEST"),
        ("AWS_SECRET_ACCESS_KEY", "secret"),
        ("AWS_SESSION_TOKEN", "session-token-steering"),
    ];
    env.extend_from_slice(extra);
    replay(&["--out", "-", &path_str(&path)], &env)
}

#[test]
fn a_forged_bucket_or_region_opens_no_connection() {
    let listener = Listener::start();
    let port = listener.port;
    let bucket = format!("localhost:{port}/");
    let region = format!("x@127.0.0.1:{port}/");
    let run = run(
        &notification(&[(&bucket, "us-east-1"), ("logs", &region)]),
        &[],
    );
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(
        listener.count(),
        0,
        "no request was steered: {}",
        run.stderr
    );
    assert!(!run.success, "refused objects fail the item");
    let s = &run.summary;
    assert_eq!(s["undecodable"], 2, "{s}");
    let errors = s["errors"].to_string();
    assert!(errors.contains("bucket name"), "{errors}");
    assert!(errors.contains("is not an AWS region name"), "{errors}");
    assert!(!run.stderr.contains("AKIDSTEERINGTEST"), "{}", run.stderr);
}

#[test]
fn buckets_outside_the_allow_list_are_not_read() {
    let listener = Listener::start();
    let endpoint = format!("http://127.0.0.1:{}", listener.port);
    let event = notification(&[("other-logs", "us-east-1")]);
    let refused = run(
        &event,
        &[
            ("S3_ENDPOINT", &endpoint),
            ("S3_BUCKETS", "central-logs, audit-logs"),
        ],
    );
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(listener.count(), 0, "{}", refused.stderr);
    assert!(
        refused.summary["errors"]
            .to_string()
            .contains("not in S3_BUCKETS"),
        "{}",
        refused.summary
    );
    // The control: the same event with the bucket allowed reaches the
    // listener, so the zero above is the allow-list's doing.
    // At trace level, where aws-sigv4's own log of the signing parameters
    // shows the access key id and the session token unless capped (checked
    // by hand without the caps).
    let allowed = run(
        &event,
        &[
            ("S3_ENDPOINT", &endpoint),
            ("S3_BUCKETS", "other-logs"),
            ("RUST_LOG", "trace"),
        ],
    );
    assert!(listener.count() >= 1, "{}", allowed.stderr);
    for secret in ["AKIDSTEERINGTEST", "session-token-steering", "secret"] {
        assert!(
            !allowed.stderr.contains(secret),
            "{secret} logged:\n{}",
            allowed.stderr
        );
    }
    assert!(
        allowed.summary["errors"].to_string().contains("HTTP 404"),
        "{}",
        allowed.summary
    );
}

#[test]
fn a_malformed_allow_list_fails_the_start() {
    let event = notification(&[("logs", "us-east-1")]);
    let dir = support::temp_dir("steering");
    let path = dir.join("event.json");
    std::fs::write(&path, event.to_string()).expect("write");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_logs-forwarder"))
        .args(["replay", "--out", "-", &path_str(&path)])
        .env("S3_BUCKETS", "good-bucket,bad/bucket")
        .output()
        .expect("runs");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("S3_BUCKETS"), "{stderr}");
}
