//! `logs-forwarder dashboards apply|show` against a recorded-response
//! stand-in of the saved-objects import API. No OpenSearch Dashboards or
//! Kibana can be installed here, so the stand-in answers as their documented
//! API does (`POST /api/saved_objects/_import?overwrite=true`, multipart
//! `file`, 400 without the `osd-xsrf` / `kbn-xsrf` header, and
//! `{"success":true,"successCount":N,"successResults":[…]}`), keeping the
//! objects by type and id as the applications do.

mod support;

use std::collections::BTreeMap;
use std::process::Command;
use std::sync::{Arc, Mutex};

use serde_json::{json, Value};
use support::proxy::{Fault, Proxy, Seen};

type Stored = Arc<Mutex<BTreeMap<(String, String), Value>>>;

/// Answers imports under `prefix` (`/_dashboards` on Amazon OpenSearch
/// Service) when `xsrf` is among the headers.
fn standin(prefix: &'static str, xsrf: &'static str) -> (Proxy, Stored) {
    let stored: Stored = Arc::default();
    let objects = stored.clone();
    let fault: Fault = Arc::new(move |_, seen: &Seen| {
        let path = seen.path.split('?').next().unwrap_or("");
        if seen.method != "POST" || path != format!("{prefix}/api/saved_objects/_import") {
            return Some((
                404,
                json!({"statusCode": 404, "error": "Not Found", "message": "Not Found"})
                    .to_string(),
            ));
        }
        if !seen
            .headers
            .iter()
            .any(|(k, v)| k.eq_ignore_ascii_case(xsrf) && v == "true")
        {
            return Some((
                400,
                json!({"statusCode": 400, "error": "Bad Request",
                "message": format!("Request must contain a {xsrf} header.")})
                .to_string(),
            ));
        }
        let content_type = seen
            .headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("content-type"))
            .map(|(_, v)| v.clone())
            .unwrap_or_default();
        let Some(boundary) = content_type.strip_prefix("multipart/form-data; boundary=") else {
            return Some((
                415,
                json!({"statusCode": 415, "error": "Unsupported Media Type"}).to_string(),
            ));
        };
        let body = String::from_utf8_lossy(&seen.body).into_owned();
        let Some(part) = body.split(&format!("--{boundary}")).nth(1) else {
            return Some((400, "{}".into()));
        };
        let (head, content) = part.split_once("\r\n\r\n").unwrap_or(("", ""));
        if !head.contains("name=\"file\"") || !head.contains(".ndjson") {
            return Some((
                400,
                json!({"statusCode": 400, "message": "expected a file"}).to_string(),
            ));
        }
        let overwrite = seen.path.contains("overwrite=true");
        let mut stored = objects.lock().expect("lock");
        let mut results = Vec::new();
        let mut errors = Vec::new();
        for line in content
            .trim_end_matches("\r\n")
            .lines()
            .filter(|l| !l.trim().is_empty())
        {
            let Ok(object) = serde_json::from_str::<Value>(line) else {
                return Some((
                    400,
                    json!({"statusCode": 400, "message": "Unexpected token"}).to_string(),
                ));
            };
            let key = (
                object["type"].as_str().unwrap_or("").to_owned(),
                object["id"].as_str().unwrap_or("").to_owned(),
            );
            if stored.contains_key(&key) && !overwrite {
                errors.push(json!({"id": key.1, "type": key.0, "error": {"type": "conflict"}}));
                continue;
            }
            results.push(json!({"type": key.0, "id": key.1}));
            stored.insert(key, object);
        }
        let answer = if errors.is_empty() {
            json!({"success": true, "successCount": results.len(), "successResults": results})
        } else {
            json!({"success": false, "successCount": results.len(), "errors": errors})
        };
        Some((200, answer.to_string()))
    });
    (Proxy::start("http://127.0.0.1:9", Some(fault)), stored)
}

fn dashboards(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_logs-forwarder"))
        .arg("dashboards")
        .args(args)
        .env("ES_AUTH", "none")
        .env_remove("ES_ENDPOINT")
        .output()
        .expect("logs-forwarder runs");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn opensearch_dashboards_under_the_domains_path_imports_everything_once() {
    let (proxy, stored) = standin("/_dashboards", "osd-xsrf");
    let endpoint = format!("{}/_dashboards", proxy.url);
    let (ok, out, err) = dashboards(&["apply", "--endpoint", &endpoint]);
    assert!(ok, "{err}");
    let result: Value = serde_json::from_str(out.trim()).expect("JSON");
    let count = stored.lock().expect("lock").len();
    assert_eq!(result["imported"], count);
    let (ok, show, _) = dashboards(&["show"]);
    assert!(ok);
    assert_eq!(
        show.lines().count(),
        count,
        "show prints what apply imports"
    );
    {
        let stored = stored.lock().expect("lock");
        let patterns: Vec<&str> = stored
            .iter()
            .filter(|((kind, _), _)| kind == "index-pattern")
            .map(|(_, o)| o["attributes"]["title"].as_str().expect("title"))
            .collect();
        for p in [
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
        ] {
            assert!(patterns.contains(&p), "{p}");
        }
        let dashboards = stored
            .keys()
            .filter(|(kind, _)| kind == "dashboard")
            .count();
        assert_eq!(dashboards, 11, "one per source, and Investigate an address");
    }
    // Again: the same ids are overwritten, nothing is added.
    let (ok, _, err) = dashboards(&["apply", "--endpoint", &endpoint]);
    assert!(ok, "{err}");
    assert_eq!(stored.lock().expect("lock").len(), count);
    let requests = proxy.requests();
    assert_eq!(requests.len(), 2);
    for r in &requests {
        assert_eq!(
            r.path,
            "/_dashboards/api/saved_objects/_import?overwrite=true"
        );
    }
}

#[test]
fn kibana_takes_its_own_header_and_a_refusal_is_an_error() {
    let (proxy, stored) = standin("", "kbn-xsrf");
    let (ok, _, err) = dashboards(&["apply", "--endpoint", &proxy.url, "--kibana"]);
    assert!(ok, "{err}");
    assert!(stored.lock().expect("lock").len() > 10);
    // Without --kibana the header is osd-xsrf, which Kibana refuses: a failure, with the reason.
    let (ok, _, err) = dashboards(&["apply", "--endpoint", &proxy.url]);
    assert!(!ok);
    assert!(err.contains("kbn-xsrf"), "{err}");
    let (ok, _, err) = dashboards(&["apply"]);
    assert!(!ok);
    assert!(err.contains("--endpoint"), "{err}");
}
