//! `snapshot-manager`: the command line, and the Lambda mode in which the
//! scheduled event's payload (`{"action":"prune","prefix":"nightly",
//! "older_than":"30d","keep_min":10}`) selects the action and its arguments.
//! Both end in [`execute`], which prints or returns one JSON result.

use std::collections::BTreeMap;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::{Parser, Subcommand};
use http::Method;
use serde::Serialize;
use serde_json::{json, Value};

use super::{RepositorySettings, Restore, Snapshots};
use crate::client::Cluster;
use crate::config::Settings;
use crate::templates::ClusterVersion;

/// The command line; each action's options are the keys of the scheduled
/// event's payload (`older-than` or `older_than`).
#[derive(Debug, Parser)]
#[command(
    name = "snapshot-manager",
    version,
    about = "Manual snapshots of an OpenSearch / Elasticsearch cluster in S3",
    long_about = "Manual snapshots of an OpenSearch / Elasticsearch cluster in S3: register the \
        repository, create, prune by prefix and age, restore, list, and delete old indices \
        once they are snapshotted. With AWS_LAMBDA_RUNTIME_API set (in Lambda) the scheduled \
        event's payload ({\"action\":\"prune\",\"prefix\":\"nightly\",\"older_than\":\"30d\"}) \
        selects the action.",
    after_help = ENV_HELP
)]
pub struct Cli {
    #[command(subcommand)]
    pub action: Action,
}

const ENV_HELP: &str = "\
Environment: ES_ENDPOINT, SNAPSHOT_REPOSITORY, SNAPSHOT_BUCKET, SNAPSHOT_ROLE_ARN stand in for
the options; ES_AUTH, ES_SERVICE, ES_USERNAME, ES_PASSWORD, ES_SECRET_ARN, ES_CA_BUNDLE and the
AWS credentials (found as the AWS CLI finds them) authenticate as for logs-forwarder.";

#[derive(Debug, Subcommand, Serialize)]
#[serde(tag = "action", rename_all = "kebab-case")]
pub enum Action {
    /// Register the S3 bucket as the snapshot repository.
    Register(Register),
    /// Take a snapshot named PREFIX-<time>.
    Create(Create),
    /// Delete snapshots of a prefix older than an age, keeping the newest.
    Prune(Prune),
    /// Restore a snapshot (by name, or the newest of a prefix).
    Restore(RestoreArgs),
    /// List the repository's snapshots.
    List(Common),
    /// Delete indices named <prefix><date> older than an age.
    DeleteIndices(DeleteIndices),
}

#[derive(Debug, clap::Args, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct Common {
    /// The cluster.
    #[arg(long, value_name = "URL", env = "ES_ENDPOINT")]
    endpoint: Option<String>,
    /// The snapshot repository's name.
    #[arg(long, value_name = "NAME", env = "SNAPSHOT_REPOSITORY")]
    repository: Option<String>,
}

#[derive(Debug, clap::Args, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct Register {
    #[command(flatten)]
    #[serde(flatten)]
    common: Common,
    #[arg(long, value_name = "BUCKET", env = "SNAPSHOT_BUCKET")]
    bucket: Option<String>,
    #[arg(long, value_name = "REGION", env = "AWS_REGION")]
    region: Option<String>,
    /// The role the cluster assumes to write the bucket.
    #[arg(long, value_name = "ARN", env = "SNAPSHOT_ROLE_ARN")]
    role_arn: Option<String>,
    #[arg(long, value_name = "PATH")]
    base_path: Option<String>,
    #[arg(long)]
    server_side_encryption: bool,
    #[arg(long, value_name = "ACL")]
    canned_acl: Option<String>,
    #[arg(long, value_name = "CLASS")]
    storage_class: Option<String>,
    #[arg(long, value_name = "RATE")]
    max_snapshot_bytes_per_sec: Option<String>,
    #[arg(long, value_name = "RATE")]
    max_restore_bytes_per_sec: Option<String>,
}

#[derive(Debug, clap::Args, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct Create {
    #[command(flatten)]
    #[serde(flatten)]
    common: Common,
    #[arg(long, value_name = "PREFIX")]
    prefix: String,
    /// Index patterns, comma-separated (default: all).
    #[arg(long, value_name = "INDICES")]
    indices: Option<String>,
    #[arg(long)]
    include_global_state: bool,
}

