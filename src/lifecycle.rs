//! Retention: lifecycle policies that delete a route's indices once they
//! are older than its `retention` (or `RETENTION`), installed with the index
//! templates.
//!
//! One policy per retention, named after it
//! (`logs-forwarder-delete-after-90d`), in the cluster's own API:
//! - OpenSearch: Index State Management, `_plugins/_ism/policies`, with an
//!   `ism_template` per index pattern, so that new indices pick it up;
//! - Amazon Elasticsearch Service 6.8-7.10: the same ISM under
//!   `_opendistro/_ism`;
//! - Elasticsearch 6.6+: Index Lifecycle Management, `_ilm/policy`, which
//!   the index templates name in `index.lifecycle.name`.
//!
//! Ages are whole days (ILM and ISM take `d`, not weeks, months or years; a
//! month is 30 days and a year 365, as Curator counts them). Applying is
//! idempotent like the templates: a policy carries a hash of its content
//! (`_meta` in ILM, the description in ISM) and an unchanged one is not
//! written again. Clusters with neither API (OpenSearch Serverless, older
//! Elasticsearch) are told so, and `snapshot-manager delete-indices` does
//! the deleting instead.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use http::Method;
use serde_json::{json, Value};

use crate::client::version::ClusterVersion;
use crate::client::Cluster;

/// How long a route's indices are kept: `90d`, `12w`, `6M`, `1y`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Retention {
    days: u32,
}

impl Retention {
    pub fn days(&self) -> u32 {
        self.days
    }

    /// The policy that enforces it.
    pub fn policy_id(&self) -> String {
        format!("logs-forwarder-delete-after-{}d", self.days)
    }
}

impl fmt::Display for Retention {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}d", self.days)
    }
}

impl FromStr for Retention {
    type Err = String;
    fn from_str(text: &str) -> Result<Retention, String> {
        let fail = || format!("{text:?} is not a retention: a count and d, w, M or y (e.g. 90d)");
        let unit = text.chars().last().ok_or_else(fail)?;
        let count: u32 = text[..text.len() - unit.len_utf8()]
            .parse()
            .map_err(|_| fail())?;
        let per_unit = match unit {
            'd' => 1,
            'w' => 7,
            'M' => 30,
            'y' => 365,
            _ => return Err(fail()),
        };
        let days = count
            .checked_mul(per_unit)
            .filter(|d| *d > 0)
            .ok_or_else(fail)?;
        Ok(Retention { days })
    }
}

/// Which lifecycle API a cluster has.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LifecycleApi {
    /// OpenSearch: `_plugins/_ism`.
    Ism,
    /// Amazon Elasticsearch Service (Open Distro): `_opendistro/_ism`.
    OpendistroIsm,
    /// Elasticsearch: `_ilm`.
    Ilm,
    /// None (OpenSearch Serverless, Elasticsearch before 6.6).
    None,
}

impl LifecycleApi {
    /// What a cluster of `version` has, as far as its version tells: Amazon
    /// Elasticsearch Service and Elasticsearch report the same versions, so
    /// [`LifecycleApi::detect`] asks the cluster.
    pub fn assumed(version: &ClusterVersion) -> LifecycleApi {
        match version.opensearch {
            true => LifecycleApi::Ism,
            false if (version.major, version.minor) >= (6, 6) => LifecycleApi::Ilm,
            false => LifecycleApi::None,
        }
    }

    /// Asks an Elasticsearch-numbered cluster which API it serves.
    pub async fn detect(cluster: &Cluster, version: &ClusterVersion) -> LifecycleApi {
        if version.opensearch {
            return LifecycleApi::Ism;
        }
        let answers = |path: &'static str| async move {
            cluster
                .send(Method::GET, path, None)
                .await
                .is_ok_and(|r| r.status.is_success())
        };
        if answers("/_opendistro/_ism/policies").await {
            LifecycleApi::OpendistroIsm
        } else if answers("/_ilm/status").await {
            LifecycleApi::Ilm
        } else {
            LifecycleApi::None
        }
    }

    fn ism_base(self) -> Option<&'static str> {
        match self {
            LifecycleApi::Ism => Some("/_plugins/_ism/policies"),
            LifecycleApi::OpendistroIsm => Some("/_opendistro/_ism/policies"),
            _ => None,
        }
    }

    /// The index setting that names the policy in templates (ILM only: ISM
    /// policies find their indices through `ism_template`).
    pub fn template_setting(self, retention: &Retention) -> Option<(&'static str, String)> {
        (self == LifecycleApi::Ilm).then(|| ("index.lifecycle.name", retention.policy_id()))
    }
}

