//! History already in S3, with real peers: `moto_server` as S3 and SQS,
//! `osmem-server` as the cluster. `replay s3://…` reads a prefix of 200
//! objects (CloudTrail, flow logs, S3 access logs, JSON application logs;
//! gzipped and not) exactly once, resumes from its checkpoint after being
//! killed, and selects by day; `backfill --queue` announces the objects to
//! SQS and the function's SQS path indexes them once. A pass-through
//! recorder in front of moto counts the requests made (see
//! `support::recorder`).

mod support;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use logs_forwarder::config::Settings;
use logs_forwarder::input;
use serde_json::{json, Value};
use support::proxy::Seen;
use support::recorder::Recorder;
use support::{path_str, python_json, run_forwarder_in, Moto, Osmem};

const BUCKET: &str = "history";
const ACCOUNT: &str = "111122223333";

/// One object of the bucket: its key and whether its key holds a day.
struct Object {
    key: String,
    day: Option<u32>,
}

/// Writes the 200 objects under `dir` (their keys as paths); returns them.
fn write_history(dir: &Path) -> Vec<Object> {
    let mut objects = Vec::new();
    for i in 0..200u32 {
        let d = 20 + i % 5;
        let (key, bytes, day) = if i % 10 == 9 {
            // No day in the key: selected by LastModified.
            let lines: String = (0..3)
                .map(|n| format!("{{\"time\":\"2025-11-{d}T08:0{n}:00Z\",\"level\":\"info\",\"msg\":\"request {i}-{n}\"}}\n"))
                .collect();
            (format!("apps/web-{i:03}.log"), lines.into_bytes(), None)
        } else {
            match i % 3 {
                0 => {
                    let records: Vec<Value> = (0..3)
                        .map(|n| json!({"eventVersion": "1.08", "eventTime": format!("2025-11-{d}T08:30:0{n}Z"),
                            "eventSource": "ec2.amazonaws.com", "eventName": "DescribeInstances",
                            "awsRegion": "eu-west-1", "sourceIPAddress": "192.0.2.10",
                            "eventID": format!("0000{i:04}-0000-4000-8000-00000000000{n}"),
                            "eventType": "AwsApiCall", "recipientAccountId": ACCOUNT,
                            "userIdentity": {"type": "IAMUser", "accountId": ACCOUNT, "userName": "alice"}}))
                        .collect();
                    let key = format!("AWSLogs/{ACCOUNT}/CloudTrail/eu-west-1/2025/11/{d}/{ACCOUNT}_CloudTrail_eu-west-1_202511{d}T0830Z_{i:03}.json.gz");
                    (
                        key,
                        support::gzip(&json!({"Records": records}).to_string()),
                        Some(d),
                    )
                }
                1 => {
                    let mut text = String::from("version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status\n");
                    for n in 0..4 {
                        let start = 1_763_600_000 + (d - 20) * 86_400 + i * 60 + n;
                        text.push_str(&format!("2 {ACCOUNT} eni-0a1b2c3d4e5f6a7b8 10.0.{}.{} 198.51.100.{n} 443 {} 6 10 840 {start} {} ACCEPT OK\n",
                            i % 250, n + 1, 49152 + n, start + 60));
                    }
                    let key = format!("AWSLogs/{ACCOUNT}/vpcflowlogs/eu-west-1/2025/11/{d}/{ACCOUNT}_vpcflowlogs_eu-west-1_fl-0123456789abcdef0_202511{d}T0830Z_{i:03}.log.gz");
                    (key, support::gzip(&text), Some(d))
                }
                _ => {
                    // The server access log line of the S3 user guide's example.
                    let text: String = (0..2)
                        .map(|n| format!("79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be amzn-s3-demo-bucket1 [{d}/Nov/2025:08:0{n}:38 +0000] 192.0.2.3 79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be 3E57427F3EXAMPL{n} REST.GET.VERSIONING - \"GET /amzn-s3-demo-bucket1?versioning HTTP/1.1\" 200 - 113 - 7 - \"-\" \"S3Console/0.4\" - s9lzHYrFp76ZVxRcpX9+5cjAnEH2ROuNkd2BHfIa6UkFVdtjf5mKR3/eTPFvsiP/XV/VLi31234= SigV4 ECDHE-RSA-AES128-GCM-SHA256 AuthHeader amzn-s3-demo-bucket1.s3.us-west-1.amazonaws.com TLSv1.2 - -\n"))
                        .collect();
                    let key = format!(
                        "s3-access/2025-11-{d}-08-26-{:02}-{:016X}",
                        i % 60,
                        0xA5A5_0000_u64 + u64::from(i)
                    );
                    (key, text.into_bytes(), Some(d))
                }
            }
        };
        support::write_object(dir, &key, &bytes);
        objects.push(Object { key, day });
    }
    objects
}

