//! Documents the cluster rejects are repaired, or dead-lettered, never lost:
//! a real `osmem-server` with a template of our own that makes fields
//! unmappable, dead letters written to a directory and to a real S3 bucket
//! in `moto`, and replayed back once the cluster is fixed.

mod support;

use serde_json::{json, Value};
use support::{fixture, path_str, replay, Moto, Osmem};

const FLOWS: &str = "vpc-flowlogs-2025.11.22";

fn base_env() -> Vec<(&'static str, String)> {
    vec![
        ("ES_AUTH", "none".into()),
        // The test's own template decides the mappings here.
        ("TEMPLATES", "off".into()),
    ]
}

fn run(osmem: &Osmem, file: &str, env: &[(&'static str, String)]) -> support::Replay {
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    replay(&["--endpoint", &osmem.url, file], &env)
}

#[test]
fn mapping_rejections_are_repaired_as_text() {
    let osmem = Osmem::start();
    // `srcport` as an address: every flow record that has one is rejected.
    osmem.request(
        "PUT",
        "/_index_template/conflict",
        Some(
            json!({"index_patterns": ["vpc-flowlogs-*"], "priority": 500,
            "template": {"mappings": {"properties": {"srcport": {"type": "ip"}}}}}),
        ),
    );
    let run = run(&osmem, &fixture("cloudwatch/vpc-flow.json"), &base_env());
    assert!(run.success, "{}", run.stderr);
    let s = &run.summary;
    assert_eq!(s["events"], 30, "{s}");
    assert_eq!(s["indexed"], 30, "{s}");
    assert_eq!(s["failed"], 0, "{s}");
    let repaired = s["repaired"].as_u64().expect("repaired");
    // NODATA records have no srcport and go in as they are.
    let with_port = osmem.count(FLOWS, json!({"exists": {"field": "@error"}}));
    assert_eq!(repaired, with_port);
    assert!(repaired >= 20, "{s}");
    let doc = &osmem.sources(FLOWS, json!({"exists": {"field": "@error"}}))[0];
    let error = doc["@error"].as_str().expect("@error");
    assert!(error.contains("mapper_parsing_exception"), "{error}");
    let original: Value =
        serde_json::from_str(doc["@message"].as_str().expect("@message")).expect("original JSON");
    assert!(
        original["srcport"].is_number(),
        "the original is kept whole: {original}"
    );
    assert!(doc["@timestamp"].is_string() && doc["@log_group"].is_string());
}

/// A total-fields limit that neither the documents nor their repairs fit:
/// everything is rejected twice and must be dead-lettered.
fn too_few_fields(osmem: &Osmem) {
    osmem.request(
        "PUT",
        "/_index_template/tiny",
        Some(
            json!({"index_patterns": ["vpc-flowlogs-*"], "priority": 500,
            "template": {"settings": {"index.mapping.total_fields.limit": 2}}}),
        ),
    );
}

/// The fix: the limit raised on the index, the template removed.
fn fix(osmem: &Osmem) {
    osmem.request("DELETE", "/_index_template/tiny", None);
    osmem.request(
        "PUT",
        &format!("/{FLOWS}/_settings"),
        Some(json!({"index.mapping.total_fields.limit": 1000})),
    );
}

fn assert_all_dead_lettered(run: &support::Replay) {
    assert!(run.success, "dead-lettered is delivered: {}", run.stderr);
    let s = &run.summary;
    assert_eq!(s["events"], 30, "{s}");
    assert_eq!(s["failed"], 0, "{s}");
    assert_eq!(
        s["indexed"].as_u64().unwrap_or(0) + s["dead_lettered"].as_u64().unwrap_or(0),
        30,
        "{s}"
    );
    assert!(s["dead_lettered"].as_u64() >= Some(20), "{s}");
}

fn check_records(records: &[u8], expected: u64) {
    let lines: Vec<Value> = records
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| serde_json::from_slice(l).expect("NDJSON"))
        .collect();
    assert_eq!(lines.len() as u64, expected);
    for record in &lines {
        assert_eq!(record["index"], FLOWS);
        assert!(record["id"].is_string());
        assert_eq!(
            record["error_type"], "illegal_argument_exception",
            "{record}"
        );
        assert!(
            record["reason"]
                .as_str()
                .is_some_and(|r| r.contains("fields")),
            "{record}"
        );
        assert!(
            record["document"]["srcaddr"].is_string()
                || record["document"]["log_status"] == "NODATA"
        );
        assert!(record["time"].is_string());
    }
}

#[test]
fn dead_letters_to_a_directory_replay_once_fixed() {
    let osmem = Osmem::start();
    too_few_fields(&osmem);
    let dir = std::env::temp_dir().join(format!("lf-dlq-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let mut env = base_env();
    env.push(("DLQ_URI", format!("file://{}", path_str(&dir))));
    let first = run(&osmem, &fixture("cloudwatch/vpc-flow.json"), &env);
    assert_all_dead_lettered(&first);
    let dead = first.summary["dead_lettered"].as_u64().unwrap_or(0);
    let files: Vec<_> = std::fs::read_dir(&dir)
        .expect("dlq dir")
        .map(|e| e.expect("entry").path())
        .collect();
    assert_eq!(files.len(), 1, "one dead-letter file per invocation");
    check_records(&std::fs::read(&files[0]).expect("read"), dead);

    fix(&osmem);
    let again = run(&osmem, &path_str(&files[0]), &base_env());
    assert!(again.success, "{}", again.stderr);
    assert_eq!(
        again.summary["indexed"].as_u64(),
        Some(dead),
        "{}",
        again.summary
    );
    assert_eq!(osmem.count(FLOWS, json!({"match_all": {}})), 30);
    assert_eq!(
        osmem.count(FLOWS, json!({"exists": {"field": "@error"}})),
        0,
        "originals, not repairs"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn dead_letters_to_s3_replay_once_fixed() {
    let osmem = Osmem::start();
    let moto = Moto::start();
    moto.notify(json!({"bucket": "dead-letters", "queue": "unused", "objects": []}));
    too_few_fields(&osmem);
    let mut env = base_env();
    env.extend([
        ("DLQ_URI", "s3://dead-letters/forwarder".to_owned()),
        ("S3_ENDPOINT", moto.url.clone()),
        ("AWS_REGION", "us-east-1".to_owned()),
        ("AWS_ACCESS_KEY_ID", "testing".to_owned()),
        ("AWS_SECRET_ACCESS_KEY", "testing".to_owned()),
    ]);
    let first = run(&osmem, &fixture("cloudwatch/vpc-flow.json"), &env);
    assert_all_dead_lettered(&first);
    let dead = first.summary["dead_lettered"].as_u64().unwrap_or(0);
    let objects = moto.objects("dead-letters");
    assert_eq!(
        objects.len(),
        1,
        "{:?}",
        objects.iter().map(|o| &o.0).collect::<Vec<_>>()
    );
    let (key, records) = &objects[0];
    assert!(
        key.starts_with("forwarder/") && key.ends_with(".ndjson"),
        "{key}"
    );
    check_records(records, dead);

    fix(&osmem);
    // The re-drive reads the dead-letter prefix in S3 itself (issue 30):
    // each document as it was, to its index under its id.
    let mut redrive_env = base_env();
    redrive_env.extend([
        ("AWS_ENDPOINT_URL_S3", moto.url.clone()),
        ("AWS_REGION", "us-east-1".to_owned()),
        ("AWS_ACCESS_KEY_ID", "testing".to_owned()),
        ("AWS_SECRET_ACCESS_KEY", "testing".to_owned()),
    ]);
    let again = run(&osmem, "s3://dead-letters/forwarder/", &redrive_env);
    assert!(again.success, "{}", again.stderr);
    assert_eq!(
        again.summary["indexed"].as_u64(),
        Some(dead),
        "{}",
        again.summary
    );
    assert_eq!(again.summary["objects"]["finished"], 1, "{}", again.summary);
    assert_eq!(osmem.count(FLOWS, json!({"match_all": {}})), 30);
    assert_eq!(
        osmem.count(FLOWS, json!({"exists": {"field": "@error"}})),
        0,
        "originals, not repairs"
    );
    // Sent once more, the same ids find them there.
    let twice = run(&osmem, "s3://dead-letters/forwarder/", &redrive_env);
    assert_eq!(
        twice.summary["duplicates"].as_u64(),
        Some(dead),
        "{}",
        twice.summary
    );
}

#[test]
fn an_unwritable_dead_letter_destination_fails_the_invocation() {
    let osmem = Osmem::start();
    too_few_fields(&osmem);
    let mut env = base_env();
    // A file where the directory should be: nothing can be written.
    let blocker = std::env::temp_dir().join(format!("lf-dlq-blocker-{}", std::process::id()));
    std::fs::write(&blocker, b"not a directory").expect("write");
    env.push(("DLQ_URI", format!("file://{}/dlq", path_str(&blocker))));
    let run = run(&osmem, &fixture("cloudwatch/vpc-flow.json"), &env);
    let _ = std::fs::remove_file(&blocker);
    assert!(!run.success, "Lambda must deliver the batch again");
    let s = &run.summary;
    assert_eq!(s["dead_lettered"], 0, "{s}");
    assert!(s["failed"].as_u64() >= Some(20), "{s}");
    assert!(
        s["errors"].to_string().contains("writing dead letters"),
        "{s}"
    );
}
