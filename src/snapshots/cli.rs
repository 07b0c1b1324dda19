//! `snapshot-manager`: the command line, and the Lambda mode in which the
//! scheduled event's payload (`{"action":"prune","prefix":"nightly",
//! "older_than":"30d","keep_min":10}`) selects the action and its arguments.
//! Both end in [`execute`], which prints or returns one JSON result.

use std::collections::BTreeMap;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use http::Method;
use serde_json::{json, Value};

use super::{RepositorySettings, Restore, Snapshots};
use crate::client::Cluster;
use crate::config::Settings;
use crate::templates::ClusterVersion;

pub const USAGE: &str = "usage: snapshot-manager ACTION --endpoint URL --repository NAME [options]
  register --bucket B --region R --role-arn ARN [--base-path P] [--server-side-encryption]
           [--canned-acl A] [--storage-class C] [--max-snapshot-bytes-per-sec X] [--max-restore-bytes-per-sec X]
  create   --prefix P [--indices I] [--include-global-state]
  prune    --prefix P --older-than <N><s|m|h|d|w|M|y> [--keep-min N] [--dry-run]
  restore  (--snapshot NAME | --prefix P) [--indices I] [--rename-pattern RE --rename-replacement R
           | --close-existing] [--include-global-state]
  list
  delete-indices --prefix P[,P...] --older-than <N><d|w|M|y> [--date daily|weekly|monthly]
           [--require-snapshot --repository NAME] [--dry-run]   (no --repository needed without
           --require-snapshot; deletes only indices named <prefix><date>)
ES_ENDPOINT and SNAPSHOT_REPOSITORY stand in for --endpoint and --repository; ES_AUTH and the
AWS_* variables authenticate as for logs-forwarder.";

/// Options by name (`older-than`), flags as `"true"`.
pub type Args = BTreeMap<String, String>;

/// Parses `--name value` pairs and `--flag`s.
pub fn parse_args(args: &[String]) -> Result<(String, Args), String> {
    let mut it = args.iter().peekable();
    let action = it.next().ok_or("no ACTION given")?.clone();
    let mut out = Args::new();
    while let Some(arg) = it.next() {
        let name = arg
            .strip_prefix("--")
            .ok_or_else(|| format!("unexpected argument {arg:?}"))?;
        let value = match it.peek() {
            Some(next) if !next.starts_with("--") => it.next().cloned().unwrap_or_default(),
            _ => "true".to_owned(),
        };
        out.insert(name.to_owned(), value);
    }
    Ok((action, out))
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
pub fn main(args: &[String]) -> ExitCode {
    crate::logging::init(false, "warn");
    let (action, args) = match parse_args(args) {
        Ok(parsed) => parsed,
        Err(e) => {
            eprintln!("{e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    if action == "--help" || action == "help" {
        println!("{USAGE}");
        return ExitCode::SUCCESS;
    }
    let settings = match settings_with_endpoint(args.get("endpoint").cloned()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let runtime = match crate::cli::runtime(false) {
        Ok(rt) => rt,
        Err(code) => return code,
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
        let cli: Vec<String> = [
            "prune",
            "--prefix",
            "nightly",
            "--older-than",
            "30d",
            "--keep-min",
            "3",
            "--dry-run",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let (action, from_cli) = parse_args(&cli).expect("cli");
        let (payload_action, from_event) = from_payload(&json!({
            "action": "prune", "prefix": "nightly", "older_than": "30d", "keep_min": 3, "dry_run": true
        }))
        .expect("payload");
        assert_eq!(action, payload_action);
        assert_eq!(from_cli, from_event);
        assert!(from_payload(&json!({"prefix": "x"})).is_err());
        assert!(from_payload(&json!({"action": "list", "x": [1]})).is_err());
        assert!(parse_args(&["list".to_string(), "stray".to_string()]).is_err());
    }
}