#[derive(Debug, clap::Args, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct Prune {
    #[command(flatten)]
    #[serde(flatten)]
    common: Common,
    #[arg(long, value_name = "PREFIX")]
    prefix: String,
    /// <N><s|m|h|d|w|M|y>, such as 30d.
    #[arg(long, value_name = "AGE")]
    older_than: String,
    /// Snapshots of the prefix always kept, however old.
    #[arg(long, value_name = "N")]
    keep_min: Option<u32>,
    #[arg(long)]
    dry_run: bool,
}

#[derive(Debug, clap::Args, Serialize)]
#[serde(rename_all = "kebab-case")]
#[command(group(clap::ArgGroup::new("which").required(true).args(["snapshot", "prefix"])))]
pub struct RestoreArgs {
    #[command(flatten)]
    #[serde(flatten)]
    common: Common,
    #[arg(long, value_name = "NAME")]
    snapshot: Option<String>,
    /// Restore the newest snapshot of this prefix.
    #[arg(long, value_name = "PREFIX")]
    prefix: Option<String>,
    #[arg(long, value_name = "INDICES")]
    indices: Option<String>,
    #[arg(
        long,
        value_name = "REGEX",
        requires = "rename_replacement",
        conflicts_with = "close_existing"
    )]
    rename_pattern: Option<String>,
    #[arg(long, value_name = "REPLACEMENT", requires = "rename_pattern")]
    rename_replacement: Option<String>,
    /// Close the indices the snapshot holds before restoring them.
    #[arg(long)]
    close_existing: bool,
    #[arg(long)]
    include_global_state: bool,
}

#[derive(Debug, clap::Args, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct DeleteIndices {
    #[command(flatten)]
    #[serde(flatten)]
    common: Common,
    /// Index name prefixes, comma-separated.
    #[arg(long, value_name = "PREFIX[,PREFIX...]")]
    prefix: String,
    /// <N><d|w|M|y>, such as 90d.
    #[arg(long, value_name = "AGE")]
    older_than: String,
    /// How the date in the index names is written.
    #[arg(long, value_name = "daily|weekly|monthly")]
    date: Option<String>,
    /// Delete only indices a successful snapshot of the repository holds.
    #[arg(long)]
    require_snapshot: bool,
    #[arg(long)]
    dry_run: bool,
}

/// Options by name (`older-than`), flags as `"true"`.
pub type Args = BTreeMap<String, String>;

impl Action {
    /// The action's name and options, as a scheduled event's payload gives
    /// them (options not given left out).
    pub fn into_args(self) -> Result<(String, Args), String> {
        let mut value = serde_json::to_value(&self).map_err(|e| e.to_string())?;
        if let Some(object) = value.as_object_mut() {
            object.retain(|_, v| !v.is_null() && *v != Value::Bool(false));
        }
        from_payload(&value)
    }
}

/// The action and arguments of a scheduled event's payload.
pub fn from_payload(payload: &Value) -> Result<(String, Args), String> {
    let object = payload
        .as_object()
        .ok_or("the event payload is not a JSON object")?;
    let action = object
        .get("action")
        .and_then(Value::as_str)
        .ok_or("the event payload has no \"action\"")?
        .to_owned();
    let mut args = Args::new();
    for (key, value) in object {
        if key == "action" {
            continue;
        }
        let text = match value {
            Value::String(s) => s.clone(),
            Value::Bool(b) => b.to_string(),
            Value::Number(n) => n.to_string(),
            other => return Err(format!("{key}: {other} is not a string, number or boolean")),
        };
        args.insert(key.replace('_', "-"), text);
    }
    Ok((action, args))
}

