//! A recorded-response stand-in for the snapshot API. No server installable
//! here implements snapshots (osmem-server does not), so the snapshot tests
//! talk to this: it answers as the documented APIs of Elasticsearch 6.8 and
//! 7.10 and OpenSearch 2.x do (response shapes from their reference pages:
//! create, get all, status, delete one and many, restore, 404 and
//! `concurrent_snapshot_execution_exception`), and the two index calls the
//! deletion of old indices makes (`GET /_cat/indices/{pattern}?format=json`,
//! `DELETE /{a,b,c}?ignore_unavailable=true`), over our own recording HTTP
//! front (`proxy.rs`) with every request answered here and none forwarded.

use std::sync::{Arc, Mutex};

use serde_json::{json, Value};

use super::proxy::{Fault, Proxy, Seen};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flavor {
    Elasticsearch68,
    Elasticsearch710,
    OpenSearch2,
}

#[derive(Clone, Debug)]
pub struct Snapshot {
    pub name: String,
    pub state: &'static str,
    pub start_ms: i64,
    pub indices: Vec<String>,
}

#[derive(Debug, Default)]
pub struct State {
    pub repositories: Vec<(String, Value)>,
    pub snapshots: Vec<Snapshot>,
    /// The next this many create/delete requests answer "another snapshot
    /// operation is running".
    pub busy: usize,
    pub restored: Vec<(String, Value)>,
    /// Index patterns closed (`POST /{indices}/_close`).
    pub closed: Vec<String>,
    /// The cluster's indices (`GET /_cat/indices`, `DELETE /{indices}`).
    pub indices: Vec<String>,
}

pub struct StandIn {
    pub proxy: Proxy,
    pub state: Arc<Mutex<State>>,
    pub url: String,
}

impl StandIn {
    pub fn start(flavor: Flavor, repository: &str) -> StandIn {
        let state = Arc::new(Mutex::new(State {
            repositories: vec![(repository.to_owned(), json!({"type": "s3"}))],
            ..State::default()
        }));
        let shared = state.clone();
        let fault: Fault = Arc::new(move |_, seen| {
            let mut state = shared.lock().expect("lock");
            Some(answer(flavor, &mut state, seen))
        });
        // Nothing is forwarded: the upstream is never used.
        let proxy = Proxy::start("http://127.0.0.1:9", Some(fault));
        let url = proxy.url.clone();
        StandIn { proxy, state, url }
    }

    pub fn seed(&self, snapshots: Vec<Snapshot>) {
        self.state.lock().expect("lock").snapshots = snapshots;
    }

    pub fn names(&self) -> Vec<String> {
        let state = self.state.lock().expect("lock");
        state.snapshots.iter().map(|s| s.name.clone()).collect()
    }

    /// The requests seen, as `METHOD path`.
    pub fn calls(&self) -> Vec<String> {
        self.proxy
            .requests()
            .iter()
            .map(|s| format!("{} {}", s.method, s.path))
            .collect()
    }
}

fn error(status: u16, kind: &str, reason: &str) -> (u16, String) {
    let body = json!({
        "error": {"root_cause": [{"type": kind, "reason": reason}], "type": kind, "reason": reason},
        "status": status,
    });
    (status, body.to_string())
}

fn concurrent(flavor: Flavor) -> (u16, String) {
    // Elasticsearch answers 503; OpenSearch 2.x answers 400 for the same.
    let status = if flavor == Flavor::OpenSearch2 {
        400
    } else {
        503
    };
    error(
        status,
        "concurrent_snapshot_execution_exception",
        "[repo:x] a snapshot is already running",
    )
}

