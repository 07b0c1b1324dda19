//! A recorded-response stand-in for the lifecycle APIs. No server
//! installable here implements ISM or ILM (osmem-server does neither), so
//! the retention tests talk to this, which answers as the documented APIs
//! do: OpenSearch 2.x Index State Management (`_plugins/_ism/policies`,
//! 404 for a missing policy, 409 `version_conflict_engine_exception` for an
//! overwrite without `if_seq_no` / `if_primary_term`), the same under
//! `_opendistro/_ism` for Amazon Elasticsearch Service 7.10, and
//! Elasticsearch 8.x Index Lifecycle Management (`_ilm/policy`, `_ilm/status`).
//!
//! With [`Flavor::OpenSearch2`] everything else (templates, `_bulk`, index
//! settings) is forwarded to a real osmem-server; the Elasticsearch flavors
//! answer `GET /` and the template API themselves (osmem is OpenSearch).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use serde_json::{json, Value};

use super::proxy::{Fault, Proxy, Seen};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flavor {
    /// OpenSearch 2.x: ISM under `_plugins`, the rest forwarded to osmem.
    OpenSearch2,
    /// Amazon Elasticsearch Service 7.10: ISM under `_opendistro`.
    AmazonElasticsearch710,
    /// Elasticsearch 8.x: ILM.
    Elasticsearch8,
    /// Elasticsearch 6.2: neither.
    Elasticsearch62,
}

#[derive(Debug, Default)]
pub struct State {
    /// Policies by id: (seq_no, body as PUT).
    pub policies: BTreeMap<String, (i64, Value)>,
    /// Index templates PUT (Elasticsearch flavors).
    pub templates: BTreeMap<String, Value>,
}

pub struct StandIn {
    pub proxy: Proxy,
    pub state: Arc<Mutex<State>>,
    pub url: String,
}

impl StandIn {
    /// `upstream`: the osmem URL that OpenSearch requests are forwarded to.
    pub fn start(flavor: Flavor, upstream: &str) -> StandIn {
        let state = Arc::new(Mutex::new(State::default()));
        let shared = state.clone();
        let fault: Fault = Arc::new(move |_, seen| {
            let mut state = shared.lock().expect("lock");
            answer(flavor, &mut state, seen)
        });
        let proxy = Proxy::start(upstream, Some(fault));
        let url = proxy.url.clone();
        StandIn { proxy, state, url }
    }

    /// The requests seen, as `METHOD path`, without `_bulk` and reads of `/`.
    pub fn calls(&self) -> Vec<String> {
        self.proxy
            .requests()
            .iter()
            .filter(|s| !s.is_bulk())
            .map(|s| format!("{} {}", s.method, s.path))
            .collect()
    }

    /// The writes seen (`PUT`, `POST`, `DELETE`), as `METHOD path`.
    pub fn writes(&self) -> Vec<String> {
        self.calls()
            .into_iter()
            .filter(|c| !c.starts_with("GET "))
            .collect()
    }

    /// The body of the last request to `path` (query string ignored).
    pub fn body_of(&self, method: &str, path: &str) -> Value {
        let requests = self.proxy.requests();
        let seen = requests
            .iter()
            .rev()
            .find(|s| s.method == method && s.path.split('?').next() == Some(path))
            .unwrap_or_else(|| panic!("no {method} {path}"));
        serde_json::from_slice(&seen.body).expect("a JSON body")
    }
}

fn error(status: u16, kind: &str, reason: &str) -> (u16, String) {
    let body = json!({
        "error": {"root_cause": [{"type": kind, "reason": reason}], "type": kind, "reason": reason},
        "status": status,
    });
    (status, body.to_string())
}

fn no_handler(seen: &Seen) -> (u16, String) {
    error(
        400,
        "illegal_argument_exception",
        &format!(
            "no handler found for uri [{}] and method [{}]",
            seen.path, seen.method
        ),
    )
}

