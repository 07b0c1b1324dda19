//! The command lines as people meet them: `--version`, `--help` for every
//! subcommand naming its options and the variables it reads, and usage
//! errors that name the bad argument and exit with status 2.

use std::process::{Command, Output};

fn forwarder(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_logs-forwarder"))
        .args(args)
        .env_remove("AWS_LAMBDA_RUNTIME_API")
        .output()
        .expect("logs-forwarder runs")
}

fn snapshot_manager(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_snapshot-manager"))
        .args(args)
        .env_remove("AWS_LAMBDA_RUNTIME_API")
        .output()
        .expect("snapshot-manager runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn both_binaries_say_their_version() {
    let version = format!("{}\n", env!("CARGO_PKG_VERSION"));
    for (out, name) in [
        (forwarder(&["--version"]), "logs-forwarder "),
        (snapshot_manager(&["--version"]), "snapshot-manager "),
    ] {
        assert!(out.status.success());
        assert_eq!(text(&out.stdout), format!("{name}{version}"));
    }
}

/// `out` is the help `args` asked for, and it names every one of `words`.
fn assert_help(out: Output, args: &[&str], words: &[&str]) {
    assert!(out.status.success(), "{args:?}");
    let help = text(&out.stdout);
    for word in words {
        assert!(
            help.contains(word),
            "{args:?} does not mention {word}:\n{help}"
        );
    }
}

#[test]
fn every_subcommand_has_help_with_its_options_and_variables() {
    for (args, words) in [
        (
            &["--help"][..],
            &["replay", "backfill", "templates", "dashboards"][..],
        ),
        (
            &["replay", "--help"],
            &[
                "--endpoint",
                "--since",
                "--until",
                "--include",
                "--exclude",
                "--concurrency",
                "--checkpoint",
                "s3://BUCKET/PREFIX",
                "ES_AUTH",
                "AWS_PROFILE",
                "AWS_ENDPOINT_URL_S3",
                "DLQ_URI",
            ],
        ),
        (
            &["backfill", "--help"],
            &[
                "--queue",
                "--since",
                "--checkpoint",
                "AWS_ENDPOINT_URL_SQS",
                "sqs:SendMessage",
                "s3:ListBucket",
            ],
        ),
        (
            &["templates", "apply", "--help"],
            &["--endpoint", "ES_AUTH", "ROUTES", "RETENTION"],
        ),
        (
            &["templates", "show", "--help"],
            &["--cluster", "ROUTES", "INDEX_SHARDS"],
        ),
        (
            &["dashboards", "apply", "--help"],
            &["--endpoint", "--kibana"],
        ),
    ] {
        assert_help(forwarder(args), args, words);
    }
    for (args, words) in [
        (
            &["--help"][..],
            &[
                "register",
                "create",
                "prune",
                "restore",
                "list",
                "delete-indices",
                "ES_AUTH",
            ][..],
        ),
        (
            &["prune", "--help"],
            &[
                "--prefix",
                "--older-than",
                "--keep-min",
                "--dry-run",
                "SNAPSHOT_REPOSITORY",
                "ES_ENDPOINT",
            ],
        ),
        (
            &["restore", "--help"],
            &["--snapshot", "--rename-pattern", "--close-existing"],
        ),
    ] {
        assert_help(snapshot_manager(args), args, words);
    }
}

#[test]
fn usage_errors_name_the_argument_and_exit_2() {
    for (args, names) in [
        (&[][..], "Usage"),
        (&["replay"], "FILE|DIR|s3://BUCKET/PREFIX"),
        (&["replay", "--since"], "--since"),
        (&["replay", "--frobnicate", "x"], "--frobnicate"),
        (&["replay", "--concurrency", "lots", "x"], "--concurrency"),
        (&["replay", "--since", "yesterday", "s3://b-1/x"], "--since"),
        (
            &[
                "replay",
                "--since",
                "2026-02-01",
                "--until",
                "2026-01-01",
                "s3://b-1/x",
            ],
            "--since",
        ),
        (&["replay", "s3://evil.com:443/x"], "bucket name"),
        (&["backfill", "--queue", "q", "logs/"], "s3://"),
        (
            &["replay", "--since", "90d", "tests/fixtures/cloudwatch"],
            "s3:// prefixes",
        ),
        (
            &["templates", "show", "--cluster", "oracle-19"],
            "--cluster",
        ),
        (&["dashboards", "apply"], "--endpoint"),
    ] {
        let out = forwarder(args);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?}: {}",
            text(&out.stderr)
        );
        assert!(
            text(&out.stderr).contains(names),
            "{args:?}: {}",
            text(&out.stderr)
        );
    }
    for (args, names) in [
        (&["prune", "--prefix", "x"][..], "--older-than"),
        (&["restore"], "--snapshot"),
    ] {
        let out = snapshot_manager(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(
            text(&out.stderr).contains(names),
            "{args:?}: {}",
            text(&out.stderr)
        );
    }
}
