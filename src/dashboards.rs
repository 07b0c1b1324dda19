//! Logs visible on the first day: index patterns and starter dashboards,
//! imported into OpenSearch Dashboards or Kibana through the saved-objects
//! import API.
//!
//! One index pattern per index family the forwarder writes (`cloudtrail-*`,
//! `vpc-flowlogs-*`, `s3-access-*`, `elb-access-*`, `waf-*`,
//! `network-firewall-*`, `dns-*`, `cloudfront-*`, `cwl-*`, `logs-*`), with
//! `@timestamp` as the time field, and one dashboard per structured source.
//! The visualisations are the classic aggregation-based kind (`visualization`
//! saved objects with a `visState`), which OpenSearch Dashboards 1.x-2.x and
//! Kibana 7.x-8.x import alike. Their fields are the formats' own
//! (`formats::cloudtrail::FIELDS`, the flow log schema, the access-log
//! columns); a test walks every field they name against the generated index
//! templates, so a dashboard never asks for a field the cluster does not map
//! or cannot aggregate.
//!
//! Import: `POST <dashboards>/api/saved_objects/_import?overwrite=true` with
//! the NDJSON as a multipart file and the `osd-xsrf` (OpenSearch Dashboards)
//! or `kbn-xsrf` (Kibana) header; Amazon OpenSearch Service's Dashboards
//! live under `https://<domain>/_dashboards` and take SigV4 (service `es`).
//! Saved-object ids are fixed, so applying again overwrites, never doubles.

use bytes::Bytes;
use http::Method;
use serde_json::{json, Value};

use crate::client::Cluster;
use crate::{formats, routing};

/// Every saved object's id starts with this.
pub const ID_PREFIX: &str = "logs-forwarder-";

/// Which application answers the import.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flavor {
    OpenSearchDashboards,
    Kibana,
}

impl Flavor {
    fn xsrf_header(self) -> &'static str {
        match self {
            Flavor::OpenSearchDashboards => "osd-xsrf",
            Flavor::Kibana => "kbn-xsrf",
        }
    }
}

/// An index family: its pattern and, for the structured sources, its
/// dashboard (its query, and the columns of a saved search on it, if any).
struct Family {
    id: &'static str,
    pattern: String,
    dashboard: Option<(&'static str, Vec<Panel>)>,
    query: &'static str,
    search: &'static [&'static str],
}

/// The address the "Investigate an address" dashboard opens on, from the
/// documentation range (RFC 5737): the user types theirs instead.
pub const EXAMPLE_ADDRESS: &str = "192.0.2.1";

/// One visualisation: title, chart type, aggregations, and a query that
/// narrows it (KQL, as both applications take it).
pub struct Panel {
    pub title: &'static str,
    pub chart: &'static str,
    pub aggs: Vec<Value>,
    pub query: &'static str,
}

fn count() -> Value {
    json!({"id": "1", "enabled": true, "type": "count", "schema": "metric", "params": {}})
}

fn sum(field: &str) -> Value {
    json!({"id": "1", "enabled": true, "type": "sum", "schema": "metric", "params": {"field": field}})
}

fn percentiles(field: &str) -> Value {
    json!({"id": "1", "enabled": true, "type": "percentiles", "schema": "metric",
           "params": {"field": field, "percents": [50, 90, 99]}})
}

fn over_time(id: &str) -> Value {
    json!({"id": id, "enabled": true, "type": "date_histogram", "schema": "segment",
           "params": {"field": "@timestamp", "interval": "auto", "min_doc_count": 1,
                      "extended_bounds": {}}})
}

fn top(id: &str, schema: &str, field: &str, size: u32) -> Value {
    json!({"id": id, "enabled": true, "type": "terms", "schema": schema,
           "params": {"field": field, "size": size, "order": "desc", "orderBy": "1",
                      "otherBucket": false, "missingBucket": false}})
}

/// Families whose documents have a `source` field of their own (an
/// EventBridge event's), left out of the view across every source.
const OWN_SOURCE_FIELD: &[&str] = &["events", "config"];

