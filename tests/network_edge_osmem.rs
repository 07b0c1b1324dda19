//! WAF, Network Firewall, Route 53 (Resolver and public DNS) and CloudFront
//! logs, by every delivery path AWS offers for each (CloudWatch Logs
//! payload, S3 object under AWS's key layout, Firehose record, object
//! Firehose wrote), through `replay` (the Lambda's code path) into a real
//! `osmem-server` with the forwarder's templates: each lands in its own
//! index, dated by its own time, with its values typed (an address answers
//! a CIDR query, a number a range), and nothing is rejected.
//!
//! Every record here is written from the AWS documentation of its log
//! (field lists and examples); each delivery path gets its own day, so the
//! index date proves the record's own time was used.

mod support;

use serde_json::{json, Value};
use support::{firehose_event, path_str, replay_to, temp_dir, write_object, Osmem};

fn waf(day: u32, marker: &str) -> String {
    // 2025-12-<day>T16:00:00.123Z in epoch milliseconds.
    let ms = 1_764_950_400_123_i64 + (i64::from(day) - 5) * 86_400_000;
    json!({"timestamp": ms, "formatVersion": 1,
        "webaclId": "arn:aws:wafv2:eu-west-1:111122223333:regional/webacl/shop/a1b2c3d4",
        "terminatingRuleId": "Default_Action", "terminatingRuleType": "REGULAR", "action": "BLOCK",
        "terminatingRuleMatchDetails": [{"conditionType": "XSS", "location": "BODY", "matchedData": ["<script"]}],
        "httpSourceName": "ALB", "httpSourceId": "111122223333-app/shop/0123456789abcdef",
        "ruleGroupList": [{"ruleGroupId": "AWS#AWSManagedRulesCommonRuleSet", "terminatingRule": null,
                           "nonTerminatingMatchingRules": [], "excludedRules": null}],
        "rateBasedRuleList": [], "nonTerminatingMatchingRules": [], "responseCodeSent": 403,
        "httpRequest": {"clientIp": "198.51.100.7", "country": "NL",
                        "headers": [{"name": "Host", "value": "shop.example.com"}, {"name": "X-Custom", "value": "7"}],
                        "uri": "/cart", "args": "", "httpVersion": "HTTP/2.0", "httpMethod": "POST", "requestId": marker},
        "labels": [{"name": "awswaf:managed:aws:core-rule-set:CrossSiteScripting_Body"}]})
    .to_string()
}

fn network_firewall(day: u32, marker: &str) -> String {
    json!({"firewall_name": "egress", "availability_zone": "eu-west-1a",
        "event_timestamp": (1_764_950_400_i64 + (i64::from(day) - 5) * 86_400).to_string(),
        "event": {"timestamp": format!("2025-12-{day:02}T16:00:00.598481+0000"), "flow_id": 1_422_893_924_390_123_i64,
                  "event_type": "netflow", "src_ip": "10.0.1.25", "src_port": "49157", "dest_ip": "203.0.113.80",
                  "dest_port": 443, "proto": "TCP", "app_proto": "tls", "sni": marker,
                  "netflow": {"pkts": 12, "bytes": 4096, "start": format!("2025-12-{day:02}T15:59:00.000000+0000"),
                              "end": format!("2025-12-{day:02}T16:00:00.000000+0000"), "age": 60, "min_ttl": 63, "max_ttl": 64},
                  "tcp": {"tcp_flags": "1b", "syn": true, "ack": true}}})
    .to_string()
}

fn resolver(day: u32, marker: &str) -> String {
    json!({"version": "1.100000", "account_id": "111122223333", "region": "eu-west-1",
        "vpc_id": "vpc-0a1b2c3d4e5f60718", "query_timestamp": format!("2025-12-{day:02}T16:00:00Z"),
        "query_name": format!("{marker}.internal.example."), "query_type": "A", "query_class": "IN",
        "rcode": "NOERROR", "answers": [{"Rdata": "10.0.2.15", "Type": "A", "Class": "IN"}],
        "srcaddr": "10.0.1.25", "srcport": "53124", "transport": "UDP",
        "srcids": {"instance": "i-0123456789abcdef0"}})
    .to_string()
}

fn cloudfront_json(day: u32, marker: &str) -> String {
    json!({"timestamp": (1_764_950_400_i64 + (i64::from(day) - 5) * 86_400).to_string(),
        "DistributionId": "E1A2B3C4D5E6F7", "date": format!("2025-12-{day:02}"), "time": "16:00:00",
        "x-edge-location": "AMS58-P3", "sc-bytes": "2318", "c-ip": "203.0.113.9", "cs-method": "GET",
        "cs(Host)": "d111111abcdef8.cloudfront.net", "cs-uri-stem": "/index.html", "sc-status": "404",
        "cs(Referer)": "-", "x-edge-request-id": marker, "time-taken": "0.004", "c-port": "51234"})
    .to_string()
}