/// `None`: forwarded to osmem.
fn answer(flavor: Flavor, state: &mut State, seen: &Seen) -> Option<(u16, String)> {
    let (path, query) = seen.path.split_once('?').unwrap_or((&seen.path, ""));
    let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let body: Value = serde_json::from_slice(&seen.body).unwrap_or(Value::Null);
    let ism_base = match flavor {
        Flavor::OpenSearch2 => Some("_plugins"),
        Flavor::AmazonElasticsearch710 => Some("_opendistro"),
        _ => None,
    };
    match (seen.method.as_str(), parts.as_slice()) {
        ("GET", [""]) if flavor != Flavor::OpenSearch2 => {
            let number = match flavor {
                Flavor::AmazonElasticsearch710 => "7.10.2",
                Flavor::Elasticsearch8 => "8.15.0",
                _ => "6.2.4",
            };
            Some((
                200,
                json!({"name": "node", "version": {"number": number, "build_flavor": "default"},
                "tagline": "You Know, for Search"})
                .to_string(),
            ))
        }
        (_, [base, "_ism", ..]) if Some(*base) != ism_base => Some(no_handler(seen)),
        ("GET", [_, "_ism", "policies"]) => Some((
            200,
            json!({"policies": [], "total_policies": state.policies.len()}).to_string(),
        )),
        ("GET", [_, "_ism", "policies", id]) => Some(match state.policies.get(*id) {
            None => error(404, "status_exception", "Policy not found"),
            Some((seq, stored)) => {
                let mut policy = stored["policy"].clone();
                policy["policy_id"] = json!(id);
                policy["schema_version"] = json!(1);
                (
                    200,
                    json!({"_id": id, "_version": seq + 1, "_seq_no": seq, "_primary_term": 1,
                        "policy": policy})
                    .to_string(),
                )
            }
        }),
        ("PUT", [_, "_ism", "policies", id]) => {
            let if_seq_no = query
                .split('&')
                .find_map(|kv| kv.strip_prefix("if_seq_no="))
                .and_then(|v| v.parse::<i64>().ok());
            Some(
                match (state.policies.get(*id).map(|(s, _)| *s), if_seq_no) {
                    (None, _) => {
                        state.policies.insert(id.to_string(), (0, body.clone()));
                        (
                            201,
                            json!({"_id": id, "_version": 1, "_primary_term": 1, "_seq_no": 0,
                        "policy": body})
                            .to_string(),
                        )
                    }
                    (Some(seq), Some(asked)) if seq == asked => {
                        state
                            .policies
                            .insert(id.to_string(), (seq + 1, body.clone()));
                        (
                            200,
                            json!({"_id": id, "_version": seq + 2, "_primary_term": 1,
                        "_seq_no": seq + 1, "policy": body})
                            .to_string(),
                        )
                    }
                    (Some(_), _) => error(
                        409,
                        "version_conflict_engine_exception",
                        &format!("[{id}]: version conflict, document already exists"),
                    ),
                },
            )
        }
        (_, ["_ilm", ..]) if flavor != Flavor::Elasticsearch8 => Some(no_handler(seen)),
        ("GET", ["_ilm", "status"]) => {
            Some((200, json!({"operation_mode": "RUNNING"}).to_string()))
        }
        ("GET", ["_ilm", "policy", id]) => Some(match state.policies.get(*id) {
            None => error(
                404,
                "resource_not_found_exception",
                &format!("Lifecycle policy not found: {id}"),
            ),
            Some((seq, stored)) => (
                200,
                json!({*id: {"version": seq + 1, "modified_date": "2026-12-01T00:00:00.000Z",
                    "policy": stored["policy"]}})
                .to_string(),
            ),
        }),
        ("PUT", ["_ilm", "policy", id]) => {
            let seq = state.policies.get(*id).map_or(0, |(s, _)| s + 1);
            state.policies.insert(id.to_string(), (seq, body));
            Some((200, json!({"acknowledged": true}).to_string()))
        }
        // Templates, for the Elasticsearch flavors (osmem is OpenSearch).
        ("GET", ["_index_template", _]) if flavor != Flavor::OpenSearch2 => {
            let list: Vec<Value> = state
                .templates
                .iter()
                .map(|(name, t)| json!({"name": name, "index_template": t}))
                .collect();
            Some((200, json!({"index_templates": list}).to_string()))
        }
        ("PUT", ["_index_template", name]) if flavor != Flavor::OpenSearch2 => {
            state.templates.insert(name.to_string(), body);
            Some((200, json!({"acknowledged": true}).to_string()))
        }
        ("GET", ["_template", _]) if flavor != Flavor::OpenSearch2 => Some((
            200,
            Value::Object(state.templates.clone().into_iter().collect()).to_string(),
        )),
        ("PUT", ["_template", name]) if flavor != Flavor::OpenSearch2 => {
            state.templates.insert(name.to_string(), body);
            Some((200, json!({"acknowledged": true}).to_string()))
        }
        _ if flavor == Flavor::OpenSearch2 => None,
        _ => Some(no_handler(seen)),
    }
}