/// One policy: a retention and the index patterns it applies to, each with
/// the priority of its index template (a route's own pattern wins over the
/// source's wider one).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Policy {
    pub retention: Retention,
    pub patterns: Vec<(String, u32)>,
}

impl Policy {
    pub fn id(&self) -> String {
        self.retention.policy_id()
    }

    /// The policy's content, without the hash.
    fn content(&self, api: LifecycleApi) -> Option<Value> {
        let age = self.retention.to_string();
        match api {
            LifecycleApi::Ism | LifecycleApi::OpendistroIsm => {
                let templates: Vec<Value> = self
                    .patterns
                    .iter()
                    .map(|(p, priority)| json!({"index_patterns": [p], "priority": priority}))
                    .collect();
                Some(json!({
                    "default_state": "hot",
                    "states": [
                        {"name": "hot", "actions": [],
                         "transitions": [{"state_name": "delete", "conditions": {"min_index_age": age}}]},
                        {"name": "delete", "actions": [{"delete": {}}], "transitions": []}
                    ],
                    "ism_template": templates,
                }))
            }
            LifecycleApi::Ilm => Some(json!({
                "phases": {
                    "hot": {"min_age": "0ms", "actions": {}},
                    "delete": {"min_age": age, "actions": {"delete": {}}}
                }
            })),
            LifecycleApi::None => None,
        }
    }

    pub fn hash(&self, api: LifecycleApi) -> Option<String> {
        let content = self.content(api)?;
        Some(crate::client::sigv4::sha256_hex(content.to_string().as_bytes())[..16].to_owned())
    }