/// A legacy CloudFront file: headers, then lines in an older 24-field layout.
fn cloudfront_w3c(day: u32, marker: &str) -> String {
    let fields = "date time x-edge-location sc-bytes c-ip cs-method cs(Host) cs-uri-stem sc-status cs(Referer) cs(User-Agent) cs-uri-query cs(Cookie) x-edge-result-type x-edge-request-id x-host-header cs-protocol cs-bytes time-taken x-forwarded-for ssl-protocol ssl-cipher x-edge-response-result-type cs-protocol-version";
    let line = [
        &format!("2025-12-{day:02}"),
        "16:00:00",
        "AMS58-P3",
        "2318",
        "203.0.113.9",
        "GET",
        "d111111abcdef8.cloudfront.net",
        "/index.html",
        "404",
        "-",
        "Mozilla/5.0%20(X11;%20Linux)",
        "-",
        "-",
        "Error",
        marker,
        "www.example.com",
        "https",
        "421",
        "0.004",
        "-",
        "TLSv1.3",
        "TLS_AES_128_GCM_SHA256",
        "Error",
        "HTTP/2.0",
    ]
    .join("\t");
    format!("#Version: 1.0\n#Fields: {fields}\n{line}\n")
}

/// One delivery of one log type: where it should land, and a query on a
/// typed field that must find its record.
struct Case {
    what: &'static str,
    index: String,
    marker_field: &'static str,
    marker: String,
    typed: Value,
}