fn families() -> Vec<Family> {
    let mut families = source_families();
    // One pattern over every index the forwarder writes, and a dashboard
    // built on the common names the templates alias in each source.
    let every = families
        .iter()
        .filter(|f| !OWN_SOURCE_FIELD.contains(&f.id))
        .map(|f| f.pattern.as_str())
        .collect::<Vec<_>>()
        .join(",");
    families.push(Family {
        id: "all",
        pattern: every,
        dashboard: Some((
            "Investigate an address",
            vec![
                Panel {
                    title: "Events by index over time",
                    chart: "histogram",
                    aggs: vec![count(), over_time("2"), top("3", "group", "_index", 10)],
                    query: "",
                },
                Panel {
                    title: "Top destination.port",
                    chart: "histogram",
                    aggs: vec![count(), top("2", "segment", "destination.port", 20)],
                    query: "",
                },
                Panel {
                    title: "Top event.action",
                    chart: "pie",
                    aggs: vec![count(), top("2", "segment", "event.action", 10)],
                    query: "",
                },
                Panel {
                    title: "Top source.ip and destination.ip",
                    chart: "table",
                    aggs: vec![
                        count(),
                        top("2", "bucket", "source.ip", 20),
                        top("3", "bucket", "destination.ip", 20),
                    ],
                    query: "",
                },
            ],
        )),
        query: "source.ip:\"192.0.2.1\" or destination.ip:\"192.0.2.1\"",
        search: &[
            "_index",
            "source.ip",
            "source.port",
            "destination.ip",
            "destination.port",
            "event.action",
            "user.name",
            "url.original",
        ],
    });
    families
}

