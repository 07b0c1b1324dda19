//! The `snapshot-manager` binary against a recorded-response stand-in of
//! the snapshot API (`tests/support/snapshot_standin.rs`): no server
//! installable here implements snapshots, so the stand-in answers as the
//! documented APIs of Elasticsearch 6.8 / 7.10 and OpenSearch 2.x do.

mod support;

use std::process::Command;
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::Value;
use support::snapshot_standin::{Flavor, Snapshot, StandIn};

const REPO: &str = "manual";

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

struct Run {
    success: bool,
    stdout: Value,
    stderr: String,
}

fn manager(standin: &StandIn, args: &[&str]) -> Run {
    manager_in(standin, REPO, args)
}

fn manager_in(standin: &StandIn, repository: &str, args: &[&str]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_snapshot-manager"))
        .args(args)
        .args(["--endpoint", &standin.url, "--repository", repository])
        .env("ES_AUTH", "none")
        .env_remove("ES_ENDPOINT")
        .env_remove("SNAPSHOT_REPOSITORY")
        .env_remove("AWS_LAMBDA_RUNTIME_API")
        .output()
        .expect("snapshot-manager runs");
    Run {
        success: out.status.success(),
        stdout: serde_json::from_slice(&out.stdout).unwrap_or(Value::Null),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn snap(name: &str, state: &'static str, age_ms: i64) -> Snapshot {
    Snapshot {
        name: name.into(),
        state,
        start_ms: now_ms() - age_ms,
        indices: vec!["cloudtrail-2025.11.22".into()],
    }
}

const H: i64 = 3_600_000;
const D: i64 = 24 * H;

#[test]
fn register_sends_the_s3_repository_settings() {
    let standin = StandIn::start(Flavor::OpenSearch2, REPO);
    let run = manager(
        &standin,
        &[
            "register",
            "--bucket",
            "snapshots-bucket",
            "--region",
            "eu-west-1",
            "--role-arn",
            "arn:aws:iam::111122223333:role/snapshots",
            "--base-path",
            "domain-a",
            "--server-side-encryption",
            "--storage-class",
            "standard_ia",
            "--max-snapshot-bytes-per-sec",
            "40mb",
        ],
    );
    assert!(run.success, "{}", run.stderr);
    let state = standin.state.lock().expect("lock");
    let (name, body) = state.repositories.last().expect("registered");
    assert_eq!(name, REPO);
    assert_eq!(body["type"], "s3");
    let s = &body["settings"];
    assert_eq!(s["bucket"], "snapshots-bucket");
    assert_eq!(s["region"], "eu-west-1");
    assert_eq!(s["role_arn"], "arn:aws:iam::111122223333:role/snapshots");
    assert_eq!(s["base_path"], "domain-a");
    assert_eq!(s["server_side_encryption"], true);
    assert_eq!(s["storage_class"], "standard_ia");
    assert_eq!(s["max_snapshot_bytes_per_sec"], "40mb");
    assert!(s.get("canned_acl").is_none());
}

#[test]
fn create_names_the_snapshot_and_never_overlaps_a_running_one() {
    for flavor in [
        Flavor::Elasticsearch68,
        Flavor::Elasticsearch710,
        Flavor::OpenSearch2,
    ] {
        let standin = StandIn::start(flavor, REPO);
        let run = manager(
            &standin,
            &["create", "--prefix", "nightly", "--indices", "cloudtrail-*"],
        );
        assert!(run.success, "{flavor:?}: {}", run.stderr);
        let name = run.stdout["name"].as_str().expect("name").to_owned();
        // nightly-%Y-%m-%dt%H-%M-%S
        let stamp = name.strip_prefix("nightly-").expect("prefix");
        assert_eq!(stamp.len(), 19, "{name}");
        assert_eq!(&stamp[10..11], "t", "{name}");
        assert!(
            stamp
                .bytes()
                .enumerate()
                .all(|(i, b)| if [4, 7, 13, 16].contains(&i) {
                    b == b'-'
                } else {
                    i == 10 || b.is_ascii_digit()
                }),
            "{name}"
        );
        assert_eq!(standin.names(), [name]);

        // Another snapshot running: reported, nothing started.
        standin.seed(vec![snap("hourly-x", "IN_PROGRESS", H)]);
        let run = manager(&standin, &["create", "--prefix", "nightly"]);
        assert!(run.success, "{}", run.stderr);
        assert_eq!(run.stdout["result"], "skipped");
        assert_eq!(run.stdout["running"][0], "hourly-x");
        assert_eq!(standin.names(), ["hourly-x"]);

        // The cluster says another operation runs (503, or 400 on
        // OpenSearch): retried with backoff until it goes through.
        standin.seed(vec![]);
        standin.state.lock().expect("lock").busy = 2;
        let run = manager(&standin, &["create", "--prefix", "nightly"]);
        assert!(run.success, "{}", run.stderr);
        assert_eq!(run.stdout["result"], "started", "{flavor:?}");
        let puts = standin
            .calls()
            .iter()
            .filter(|c| c.starts_with("PUT /_snapshot/manual/nightly-"))
            .count();
        assert!(
            puts >= 4,
            "{flavor:?}: 1 + 3 attempts: {:?}",
            standin.calls()
        );
    }
}

fn seeded(flavor: Flavor) -> StandIn {
    let standin = StandIn::start(flavor, REPO);
    standin.seed(vec![
        snap("nightly-a", "SUCCESS", 60 * D),
        snap("nightly-b", "SUCCESS", 31 * D),
        snap("nightly-c", "SUCCESS", 29 * D),
        snap("nightly-running", "IN_PROGRESS", 40 * D),
        snap("nightlyish-d", "SUCCESS", 90 * D),
        snap("weekly-e", "SUCCESS", 90 * D),
        snap("nightly-f", "SUCCESS", D),
    ]);
    standin
}

#[test]
fn prune_deletes_by_prefix_and_age_in_one_request_where_supported() {
    for (flavor, one_request) in [
        (Flavor::Elasticsearch68, false),
        (Flavor::Elasticsearch710, true),
        (Flavor::OpenSearch2, true),
    ] {
        let standin = seeded(flavor);
        let run = manager(
            &standin,
            &[
                "prune",
                "--prefix",
                "nightly",
                "--older-than",
                "1M",
                "--keep-min",
                "1",
            ],
        );
        assert!(run.success, "{flavor:?}: {}", run.stderr);
        assert_eq!(
            run.stdout["deleted"],
            serde_json::json!(["nightly-a", "nightly-b"]),
            "{flavor:?}"
        );
        let mut left = standin.names();
        left.sort();
        assert_eq!(
            left,
            [
                "nightly-c",
                "nightly-f",
                "nightly-running",
                "nightlyish-d",
                "weekly-e"
            ],
            "{flavor:?}: running, other prefixes and young ones untouched"
        );
        let deletes: Vec<String> = standin
            .calls()
            .into_iter()
            .filter(|c| c.starts_with("DELETE"))
            .collect();
        if one_request {
            assert_eq!(
                deletes,
                ["DELETE /_snapshot/manual/nightly-a,nightly-b"],
                "{flavor:?}"
            );
        } else {
            assert_eq!(
                deletes,
                [
                    "DELETE /_snapshot/manual/nightly-a",
                    "DELETE /_snapshot/manual/nightly-b"
                ],
                "{flavor:?}"
            );
        }
    }
}

#[test]
fn ages_are_compared_across_unit_boundaries() {
    // (older-than, keep-min, deleted): 31 days is past 1M (30 days) and
    // 4w (28 days) but not past 5w; 29 days is not past 1M; 60 days is
    // past 8w (56 days) but not 1440h + 1 (60 days and an hour).
    let cases: [(&str, &[&str]); 6] = [
        ("1M", &["nightly-a", "nightly-b"]),
        ("4w", &["nightly-a", "nightly-b", "nightly-c"]),
        ("5w", &["nightly-a"]),
        ("8w", &["nightly-a"]),
        ("1441h", &[]),
        ("1y", &[]),
    ];
    for (age, expected) in cases {
        let standin = seeded(Flavor::OpenSearch2);
        let run = manager(
            &standin,
            &[
                "prune",
                "--prefix",
                "nightly",
                "--older-than",
                age,
                "--dry-run",
            ],
        );
        assert!(run.success, "{age}: {}", run.stderr);
        assert_eq!(run.stdout["deleted"], serde_json::json!(expected), "{age}");
        assert_eq!(run.stdout["dry_run"], true);
        assert!(
            standin.calls().iter().all(|c| !c.starts_with("DELETE")),
            "a dry run deletes nothing"
        );
    }
    let standin = seeded(Flavor::OpenSearch2);
    let run = manager(
        &standin,
        &["prune", "--prefix", "nightly", "--older-than", "30 days"],
    );
    assert!(!run.success);
    assert!(run.stderr.contains("is not an age"), "{}", run.stderr);
}

#[test]
fn keep_min_protects_the_newest_even_when_old() {
    let standin = seeded(Flavor::Elasticsearch710);
    let run = manager(
        &standin,
        &[
            "prune",
            "--prefix",
            "nightly",
            "--older-than",
            "1d",
            "--keep-min",
            "3",
        ],
    );
    assert!(run.success, "{}", run.stderr);
    // nightly-* oldest first: a, running, b, c, f; the newest three (b, c,
    // f) are kept, running is never touched.
    assert_eq!(run.stdout["deleted"], serde_json::json!(["nightly-a"]));
}

#[test]
fn restore_the_latest_with_renames_and_list() {
    let standin = seeded(Flavor::OpenSearch2);
    let run = manager(
        &standin,
        &[
            "restore",
            "--prefix",
            "nightly",
            "--indices",
            "cloudtrail-*",
            "--rename-pattern",
            "(.+)",
            "--rename-replacement",
            "restored-$1",
        ],
    );
    assert!(run.success, "{}", run.stderr);
    assert_eq!(
        run.stdout["snapshot"], "nightly-f",
        "the newest SUCCESS one"
    );
    {
        let state = standin.state.lock().expect("lock");
        let (name, body) = state.restored.last().expect("restored");
        assert_eq!(name, "nightly-f");
        assert_eq!(body["rename_pattern"], "(.+)");
        assert_eq!(body["rename_replacement"], "restored-$1");
        assert_eq!(body["indices"], "cloudtrail-*");
        assert_eq!(body["include_global_state"], false);
    }
    assert!(run.stdout["progress"]["shards"].is_u64());

    // Over existing indices: closed first, then restored.
    let run = manager(
        &standin,
        &[
            "restore",
            "--snapshot",
            "nightly-c",
            "--indices",
            "cloudtrail-*",
            "--close-existing",
        ],
    );
    assert!(run.success, "{}", run.stderr);
    {
        let state = standin.state.lock().expect("lock");
        assert_eq!(state.closed, ["cloudtrail-*"]);
        assert_eq!(
            state.restored.last().map(|r| r.0.as_str()),
            Some("nightly-c")
        );
    }
    let calls = standin.calls();
    let close = calls
        .iter()
        .position(|c| c.starts_with("POST /cloudtrail-*/_close"));
    let restore = calls
        .iter()
        .rposition(|c| c.starts_with("POST /_snapshot/manual/nightly-c/_restore"));
    assert!(close < restore && close.is_some(), "{calls:?}");

    let missing = manager(&standin, &["restore", "--prefix", "monthly"]);
    assert!(!missing.success);
    assert!(
        missing.stderr.contains("no snapshot named monthly-*"),
        "{}",
        missing.stderr
    );
    let half = manager(
        &standin,
        &[
            "restore",
            "--snapshot",
            "nightly-f",
            "--rename-pattern",
            "x",
        ],
    );
    assert!(!half.success);

    let list = manager(&standin, &["list"]);
    assert!(list.success, "{}", list.stderr);
    let rows = list.stdout["snapshots"].as_array().expect("rows");
    assert_eq!(rows.len(), 7);
    assert_eq!(rows[0]["name"], "nightlyish-d", "oldest first");
    assert!(rows[0]["age_seconds"].as_i64() >= Some(90 * 86_400 - 5));
    assert!(rows[0]["start_time"]
        .as_str()
        .is_some_and(|t| t.ends_with('Z')));
}

#[test]
fn an_unknown_repository_is_a_clear_error() {
    let standin = StandIn::start(Flavor::Elasticsearch710, REPO);
    let run = manager_in(&standin, "nope", &["list"]);
    assert!(!run.success);
    assert!(
        run.stderr.contains("HTTP 404") && run.stderr.contains("repository_missing_exception"),
        "{}",
        run.stderr
    );
}

#[test]
fn the_service_repository_is_never_touched() {
    let standin = StandIn::start(Flavor::OpenSearch2, "cs-automated-enc");
    let run = manager_in(
        &standin,
        "cs-automated-enc",
        &["prune", "--prefix", "x", "--older-than", "1d"],
    );
    assert!(!run.success);
    assert!(run.stderr.contains("refusing to touch"), "{}", run.stderr);
    assert!(standin.calls().iter().all(|c| !c.starts_with("DELETE")));
}

fn delete_indices(standin: &StandIn, args: &[&str], repository: Option<&str>) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_snapshot-manager"));
    cmd.arg("delete-indices")
        .args(args)
        .args(["--endpoint", &standin.url])
        .env("ES_AUTH", "none")
        .env_remove("ES_ENDPOINT")
        .env_remove("SNAPSHOT_REPOSITORY")
        .env_remove("AWS_LAMBDA_RUNTIME_API");
    if let Some(repository) = repository {
        cmd.args(["--repository", repository]);
    }
    let out = cmd.output().expect("snapshot-manager runs");
    Run {
        success: out.status.success(),
        stdout: serde_json::from_slice(&out.stdout).unwrap_or(Value::Null),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Index names `days` days before today, in each suffix the forwarder writes.
fn daily(prefix: &str, days_ago: i64) -> String {
    let d = logs_forwarder::time::civil_from_days(now_ms() / D - days_ago);
    format!("{prefix}{:04}.{:02}.{:02}", d.year, d.month, d.day)
}

fn weekly(prefix: &str, days_ago: i64) -> String {
    let (y, w) = logs_forwarder::routing::index_name::iso_week(now_ms() / D - days_ago);
    format!("{prefix}{y:04}.{w:02}")
}

fn monthly(prefix: &str, days_ago: i64) -> String {
    let d = logs_forwarder::time::civil_from_days(now_ms() / D - days_ago);
    format!("{prefix}{:04}.{:02}", d.year, d.month)
}

#[test]
fn delete_indices_chooses_exactly_the_old_dated_indices_of_the_prefix() {
    for flavor in [
        Flavor::Elasticsearch68,
        Flavor::Elasticsearch710,
        Flavor::OpenSearch2,
    ] {
        let standin = StandIn::start(flavor, REPO);
        let old = [
            daily("cloudtrail-", 120),
            daily("cloudtrail-", 91),
            weekly("cloudtrail-", 200),
            monthly("cloudtrail-", 400),
        ];
        let kept = [
            daily("cloudtrail-", 89),
            daily("cloudtrail-", 0),
            weekly("cloudtrail-", 60),
            monthly("cloudtrail-", 70), // its month ended less than 90 days ago
            "cloudtrail-archive".to_string(),
            "cloudtrail-2020.01.01-restored".to_string(),
            daily("cloudtrail-prod-", 400),
            daily("vpc-flowlogs-", 400),
            daily("cloudtrailx-", 400),
        ];
        standin.state.lock().expect("lock").indices = old.iter().chain(&kept).cloned().collect();

        // A dry run says what it would delete, and deletes nothing.
        let run = delete_indices(
            &standin,
            &[
                "--prefix",
                "cloudtrail-",
                "--older-than",
                "90d",
                "--dry-run",
            ],
            None,
        );
        assert!(run.success, "{flavor:?}: {}", run.stderr);
        let result = &run.stdout["delete_indices"][0];
        let mut would: Vec<String> =
            serde_json::from_value(result["deleted"].clone()).expect("names");
        would.sort();
        let mut expected = old.to_vec();
        expected.sort();
        assert_eq!(would, expected, "{flavor:?}");
        assert_eq!(
            result["not_dated"],
            serde_json::json!([
                "cloudtrail-2020.01.01-restored",
                "cloudtrail-archive",
                daily("cloudtrail-prod-", 400)
            ]),
            "{flavor:?}"
        );
        assert_eq!(
            standin.state.lock().expect("lock").indices.len(),
            old.len() + kept.len()
        );
        assert!(!standin.calls().iter().any(|c| c.starts_with("DELETE")));

        let run = delete_indices(
            &standin,
            &["--prefix", "cloudtrail-", "--older-than", "90d"],
            None,
        );
        assert!(run.success, "{flavor:?}: {}", run.stderr);
        let mut left = standin.state.lock().expect("lock").indices.clone();
        left.sort();
        let mut expected = kept.to_vec();
        expected.sort();
        assert_eq!(
            left, expected,
            "{flavor:?}: only the old dated indices are gone"
        );
        let deletes: Vec<String> = standin
            .calls()
            .into_iter()
            .filter(|c| c.starts_with("DELETE"))
            .collect();
        assert_eq!(
            deletes.len(),
            1,
            "one request for a few indices: {deletes:?}"
        );
        assert!(!deletes[0].contains('*'));
    }
}

#[test]
fn delete_indices_waits_for_a_successful_snapshot() {
    let standin = StandIn::start(Flavor::OpenSearch2, REPO);
    let snapshotted = daily("vpc-flowlogs-", 100);
    let in_failed_snapshot = daily("vpc-flowlogs-", 101);
    let in_no_snapshot = daily("vpc-flowlogs-", 102);
    standin.state.lock().expect("lock").indices = vec![
        snapshotted.clone(),
        in_failed_snapshot.clone(),
        in_no_snapshot.clone(),
    ];
    standin.seed(vec![
        Snapshot {
            name: "nightly-1".into(),
            state: "SUCCESS",
            start_ms: now_ms() - D,
            indices: vec![snapshotted.clone(), "other".into()],
        },
        Snapshot {
            name: "nightly-2".into(),
            state: "PARTIAL",
            start_ms: now_ms() - D,
            indices: vec![in_failed_snapshot.clone()],
        },
    ]);
    let args = [
        "--prefix",
        "vpc-flowlogs-",
        "--older-than",
        "90d",
        "--require-snapshot",
    ];
    let run = delete_indices(&standin, &args, None);
    assert!(!run.success, "--require-snapshot needs the repository");
    assert!(run.stderr.contains("--repository"), "{}", run.stderr);
    let run = delete_indices(&standin, &args, Some(REPO));
    assert!(run.success, "{}", run.stderr);
    let result = &run.stdout["delete_indices"][0];
    assert_eq!(result["deleted"], serde_json::json!([snapshotted]));
    assert_eq!(
        result["not_snapshotted"],
        serde_json::json!([in_no_snapshot, in_failed_snapshot]),
        "in name order"
    );
    assert_eq!(
        standin.state.lock().expect("lock").indices,
        [in_failed_snapshot, in_no_snapshot]
    );
    // An unknown repository is an error, not a deletion of everything.
    let run = delete_indices(&standin, &args, Some("nope"));
    assert!(!run.success);
    assert!(
        run.stderr.contains("repository_missing_exception"),
        "{}",
        run.stderr
    );
}

#[test]
fn delete_indices_refuses_patterns_and_takes_several_prefixes() {
    let standin = StandIn::start(Flavor::OpenSearch2, REPO);
    for bad in ["*", "cloud*", "a,", ""] {
        let run = delete_indices(&standin, &["--prefix", bad, "--older-than", "1d"], None);
        assert!(!run.success, "{bad:?}");
    }
    standin.state.lock().expect("lock").indices = vec![
        daily("cloudtrail-", 30),
        daily("s3-access-", 30),
        daily("s3-access-", 3),
    ];
    let run = delete_indices(
        &standin,
        &["--prefix", "cloudtrail-,s3-access-", "--older-than", "2w"],
        None,
    );
    assert!(run.success, "{}", run.stderr);
    assert_eq!(
        run.stdout["delete_indices"].as_array().map(Vec::len),
        Some(2)
    );
    assert_eq!(
        standin.state.lock().expect("lock").indices,
        [daily("s3-access-", 3)]
    );
}