fn answer(flavor: Flavor, state: &mut State, seen: &Seen) -> (u16, String) {
    let path = seen.path.split('?').next().unwrap_or("");
    let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let body: Value = serde_json::from_slice(&seen.body).unwrap_or(Value::Null);
    match (seen.method.as_str(), parts.as_slice()) {
        ("GET", [""]) => {
            let version = match flavor {
                Flavor::Elasticsearch68 => json!({"number": "6.8.23", "build_flavor": "default"}),
                Flavor::Elasticsearch710 => json!({"number": "7.10.2", "build_flavor": "oss"}),
                Flavor::OpenSearch2 => json!({"distribution": "opensearch", "number": "2.11.0"}),
            };
            (
                200,
                json!({"name": "node", "version": version, "tagline": "You Know, for Search"})
                    .to_string(),
            )
        }
        ("GET", ["_recovery"]) => (200, "{}".into()),
        ("GET", ["_cat", "indices", pattern]) => {
            let prefix = pattern.trim_end_matches('*');
            let rows: Vec<Value> = state
                .indices
                .iter()
                .filter(|i| i.starts_with(prefix))
                .map(|i| json!({"index": i}))
                .collect();
            (200, Value::Array(rows).to_string())
        }
        ("DELETE", [names]) if !names.starts_with('_') => {
            let names: Vec<&str> = names.split(',').collect();
            if names.iter().any(|n| n.contains('*')) {
                return error(
                    400,
                    "illegal_argument_exception",
                    "Wildcard expressions or all indices are not allowed",
                );
            }
            state.indices.retain(|i| !names.contains(&i.as_str()));
            (200, json!({"acknowledged": true}).to_string())
        }
        ("POST", [indices, "_close"]) => {
            state.closed.push(indices.to_string());
            (
                200,
                json!({"acknowledged": true, "shards_acknowledged": true}).to_string(),
            )
        }
        ("GET", ["_snapshot", "_status"]) => {
            let running: Vec<Value> = state
                .snapshots
                .iter()
                .filter(|s| s.state == "IN_PROGRESS")
                .map(|s| json!({"snapshot": s.name, "repository": "repo", "state": "STARTED"}))
                .collect();
            (200, json!({"snapshots": running}).to_string())
        }
        ("PUT", ["_snapshot", repo]) => {
            state.repositories.push((repo.to_string(), body));
            (200, json!({"acknowledged": true}).to_string())
        }
        (_, ["_snapshot", repo, ..]) if !state.repositories.iter().any(|(r, _)| r == repo) => {
            error(
                404,
                "repository_missing_exception",
                &format!("[{repo}] missing"),
            )
        }
        ("GET", ["_snapshot", _, "_all"]) => {
            let all: Vec<Value> = state
                .snapshots
                .iter()
                .map(|s| {
                    json!({"snapshot": s.name, "uuid": "u", "version_id": 1, "indices": s.indices,
                        "state": s.state, "start_time_in_millis": s.start_ms,
                        "shards": {"total": 1, "failed": 0, "successful": 1}})
                })
                .collect();
            (200, json!({"snapshots": all}).to_string())
        }
        ("PUT", ["_snapshot", _, name]) => {
            if state.busy > 0 {
                state.busy -= 1;
                return concurrent(flavor);
            }
            let indices = body["indices"]
                .as_str()
                .map(|i| i.split(',').map(str::to_owned).collect())
                .unwrap_or_default();
            state.snapshots.push(Snapshot {
                name: name.to_string(),
                state: "SUCCESS",
                start_ms: 0,
                indices,
            });
            (200, json!({"accepted": true}).to_string())
        }
        ("DELETE", ["_snapshot", _, names]) => {
            if state.busy > 0 {
                state.busy -= 1;
                return concurrent(flavor);
            }
            // Elasticsearch before 7.8 reads the comma list as one name.
            let names: Vec<&str> = if flavor == Flavor::Elasticsearch68 {
                vec![names]
            } else {
                names.split(',').collect()
            };
            for name in &names {
                if !state.snapshots.iter().any(|s| s.name == *name) {
                    return error(
                        404,
                        "snapshot_missing_exception",
                        &format!("[repo:{name}] is missing"),
                    );
                }
            }
            state
                .snapshots
                .retain(|s| !names.contains(&s.name.as_str()));
            (200, json!({"acknowledged": true}).to_string())
        }
        ("POST", ["_snapshot", _, name, "_restore"]) => {
            if !state.snapshots.iter().any(|s| s.name == *name) {
                return error(
                    404,
                    "snapshot_restore_exception",
                    &format!("[repo:{name}] snapshot does not exist"),
                );
            }
            state.restored.push((name.to_string(), body));
            (200, json!({"accepted": true}).to_string())
        }
        _ => error(
            400,
            "illegal_argument_exception",
            &format!("no handler for {} {path}", seen.method),
        ),
    }
}