/// Runs one action against the cluster.
pub async fn execute(
    action: &str,
    args: &Args,
    settings: &Settings,
    deadline: Instant,
) -> Result<Value, String> {
    let get = |name: &str| args.get(name).cloned();
    let flag = |name: &str| args.get(name).is_some_and(|v| v == "true");
    let need = |name: &str| get(name).ok_or_else(|| format!("{action} needs --{name}"));
    let endpoint = settings
        .endpoint
        .clone()
        .ok_or("no --endpoint (or ES_ENDPOINT)")?;
    let repository = get("repository").or_else(|| std::env::var("SNAPSHOT_REPOSITORY").ok());
    // Only deleting indices without waiting for a snapshot needs no repository.
    let needs_repository = action != "delete-indices" || flag("require-snapshot");
    let repository = match repository {
        Some(r) => r,
        None if needs_repository => return Err("no --repository (or SNAPSHOT_REPOSITORY)".into()),
        None => String::new(),
    };
    let cluster = Cluster::new(endpoint, &settings.cluster_config());
    let snapshots = Snapshots {
        cluster: &cluster,
        repository,
        deadline,
    };
    let now_ms = crate::time::now_millis();
    let result = match action {
        "register" => {
            let settings = RepositorySettings {
                bucket: need("bucket")
                    .or_else(|e| std::env::var("SNAPSHOT_BUCKET").map_err(|_| e))?,
                region: get("region")
                    .or_else(|| std::env::var("AWS_REGION").ok())
                    .ok_or("register needs --region")?,
                role_arn: need("role-arn")
                    .or_else(|e| std::env::var("SNAPSHOT_ROLE_ARN").map_err(|_| e))?,
                base_path: get("base-path"),
                server_side_encryption: flag("server-side-encryption"),
                canned_acl: get("canned-acl"),
                storage_class: get("storage-class"),
                max_snapshot_bytes_per_sec: get("max-snapshot-bytes-per-sec"),
                max_restore_bytes_per_sec: get("max-restore-bytes-per-sec"),
            };
            snapshots
                .register(&settings)
                .await
                .map(|v| json!({"registered": v}))
        }
        "create" => snapshots
            .create(
                &need("prefix")?,
                get("indices").as_deref(),
                flag("include-global-state"),
                now_ms,
            )
            .await
            .map(|c| json!(c)),
        "prune" => {
            let older_than = need("older-than")?.parse().map_err(|e| format!("{e}"))?;
            let keep_min: usize = get("keep-min")
                .map(|k| {
                    k.parse()
                        .map_err(|_| format!("--keep-min {k:?} is not a count"))
                })
                .transpose()?
                .unwrap_or(0);
            let version = cluster_version(&cluster).await?;
            snapshots
                .prune(
                    &need("prefix")?,
                    older_than,
                    keep_min,
                    flag("dry-run"),
                    &version,
                    now_ms,
                )
                .await
                .map(|p| json!(p))
        }
        "restore" => {
            if get("snapshot").is_none() && get("prefix").is_none() {
                return Err("restore needs --snapshot or --prefix".into());
            }
            if get("rename-pattern").is_some() != get("rename-replacement").is_some() {
                return Err("--rename-pattern and --rename-replacement go together".into());
            }
            if flag("close-existing") && get("rename-pattern").is_some() {
                return Err("--close-existing restores over existing indices: no renames".into());
            }
            snapshots
                .restore(&Restore {
                    snapshot: get("snapshot"),
                    prefix: get("prefix"),
                    indices: get("indices"),
                    rename_pattern: get("rename-pattern"),
                    rename_replacement: get("rename-replacement"),
                    include_global_state: flag("include-global-state"),
                    close_existing: flag("close-existing"),
                })
                .await
        }
        "list" => snapshots.list().await.map(|list| {
            let rows: Vec<Value> = list
                .into_iter()
                .map(|s| {
                    json!({
                        "name": s.name, "state": s.state,
                        "start_time": crate::time::rfc3339_millis(s.start_ms),
                        "age_seconds": (now_ms - s.start_ms) / 1000,
                        "indices": s.indices,
                    })
                })
                .collect();
            json!({"snapshots": rows})
        }),
        "delete-indices" => {
            let older_than = need("older-than")?.parse().map_err(|e| format!("{e}"))?;
            let suffix = get("date")
                .map(|d| d.parse())
                .transpose()?
                .unwrap_or(super::delete_indices::Suffix::Any);
            let mut results = Vec::new();
            for prefix in need("prefix")?.split(',').map(str::trim) {
                let done = snapshots
                    .delete_indices(
                        prefix,
                        suffix,
                        older_than,
                        flag("require-snapshot"),
                        flag("dry-run"),
                        now_ms,
                    )
                    .await
                    .map_err(|e| e.to_string())?;
                results.push(done);
            }
            Ok(json!({"delete_indices": results}))
        }
        other => return Err(format!("unknown action {other:?}")),
    };
    result.map_err(|e| e.to_string())
}