    /// The request that installs it: path and body (`None` without an API).
    pub fn request(&self, api: LifecycleApi) -> Option<(String, Value)> {
        let mut policy = self.content(api)?;
        let hash = self.hash(api)?;
        match api.ism_base() {
            Some(base) => {
                policy["description"] = json!(format!(
                    "logs-forwarder: delete indices older than {} [hash {hash}]",
                    self.retention
                ));
                Some((format!("{base}/{}", self.id()), json!({ "policy": policy })))
            }
            None => {
                policy["_meta"] = json!({"managed_by": "logs-forwarder", "hash": hash});
                Some((
                    format!("/_ilm/policy/{}", self.id()),
                    json!({ "policy": policy }),
                ))
            }
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum LifecycleError {
    #[error("retention needs a lifecycle API (ISM or ILM), which this cluster does not have: delete old indices with `snapshot-manager delete-indices` instead")]
    Unsupported,
    #[error("lifecycle policy {id}: {reason}")]
    Policy { id: String, reason: String },
}

/// What applying did: the names written, and those found unchanged.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Applied {
    pub written: Vec<String>,
    pub unchanged: Vec<String>,
}

/// Installs `policies`, skipping those installed unchanged.
pub async fn apply(
    cluster: &Cluster,
    policies: &[Policy],
    api: LifecycleApi,
) -> Result<Applied, LifecycleError> {
    let mut applied = Applied::default();
    if policies.is_empty() {
        return Ok(applied);
    }
    if api == LifecycleApi::None {
        return Err(LifecycleError::Unsupported);
    }
    for policy in policies {
        let id = policy.id();
        let fail = |reason: String| LifecycleError::Policy {
            id: id.clone(),
            reason,
        };
        let (path, body) = policy.request(api).ok_or(LifecycleError::Unsupported)?;
        let installed = cluster
            .send(Method::GET, &path, None)
            .await
            .map_err(|e| fail(e.to_string()))?;
        // ISM refuses to overwrite a policy without the sequence number it
        // was read at.
        let mut put_path = path.clone();
        if installed.status.is_success() {
            let current: Value = serde_json::from_slice(&installed.body)
                .map_err(|e| fail(format!("reading it: {e}")))?;
            if installed_hash(&current, &id).as_deref() == policy.hash(api).as_deref() {
                applied.unchanged.push(id);
                continue;
            }
            if let (Some(seq), Some(term)) = (
                current.get("_seq_no").and_then(Value::as_i64),
                current.get("_primary_term").and_then(Value::as_i64),
            ) {
                put_path = format!("{path}?if_seq_no={seq}&if_primary_term={term}");
            }
        } else if installed.status.as_u16() != 404 {
            return Err(fail(installed.error_text()));
        }
        cluster.put_json(&put_path, &body).await.map_err(fail)?;
        tracing::info!(policy = %id, "lifecycle policy installed");
        applied.written.push(id);
    }
    Ok(applied)
}

/// The hash an installed policy carries: ISM `{"policy":{"description":"… [hash H]"}}`,
/// ILM `{"<id>":{"policy":{"_meta":{"hash":H}}}}`.
fn installed_hash(answer: &Value, id: &str) -> Option<String> {
    if let Some(description) = answer
        .pointer("/policy/description")
        .and_then(Value::as_str)
    {
        let start = description.rfind("[hash ")? + 6;
        return Some(description[start..].trim_end_matches(']').to_owned());
    }
    answer
        .get(id)?
        .pointer("/policy/_meta/hash")
        .and_then(Value::as_str)
        .map(str::to_owned)
}

/// Groups `(pattern, priority, retention)` into one policy per retention.
pub fn policies<'a>(
    patterns: impl IntoIterator<Item = (String, u32, Option<&'a Retention>)>,
) -> Vec<Policy> {
    let mut by_retention: BTreeMap<Retention, Vec<(String, u32)>> = BTreeMap::new();
    for (pattern, priority, retention) in patterns {
        if let Some(retention) = retention {
            by_retention
                .entry(retention.clone())
                .or_default()
                .push((pattern, priority));
        }
    }
    by_retention
        .into_iter()
        .map(|(retention, patterns)| Policy {
            retention,
            patterns,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retentions_in_days() {
        for (text, days) in [("90d", 90), ("12w", 84), ("6M", 180), ("1y", 365)] {
            let r: Retention = text.parse().expect(text);
            assert_eq!(r.days(), days, "{text}");
        }
        for bad in ["", "d", "90", "0d", "-1d", "5h", "1.5y", "99999999999d"] {
            assert!(bad.parse::<Retention>().is_err(), "{bad}");
        }
        assert_eq!(
            "3M".parse::<Retention>().expect("3M").policy_id(),
            "logs-forwarder-delete-after-90d"
        );
    }

    #[test]
    fn policies_group_patterns_by_retention() {
        let d90: Retention = "90d".parse().expect("90d");
        let y1: Retention = "1y".parse().expect("1y");
        let list = policies([
            ("cloudtrail-*".to_owned(), 100, Some(&y1)),
            ("vpc-flowlogs-*".to_owned(), 100, Some(&d90)),
            ("cwl-*".to_owned(), 100, None),
            ("flows-prod-*".to_owned(), 110, Some(&d90)),
        ]);
        assert_eq!(list.len(), 2);
        assert_eq!(list[0].id(), "logs-forwarder-delete-after-90d");
        assert_eq!(
            list[0].patterns,
            [
                ("vpc-flowlogs-*".to_owned(), 100),
                ("flows-prod-*".to_owned(), 110)
            ]
        );
        let (path, body) = list[0].request(LifecycleApi::Ism).expect("ISM");
        assert_eq!(
            path,
            "/_plugins/_ism/policies/logs-forwarder-delete-after-90d"
        );
        assert_eq!(
            body.pointer("/policy/states/0/transitions/0/conditions/min_index_age"),
            Some(&json!("90d"))
        );
        assert_eq!(
            body.pointer("/policy/ism_template/1"),
            Some(&json!({"index_patterns": ["flows-prod-*"], "priority": 110}))
        );
        let (path, body) = list[1].request(LifecycleApi::Ilm).expect("ILM");
        assert_eq!(path, "/_ilm/policy/logs-forwarder-delete-after-365d");
        assert_eq!(
            body.pointer("/policy/phases/delete/min_age"),
            Some(&json!("365d"))
        );
        let hash = list[1].hash(LifecycleApi::Ilm).expect("hash");
        assert_eq!(body.pointer("/policy/_meta/hash"), Some(&json!(hash)));
        assert!(list[1].request(LifecycleApi::None).is_none());
        let (_, ism) = list[1].request(LifecycleApi::OpendistroIsm).expect("ISM");
        let answer =
            json!({"_id": list[1].id(), "_seq_no": 3, "_primary_term": 1, "policy": ism["policy"]});
        assert_eq!(
            installed_hash(&answer, &list[1].id()),
            list[1].hash(LifecycleApi::OpendistroIsm)
        );
    }
}