#[test]
fn every_type_by_every_path_lands_typed_in_its_own_index() {
    let osmem = Osmem::start();
    let dir = temp_dir("network-edge");
    let mut inputs = Vec::new();
    let mut cases = Vec::new();
    let mut case = |what, index: &str, field, marker: &str, typed| {
        cases.push(Case {
            what,
            index: index.to_owned(),
            marker_field: field,
            marker: marker.to_owned(),
            typed,
        })
    };
    let waf_typed = || {
        json!({"bool": {"filter": [
        {"term": {"httpRequest.clientIp": "198.51.100.0/24"}},
        {"range": {"responseCodeSent": {"gte": 400}}}]}})
    };
    // WAF: log group, S3, Firehose record, Firehose-written object (records
    // concatenated, named after the aws-waf-logs- stream).
    inputs.push(path_str(&support::cloudwatch_event(
        &dir,
        "aws-waf-logs-shop",
        &[&waf(1, "waf-cw")],
    )));
    case(
        "WAF via CloudWatch Logs",
        "waf-2025.12.01",
        "httpRequest.requestId",
        "waf-cw",
        waf_typed(),
    );
    inputs.push(write_object(&dir, "AWSLogs/111122223333/WAFLogs/eu-west-1/shop/2025/12/02/16/00/111122223333_waflogs_eu-west-1_shop_20251202T1600Z_a1b2c3d4.log.gz",
        &support::gzip(&(waf(2, "waf-s3") + "\n"))));
    case(
        "WAF via S3",
        "waf-2025.12.02",
        "httpRequest.requestId",
        "waf-s3",
        waf_typed(),
    );
    inputs.push(firehose_event(&dir, "aws-waf-logs-shop", &waf(3, "waf-fh")));
    case(
        "WAF via Firehose",
        "waf-2025.12.03",
        "httpRequest.requestId",
        "waf-fh",
        waf_typed(),
    );
    inputs.push(write_object(&dir, "waf-firehose/2025/12/04/16/aws-waf-logs-shop-1-2025-12-04-16-00-00-0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9",
        (waf(4, "waf-fo") + &waf(4, "waf-fo2")).as_bytes()));
    case(
        "WAF via a Firehose object",
        "waf-2025.12.04",
        "httpRequest.requestId",
        "waf-fo",
        waf_typed(),
    );
    case(
        "WAF via a Firehose object (second record)",
        "waf-2025.12.04",
        "httpRequest.requestId",
        "waf-fo2",
        waf_typed(),
    );

    let nfw_typed = || {
        json!({"bool": {"filter": [
        {"term": {"event.dest_ip": "203.0.113.0/24"}},
        {"range": {"event.src_port": {"gte": 49000}}},
        {"range": {"event.netflow.bytes": {"gt": 4000}}}]}})
    };
    inputs.push(path_str(&support::cloudwatch_event(
        &dir,
        "/aws/network-firewall/egress/flow",
        &[&network_firewall(1, "nfw-cw")],
    )));
    case(
        "Network Firewall via CloudWatch Logs",
        "network-firewall-2025.12.01",
        "event.sni",
        "nfw-cw",
        nfw_typed(),
    );
    inputs.push(write_object(&dir, "fw/AWSLogs/111122223333/network-firewall/flow/eu-west-1/egress/2025/12/02/16/111122223333_network-firewall_flow_eu-west-1_egress_202512021600_a1b2c3d4.log.gz",
        &support::gzip(&(network_firewall(2, "nfw-s3") + "\n"))));
    case(
        "Network Firewall via S3",
        "network-firewall-2025.12.02",
        "event.sni",
        "nfw-s3",
        nfw_typed(),
    );
    inputs.push(firehose_event(
        &dir,
        "nfw-flow",
        &network_firewall(3, "nfw-fh"),
    ));
    case(
        "Network Firewall via Firehose",
        "network-firewall-2025.12.03",
        "event.sni",
        "nfw-fh",
        nfw_typed(),
    );
    inputs.push(write_object(
        &dir,
        "nfw-firehose/2025/12/04/16/nfw-flow-1-2025-12-04-16-00-00-0a1b2c3d",
        (network_firewall(4, "nfw-fo") + "\n").as_bytes(),
    ));
    case(
        "Network Firewall via a Firehose object",
        "network-firewall-2025.12.04",
        "event.sni",
        "nfw-fo",
        nfw_typed(),
    );

    let dns_typed = || {
        json!({"bool": {"filter": [
        {"term": {"srcaddr": "10.0.0.0/8"}}, {"range": {"srcport": {"gt": 53000}}}]}})
    };
    inputs.push(path_str(&support::cloudwatch_event(
        &dir,
        "/vpc/dns-queries",
        &[&resolver(1, "dns-cw")],
    )));
    case(
        "Resolver via CloudWatch Logs",
        "dns-2025.12.01",
        "query_name",
        "dns-cw.internal.example.",
        dns_typed(),
    );
    inputs.push(write_object(&dir, "AWSLogs/111122223333/vpcdnsquerylogs/vpc-0a1b2c3d4e5f60718/2025/12/02/vpc-0a1b2c3d4e5f60718_vpcdnsquerylogs_111122223333_20251202T1600Z_a1b2c3d4.log.gz",
        &support::gzip(&(resolver(2, "dns-s3") + "\n"))));
    case(
        "Resolver via S3",
        "dns-2025.12.02",
        "query_name",
        "dns-s3.internal.example.",
        dns_typed(),
    );
    inputs.push(firehose_event(&dir, "dns-queries", &resolver(3, "dns-fh")));
    case(
        "Resolver via Firehose",
        "dns-2025.12.03",
        "query_name",
        "dns-fh.internal.example.",
        dns_typed(),
    );
    inputs.push(write_object(
        &dir,
        "dns-firehose/2025/12/04/16/dns-queries-1-2025-12-04-16-00-00-0a1b2c3d",
        (resolver(4, "dns-fo") + "\n").as_bytes(),
    ));
    case(
        "Resolver via a Firehose object",
        "dns-2025.12.04",
        "query_name",
        "dns-fo.internal.example.",
        dns_typed(),
    );
    // Public DNS query logs: CloudWatch Logs only.
    inputs.push(path_str(&support::cloudwatch_event(&dir, "/aws/route53/example.com",
        &["1.0 2025-12-05T16:00:00.250Z Z0123456789ABCDEFGHIJ dns-public.example.com AAAA NOERROR UDP FRA56-C2 192.0.2.53 198.51.100.0/24"])));
    case(
        "public DNS via CloudWatch Logs",
        "dns-2025.12.05",
        "query_name",
        "dns-public.example.com",
        json!({"term": {"resolver_ip": "192.0.2.0/24"}}),
    );

    let cdn_typed = || {
        json!({"bool": {"filter": [
        {"term": {"c-ip": "203.0.113.0/24"}}, {"range": {"sc-status": {"gte": 400}}},
        {"range": {"time-taken": {"lt": 0.01}}}]}})
    };
    inputs.push(write_object(
        &dir,
        "cdn/E2EXAMPLE1234.2025-12-01-16.a1b2c3d4.gz",
        &support::gzip(&cloudfront_w3c(1, "cdn-legacy")),
    ));
    case(
        "CloudFront legacy file in S3",
        "cloudfront-2025.12.01",
        "x-edge-request-id",
        "cdn-legacy",
        cdn_typed(),
    );
    inputs.push(path_str(&support::cloudwatch_event(
        &dir,
        "/cloudfront/shop",
        &[&cloudfront_json(2, "cdn-cw")],
    )));
    case(
        "CloudFront v2 via CloudWatch Logs",
        "cloudfront-2025.12.02",
        "x-edge-request-id",
        "cdn-cw",
        cdn_typed(),
    );
    inputs.push(write_object(&dir, "AWSLogs/111122223333/CloudFront/E1A2B3C4D5E6F7/2025/12/03/16/E1A2B3C4D5E6F7.2025-12-03-16.a1b2c3d4.json.gz",
        &support::gzip(&(cloudfront_json(3, "cdn-s3") + "\n"))));
    case(
        "CloudFront v2 via S3",
        "cloudfront-2025.12.03",
        "x-edge-request-id",
        "cdn-s3",
        cdn_typed(),
    );
    inputs.push(firehose_event(
        &dir,
        "cdn-logs",
        &cloudfront_json(4, "cdn-fh"),
    ));
    case(
        "CloudFront v2 via Firehose",
        "cloudfront-2025.12.04",
        "x-edge-request-id",
        "cdn-fh",
        cdn_typed(),
    );

    let run = replay_to(&osmem.url, &dir, &inputs);
    assert!(run.success, "{}\n{}", run.summary, run.stderr);
    assert_eq!(run.summary["indexed"], cases.len(), "{}", run.summary);
    assert_eq!(
        run.summary["failed"], 0,
        "nothing rejected: {}",
        run.summary
    );
    assert_eq!(run.summary["malformed"], 0, "{}", run.summary);

    osmem.request("POST", "/_refresh", None);
    for case in &cases {
        let marker = json!({"term": {case.marker_field: case.marker}});
        assert_eq!(
            osmem.count(&case.index, marker.clone()),
            1,
            "{}: in {}",
            case.what,
            case.index
        );
        let both = json!({"bool": {"filter": [marker, case.typed]}});
        assert_eq!(
            osmem.count(&case.index, both),
            1,
            "{}: typed values",
            case.what
        );
    }
    // Every record had its own time and fitted its format.
    for field in ["@error", "@timestamp_from", "@invalid"] {
        assert_eq!(
            osmem.count("*", json!({"exists": {"field": field}})),
            0,
            "{field}"
        );
    }
    // What CloudFront URL-encodes is searchable decoded; header lines are
    // no documents.
    assert_eq!(
        osmem.count(
            "cloudfront-*",
            json!({"term": {"cs(User-Agent)": "Mozilla/5.0 (X11; Linux)"}})
        ),
        1
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// One bad value per record (an address that is not one, a port that is
/// not a number): the record arrives with that value in `@invalid` and the
/// rest typed; the cluster rejects nothing.
#[test]
fn a_bad_value_costs_only_itself_and_nothing_is_rejected() {
    let osmem = Osmem::start();
    let dir = temp_dir("network-edge-bad");
    let inputs = [
        support::cloudwatch_event(
            &dir,
            "aws-waf-logs-shop",
            &[&waf(1, "bad-waf").replace("198.51.100.7", "unknown")],
        ),
        support::cloudwatch_event(
            &dir,
            "/fw",
            &[&network_firewall(1, "bad-nfw").replace("\"49157\"", "\"high\"")],
        ),
        support::cloudwatch_event(
            &dir,
            "/dns",
            &[&resolver(1, "bad-dns").replace("10.0.1.25", "10.0.1")],
        ),
        support::cloudwatch_event(
            &dir,
            "/cdn",
            &[&cloudfront_json(1, "bad-cdn").replace("\"404\"", "\"4o4\"")],
        ),
    ];
    let inputs: Vec<String> = inputs.iter().map(|p| path_str(p)).collect();
    let run = replay_to(&osmem.url, &dir, &inputs);
    assert!(run.success, "{}\n{}", run.summary, run.stderr);
    assert_eq!(run.summary["indexed"], 4, "{}", run.summary);
    assert_eq!(run.summary["failed"], 0, "{}", run.summary);
    osmem.request("POST", "/_refresh", None);
    for (index, invalid, still_typed) in [
        (
            "waf-*",
            "httpRequest.clientIp",
            json!({"range": {"responseCodeSent": {"gte": 400}}}),
        ),
        (
            "network-firewall-*",
            "event.src_port",
            json!({"term": {"event.dest_ip": "203.0.113.80"}}),
        ),
        (
            "dns-*",
            "srcaddr",
            json!({"range": {"srcport": {"gt": 53000}}}),
        ),
        (
            "cloudfront-*",
            "sc-status",
            json!({"term": {"c-ip": "203.0.113.9"}}),
        ),
    ] {
        support::assert_one_bad_value(&osmem, index, invalid, still_typed);
    }
    let _ = std::fs::remove_dir_all(&dir);
}