/// The documents the objects give, encoded here from the same files.
fn expected_events(dir: &Path, objects: &[Object]) -> u64 {
    let settings = Settings::from_lookup(|_| None).expect("defaults");
    objects
        .iter()
        .map(|o| {
            let units = input::from_file(&dir.join(&o.key)).expect("readable");
            support::encode_units(&settings, units).summary.events
        })
        .sum()
}

/// A moto bucket holding the objects written under `dir`.
fn bucket(moto: &Moto, dir: &Path) {
    let uploaded = python_json(
        "s3_history.py",
        &json!({"endpoint": moto.url, "upload": {"bucket": BUCKET, "dir": path_str(dir)}}),
    );
    assert_eq!(uploaded["objects"], 200);
}

fn aws_env(s3: &str) -> Vec<(&'static str, String)> {
    vec![
        ("ES_AUTH", "none".into()),
        ("AWS_ENDPOINT_URL_S3", s3.into()),
        ("AWS_REGION", "us-east-1".into()),
        ("AWS_ACCESS_KEY_ID", "testing".into()),
        ("AWS_SECRET_ACCESS_KEY", "testing".into()),
    ]
}

fn run(args: &[&str], env: &[(&'static str, String)]) -> support::Replay {
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    run_forwarder_in(None, args, &env)
}

/// The keys of the objects a recorder saw read (GetObject, path-style).
fn keys_read(requests: &[Seen]) -> Vec<String> {
    let prefix = format!("/{BUCKET}/");
    requests
        .iter()
        .filter(|r| r.method == "GET" && !r.path.contains('?'))
        .filter_map(|r| r.path.strip_prefix(&prefix))
        .map(|key| logs_forwarder::percent::decode_form(&key.replace('+', "%2B")))
        .collect()
}

fn checkpoint_lines(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

#[test]
fn replay_reads_a_prefix_once_and_resumes_from_its_checkpoint() {
    let (moto, osmem) = (Moto::start(), Osmem::start());
    let dir = support::temp_dir("history");
    let objects = write_history(&dir);
    let events = expected_events(&dir, &objects);
    // 60 CloudTrail files of 3, 60 flow logs of 4, 60 access logs of 2, 20 of 3.
    assert_eq!(events, 60 * 3 + 60 * 4 + 60 * 2 + 20 * 3);
    bucket(&moto, &dir);
    let checkpoint = dir.join("replay.checkpoint");
    let source = format!("s3://{BUCKET}/");
    let args = |checkpoint: &Path| -> Vec<String> {
        [
            "replay",
            "--endpoint",
            &osmem.url,
            "--concurrency",
            "2",
            "--checkpoint",
            &path_str(checkpoint),
            &source,
        ]
        .map(str::to_owned)
        .to_vec()
    };

    // A first run, slowed down by its S3 front and killed part of the way.
    let slow: support::recorder::Delay = Arc::new(|seen: &Seen| {
        (seen.method == "GET" && !seen.path.contains('?')).then_some(Duration::from_millis(30))
    });
    let first_front = Recorder::start(&moto.url, Some(slow));
    let env: Vec<(&str, String)> = aws_env(&first_front.url);
    let env_ref: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let first_args = args(&checkpoint);
    let first_args: Vec<&str> = first_args.iter().map(String::as_str).collect();
    let mut first = support::forwarder_command(None, &first_args, &env_ref)
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("replay starts");
    let started = Instant::now();
    while checkpoint_lines(&checkpoint).len() < 40 {
        assert!(started.elapsed() < Duration::from_secs(120), "no progress");
        assert!(
            first.try_wait().expect("wait").is_none(),
            "finished before it was killed"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    first.kill().expect("killed");
    let _ = first.wait();
    let done: BTreeSet<String> = checkpoint_lines(&checkpoint)
        .iter()
        .map(|l| l["key"].as_str().expect("key").to_owned())
        .collect();
    assert!((40..200).contains(&done.len()), "{} done", done.len());

    // The second run skips what the first finished, reads every other
    // object once, and every event is in the cluster once.
    let front = Recorder::start(&moto.url, None);
    let second = run(&first_args, &aws_env(&front.url));
    let s = &second.summary;
    assert!(second.success, "{s}\n{}", second.stderr);
    assert_eq!(s["objects"]["already_done"], done.len(), "{s}");
    assert_eq!(s["objects"]["finished"], 200 - done.len(), "{s}");
    let read = keys_read(&front.requests());
    assert_eq!(
        read.len(),
        200 - done.len(),
        "each object not done read once"
    );
    assert!(
        read.iter().all(|k| !done.contains(k)),
        "a finished object read again"
    );
    assert_eq!(osmem.count("*", json!({"match_all": {}})), events);
    assert_eq!(checkpoint_lines(&checkpoint).len(), 200);

    // Read again without the checkpoint: the same ids, nothing new.
    let again = run(
        &args(&dir.join("fresh.checkpoint"))
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
        &aws_env(&moto.url),
    );
    let s = &again.summary;
    assert!(again.success, "{s}");
    assert_eq!(
        (
            s["events"].as_u64(),
            s["indexed"].as_u64(),
            s["duplicates"].as_u64()
        ),
        (Some(events), Some(0), Some(events)),
        "{s}"
    );
    assert_eq!(osmem.count("*", json!({"match_all": {}})), events);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn since_until_and_patterns_select_exactly_the_expected_keys() {
    let moto = Moto::start();
    let dir = support::temp_dir("history-select");
    let objects = write_history(&dir);
    bucket(&moto, &dir);
    let select = |extra: &[&str]| -> (BTreeSet<String>, Vec<Seen>, Value) {
        let front = Recorder::start(&moto.url, None);
        let out = dir.join("out.ndjson");
        let mut args = vec!["replay", "--out"];
        let out = path_str(&out);
        args.push(&out);
        args.extend_from_slice(extra);
        let run = run(&args, &aws_env(&front.url));
        assert!(run.success, "{}\n{}", run.summary, run.stderr);
        let requests = front.requests();
        (
            keys_read(&requests).into_iter().collect(),
            requests,
            run.summary,
        )
    };
    let expect = |f: &dyn Fn(&Object) -> bool| -> BTreeSet<String> {
        objects
            .iter()
            .filter(|o| f(o))
            .map(|o| o.key.clone())
            .collect()
    };

    let source = format!("s3://{BUCKET}/");
    let (read, requests, summary) =
        select(&["--since", "2025-11-21", "--until", "2025-11-22", &source]);
    assert_eq!(
        read,
        expect(&|o| matches!(o.day, Some(21 | 22))),
        "{summary}"
    );
    // Folders of other days were never listed.
    let listed: Vec<&str> = requests
        .iter()
        .filter(|r| r.path.contains("list-type=2"))
        .map(|r| r.path.as_str())
        .collect();
    assert!(
        listed.iter().any(|p| p.contains("2025%2F11%2F21%2F")),
        "{listed:?}"
    );
    assert!(
        !listed
            .iter()
            .any(|p| p.contains("2025%2F11%2F20%2F") || p.contains("2025%2F11%2F24%2F")),
        "{listed:?}"
    );

    // Keys without a day go by LastModified: moto wrote them today.
    let (read, _, _) = select(&["--since", "0d", &source]);
    assert_eq!(read, expect(&|o| o.day.is_none()));

    let (read, _, _) = select(&[
        "--include",
        "*.gz",
        "--exclude",
        "*vpcflowlogs*",
        "--until",
        "2025-11-20",
        &source,
    ]);
    assert_eq!(
        read,
        expect(&|o| o.key.ends_with(".gz") && !o.key.contains("vpcflowlogs") && o.day == Some(20))
    );

    // A prefix narrows the listing; patterns are matched below it.
    let (read, _, _) = select(&[
        "--include",
        "2025/11/23/*",
        &format!("s3://{BUCKET}/AWSLogs/{ACCOUNT}/CloudTrail/eu-west-1/"),
    ]);
    assert_eq!(
        read,
        expect(&|o| o.key.contains("CloudTrail") && o.day == Some(23))
    );

    // A listing S3 refuses is an error that names it, and the run fails.
    let missing = run(
        &["replay", "--out", "/dev/null", "s3://no-such-bucket/x/"],
        &aws_env(&moto.url),
    );
    assert!(!missing.success);
    let errors = missing.summary["objects"]["errors"].to_string();
    assert!(
        errors.contains("s3://no-such-bucket/x/") && errors.contains("NoSuchBucket"),
        "{errors}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn backfill_queues_notifications_the_function_indexes_once() {
    let (moto, osmem) = (Moto::start(), Osmem::start());
    let dir = support::temp_dir("history-backfill");
    let objects = write_history(&dir);
    bucket(&moto, &dir);
    let queue = python_json(
        "s3_history.py",
        &json!({"endpoint": moto.url, "queue": "forwarder-objects"}),
    );
    let queue_url = queue["url"].as_str().expect("url");
    let sqs_front = Recorder::start(&moto.url, None);
    let mut env = aws_env(&moto.url);
    env.push(("AWS_ENDPOINT_URL_SQS", sqs_front.url.clone()));
    let checkpoint = dir.join("backfill.checkpoint");
    let args = [
        "backfill",
        "--queue",
        queue_url,
        "--since",
        "2025-11-22",
        "--checkpoint",
        &path_str(&checkpoint),
        &format!("s3://{BUCKET}/AWSLogs/"),
    ];
    let backfill = run(&args, &env);
    let s = &backfill.summary;
    assert!(backfill.success, "{s}\n{}", backfill.stderr);
    let selected: Vec<&Object> = objects
        .iter()
        .filter(|o| o.key.starts_with("AWSLogs/") && o.day >= Some(22))
        .collect();
    assert_eq!(s["objects_queued"], selected.len(), "{s}");
    let bytes: u64 = selected
        .iter()
        .map(|o| std::fs::metadata(dir.join(&o.key)).expect("file").len())
        .sum();
    assert_eq!(s["bytes_queued"], bytes, "{s}");

    // SendMessageBatch requests of at most ten entries, one per object.
    let batches: Vec<Value> = sqs_front
        .requests()
        .iter()
        .filter(|r| r.header("x-amz-target") == Some("AmazonSQS.SendMessageBatch"))
        .map(|r| serde_json::from_slice(&r.body).expect("JSON request"))
        .collect();
    assert!(batches
        .iter()
        .all(|b| (1..=10).contains(&b["Entries"].as_array().map_or(0, Vec::len))));
    let entries: usize = batches
        .iter()
        .map(|b| b["Entries"].as_array().map_or(0, Vec::len))
        .sum();
    assert_eq!(entries, selected.len());

    // A second run with the checkpoint queues nothing again.
    let again = run(&args, &env);
    assert_eq!(again.summary["objects_queued"], 0, "{}", again.summary);
    assert_eq!(again.summary["objects"]["already_done"], selected.len());

    // What the function's SQS path does with the messages moto holds.
    let drained = python_json(
        "s3_history.py",
        &json!({"endpoint": moto.url, "drain": "forwarder-objects"}),
    );
    assert_eq!(drained["messages"], selected.len());
    let mut files: Vec<PathBuf> = Vec::new();
    for (n, event) in drained["events"]
        .as_array()
        .expect("events")
        .iter()
        .enumerate()
    {
        let file = dir.join(format!("sqs-event-{n}.json"));
        std::fs::write(&file, event.to_string()).expect("event");
        files.push(file);
    }
    let mut replay_args = vec![
        "replay".to_owned(),
        "--endpoint".to_owned(),
        osmem.url.clone(),
    ];
    replay_args.extend(files.iter().map(|f| path_str(f)));
    let replay_args: Vec<&str> = replay_args.iter().map(String::as_str).collect();
    let indexed = run(&replay_args, &aws_env(&moto.url));
    let s = &indexed.summary;
    assert!(indexed.success, "{s}\n{}", indexed.stderr);
    let local: Vec<Object> = selected
        .iter()
        .map(|o| Object {
            key: o.key.clone(),
            day: o.day,
        })
        .collect();
    let events = expected_events(&dir, &local);
    assert!(events > 0);
    assert_eq!(
        (s["indexed"].as_u64(), s["failed"].as_u64()),
        (Some(events), Some(0)),
        "{s}"
    );
    assert_eq!(s["failed_items"], json!([]), "{s}");
    assert_eq!(osmem.count("*", json!({"match_all": {}})), events);

    // Reading the same objects from a listing derives the same ids.
    let source = format!("s3://{BUCKET}/AWSLogs/");
    let listing = run(
        &[
            "replay",
            "--endpoint",
            &osmem.url,
            "--since",
            "2025-11-22",
            &source,
        ],
        &aws_env(&moto.url),
    );
    let s = &listing.summary;
    assert_eq!(
        (s["indexed"].as_u64(), s["duplicates"].as_u64()),
        (Some(0), Some(events)),
        "{s}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// On a terminal (`script` gives the command one) progress is drawn on
/// stderr, and taken off before the summary, which stays the last line.
#[test]
fn progress_on_a_terminal_then_the_summary_last() {
    let moto = Moto::start();
    let dir = support::temp_dir("history-progress");
    write_history(&dir);
    bucket(&moto, &dir);
    let slow: support::recorder::Delay = Arc::new(|seen: &Seen| {
        (seen.method == "GET" && !seen.path.contains('?')).then_some(Duration::from_millis(40))
    });
    let front = Recorder::start(&moto.url, Some(slow));
    let command = format!(
        "{} replay --out /dev/null --concurrency 1 --until 2025-11-21 s3://{BUCKET}/",
        env!("CARGO_BIN_EXE_logs-forwarder")
    );
    let env = aws_env(&front.url);
    let out = std::process::Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
        .env("AWS_CONFIG_FILE", "/nonexistent")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("TERM", "xterm")
        .output()
        .expect("script (bsdutils) runs");
    let screen = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{screen}");
    assert!(
        screen.contains(" objects, ") && screen.contains(" read ("),
        "no progress drawn:\n{screen}"
    );
    // What a terminal shows: control sequences (ESC [ ... letter) drawn, not text.
    let mut shown = String::new();
    let mut chars = screen.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' && chars.next() == Some('[') {
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            shown.push(c);
        }
    }
    let last = shown
        .split(['\n', '\r'])
        .map(|l| l.trim_matches(|c: char| c.is_whitespace() || c.is_control()))
        .rfind(|l| !l.is_empty())
        .unwrap_or_default();
    let summary: Value = serde_json::from_str(last).unwrap_or_else(|e| panic!("{e}: {last:?}"));
    assert!(
        summary["objects"]["finished"].as_u64() > Some(50),
        "{summary}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// SQS throttles, fails on its side, and refuses one message as the
/// sender's fault (the front answers those requests in moto's place: moto
/// does neither on demand). Throttled and failed entries are sent again,
/// nothing twice; the refused object is reported, left out of the
/// checkpoint, and queued by the next run.
#[test]
fn backfill_retries_what_sqs_throttles_and_reports_what_it_refuses() {
    let moto = Moto::start();
    let dir = support::temp_dir("history-backfill-faults");
    let objects = write_history(&dir);
    bucket(&moto, &dir);
    let queue = python_json(
        "s3_history.py",
        &json!({"endpoint": moto.url, "queue": "objects"}),
    );
    let queue_url = queue["url"].as_str().expect("url").to_owned();
    let selected: Vec<&Object> = objects
        .iter()
        .filter(|o| o.key.starts_with("AWSLogs/") && o.day == Some(23))
        .collect();
    let refused = selected[3].key.clone();
    let poison = logs_forwarder::percent::encode(&refused, b"/");
    let answer: support::recorder::Answer = Arc::new(move |n, seen: &Seen| {
        let body = String::from_utf8_lossy(&seen.body);
        match n {
            0 => Some((
                400,
                r#"{"__type":"com.amazonaws.sqs#ThrottlingException","message":"Rate exceeded"}"#
                    .to_owned(),
            )),
            1 => Some((
                500,
                r#"{"__type":"com.amazonaws.sqs#InternalError","message":"try again"}"#.to_owned(),
            )),
            _ if body.contains(&poison) => {
                let request: Value = serde_json::from_str(&body).expect("JSON request");
                let failed: Vec<Value> = request["Entries"].as_array().expect("entries").iter().map(|e| {
                    let id = e["Id"].clone();
                    if e["MessageBody"].as_str().is_some_and(|b| b.contains(&poison)) {
                        json!({"Id": id, "SenderFault": true, "Code": "InvalidMessageContents", "Message": "no"})
                    } else {
                        json!({"Id": id, "SenderFault": false, "Code": "InternalError", "Message": "again"})
                    }
                }).collect();
                Some((200, json!({"Successful": [], "Failed": failed}).to_string()))
            }
            _ => None,
        }
    });
    let front = Recorder::answering(&moto.url, answer);
    let mut env = aws_env(&moto.url);
    env.push(("AWS_ENDPOINT_URL_SQS", front.url.clone()));
    let checkpoint = dir.join("faults.checkpoint");
    let source = format!("s3://{BUCKET}/AWSLogs/");
    let args = [
        "backfill",
        "--queue",
        &queue_url,
        "--since",
        "2025-11-23",
        "--until",
        "2025-11-23",
        "--concurrency",
        "1",
        "--checkpoint",
        &path_str(&checkpoint),
        &source,
    ];
    let first = run(&args, &env);
    let s = &first.summary;
    assert!(!first.success, "one object was not queued: {s}");
    assert_eq!(
        (s["objects_queued"].as_u64(), s["failed"].as_u64()),
        (Some(selected.len() as u64 - 1), Some(1)),
        "{s}"
    );
    assert!(s["retried"].as_u64() >= Some(3), "{s}");
    assert!(
        s["errors"].to_string().contains("InvalidMessageContents"),
        "{s}"
    );
    let drained = python_json(
        "s3_history.py",
        &json!({"endpoint": moto.url, "drain": "objects"}),
    );
    let keys: Vec<String> = drained["events"]
        .as_array()
        .expect("events")
        .iter()
        .flat_map(|e| e["Records"].as_array().cloned().unwrap_or_default())
        .map(|r| {
            let body: Value =
                serde_json::from_str(r["body"].as_str().expect("body")).expect("notification");
            logs_forwarder::percent::decode_form(
                body["Records"][0]["s3"]["object"]["key"]
                    .as_str()
                    .expect("key"),
            )
        })
        .collect();
    let unique: BTreeSet<&String> = keys.iter().collect();
    assert_eq!(unique.len(), keys.len(), "a message sent twice");
    assert_eq!(keys.len(), selected.len() - 1);
    assert!(!keys.contains(&refused));
    assert!(checkpoint_lines(&checkpoint)
        .iter()
        .all(|l| l["key"] != refused.as_str()));

    // The next run, SQS willing, queues the one left.
    let again = run(
        &args,
        &aws_env(&moto.url)
            .into_iter()
            .chain([("AWS_ENDPOINT_URL_SQS", moto.url.clone())])
            .collect::<Vec<_>>(),
    );
    assert!(again.success, "{}", again.summary);
    assert_eq!(again.summary["objects_queued"], 1, "{}", again.summary);
    let _ = std::fs::remove_dir_all(&dir);
}
