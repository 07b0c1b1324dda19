//! Generated log objects (tests/fixtures/objects/, written by
//! `tests/fixtures/generate.py`) cover what the public corpus lacks: flow
//! logs with only version 4 fields, S3 access logs with non-ASCII keys,
//! referrers and user agents in every field-count variant, and a gzipped CloudTrail file with a 1.5 MB
//! record. They go through `replay` into a real `osmem-server`.

mod support;

use serde_json::json;
use support::{fixtures, path_str, replay, Osmem};

#[test]
fn generated_objects_arrive_typed_and_whole() {
    let osmem = Osmem::start();
    let dir = path_str(&fixtures().join("objects"));
    let run = replay(&["--endpoint", &osmem.url, &dir], &[("ES_AUTH", "none")]);
    assert!(run.success, "{}", run.stderr);
    let s = &run.summary;
    assert_eq!(s["events"], 12 + 6 + 40, "{s}");
    assert_eq!(s["indexed"], 12 + 6 + 40, "{s}");
    assert_eq!(s["malformed"], 0, "{s}");

    // Version 4 fields only.
    let flows = "vpc-flowlogs-*";
    assert_eq!(
        osmem.count(flows, json!({"term": {"srcaddr": "10.1.0.0/16"}})),
        12
    );
    assert_eq!(
        osmem.count(flows, json!({"term": {"sublocation_type": "wavelength"}})),
        4
    );
    let doc = &osmem.sources(flows, json!({"term": {"sublocation_type": "outpost"}}))[0];
    assert_eq!(doc["version"], 4);
    assert_eq!(
        doc["az_id"].as_str().map(|s| s.starts_with("use1-az")),
        Some(true)
    );
    assert!(doc.get("sublocation_id").is_some());

    // Non-ASCII keys and user agents, 18 to 27 values per line.
    let access = "s3-access-*";
    assert_eq!(
        osmem.count(
            access,
            json!({"term": {"key": "docs/%E6%97%A5%E6%9C%AC%E8%AA%9E.pdf"}})
        ),
        2
    );
    assert_eq!(
        osmem.count(
            access,
            json!({"term": {"referer": "https://example.com/página"}})
        ),
        6
    );
    assert_eq!(
        osmem.count(
            access,
            json!({"term": {"user_agent": "Navigateur/1.0 (français; ñ)"}})
        ),
        6
    );
    assert_eq!(
        osmem.count(access, json!({"term": {"source_region": "eu-west-1"}})),
        2
    );
    assert_eq!(
        osmem.count(access, json!({"exists": {"field": "tls_version"}})),
        4
    );

    // The 1.5 MB record arrives whole, searchable through flat_object.
    let ct = osmem.get("/cloudtrail-2025.11.22/_doc/6f1c2a00-0000-4000-8000-000000000002");
    let policy = ct["_source"]["requestParameters"]["policy"]
        .as_str()
        .expect("policy kept");
    assert!(policy.len() > 1_500_000, "{}", policy.len());
    assert!(policy.contains("accès autorisé ✓"));
    assert_eq!(ct["_source"]["userIdentity"]["userName"], "ünïcødé-user");
    assert_eq!(
        osmem.count(
            "cloudtrail-*",
            json!({"range": {"@timestamp": {"gte": "2025-11-22T09:10:00Z", "lt": "2025-11-22T09:20:00Z"}}})
        ),
        10
    );
}