/// The families of each source (and their dashboards).
fn source_families() -> Vec<Family> {
    let base = |format: crate::formats::Format| routing::default_base(&format).unwrap_or("logs");
    let vpc = |aws: &str| crate::formats::vpc_flow::document_name(aws);
    vec![
        Family {
            id: "cloudtrail",
            pattern: format!("{}-*", base(crate::formats::Format::CloudTrail)),
            dashboard: Some((
                "CloudTrail",
                vec![
                    Panel {
                        title: "Events over time by eventSource",
                        chart: "histogram",
                        aggs: vec![
                            count(),
                            over_time("2"),
                            top("3", "group", "eventSource", 10),
                        ],
                        query: "",
                    },
                    Panel {
                        title: "Top eventName",
                        chart: "table",
                        aggs: vec![count(), top("2", "bucket", "eventName", 20)],
                        query: "",
                    },
                    Panel {
                        title: "Errors by errorCode",
                        chart: "histogram",
                        aggs: vec![count(), over_time("2"), top("3", "group", "errorCode", 10)],
                        query: "errorCode:*",
                    },
                    Panel {
                        title: "Top sourceIPAddress",
                        chart: "table",
                        aggs: vec![count(), top("2", "bucket", "sourceIPAddress", 20)],
                        query: "",
                    },
                ],
            )),
            query: "",
            search: &[],
        },
        Family {
            id: "vpc-flowlogs",
            pattern: format!(
                "{}-*",
                base(crate::formats::Format::VpcFlow(Default::default()))
            ),
            dashboard: Some((
                "VPC flow logs",
                vec![
                    Panel {
                        title: "Bytes by action",
                        chart: "pie",
                        aggs: vec![sum(&vpc("bytes")), top("2", "segment", &vpc("action"), 5)],
                        query: "",
                    },
                    Panel {
                        title: "Top talkers (bytes by source address)",
                        chart: "table",
                        aggs: vec![sum(&vpc("bytes")), top("2", "bucket", &vpc("srcaddr"), 20)],
                        query: "",
                    },
                    Panel {
                        title: "Rejected flows by destination port",
                        chart: "histogram",
                        aggs: vec![count(), top("2", "segment", &vpc("dstport"), 20)],
                        query: "action:REJECT",
                    },
                ],
            )),
            query: "",
            search: &[],
        },
        Family {
            id: "s3-access",
            pattern: format!("{}-*", base(crate::formats::Format::S3Access)),
            dashboard: Some((
                "S3 server access logs",
                vec![
                    Panel {
                        title: "HTTP status over time",
                        chart: "histogram",
                        aggs: vec![
                            count(),
                            over_time("2"),
                            top("3", "group", "http_status", 10),
                        ],
                        query: "",
                    },
                    Panel {
                        title: "Top keys",
                        chart: "table",
                        aggs: vec![count(), top("2", "bucket", "key", 20)],
                        query: "",
                    },
                    Panel {
                        title: "Total time (ms) percentiles",
                        chart: "line",
                        aggs: vec![percentiles("total_time"), over_time("2")],
                        query: "",
                    },
                ],
            )),
            query: "",
            search: &[],
        },
        Family {
            id: "elb-access",
            pattern: format!("{}-*", base(crate::formats::Format::Elb)),
            dashboard: Some((
                "Load balancer access logs",
                vec![
                    Panel {
                        title: "ELB status over time",
                        chart: "histogram",
                        aggs: vec![
                            count(),
                            over_time("2"),
                            top("3", "group", "elb_status_code", 10),
                        ],
                        query: "",
                    },
                    Panel {
                        title: "Top URLs",
                        chart: "table",
                        aggs: vec![count(), top("2", "bucket", "request_url", 20)],
                        query: "",
                    },
                    Panel {
                        title: "Target processing time (s) percentiles",
                        chart: "line",
                        aggs: vec![percentiles("target_processing_time"), over_time("2")],
                        query: "",
                    },
                ],
            )),
            query: "",
            search: &[],
        },
        Family {
            id: "waf",
            pattern: format!("{}-*", formats::waf::SCHEMA.index),
            dashboard: Some((
                "AWS WAF",
                vec![
                    Panel {
                        title: "Requests over time by action",
                        chart: "histogram",
                        aggs: vec![count(), over_time("2"), top("3", "group", "action", 5)],
                        query: "",
                    },
                    Panel {
                        title: "Top client addresses blocked",
                        chart: "table",
                        aggs: vec![count(), top("2", "bucket", "httpRequest.clientIp", 20)],
                        query: "action:BLOCK",
                    },
                    Panel {
                        title: "Requests by country",
                        chart: "pie",
                        aggs: vec![count(), top("2", "segment", "httpRequest.country", 15)],
                        query: "",
                    },
                    Panel {
                        title: "Top terminating rules",
                        chart: "table",
                        aggs: vec![
                            count(),
                            top("2", "bucket", "terminatingRuleId", 20),
                            top("3", "bucket", "action", 5),
                        ],
                        query: "",
                    },
                ],
            )),
            query: "",
            search: &[],
        },
        Family {
            id: "network-firewall",
            pattern: format!("{}-*", formats::network_firewall::SCHEMA.index),
            dashboard: Some((
                "AWS Network Firewall",
                vec![
                    Panel {
                        title: "Events over time by type",
                        chart: "histogram",
                        aggs: vec![
                            count(),
                            over_time("2"),
                            top("3", "group", "event.event_type", 5),
                        ],
                        query: "",
                    },
                    Panel {
                        title: "Top alert signatures",
                        chart: "table",
                        aggs: vec![
                            count(),
                            top("2", "bucket", "event.alert.signature", 20),
                            top("3", "bucket", "event.alert.action", 3),
                        ],
                        query: "event.event_type:alert",
                    },
                    Panel {
                        title: "Bytes by destination address",
                        chart: "table",
                        aggs: vec![
                            sum("event.netflow.bytes"),
                            top("2", "bucket", "event.dest_ip", 20),
                        ],
                        query: "event.event_type:netflow",
                    },
                ],
            )),
            query: "",
            search: &[],
        },
        Family {
            id: "dns",
            pattern: format!("{}-*", formats::route53::INDEX),
            dashboard: Some((
                "DNS queries",
                vec![
                    Panel {
                        title: "Queries over time by response code",
                        chart: "histogram",
                        aggs: vec![count(), over_time("2"), top("3", "group", "rcode", 10)],
                        query: "",
                    },
                    Panel {
                        title: "Top queried names",
                        chart: "table",
                        aggs: vec![count(), top("2", "bucket", "query_name", 25)],
                        query: "",
                    },
                    Panel {
                        title: "Names that do not exist (NXDOMAIN)",
                        chart: "table",
                        aggs: vec![count(), top("2", "bucket", "query_name", 25)],
                        query: "rcode:NXDOMAIN",
                    },
                    Panel {
                        title: "Query types",
                        chart: "pie",
                        aggs: vec![count(), top("2", "segment", "query_type", 10)],
                        query: "",
                    },
                ],
            )),
            query: "",
            search: &[],
        },
        Family {
            id: "cloudfront",
            pattern: format!("{}-*", formats::cloudfront::JSON.index),
            dashboard: Some((
                "CloudFront",
                vec![
                    Panel {
                        title: "Status over time",
                        chart: "histogram",
                        aggs: vec![count(), over_time("2"), top("3", "group", "sc-status", 10)],
                        query: "",
                    },
                    Panel {
                        title: "Top paths",
                        chart: "table",
                        aggs: vec![count(), top("2", "bucket", "cs-uri-stem", 20)],
                        query: "",
                    },
                    Panel {
                        title: "Time taken (s) percentiles",
                        chart: "line",
                        aggs: vec![percentiles("time-taken"), over_time("2")],
                        query: "",
                    },
                ],
            )),
            query: "",
            search: &[],
        },
        Family {
            id: "findings",
            pattern: format!("{}-*", formats::findings::INDEX),
            dashboard: Some((
                "Security findings",
                vec![
                    Panel {
                        title: "Findings over time by severity",
                        chart: "histogram",
                        aggs: vec![
                            count(),
                            over_time("2"),
                            top("3", "group", "finding.severity_label", 5),
                        ],
                        query: "",
                    },
                    Panel {
                        title: "Top finding types",
                        chart: "table",
                        aggs: vec![
                            count(),
                            top("2", "bucket", "finding.type", 20),
                            top("3", "bucket", "finding.product", 3),
                        ],
                        query: "",
                    },
                    Panel {
                        title: "Findings by account",
                        chart: "pie",
                        aggs: vec![count(), top("2", "segment", "finding.account", 20)],
                        query: "",
                    },
                    Panel {
                        title: "High and critical findings by resource type",
                        chart: "table",
                        aggs: vec![count(), top("2", "bucket", "finding.resource_type", 20)],
                        query: "finding.severity >= 7",
                    },
                ],
            )),
            query: "",
            search: &[],
        },
        Family {
            id: "eks-audit",
            pattern: format!("{}-*", formats::eks::AUDIT.index),
            dashboard: None,
            query: "",
            search: &[],
        },
        Family {
            id: "apigateway",
            pattern: format!("{}-*", formats::apigateway::ACCESS.index),
            dashboard: Some((
                "API Gateway access",
                vec![
                    Panel {
                        title: "Status over time",
                        chart: "histogram",
                        aggs: vec![count(), over_time("2"), top("3", "group", "status", 10)],
                        query: "",
                    },
                    Panel {
                        title: "Response latency (ms) percentiles",
                        chart: "line",
                        aggs: vec![percentiles("responseLatency"), over_time("2")],
                        query: "",
                    },
                ],
            )),
            query: "",
            search: &[],
        },
        Family {
            id: "rds",
            pattern: format!("{}-*", formats::rds::INDEX),
            dashboard: None,
            query: "",
            search: &[],
        },
        // EventBridge's events and Config's items keep the event's own
        // `source` (a keyword), which the common `source.ip` of the other
        // families would make a conflicting field in one view across them.
        Family {
            id: "events",
            pattern: format!("{}-*", formats::eventbridge::EVENT.index),
            dashboard: None,
            query: "",
            search: &[],
        },
        Family {
            id: "config",
            pattern: format!("{}-*", formats::config::INDEX),
            dashboard: None,
            query: "",
            search: &[],
        },
        Family {
            id: "cwl",
            pattern: format!("{}-*", routing::CLOUDWATCH_BASE),
            dashboard: None,
            query: "",
            search: &[],
        },
        Family {
            id: "logs",
            pattern: format!("{}-*", routing::OBJECT_BASE),
            dashboard: None,
            query: "",
            search: &[],
        },
    ]
}

