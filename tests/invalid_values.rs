//! One bad value never costs a record its fields: a flow log line with an
//! address that is not one, and an access-log line with text in a number
//! column, reach osmem typed, the bad value kept under `@invalid` (mapped
//! as a keyword by every template) and named in `@error`.

mod support;

use serde_json::json;
use support::{cloudwatch_event, path_str, replay, temp_dir, Osmem};

#[test]
fn bad_values_land_in_invalid_and_the_rest_stays_typed() {
    let osmem = Osmem::start();
    let dir = temp_dir("invalid");
    let flows = cloudwatch_event(
        &dir,
        "/vpc/flows",
        &[
            "2 123456789012 eni-0a1 10.0.0.300 10.0.0.2 443 49152 6 10 840 1700000000 1700000060 ACCEPT OK",
            "2 123456789012 eni-0a1 10.0.0.1 10.0.0.2 443 http 6 10 840 1700000000 1700000060 ACCEPT OK",
            "2 123456789012 eni-0a1 10.0.0.1 10.0.0.2 443 80 6 10 840 1700000000 1700000060 ACCEPT OK",
        ],
    );
    let run = replay(
        &["--endpoint", &osmem.url, &path_str(&flows)],
        &[("ES_AUTH", "none")],
    );
    assert!(run.success, "{}", run.stderr);
    assert_eq!(run.summary["indexed"], 3, "{}", run.summary);
    assert_eq!(
        run.summary["malformed"], 2,
        "counted, not lost: {}",
        run.summary
    );
    assert_eq!(
        run.summary["repaired"], 0,
        "the cluster took them as they were"
    );
    let bad_address = osmem.sources(
        "vpc-flowlogs-*",
        json!({"term": {"@invalid.srcaddr": "10.0.0.300"}}),
    );
    assert_eq!(bad_address.len(), 1);
    let doc = &bad_address[0];
    assert_eq!(doc["dstaddr"], "10.0.0.2");
    assert_eq!(doc["bytes"], 840);
    assert!(doc["@error"].as_str().expect("error").contains("srcaddr"));
    // The typed fields still search as their types.
    let in_range = osmem.count("vpc-flowlogs-*", json!({"range": {"bytes": {"gte": 800}}}));
    assert_eq!(in_range, 3);
    let port_text = osmem.sources(
        "vpc-flowlogs-*",
        json!({"term": {"@invalid.dstport": "http"}}),
    );
    assert_eq!(port_text.len(), 1);
    assert_eq!(port_text[0]["srcport"], 443);
    let mapping = osmem.get("/vpc-flowlogs-*/_mapping");
    let index = mapping
        .as_object()
        .and_then(|m| m.values().next())
        .expect("index");
    let props = &index["mappings"]["properties"];
    assert_eq!(
        props["@invalid"]["properties"]["srcaddr"]["type"], "keyword",
        "{mapping:#}"
    );
    assert_eq!(props["srcaddr"]["type"], "ip");
}
