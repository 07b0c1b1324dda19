//! The loop guard: events from the forwarder's own log group
//! (`AWS_LAMBDA_LOG_GROUP_NAME`, which Lambda sets) are never indexed, so an
//! account-wide subscription cannot make the forwarder feed itself. Run
//! through `replay`, which honours the same variable as the Lambda.

mod support;

use support::{fixture, replay};

/// `tests/fixtures/cloudwatch/lambda-text.json` holds 8 events of this group.
const FIXTURE_GROUP: &str = "/aws/lambda/orders-api";

#[test]
fn own_log_group_replays_to_nothing_and_counts_skipped() {
    let file = fixture("cloudwatch/lambda-text.json");
    let run = replay(
        &["--out", "-", &file],
        &[("AWS_LAMBDA_LOG_GROUP_NAME", FIXTURE_GROUP)],
    );
    assert!(
        run.success,
        "a skipped payload is not a failure:\n{}",
        run.stderr
    );
    assert!(run.stdout.is_empty(), "no document may be written");
    assert_eq!(run.summary["skipped"], 8, "{}", run.summary);
    assert_eq!(run.summary["events"], 0, "{}", run.summary);
    assert_eq!(run.summary["encoded"], 0, "{}", run.summary);
    let says_why = run
        .stderr
        .lines()
        .filter(|l| l.contains("own log group"))
        .count();
    assert_eq!(says_why, 1, "one log line says why:\n{}", run.stderr);
}

#[test]
fn any_other_log_group_is_indexed() {
    let file = fixture("cloudwatch/lambda-text.json");
    for own in [
        "/aws/lambda/logs-forwarder-ForwarderFunction-abc",
        "/aws/lambda/orders-api2",
    ] {
        let run = replay(
            &["--out", "-", &file],
            &[("AWS_LAMBDA_LOG_GROUP_NAME", own)],
        );
        assert!(run.success, "{}", run.stderr);
        assert_eq!(run.summary["encoded"], 8, "{}", run.summary);
        assert_eq!(run.summary["skipped"], 0, "{}", run.summary);
        let lines = run.stdout.split(|&b| b == b'\n').filter(|l| !l.is_empty());
        assert_eq!(lines.count(), 16, "8 action lines and 8 documents");
    }
}