async fn cluster_version(cluster: &Cluster) -> Result<ClusterVersion, String> {
    let response = cluster
        .send(Method::GET, "/", None)
        .await
        .map_err(|e| format!("GET /: {e}"))?;
    serde_json::from_slice::<Value>(&response.body)
        .ok()
        .and_then(|v| ClusterVersion::from_info(&v))
        .ok_or_else(|| format!("GET /: no version in HTTP {}", response.status.as_u16()))
}

fn settings_with_endpoint(endpoint: Option<String>) -> Result<Settings, String> {
    Settings::from_env_with_endpoint(endpoint).map_err(|e| format!("configuration: {e}"))
}

/// The command line.
pub fn main(cli: Cli) -> ExitCode {
    crate::logging::init(false, "warn");
    let (action, args) = match cli.action.into_args() {
        Ok(parsed) => parsed,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let runtime = match crate::cli::runtime(false) {
        Ok(rt) => rt,
        Err(code) => return code,
    };
    let settings = match crate::cli::settings(&runtime, args.get("endpoint").cloned(), false) {
        Ok(s) => s,
        Err(e) => return crate::cli::configuration_error(e),
    };
    // A command line has Lambda's longest time.
    let deadline = Instant::now() + Duration::from_secs(900);
    match runtime.block_on(execute(&action, &args, &settings, deadline)) {
        Ok(result) => {
            println!("{result}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("snapshot-manager {action}: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The Lambda runtime loop.
pub fn run_lambda() -> ExitCode {
    crate::logging::init(true, "info");
    let settings = match settings_with_endpoint(None) {
        Ok(s) => std::sync::Arc::new(s),
        Err(e) => {
            tracing::error!(error = %e, "invalid configuration");
            return ExitCode::FAILURE;
        }
    };
    let runtime = match crate::cli::runtime(true) {
        Ok(rt) => rt,
        Err(code) => return code,
    };
    let handler = lambda_runtime::service_fn(move |event: lambda_runtime::LambdaEvent<Value>| {
        let settings = settings.clone();
        async move {
            let deadline = crate::lambda::deadline_of(event.context.deadline)
                .checked_sub(Duration::from_secs(2))
                .unwrap_or_else(Instant::now);
            let (action, args) = from_payload(&event.payload)?;
            let result = execute(&action, &args, &settings, deadline).await?;
            tracing::info!(action, %result, "snapshot action done");
            Ok::<Value, lambda_runtime::Error>(result)
        }
    });
    match runtime.block_on(lambda_runtime::run(handler)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = %e, "runtime loop ended");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_lines_and_payloads_give_the_same_arguments() {
        let parse = |args: &[&str]| {
            Cli::try_parse_from(std::iter::once("snapshot-manager").chain(args.iter().copied()))
        };
        let cli = parse(&[
            "prune",
            "--prefix",
            "nightly",
            "--older-than",
            "30d",
            "--keep-min",
            "3",
            "--dry-run",
        ])
        .expect("cli");
        let (action, from_cli) = cli.action.into_args().expect("arguments");
        let (payload_action, from_event) = from_payload(&json!({
            "action": "prune", "prefix": "nightly", "older_than": "30d", "keep_min": 3, "dry_run": true
        }))
        .expect("payload");
        assert_eq!(action, payload_action);
        assert_eq!(from_cli, from_event);
        let (action, args) = parse(&["delete-indices", "--prefix", "a-,b-", "--older-than", "90d"])
            .expect("cli")
            .action
            .into_args()
            .expect("arguments");
        assert_eq!(action, "delete-indices");
        assert!(
            !args.contains_key("dry-run"),
            "flags not given are left out"
        );
        assert!(from_payload(&json!({"prefix": "x"})).is_err());
        assert!(from_payload(&json!({"action": "list", "x": [1]})).is_err());
        for bad in [
            &["list", "stray"][..],
            &["prune", "--prefix", "x"],
            &["restore", "--close-existing"],
            &["restore", "--snapshot", "s", "--rename-pattern", "a"],
            &["frobnicate"],
        ] {
            let err = parse(bad).expect_err("usage error");
            assert_eq!(err.exit_code(), 2, "{bad:?}");
        }
        use clap::CommandFactory as _;
        Cli::command().debug_assert();
    }
}