/// The index pattern of a family's saved-object id.
pub fn index_patterns() -> Vec<(String, String)> {
    families()
        .into_iter()
        .map(|f| (format!("{ID_PREFIX}{}", f.id), f.pattern))
        .collect()
}

/// Every saved object: index patterns, visualisations, dashboards.
pub fn saved_objects() -> Vec<Value> {
    let mut objects = Vec::new();
    for family in families() {
        let pattern_id = format!("{ID_PREFIX}{}", family.id);
        objects.push(json!({
            "type": "index-pattern",
            "id": pattern_id,
            "attributes": {"title": family.pattern, "timeFieldName": "@timestamp"},
            "references": [],
        }));
        let Some((title, panels)) = family.dashboard else {
            continue;
        };
        let mut panel_refs = Vec::new();
        let mut panels_json = Vec::new();
        for (i, panel) in panels.iter().enumerate() {
            let vis_id = format!("{pattern_id}-{i}");
            let vis_state = json!({
                "title": panel.title,
                "type": panel.chart,
                "params": {"addTooltip": true, "addLegend": true, "perPage": 10},
                "aggs": panel.aggs,
            });
            let search = json!({
                "query": {"query": panel.query, "language": "kuery"},
                "filter": [],
                "indexRefName": "kibanaSavedObjectMeta.searchSourceJSON.index",
            });
            objects.push(json!({
                "type": "visualization",
                "id": vis_id,
                "attributes": {
                    "title": format!("{title}: {}", panel.title),
                    "visState": vis_state.to_string(),
                    "uiStateJSON": "{}",
                    "description": "",
                    "version": 1,
                    "kibanaSavedObjectMeta": {"searchSourceJSON": search.to_string()},
                },
                "references": [{"name": "kibanaSavedObjectMeta.searchSourceJSON.index",
                                "type": "index-pattern", "id": pattern_id}],
            }));
            let name = format!("panel_{i}");
            let (x, y) = ((i % 2) * 24, (i / 2) * 15);
            panels_json.push(json!({
                "panelIndex": (i + 1).to_string(), "version": "7.10.0",
                "gridData": {"x": x, "y": y, "w": 24, "h": 15, "i": (i + 1).to_string()},
                "embeddableConfig": {}, "panelRefName": name,
            }));
            panel_refs.push(json!({"name": name, "type": "visualization", "id": vis_id}));
        }
        if !family.search.is_empty() {
            // The events themselves, their common names as columns.
            let search_id = format!("{pattern_id}-search");
            let source = json!({
                "query": {"query": "", "language": "kuery"},
                "filter": [],
                "indexRefName": "kibanaSavedObjectMeta.searchSourceJSON.index",
            });
            objects.push(json!({
                "type": "search",
                "id": search_id,
                "attributes": {
                    "title": format!("{title}: events"),
                    "description": "",
                    "columns": family.search,
                    "sort": [["@timestamp", "desc"]],
                    "version": 1,
                    "kibanaSavedObjectMeta": {"searchSourceJSON": source.to_string()},
                },
                "references": [{"name": "kibanaSavedObjectMeta.searchSourceJSON.index",
                                "type": "index-pattern", "id": pattern_id}],
            }));
            let i = panels_json.len();
            let name = format!("panel_{i}");
            panels_json.push(json!({
                "panelIndex": (i + 1).to_string(), "version": "7.10.0",
                "gridData": {"x": 0, "y": (i / 2 + 1) * 15, "w": 48, "h": 20, "i": (i + 1).to_string()},
                "embeddableConfig": {}, "panelRefName": name,
            }));
            panel_refs.push(json!({"name": name, "type": "search", "id": search_id}));
        }
        objects.push(json!({
            "type": "dashboard",
            "id": format!("{pattern_id}-dashboard"),
            "attributes": {
                "title": format!("{title} (logs-forwarder)"),
                "description": if family.query.is_empty() {
                    format!("Starter dashboard for {}", family.pattern)
                } else {
                    format!("Change {EXAMPLE_ADDRESS} in the query to the address to investigate, across {}", family.pattern)
                },
                "panelsJSON": Value::Array(panels_json).to_string(),
                "optionsJSON": json!({"useMargins": true, "hidePanelTitles": false}).to_string(),
                "timeRestore": false,
                "version": 1,
                "kibanaSavedObjectMeta": {"searchSourceJSON": json!({
                    "query": {"query": family.query, "language": "kuery"}, "filter": []}).to_string()},
            },
            "references": panel_refs,
        }));
    }
    objects
}

