//! Manual snapshots of the domain, beyond the 14 days of automatic ones:
//! register an S3 repository, take snapshots on a schedule, prune them by
//! prefix and age, restore, list. Reference: the snapshot APIs of
//! Elasticsearch 6.8 / 7.x and OpenSearch 2.x, and "Creating index
//! snapshots" in the Amazon OpenSearch Service guide.
//!
//! Safety rules: a snapshot is never started while another runs (the
//! service allows one at a time; it is reported and skipped); pruning only
//! ever touches snapshots named `<prefix>-...` in the given repository, never
//! running ones, never the service's own `cs-*` repositories, and keeps at
//! least `keep_min` of them; many are deleted in one request where the
//! cluster supports it (Elasticsearch 7.8+, OpenSearch), one by one
//! otherwise; `concurrent_snapshot_execution_exception` is retried with
//! backoff within the deadline.

pub mod age;
pub mod cli;
pub mod delete_indices;

use std::time::{Duration, Instant};

use http::Method;
use serde_json::{json, Value};

use crate::client::{Cluster, Response};
use crate::templates::ClusterVersion;

pub use age::Age;

#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    #[error("{what}: {reason}")]
    Request { what: String, reason: String },
    #[error("refusing to touch the service's own repository {0:?}")]
    ServiceRepository(String),
    #[error("no snapshot named {prefix}-* in state SUCCESS in {repository}")]
    NoSnapshot { repository: String, prefix: String },
}

/// One snapshot, as `list` shows it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct SnapshotInfo {
    pub name: String,
    pub state: String,
    pub start_ms: i64,
    pub indices: Vec<String>,
}

/// What `create` did.
#[derive(Debug, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum Created {
    Started {
        name: String,
    },
    /// Another snapshot was running: nothing started.
    Skipped {
        running: Vec<String>,
    },
}

/// What `prune` did (or would do, in a dry run).
#[derive(Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Pruned {
    pub deleted: Vec<String>,
    pub kept: Vec<String>,
    pub dry_run: bool,
    /// Left for the next run because time ran out.
    pub left: Vec<String>,
}

/// The S3 repository's settings (`register`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RepositorySettings {
    pub bucket: String,
    pub region: String,
    pub role_arn: String,
    pub base_path: Option<String>,
    pub server_side_encryption: bool,
    pub canned_acl: Option<String>,
    pub storage_class: Option<String>,
    pub max_snapshot_bytes_per_sec: Option<String>,
    pub max_restore_bytes_per_sec: Option<String>,
}

/// A restore request.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Restore {
    /// A snapshot name, or `None` for the latest SUCCESS one with `prefix`.
    pub snapshot: Option<String>,
    pub prefix: Option<String>,
    pub indices: Option<String>,
    pub rename_pattern: Option<String>,
    pub rename_replacement: Option<String>,
    pub include_global_state: bool,
    /// Close the (existing) target indices first: a restore into an index
    /// that exists needs it closed.
    pub close_existing: bool,
}

/// The snapshot API of one cluster.
pub struct Snapshots<'c> {
    pub cluster: &'c Cluster,
    pub repository: String,
    /// Stop starting requests after this.
    pub deadline: Instant,
}

fn check(
    what: &str,
    result: Result<Response, crate::client::ClientError>,
) -> Result<Value, SnapshotError> {
    let fail = |reason: String| SnapshotError::Request {
        what: what.to_owned(),
        reason,
    };
    let response = result.map_err(|e| fail(e.to_string()))?;
    let body: Value = serde_json::from_slice(&response.body).unwrap_or(Value::Null);
    if response.status.is_success() {
        return Ok(body);
    }
    Err(fail(format!(
        "HTTP {}: {}",
        response.status.as_u16(),
        crate::delivery::excerpt(&response.body)
    )))
}

/// Is this answer "another snapshot operation is running"?
fn is_concurrent(error: &SnapshotError) -> bool {
    matches!(error, SnapshotError::Request { reason, .. }
        if reason.contains("concurrent_snapshot_execution_exception"))
}

