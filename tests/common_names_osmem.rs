//! One query across every source: the templates alias the common (ECS)
//! names to each format's own fields, so a `term` query on `source.ip`
//! finds the documents of one address in CloudTrail, flow logs, S3 access
//! and load balancer indices alike, and an aggregation on
//! `destination.port` counts across them, with no byte added to any
//! document. Against a real `osmem-server`, through `replay` (templates
//! installed as the Lambda installs them); lines written here from the AWS
//! documentation of each format.

mod support;

use logs_forwarder::templates::COMMON_NAMES;
use serde_json::{json, Value};
use support::{path_str, replay_in, Osmem};

const ADDRESS: &str = "198.51.100.7";

/// Log objects under the keys AWS writes them to, and CloudWatch Logs
/// events (log group, message).
fn objects() -> Vec<(&'static str, String)> {
    vec![
        (
            "AWSLogs/111122223333/CloudTrail/us-east-1/2025/12/05/111122223333_CloudTrail_us-east-1_20251205T1605Z_a.json",
            json!({"Records": [
                {"eventVersion": "1.10", "eventTime": "2025-12-05T16:04:31Z", "eventSource": "s3.amazonaws.com",
                 "eventName": "GetObject", "awsRegion": "us-east-1", "sourceIPAddress": ADDRESS,
                 "userIdentity": {"type": "IAMUser", "arn": "arn:aws:iam::111122223333:user/alice"},
                 "eventID": "0b1c2d3e-0000-4000-8000-000000000001", "recipientAccountId": "111122223333"},
                {"eventVersion": "1.10", "eventTime": "2025-12-05T16:04:32Z", "eventSource": "ec2.amazonaws.com",
                 "eventName": "DescribeInstances", "awsRegion": "us-east-1", "sourceIPAddress": "203.0.113.50",
                 "eventID": "0b1c2d3e-0000-4000-8000-000000000002", "recipientAccountId": "111122223333"}
            ]})
            .to_string(),
        ),
        (
            "AWSLogs/111122223333/vpcflowlogs/us-east-1/2025/12/05/111122223333_vpcflowlogs_us-east-1_fl-1_20251205T1605Z_b.log",
            [
                "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status",
                &format!("2 111122223333 eni-0a1b2c3d4e5f60718 {ADDRESS} 10.0.1.5 52000 443 6 10 840 1764950400 1764950460 ACCEPT OK"),
                &format!("2 111122223333 eni-0a1b2c3d4e5f60718 10.0.1.5 {ADDRESS} 443 52000 6 8 6400 1764950400 1764950460 ACCEPT OK"),
                "2 111122223333 eni-0a1b2c3d4e5f60718 203.0.113.9 10.0.1.5 40000 8080 6 3 180 1764950400 1764950460 REJECT OK",
            ]
            .join("\n"),
        ),
        (
            "access-logs/2025-12-05-16-05-21-3E57427F3EXAMPLE",
            [
                format!(r#"79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be amzn-s3-demo-bucket [05/Dec/2025:16:04:31 +0000] {ADDRESS} arn:aws:iam::111122223333:user/alice 3E57427F3EXAMPLE REST.GET.OBJECT reports/2025.csv "GET /amzn-s3-demo-bucket/reports/2025.csv HTTP/1.1" 200 - 2048 2048 38 37 "-" "aws-cli/2.22.0" -"#),
                r#"79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be amzn-s3-demo-bucket [05/Dec/2025:16:04:33 +0000] 192.0.2.3 arn:aws:iam::111122223333:user/bob 4E57427F3EXAMPLE REST.PUT.OBJECT reports/2026.csv "PUT /amzn-s3-demo-bucket/reports/2026.csv HTTP/1.1" 200 - - 2048 38 37 "-" "aws-cli/2.22.0" -"#.to_owned(),
            ]
            .join("\n"),
        ),
        (
            "AWSLogs/111122223333/elasticloadbalancing/us-east-1/2025/12/05/111122223333_elasticloadbalancing_us-east-1_app.my-alb.50dc6c495c0c9188_20251205T1605Z_198.51.100.1_c.log",
            [
                format!(r#"https 2025-12-05T16:04:31.123456Z app/my-alb/50dc6c495c0c9188 {ADDRESS}:52311 10.0.2.15:8080 0.001 0.015 0.000 200 200 210 1530 "GET https://shop.example.com:443/api/cart HTTP/1.1" "Mozilla/5.0" TLS_AES_128_GCM_SHA256 TLSv1.3 arn:aws:elasticloadbalancing:us-east-1:111122223333:targetgroup/shop/73e2d6bc24d8a067 "Root=1-6752a5c7-0123456789abcdef01234567""#),
                r#"https 2025-12-05T16:04:32.123456Z app/my-alb/50dc6c495c0c9188 203.0.113.4:40001 10.0.2.16:8080 0.001 0.012 0.000 404 404 200 150 "GET https://shop.example.com:443/missing HTTP/1.1" "curl/8.5.0" TLS_AES_128_GCM_SHA256 TLSv1.3 arn:aws:elasticloadbalancing:us-east-1:111122223333:targetgroup/shop/73e2d6bc24d8a067 "Root=1-6752a5c8-0123456789abcdef01234567""#.to_owned(),
            ]
            .join("\n"),
        ),
        (
            "AWSLogs/111122223333/WAFLogs/us-east-1/shop/2025/12/05/16/05/111122223333_waflogs_us-east-1_shop_20251205T1605Z_d.log",
            json!({"timestamp": 1_764_950_671_000_i64, "formatVersion": 1, "webaclId": "arn:aws:wafv2:us-east-1:111122223333:regional/webacl/shop/a1b2c3d4",
                   "terminatingRuleId": "Default_Action", "terminatingRuleType": "REGULAR", "action": "ALLOW",
                   "httpSourceName": "ALB", "httpSourceId": "111122223333-app/my-alb/50dc6c495c0c9188",
                   "httpRequest": {"clientIp": ADDRESS, "country": "NL", "headers": [], "uri": "/api/cart",
                                   "args": "", "httpVersion": "HTTP/1.1", "httpMethod": "GET", "requestId": "1-6752a5c7"}})
            .to_string(),
        ),
        (
            "cdn/E2EXAMPLE1234.2025-12-05-16.e5f6a7b8",
            format!("#Version: 1.0\n#Fields: date time x-edge-location sc-bytes c-ip cs-method cs(Host) cs-uri-stem sc-status\n2025-12-05\t16:04:35\tAMS58-P3\t2318\t{ADDRESS}\tGET\td111111abcdef8.cloudfront.net\t/index.html\t200"),
        ),
    ]
}

fn write_inputs(dir: &std::path::Path) -> Vec<String> {
    let mut paths = Vec::new();
    for (key, text) in objects() {
        let path = dir.join(key);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("dirs");
        std::fs::write(&path, text + "\n").expect("object");
        paths.push(key.to_owned());
    }
    let lambda = support::cloudwatch_event(
        dir,
        "/aws/lambda/orders",
        &["REPORT RequestId: 3f8a2c1e-9b7d-4e6f-a5c3-2d1e0f9a8b7c\tDuration: 102.45 ms\tBilled Duration: 103 ms\tMemory Size: 256 MB\tMax Memory Used: 71 MB"],
    );
    let app = support::cloudwatch_event(dir, "/ecs/orders", &[r#"{"level":"info","msg":"paid"}"#]);
    paths.push(path_str(&lambda));
    paths.push(path_str(&app));
    paths
}

#[test]
fn one_query_finds_an_address_in_every_source() {
    let osmem = Osmem::start();
    let dir = support::temp_dir("common-names");
    let paths = write_inputs(&dir);
    let args: Vec<&str> = ["--endpoint", osmem.url.as_str()]
        .into_iter()
        .chain(paths.iter().map(String::as_str))
        .collect();
    let run = replay_in(Some(&dir), &args, &[("ES_AUTH", "none")]);
    assert!(run.success, "{}\n{}", run.summary, run.stderr);
    assert_eq!(run.summary["indexed"], 13, "{}", run.summary);

    osmem.request("POST", "/_refresh", None);
    let found = osmem.request(
        "POST",
        "/*/_search",
        Some(json!({"size": 100, "query": {"term": {"source.ip": ADDRESS}}})),
    );
    let mut indices: Vec<&str> = found["hits"]["hits"]
        .as_array()
        .expect("hits")
        .iter()
        .map(|h| h["_index"].as_str().expect("_index"))
        .collect();
    indices.sort();
    assert_eq!(
        indices,
        [
            "cloudfront-2025.12.05",
            "cloudtrail-2025.12.05",
            "elb-access-2025.12.05",
            "s3-access-2025.12.05",
            "vpc-flowlogs-2025.12.05",
            "waf-2025.12.05"
        ],
        "{found:#}"
    );
    // Either side of a flow: the address as destination too.
    assert_eq!(
        osmem.count("*", json!({"term": {"destination.ip": ADDRESS}})),
        1
    );
    assert_eq!(
        osmem.count(
            "*",
            json!({"term": {"user.name": "arn:aws:iam::111122223333:user/alice"}})
        ),
        2
    );
    assert_eq!(
        osmem.count(
            "*",
            json!({"range": {"http.response.status_code": {"gte": 400}}})
        ),
        1
    );
    // Names inside a record's own objects (WAF's httpRequest) alias too.
    assert_eq!(
        osmem.count("*", json!({"term": {"url.original": "/api/cart"}})),
        1
    );

    let ports = osmem.request(
        "POST",
        "/*/_search",
        Some(json!({"size": 0, "aggs": {"ports": {"terms": {"field": "destination.port", "size": 10}}}})),
    );
    let buckets: Vec<(i64, u64)> = ports["aggregations"]["ports"]["buckets"]
        .as_array()
        .unwrap_or_else(|| panic!("{ports:#}"))
        .iter()
        .map(|b| {
            (
                b["key"].as_i64().expect("key"),
                b["doc_count"].as_u64().expect("count"),
            )
        })
        .collect();
    assert_eq!(
        buckets,
        [(8080, 3), (443, 1), (52000, 1)],
        "8080: one flow and two ALB requests"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn no_document_carries_a_common_name() {
    let dir = support::temp_dir("common-names-bodies");
    let paths = write_inputs(&dir);
    let args: Vec<&str> = ["--out", "-"]
        .into_iter()
        .chain(paths.iter().map(String::as_str))
        .collect();
    let run = replay_in(Some(&dir), &args, &[]);
    assert!(run.success, "{}", run.summary);
    let roots: std::collections::BTreeSet<&str> = COMMON_NAMES
        .iter()
        .flat_map(|(_, names)| {
            names
                .iter()
                .map(|(alias, _)| alias.split('.').next().unwrap_or(alias))
        })
        .collect();
    let mut documents = 0;
    for (i, line) in run
        .stdout
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .enumerate()
    {
        if i % 2 == 0 {
            continue; // the action line
        }
        let doc: Value = serde_json::from_slice(line).expect("document");
        for root in &roots {
            assert!(doc.get(*root).is_none(), "{root} in {doc}");
        }
        documents += 1;
    }
    assert_eq!(documents, 13);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn templates_for_every_cluster_kind_carry_the_common_names() {
    for cluster in [
        "opensearch-2.11",
        "opensearch-1.3",
        "amazon-elasticsearch-7.10",
        "elasticsearch-8.15",
        "elasticsearch-6.8",
    ] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_logs-forwarder"))
            .args(["templates", "show", "--cluster", cluster])
            .output()
            .expect("runs");
        assert!(out.status.success(), "{cluster}");
        let text = String::from_utf8_lossy(&out.stdout);
        let aliases = text.matches(r#""type":"alias""#).count();
        let expected: usize = COMMON_NAMES.iter().map(|(_, names)| names.len()).sum();
        assert_eq!(aliases, expected, "{cluster}: every common name, once");
        assert!(text.contains(r#""path":"srcaddr""#), "{cluster}");
    }
}