/// The saved objects as the import API takes them: one per line.
pub fn ndjson() -> String {
    let mut out = String::new();
    for object in saved_objects() {
        out.push_str(&object.to_string());
        out.push('\n');
    }
    out
}

/// The multipart body of an import, and its content type.
pub fn multipart(ndjson: &str) -> (Bytes, String) {
    let boundary = "logs-forwarder-saved-objects-7MA4YWxkTrZu0gW";
    let body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"logs-forwarder.ndjson\"\r\n\
         Content-Type: application/ndjson\r\n\r\n{ndjson}\r\n--{boundary}--\r\n"
    );
    (
        Bytes::from(body),
        format!("multipart/form-data; boundary={boundary}"),
    )
}

/// Imports every saved object, overwriting those with the same ids.
pub async fn apply(dashboards: &Cluster, flavor: Flavor) -> Result<Value, String> {
    let (body, content_type) = multipart(&ndjson());
    let response = dashboards
        .send_with(
            Method::POST,
            "/api/saved_objects/_import?overwrite=true",
            Some((body, &content_type)),
            &[(flavor.xsrf_header(), "true")],
        )
        .await
        .map_err(|e| e.to_string())?;
    let answer: Value = serde_json::from_slice(&response.body).unwrap_or(Value::Null);
    if !response.status.is_success() || answer["success"] != true {
        return Err(format!(
            "import answered HTTP {}: {}",
            response.status.as_u16(),
            crate::delivery::excerpt(&response.body)
        ));
    }
    Ok(json!({"imported": answer["successCount"], "objects": saved_objects().len()}))
}