/// `<prefix>-%Y-%m-%dt%H-%M-%S` in UTC.
pub fn snapshot_name(prefix: &str, now_ms: i64) -> String {
    let seconds = now_ms.div_euclid(1000);
    let d = crate::time::civil_from_days(seconds.div_euclid(86_400));
    let s = seconds.rem_euclid(86_400);
    format!(
        "{prefix}-{:04}-{:02}-{:02}t{:02}-{:02}-{:02}",
        d.year,
        d.month,
        d.day,
        s / 3600,
        (s / 60) % 60,
        s % 60
    )
}

/// Percent-encodes a name (or a comma-separated list of names, with `*`
/// patterns) for a URL path segment.
fn encode(name: &str) -> String {
    crate::percent::encode(name, b"*,")
}

impl Snapshots<'_> {
    fn base(&self) -> String {
        format!("/_snapshot/{}", encode(&self.repository))
    }

    fn refuse_service_repository(&self) -> Result<(), SnapshotError> {
        if self.repository.starts_with("cs-") {
            return Err(SnapshotError::ServiceRepository(self.repository.clone()));
        }
        Ok(())
    }

    /// Sends a request, retrying while another snapshot operation runs.
    async fn send_retrying(
        &self,
        what: &str,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<Value, SnapshotError> {
        let mut attempt = 0u32;
        loop {
            let payload = body
                .as_ref()
                .map(|b| (b.to_string().into(), "application/json"));
            let result = check(what, self.cluster.send(method.clone(), path, payload).await);
            match result {
                Err(e) if is_concurrent(&e) => {
                    let wait = Duration::from_millis(200u64 << attempt.min(6))
                        .mul_f64(0.5 + fastrand::f64() / 2.0);
                    if Instant::now() + wait >= self.deadline {
                        return Err(e);
                    }
                    tracing::warn!(
                        what,
                        attempt,
                        "another snapshot operation is running; waiting"
                    );
                    attempt += 1;
                    tokio::time::sleep(wait).await;
                }
                other => return other,
            }
        }
    }

    pub async fn register(&self, settings: &RepositorySettings) -> Result<Value, SnapshotError> {
        self.refuse_service_repository()?;
        let mut s = json!({
            "bucket": settings.bucket,
            "region": settings.region,
            "role_arn": settings.role_arn,
        });
        let optional = [
            ("base_path", settings.base_path.clone()),
            ("canned_acl", settings.canned_acl.clone()),
            ("storage_class", settings.storage_class.clone()),
            (
                "max_snapshot_bytes_per_sec",
                settings.max_snapshot_bytes_per_sec.clone(),
            ),
            (
                "max_restore_bytes_per_sec",
                settings.max_restore_bytes_per_sec.clone(),
            ),
        ];
        for (key, value) in optional {
            if let Some(value) = value {
                s[key] = Value::String(value);
            }
        }
        if settings.server_side_encryption {
            s["server_side_encryption"] = Value::Bool(true);
        }
        let body = json!({"type": "s3", "settings": s});
        self.send_retrying("register", Method::PUT, &self.base(), Some(body))
            .await
    }

    /// Every snapshot in the repository, oldest first.
    pub async fn list(&self) -> Result<Vec<SnapshotInfo>, SnapshotError> {
        let value = check(
            "list",
            self.cluster
                .send(Method::GET, &format!("{}/_all", self.base()), None)
                .await,
        )?;
        let mut list: Vec<SnapshotInfo> = value
            .get("snapshots")
            .and_then(Value::as_array)
            .map(|all| {
                all.iter()
                    .map(|s| SnapshotInfo {
                        name: s["snapshot"].as_str().unwrap_or_default().to_owned(),
                        state: s["state"].as_str().unwrap_or_default().to_owned(),
                        start_ms: s["start_time_in_millis"].as_i64().unwrap_or(0),
                        indices: s["indices"]
                            .as_array()
                            .map(|i| {
                                i.iter()
                                    .filter_map(|x| x.as_str().map(str::to_owned))
                                    .collect()
                            })
                            .unwrap_or_default(),
                    })
                    .collect()
            })
            .unwrap_or_default();
        list.sort_by(|a, b| (a.start_ms, &a.name).cmp(&(b.start_ms, &b.name)));
        Ok(list)
    }

    /// Names of the snapshots running now, in any repository.
    pub async fn running(&self) -> Result<Vec<String>, SnapshotError> {
        let value = check(
            "status",
            self.cluster
                .send(Method::GET, "/_snapshot/_status", None)
                .await,
        )?;
        Ok(value
            .get("snapshots")
            .and_then(Value::as_array)
            .map(|all| {
                all.iter()
                    .filter_map(|s| s["snapshot"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default())
    }

    pub async fn create(
        &self,
        prefix: &str,
        indices: Option<&str>,
        include_global_state: bool,
        now_ms: i64,
    ) -> Result<Created, SnapshotError> {
        self.refuse_service_repository()?;
        let running = self.running().await?;
        if !running.is_empty() {
            tracing::warn!(?running, "a snapshot is running; not starting another");
            return Ok(Created::Skipped { running });
        }
        let name = snapshot_name(prefix, now_ms);
        let mut body = json!({"include_global_state": include_global_state});
        if let Some(indices) = indices {
            body["indices"] = Value::String(indices.to_owned());
        }
        let path = format!("{}/{}", self.base(), encode(&name));
        match self
            .send_retrying("create", Method::PUT, &path, Some(body))
            .await
        {
            Ok(_) => Ok(Created::Started { name }),
            Err(e) if is_concurrent(&e) => Ok(Created::Skipped {
                running: vec!["(another snapshot operation)".into()],
            }),
            Err(e) => Err(e),
        }
    }

    /// Deletes the snapshots named `<prefix>-...` older than `older_than`,
    /// keeping the newest `keep_min` of them and every running one.
    pub async fn prune(
        &self,
        prefix: &str,
        older_than: Age,
        keep_min: usize,
        dry_run: bool,
        version: &ClusterVersion,
        now_ms: i64,
    ) -> Result<Pruned, SnapshotError> {
        self.refuse_service_repository()?;
        let all = self.list().await?;
        let plan = plan_prune(&all, prefix, older_than, keep_min, now_ms);
        let mut pruned = Pruned {
            kept: plan.keep,
            dry_run,
            ..Pruned::default()
        };
        if dry_run || plan.delete.is_empty() {
            pruned.deleted = if dry_run { plan.delete } else { Vec::new() };
            return Ok(pruned);
        }
        let many = version.opensearch || (version.major, version.minor) >= (7, 8);
        let batches: Vec<Vec<String>> = if many {
            vec![plan.delete]
        } else {
            plan.delete.into_iter().map(|n| vec![n]).collect()
        };
        for batch in batches {
            if Instant::now() >= self.deadline {
                pruned.left.extend(batch);
                continue;
            }
            let names = batch
                .iter()
                .map(|n| encode(n))
                .collect::<Vec<_>>()
                .join(",");
            let path = format!("{}/{names}", self.base());
            self.send_retrying("delete", Method::DELETE, &path, None)
                .await?;
            pruned.deleted.extend(batch);
        }
        Ok(pruned)
    }

    /// Restores a snapshot (or the latest SUCCESS one with the prefix).
    /// Deletes the indices `<prefix><date>` older than `older_than` (with
    /// `require_snapshot`, only those a SUCCESS snapshot of the repository
    /// holds); `dry_run` only says which. See [`delete_indices`].
    pub async fn delete_indices(
        &self,
        prefix: &str,
        suffix: delete_indices::Suffix,
        older_than: Age,
        require_snapshot: bool,
        dry_run: bool,
        now_ms: i64,
    ) -> Result<Value, SnapshotError> {
        if prefix.is_empty() || prefix.contains(['*', '?', ',', ' ', '/']) {
            return Err(SnapshotError::Request {
                what: "delete-indices".into(),
                reason: format!("--prefix {prefix:?}: a plain index prefix, such as cloudtrail-"),
            });
        }
        let listed = check(
            "list indices",
            self.cluster
                .send(
                    Method::GET,
                    &format!("/_cat/indices/{prefix}*?format=json&h=index&expand_wildcards=all"),
                    None,
                )
                .await,
        )?;
        let indices: Vec<String> = listed
            .as_array()
            .map(|rows| {
                rows.iter()
                    .filter_map(|r| r["index"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        let snapshotted = if require_snapshot {
            let held: std::collections::HashSet<String> = self
                .list()
                .await?
                .into_iter()
                .filter(|s| s.state == "SUCCESS")
                .flat_map(|s| s.indices)
                .collect();
            Some(held)
        } else {
            None
        };
        let plan = delete_indices::plan_delete(
            &indices,
            prefix,
            suffix,
            older_than.millis(),
            now_ms,
            snapshotted.as_ref(),
        );
        let mut deleted = Vec::new();
        let mut deferred = Vec::new();
        if !dry_run {
            // A few names per request: URLs stay short, and one request
            // answers for many indices.
            for batch in plan.delete.chunks(20) {
                if Instant::now() >= self.deadline {
                    deferred.extend(batch.iter().cloned());
                    continue;
                }
                let path = format!("/{}?ignore_unavailable=true", batch.join(","));
                check(
                    "delete indices",
                    self.cluster.send(Method::DELETE, &path, None).await,
                )?;
                tracing::info!(indices = ?batch, "old indices deleted");
                deleted.extend(batch.iter().cloned());
            }
        }
        Ok(json!({
            "prefix": prefix,
            "dry_run": dry_run,
            "deleted": if dry_run { &plan.delete } else { &deleted },
            "deferred": deferred,
            "not_snapshotted": plan.not_snapshotted,
            "recent": plan.recent.len(),
            "not_dated": plan.not_dated,
        }))
    }

    pub async fn restore(&self, restore: &Restore) -> Result<Value, SnapshotError> {
        let name = match (&restore.snapshot, &restore.prefix) {
            (Some(name), _) => name.clone(),
            (None, prefix) => {
                let prefix = prefix.clone().unwrap_or_default();
                let all = self.list().await?;
                all.iter()
                    .rev()
                    .find(|s| s.state == "SUCCESS" && matches_prefix(&s.name, &prefix))
                    .map(|s| s.name.clone())
                    .ok_or(SnapshotError::NoSnapshot {
                        repository: self.repository.clone(),
                        prefix,
                    })?
            }
        };
        let mut body = json!({"include_global_state": restore.include_global_state});
        for (key, value) in [
            ("indices", &restore.indices),
            ("rename_pattern", &restore.rename_pattern),
            ("rename_replacement", &restore.rename_replacement),
        ] {
            if let Some(value) = value {
                body[key] = Value::String(value.clone());
            }
        }
        if restore.close_existing {
            let indices = restore.indices.as_deref().unwrap_or("_all");
            check(
                "close",
                self.cluster
                    .send(
                        Method::POST,
                        &format!(
                            "/{}/_close?ignore_unavailable=true",
                            encode(indices).replace("%2A", "*").replace("%2C", ",")
                        ),
                        None,
                    )
                    .await,
            )?;
        }
        let path = format!("{}/{}/_restore", self.base(), encode(&name));
        let accepted = self
            .send_retrying("restore", Method::POST, &path, Some(body))
            .await?;
        // Progress: the shards being recovered right now.
        let progress = check(
            "recovery",
            self.cluster
                .send(Method::GET, "/_recovery?active_only=true", None)
                .await,
        )
        .map(|v| recovery_progress(&v))
        .unwrap_or(json!({"shards": 0}));
        Ok(json!({"snapshot": name, "accepted": accepted, "progress": progress}))
    }
}

/// `name` is `<prefix>-...`.
fn matches_prefix(name: &str, prefix: &str) -> bool {
    name.strip_prefix(prefix)
        .is_some_and(|rest| rest.starts_with('-'))
}

/// What pruning would delete and keep.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct PrunePlan {
    pub delete: Vec<String>,
    pub keep: Vec<String>,
}

/// Decides, without touching anything: among the snapshots named
/// `<prefix>-...` (oldest first in `all`), those older than `older_than`
/// are deleted, except running ones and the newest `keep_min`.
pub fn plan_prune(
    all: &[SnapshotInfo],
    prefix: &str,
    older_than: Age,
    keep_min: usize,
    now_ms: i64,
) -> PrunePlan {
    let cutoff = now_ms - older_than.millis();
    let ours: Vec<&SnapshotInfo> = all
        .iter()
        .filter(|s| matches_prefix(&s.name, prefix))
        .collect();
    let protected_from = ours.len().saturating_sub(keep_min);
    let mut plan = PrunePlan::default();
    for (i, snapshot) in ours.iter().enumerate() {
        let running = matches!(snapshot.state.as_str(), "IN_PROGRESS" | "STARTED" | "INIT");
        if i < protected_from && !running && snapshot.start_ms < cutoff {
            plan.delete.push(snapshot.name.clone());
        } else {
            plan.keep.push(snapshot.name.clone());
        }
    }
    plan
}

/// A summary of `GET /_recovery`: shards recovering, and bytes done.
fn recovery_progress(value: &Value) -> Value {
    let (mut shards, mut done, mut total) = (0u64, 0u64, 0u64);
    if let Some(indices) = value.as_object() {
        for index in indices.values() {
            for shard in index["shards"].as_array().into_iter().flatten() {
                shards += 1;
                done += shard
                    .pointer("/index/size/recovered_in_bytes")
                    .and_then(Value::as_u64)
                    .unwrap_or(0);
                total += shard
                    .pointer("/index/size/total_in_bytes")
                    .and_then(Value::as_u64)
                    .unwrap_or(0);
            }
        }
    }
    json!({"shards": shards, "recovered_bytes": done, "total_bytes": total})
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snap(name: &str, state: &str, start_ms: i64) -> SnapshotInfo {
        SnapshotInfo {
            name: name.into(),
            state: state.into(),
            start_ms,
            indices: vec![],
        }
    }

    #[test]
    fn names_follow_the_documented_pattern() {
        assert_eq!(
            snapshot_name("nightly", 1_763_800_000_000),
            "nightly-2025-11-22t08-26-40"
        );
    }

    #[test]
    fn prune_plans_by_prefix_age_state_and_keep_min() {
        let day = 86_400_000;
        let now = 100 * day;
        let all = vec![
            snap("nightly-a", "SUCCESS", now - 40 * day),
            snap("nightly-b", "SUCCESS", now - 35 * day),
            snap("nightlyx-c", "SUCCESS", now - 35 * day),
            snap("other-d", "SUCCESS", now - 50 * day),
            snap("nightly-e", "IN_PROGRESS", now - 31 * day),
            snap("nightly-f", "SUCCESS", now - 10 * day),
            snap("nightly-g", "SUCCESS", now - day),
        ];
        let age: Age = "30d".parse().expect("age");
        let plan = plan_prune(&all, "nightly", age, 2, now);
        assert_eq!(plan.delete, ["nightly-a", "nightly-b"]);
        assert_eq!(plan.keep, ["nightly-e", "nightly-f", "nightly-g"]);
        // keep_min protects the newest, whatever their age.
        let plan = plan_prune(&all, "nightly", age, 4, now);
        assert_eq!(plan.delete, ["nightly-a"]);
        let plan = plan_prune(&all, "nightly", "1y".parse().expect("age"), 0, now);
        assert!(plan.delete.is_empty());
    }
}
