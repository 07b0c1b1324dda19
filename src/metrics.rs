//! One CloudWatch Embedded Metric Format (EMF) line per invocation.
//!
//! Lambda sends stdout to CloudWatch Logs, which turns a line shaped like
//! this into metrics without any API call (reference: "Specification:
//! Embedded metric format" in the CloudWatch user guide). Namespace
//! `logs-forwarder`, one dimension: the function's name.

use serde_json::{json, Map, Value};

use crate::summary::Summary;

pub const NAMESPACE: &str = "logs-forwarder";

/// The EMF line for one invocation's `summary`.
pub fn emf_line(summary: &Summary, function: &str, now_ms: i64) -> String {
    let mut latencies = summary.bulk_latency_ms.clone();
    latencies.sort_unstable();
    let p50 = latencies.get(latencies.len() / 2).copied().unwrap_or(0);
    let max = latencies.last().copied().unwrap_or(0);
    let values: [(&str, &str, u64); 15] = [
        ("EventsIn", "Count", summary.events),
        ("Indexed", "Count", summary.indexed),
        ("Duplicates", "Count", summary.duplicates),
        ("Retried", "Count", summary.retried),
        ("Repaired", "Count", summary.repaired),
        ("DeadLettered", "Count", summary.dead_lettered),
        ("Failed", "Count", summary.failed),
        ("Malformed", "Count", summary.malformed),
        ("Filtered", "Count", summary.filtered),
        ("BytesSent", "Bytes", summary.bytes_sent),
        ("Throttled", "Count", summary.throttled),
        ("Undecodable", "Count", summary.undecodable),
        ("Refused", "Count", summary.refused),
        ("BulkLatencyP50", "Milliseconds", u64::from(p50)),
        ("BulkLatencyMax", "Milliseconds", u64::from(max)),
    ];
    let mut line = Map::new();
    line.insert(
        "_aws".into(),
        json!({
            "Timestamp": now_ms,
            "CloudWatchMetrics": [{
                "Namespace": NAMESPACE,
                "Dimensions": [["FunctionName"]],
                "Metrics": values.iter().map(|(name, unit, _)| json!({"Name": name, "Unit": unit})).collect::<Vec<_>>(),
            }],
        }),
    );
    line.insert("FunctionName".into(), Value::String(function.to_owned()));
    for (name, _, value) in values {
        line.insert(name.into(), json!(value));
    }
    Value::Object(line).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_line_declares_and_carries_every_metric() {
        let summary = Summary {
            events: 10,
            indexed: 7,
            duplicates: 1,
            dead_lettered: 1,
            failed: 1,
            throttled: 3,
            bytes_sent: 4096,
            bulk_latency_ms: vec![30, 10, 20, 400],
            ..Summary::default()
        };
        let line: Value =
            serde_json::from_str(&emf_line(&summary, "fwd", 1_763_800_000_000)).expect("JSON");
        let declared = &line["_aws"]["CloudWatchMetrics"][0];
        assert_eq!(declared["Namespace"], NAMESPACE);
        assert_eq!(declared["Dimensions"], json!([["FunctionName"]]));
        for metric in declared["Metrics"].as_array().expect("metrics") {
            let name = metric["Name"].as_str().expect("name");
            assert!(line[name].is_u64(), "{name} has a value");
        }
        assert_eq!(line["_aws"]["Timestamp"], 1_763_800_000_000i64);
        assert_eq!(line["FunctionName"], "fwd");
        assert_eq!(line["EventsIn"], 10);
        assert_eq!(line["Throttled"], 3);
        assert_eq!(line["BulkLatencyP50"], 30);
        assert_eq!(line["BulkLatencyMax"], 400);
        assert_eq!(
            line["Indexed"].as_u64().unwrap_or(0)
                + line["Duplicates"].as_u64().unwrap_or(0)
                + line["DeadLettered"].as_u64().unwrap_or(0)
                + line["Failed"].as_u64().unwrap_or(0),
            10
        );
    }
}