/// `logs-forwarder dashboards show`: the saved objects as NDJSON.
pub fn show_main() -> std::process::ExitCode {
    print!("{}", ndjson());
    std::process::ExitCode::SUCCESS
}

/// `logs-forwarder dashboards apply`: imports the saved objects into
/// OpenSearch Dashboards (Amazon OpenSearch Service:
/// `https://DOMAIN/_dashboards`) or, with `kibana`, Kibana; ES_AUTH and the
/// AWS credentials authenticate as for the cluster.
pub fn apply_main(endpoint: String, kibana: bool) -> std::process::ExitCode {
    use std::process::ExitCode;
    crate::logging::init(false, "warn");
    let flavor = if kibana {
        Flavor::Kibana
    } else {
        Flavor::OpenSearchDashboards
    };
    let (runtime, _, dashboards) = match crate::cli::cluster_at(endpoint) {
        Ok(found) => found,
        Err(code) => return code,
    };
    match runtime.block_on(apply(&dashboards, flavor)) {
        Ok(result) => {
            println!("{result}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("dashboards apply: {e}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lifecycle::LifecycleApi;
    use crate::routing::Router;
    use crate::templates::{build, ClusterVersion};

    /// The mapping of `field` (dotted) in a template's properties.
    fn mapping<'a>(properties: &'a Value, field: &str) -> Option<&'a Value> {
        let mut node = properties;
        let mut parts = field.split('.').peekable();
        while let Some(part) = parts.next() {
            let found = node.get(part)?;
            if parts.peek().is_none() {
                return Some(found);
            }
            node = found.get("properties")?;
        }
        None
    }

    #[test]
    fn every_visualised_field_is_mapped_and_aggregatable() {
        let plan = build(
            &Router::default(),
            &ClusterVersion::default(),
            LifecycleApi::Ism,
        );
        let patterns: std::collections::HashMap<String, String> =
            index_patterns().into_iter().collect();
        let objects = saved_objects();
        let mut checked = 0;
        for vis in objects.iter().filter(|o| o["type"] == "visualization") {
            let pattern_id = vis["references"][0]["id"].as_str().expect("index pattern");
            let pattern = &patterns[pattern_id];
            // A pattern over several families: every template of them.
            let templates: Vec<_> = pattern
                .split(',')
                .map(|p| {
                    plan.templates
                        .iter()
                        .find(|t| t.patterns.iter().any(|tp| tp == p))
                        .unwrap_or_else(|| panic!("a template for {p}"))
                })
                .collect();
            let state: Value =
                serde_json::from_str(vis["attributes"]["visState"].as_str().expect("visState"))
                    .expect("JSON");
            for agg in state["aggs"].as_array().expect("aggs") {
                let Some(field) = agg["params"]["field"].as_str() else {
                    continue;
                };
                if field == "_index" {
                    continue; // every index has it
                }
                let mut mapped_somewhere = false;
                for template in &templates {
                    let properties = &template.mappings["properties"];
                    let Some(mut mapped) = mapping(properties, field) else {
                        continue;
                    };
                    // A common name: the kind of the field it aliases.
                    if mapped["type"] == "alias" {
                        let target = mapped["path"].as_str().expect("path");
                        mapped = mapping(properties, target).expect("alias target mapped");
                    }
                    let kind = mapped["type"].as_str().unwrap_or("object");
                    assert!(
                        ["keyword", "long", "double", "ip", "date"].contains(&kind),
                        "{}: {field} is a {kind}, which does not aggregate",
                        template.name
                    );
                    if agg["type"] == "sum" || agg["type"] == "percentiles" {
                        assert!(["long", "double"].contains(&kind), "{field}: {kind}");
                    }
                    mapped_somewhere = true;
                }
                assert!(mapped_somewhere, "{pattern}: {field} is mapped in none");
                checked += 1;
            }
        }
        assert!(checked >= 20, "{checked} field references");
    }

    #[test]
    fn every_family_has_a_pattern_and_every_reference_resolves() {
        let objects = saved_objects();
        let titles: Vec<&str> = objects
            .iter()
            .filter(|o| o["type"] == "index-pattern")
            .map(|o| o["attributes"]["title"].as_str().expect("title"))
            .collect();
        assert_eq!(
            titles,
            [
                "cloudtrail-*",
                "vpc-flowlogs-*",
                "s3-access-*",
                "elb-access-*",
                "waf-*",
                "network-firewall-*",
                "dns-*",
                "cloudfront-*",
                "findings-*",
                "eks-audit-*",
                "apigateway-*",
                "rds-*",
                "events-*",
                "config-*",
                "cwl-*",
                "logs-*",
                "cloudtrail-*,vpc-flowlogs-*,s3-access-*,elb-access-*,waf-*,network-firewall-*,dns-*,cloudfront-*,findings-*,eks-audit-*,apigateway-*,rds-*,cwl-*,logs-*"
            ]
        );
        for o in &objects {
            if o["type"] == "index-pattern" {
                assert_eq!(o["attributes"]["timeFieldName"], "@timestamp");
            }
            for r in o["references"].as_array().expect("references") {
                assert!(
                    objects
                        .iter()
                        .any(|t| t["id"] == r["id"] && t["type"] == r["type"]),
                    "{} refers to a missing {}",
                    o["id"],
                    r["id"]
                );
            }
        }
        assert_eq!(
            objects.iter().filter(|o| o["type"] == "dashboard").count(),
            11
        );
        let investigate = objects
            .iter()
            .find(|o| o["id"] == "logs-forwarder-all-dashboard")
            .expect("the investigation dashboard");
        let source = investigate["attributes"]["kibanaSavedObjectMeta"]["searchSourceJSON"]
            .as_str()
            .expect("search source");
        assert!(source.contains(EXAMPLE_ADDRESS), "{source}");
        assert!(
            investigate["references"]
                .as_array()
                .expect("references")
                .iter()
                .any(|r| r["type"] == "search"),
            "a saved search of the events"
        );
        let (body, content_type) = multipart(&ndjson());
        let boundary = content_type.split("boundary=").nth(1).expect("boundary");
        let text = String::from_utf8(body.to_vec()).expect("utf-8");
        assert!(text.starts_with(&format!("--{boundary}\r\n")));
        assert!(text.ends_with(&format!("\r\n--{boundary}--\r\n")));
    }
}
