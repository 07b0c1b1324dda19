//! Retention and the shard budget, installed with the templates:
//! `logs-forwarder templates apply` against OpenSearch 2.x (templates into a
//! real osmem-server, ISM answered by `support::lifecycle_standin`, since no
//! installable server implements ISM), Amazon Elasticsearch Service 7.10
//! (Open Distro ISM), Elasticsearch 8.x (ILM) and a cluster with neither.
//! The exact requests are asserted, and a second apply writes nothing.

mod support;

use std::process::Command;

use serde_json::{json, Value};
use support::lifecycle_standin::{Flavor, StandIn};
use support::{path_str, replay, Osmem};

const ROUTES: &str = r#"[
  {"log_group": "/trail", "index": "audit", "format": "cloudtrail", "retention": "1y", "shards": 2},
  {"log_group": "/flows", "index": "flows", "format": "vpc_flow", "date": "weekly"},
  {"log_group": "*", "date": "daily"}
]"#;

/// `logs-forwarder templates ARGS` with `env`; its stdout as JSON lines.
fn templates(args: &[&str], env: &[(&str, &str)]) -> (bool, Vec<Value>, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_logs-forwarder"))
        .arg("templates")
        .args(args)
        .env_remove("ROUTES")
        .env_remove("RETENTION")
        .env("ES_AUTH", "none")
        .envs(env.iter().copied())
        .output()
        .expect("logs-forwarder runs");
    let lines = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect();
    (
        out.status.success(),
        lines,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn env(retention: &str) -> Vec<(&str, &str)> {
    vec![
        ("ROUTES", ROUTES),
        ("RETENTION", retention),
        ("INDEX_REPLICAS", "0"),
    ]
}

#[test]
fn opensearch_ism_policies_and_shards_land_in_the_indices() {
    let osmem = Osmem::start();
    let standin = StandIn::start(Flavor::OpenSearch2, &osmem.url);
    let (ok, out, err) = templates(&["apply", "--endpoint", &standin.url], &env("90d"));
    assert!(ok, "{err}");
    assert_eq!(
        out[0]["policies_written"],
        json!([
            "logs-forwarder-delete-after-90d",
            "logs-forwarder-delete-after-365d"
        ])
    );
    let ninety = standin.body_of(
        "PUT",
        "/_plugins/_ism/policies/logs-forwarder-delete-after-90d",
    );
    let policy = &ninety["policy"];
    assert_eq!(policy["default_state"], "hot");
    assert_eq!(
        policy["states"][0]["transitions"][0],
        json!({"state_name": "delete", "conditions": {"min_index_age": "90d"}})
    );
    assert_eq!(policy["states"][1]["actions"], json!([{"delete": {}}]));
    let patterns: Vec<&Value> = policy["ism_template"]
        .as_array()
        .expect("ism_template")
        .iter()
        .map(|t| &t["index_patterns"][0])
        .collect();
    for p in [
        "cloudtrail-*",
        "vpc-flowlogs-*",
        "flows-*",
        "cwl-*",
        "logs-*",
    ] {
        assert!(patterns.contains(&&json!(p)), "{p} in {patterns:?}");
    }
    assert!(!patterns.contains(&&json!("audit-*")), "audit keeps 1y");
    let year = standin.body_of(
        "PUT",
        "/_plugins/_ism/policies/logs-forwarder-delete-after-365d",
    );
    let audit_priority = year["policy"]["ism_template"][0]["priority"]
        .as_u64()
        .expect("priority");
    assert_eq!(
        year["policy"]["ism_template"][0]["index_patterns"],
        json!(["audit-*"])
    );
    assert!(audit_priority > 100);

    // Templates went to osmem, with their shards and replicas.
    let audit = osmem.get("/_index_template/logs-forwarder-route-audit");
    let settings = &audit["index_templates"][0]["index_template"]["template"]["settings"];
    assert_eq!(settings["index"]["number_of_shards"], "2", "{audit:#}");

    // A second apply writes nothing.
    let before = standin.writes().len();
    let (ok, out, err) = templates(&["apply", "--endpoint", &standin.url], &env("90d"));
    assert!(ok, "{err}");
    assert_eq!(out[0]["written"], json!([]), "{out:?}");
    assert_eq!(out[0]["policies_written"], json!([]), "{out:?}");
    assert_eq!(standin.writes().len(), before, "{:?}", standin.writes());

    // Another retention: the policy is rewritten at the sequence number read.
    let (ok, out, err) = templates(&["apply", "--endpoint", &standin.url], &env("30d"));
    assert!(ok, "{err}");
    assert_eq!(
        out[0]["policies_written"],
        json!(["logs-forwarder-delete-after-30d"])
    );
    let (ok, _, err) = templates(&["apply", "--endpoint", &standin.url], &env("6M"));
    assert!(ok, "{err}");
    let rewritten = standin
        .writes()
        .into_iter()
        .filter(|w| w.contains("delete-after-180d"))
        .count();
    assert_eq!(rewritten, 1);

    // Documents routed there create indices with those settings.
    let dir = std::env::temp_dir().join(format!("lf-lifecycle-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let file = dir.join("trail.json");
    let record = json!({"eventVersion": "1.08", "eventSource": "s3.amazonaws.com", "eventName": "GetObject",
        "eventTime": "2026-11-30T10:00:00Z", "eventID": "e-1", "awsRegion": "eu-west-1"});
    std::fs::write(&file, json!({"Records": [record]}).to_string()).expect("file");
    let run = replay(
        &["--endpoint", &standin.url, &path_str(&file)],
        &[
            (
                "ROUTES",
                r#"[{"bucket": "*", "index": "audit", "format": "cloudtrail", "retention": "1y", "shards": 2}]"#,
            ),
            ("ES_AUTH", "none"),
            ("INDEX_REPLICAS", "0"),
        ],
    );
    assert!(run.success, "{}", run.stderr);
    let index_settings = osmem.get("/audit-2026.11.30/_settings");
    let index = &index_settings["audit-2026.11.30"]["settings"]["index"];
    assert_eq!(index["number_of_shards"], "2", "{index_settings:#}");
    assert_eq!(index["number_of_replicas"], "0", "{index_settings:#}");
}

#[test]
fn amazon_elasticsearch_uses_open_distro_ism() {
    let standin = StandIn::start(Flavor::AmazonElasticsearch710, "http://127.0.0.1:9");
    let (ok, out, err) = templates(&["apply", "--endpoint", &standin.url], &env("90d"));
    assert!(ok, "{err}");
    assert_eq!(out[0]["policies_written"].as_array().map(Vec::len), Some(2));
    let calls = standin.calls();
    assert!(
        calls
            .contains(&"PUT /_opendistro/_ism/policies/logs-forwarder-delete-after-90d".to_owned()),
        "{calls:?}"
    );
    assert!(
        !calls
            .iter()
            .any(|c| c.contains("_plugins") || c.contains("_ilm/policy")),
        "{calls:?}"
    );
    // ISM finds indices by ism_template: no lifecycle setting in templates.
    let state = standin.state.lock().expect("lock");
    for (name, t) in &state.templates {
        assert!(
            t.pointer("/template/settings/index.lifecycle.name")
                .is_none(),
            "{name}"
        );
    }
}

#[test]
fn elasticsearch_uses_ilm_named_by_the_templates() {
    let standin = StandIn::start(Flavor::Elasticsearch8, "http://127.0.0.1:9");
    let (ok, out, err) = templates(&["apply", "--endpoint", &standin.url], &env("12w"));
    assert!(ok, "{err}");
    assert_eq!(
        out[0]["policies_written"],
        json!([
            "logs-forwarder-delete-after-84d",
            "logs-forwarder-delete-after-365d"
        ])
    );
    let policy = standin.body_of("PUT", "/_ilm/policy/logs-forwarder-delete-after-84d");
    assert_eq!(
        policy["policy"]["phases"]["delete"],
        json!({"min_age": "84d", "actions": {"delete": {}}})
    );
    assert_eq!(policy["policy"]["_meta"]["managed_by"], "logs-forwarder");
    {
        let state = standin.state.lock().expect("lock");
        let settings = |name: &str| state.templates[name]["template"]["settings"].clone();
        assert_eq!(
            settings("logs-forwarder-cloudtrail")["index.lifecycle.name"],
            "logs-forwarder-delete-after-84d"
        );
        assert_eq!(
            settings("logs-forwarder-route-audit")["index.lifecycle.name"],
            "logs-forwarder-delete-after-365d"
        );
        assert_eq!(
            settings("logs-forwarder-route-audit")["index.number_of_shards"],
            2
        );
        // Elasticsearch 8 maps the CloudTrail subtrees as `flattened`.
        assert_eq!(
            state.templates["logs-forwarder-cloudtrail"]["template"]["mappings"]["properties"]
                ["requestParameters"]["type"],
            "flattened"
        );
    }
    let before = standin.writes().len();
    let (ok, out, _) = templates(&["apply", "--endpoint", &standin.url], &env("12w"));
    assert!(ok);
    assert_eq!(
        out[0]["policies_unchanged"].as_array().map(Vec::len),
        Some(2)
    );
    assert_eq!(standin.writes().len(), before, "{:?}", standin.writes());
}

#[test]
fn a_cluster_without_lifecycle_api_is_told_what_to_do_instead() {
    let standin = StandIn::start(Flavor::Elasticsearch62, "http://127.0.0.1:9");
    let (ok, out, err) = templates(&["apply", "--endpoint", &standin.url], &env("90d"));
    assert!(ok, "the templates are installed all the same: {err}");
    let why = out[0]["lifecycle_unsupported"].as_str().expect("a reason");
    assert!(why.contains("snapshot-manager delete-indices"), "{why}");
    assert!(!standin
        .writes()
        .iter()
        .any(|w| w.contains("_ism") || w.contains("_ilm")));
    assert!(!out[0]["written"].as_array().expect("written").is_empty());
}

#[test]
fn templates_show_prints_the_policies_for_each_kind_of_cluster() {
    for (cluster, path) in [
        (
            "opensearch-2.11",
            "/_plugins/_ism/policies/logs-forwarder-delete-after-90d",
        ),
        (
            "amazon-elasticsearch-7.10",
            "/_opendistro/_ism/policies/logs-forwarder-delete-after-90d",
        ),
        (
            "elasticsearch-8.15",
            "/_ilm/policy/logs-forwarder-delete-after-90d",
        ),
    ] {
        let (ok, lines, err) = templates(&["show", "--cluster", cluster], &env("90d"));
        assert!(ok, "{err}");
        assert!(
            lines.iter().any(|l| l["path"] == path),
            "{cluster}: {lines:?}"
        );
        assert!(lines
            .iter()
            .any(|l| l["path"] == "/_index_template/logs-forwarder-route-audit"));
    }
    let (ok, lines, err) = templates(&["show", "--cluster", "elasticsearch-6.2"], &env("90d"));
    assert!(ok);
    assert!(err.contains("snapshot-manager delete-indices"), "{err}");
    assert!(!lines
        .iter()
        .any(|l| l["path"].as_str().is_some_and(|p| p.contains("_ilm"))));
}
