//! Elastic Load Balancing logs: Application (ALB), Network (NLB) and Classic
//! (CLB) load balancer access logs, and ALB connection logs.
//!
//! Reference: "Access logs for your Application Load Balancer", "... Network
//! Load Balancer", "... Classic Load Balancer" and "Connection logs for your
//! Application Load Balancer" in the ELB guides. All four are lines of values
//! separated by spaces with quoted strings; which one a line is follows from
//! its first value:
//!
//! - ALB: a request type (`http`, `https`, `h2`, `grpcs`, `ws`, `wss`), then
//!   `time elb client:port target:port ...` (17 values in 2016, 18 with the
//!   trace id, 25 in 2018, 27 with the target lists, 29 with the
//!   classification, 30 with the connection trace id, 33 with the request
//!   transform fields). Timings are `-1` when no target answered.
//! - NLB: `tls 2.0 time elb listener client:port destination:port ...`.
//! - CLB: `time elb client:port backend:port ...` (12 values at first, 15
//!   since the user agent and TLS columns).
//! - ALB connection log: `time client_ip client_port listener_port ...`.
//!
//! `ip:port` values become `<name>_ip` (an `ip`, brackets removed, IPv6 with
//! or without brackets) and `<name>_port`; the request line is also split
//! into method, URL and protocol; `@timestamp` is `time`. The line ELB writes
//! when logging is switched on ("Enable AccessLog for ELB: ...") is skipped.

use super::fields::{col, endpoint, Column, LineFormat, Shape, FLOAT, INTEGER, KEYWORD};
use super::typed::Kind;
const REQUEST: Shape = Shape::Request {
    method: "request_method",
    target: "request_url",
    protocol: "request_protocol",
};

pub const ALB_COLUMNS: &[Column] = &[
    col("type", KEYWORD),
    col("time", Shape::Time),
    col("elb", KEYWORD),
    col("client", endpoint("client_ip", "client_port")),
    col("target", endpoint("target_ip", "target_port")),
    col("request_processing_time", FLOAT),
    col("target_processing_time", FLOAT),
    col("response_processing_time", FLOAT),
    col("elb_status_code", INTEGER),
    col("target_status_code", INTEGER),
    col("received_bytes", INTEGER),
    col("sent_bytes", INTEGER),
    col("request", REQUEST),
    col("user_agent", KEYWORD),
    col("ssl_cipher", KEYWORD),
    col("ssl_protocol", KEYWORD),
    col("target_group_arn", KEYWORD),
    col("trace_id", KEYWORD),
    col("domain_name", KEYWORD),
    col("chosen_cert_arn", KEYWORD),
    col("matched_rule_priority", INTEGER),
    col("request_creation_time", Shape::Time),
    col("actions_executed", Shape::List(Kind::Keyword)),
    col("redirect_url", KEYWORD),
    col("error_reason", KEYWORD),
    col("target_port_list", KEYWORD),
    col("target_status_code_list", KEYWORD),
    col("classification", KEYWORD),
    col("classification_reason", KEYWORD),
    col("conn_trace_id", KEYWORD),
    col("transformed_host", KEYWORD),
    col("transformed_uri", KEYWORD),
    col("request_transform_status", KEYWORD),
];

pub const NLB_COLUMNS: &[Column] = &[
    col("type", KEYWORD),
    col("version", KEYWORD),
    col("time", Shape::Time),
    col("elb", KEYWORD),
    col("listener", KEYWORD),
    col("client", endpoint("client_ip", "client_port")),
    col(
        "destination",
        endpoint("destination_ip", "destination_port"),
    ),
    col("connection_time", FLOAT),
    col("tls_handshake_time", FLOAT),
    col("received_bytes", INTEGER),
    col("sent_bytes", INTEGER),
    col("incoming_tls_alert", KEYWORD),
    col("chosen_cert_arn", KEYWORD),
    col("chosen_cert_serial", KEYWORD),
    col("tls_cipher", KEYWORD),
    col("tls_protocol_version", KEYWORD),
    col("tls_named_group", KEYWORD),
    col("domain_name", KEYWORD),
    col("alpn_fe_protocol", KEYWORD),
    col("alpn_be_protocol", KEYWORD),
    col("alpn_client_preference_list", KEYWORD),
    col("tls_connection_creation_time", Shape::Time),
];

pub const CLB_COLUMNS: &[Column] = &[
    col("time", Shape::Time),
    col("elb", KEYWORD),
    col("client", endpoint("client_ip", "client_port")),
    col("backend", endpoint("backend_ip", "backend_port")),
    col("request_processing_time", FLOAT),
    col("backend_processing_time", FLOAT),
    col("response_processing_time", FLOAT),
    col("elb_status_code", INTEGER),
    col("backend_status_code", INTEGER),
    col("received_bytes", INTEGER),
    col("sent_bytes", INTEGER),
    col("request", REQUEST),
    col("user_agent", KEYWORD),
    col("ssl_cipher", KEYWORD),
    col("ssl_protocol", KEYWORD),
];

pub const CONNECTION_COLUMNS: &[Column] = &[
    col("time", Shape::Time),
    col("client_ip", Shape::Value(Kind::Ip)),
    col("client_port", INTEGER),
    col("listener_port", INTEGER),
    col("tls_protocol", KEYWORD),
    col("tls_cipher", KEYWORD),
    col("tls_handshake_latency", FLOAT),
    col("leaf_client_cert_subject", KEYWORD),
    col("leaf_client_cert_validity", KEYWORD),
    col("leaf_client_cert_serial_number", KEYWORD),
    col("tls_verify_status", KEYWORD),
    col("conn_trace_id", KEYWORD),
];

/// ALB lines ended after `target_group_arn` (17 values) when ALB launched
/// in 2016; `trace_id` and everything after it came later.
pub const ALB: LineFormat = LineFormat {
    name: "alb",
    columns: ALB_COLUMNS,
    min_values: 17,
};
pub const NLB: LineFormat = LineFormat {
    name: "nlb",
    columns: NLB_COLUMNS,
    min_values: 12,
};
/// Classic ELB lines ended after `request` (12 values) before the
/// `user_agent`, `ssl_cipher` and `ssl_protocol` columns were added.
pub const CLB: LineFormat = LineFormat {
    name: "clb",
    columns: CLB_COLUMNS,
    min_values: 12,
};
pub const CONNECTION: LineFormat = LineFormat {
    name: "alb_connection",
    columns: CONNECTION_COLUMNS,
    min_values: 11,
};

/// Every ELB line format, for the index template.
pub const ALL: [&LineFormat; 4] = [&ALB, &NLB, &CLB, &CONNECTION];

/// What an ELB log line is.
#[derive(Debug, PartialEq, Eq)]
pub enum Line {
    Record(&'static LineFormat),
    /// The line ELB writes when access logging is enabled.
    Control,
}

/// Recognises the kind of an ELB log line from its first values.
pub fn classify(line: &str) -> Result<Line, String> {
    if line.starts_with("Enable AccessLog for ELB:") {
        return Ok(Line::Control);
    }
    let mut values = line.split_ascii_whitespace();
    let first = values.next().unwrap_or_default();
    match first {
        "http" | "https" | "h2" | "grpcs" | "ws" | "wss" => Ok(Line::Record(&ALB)),
        "tls" => Ok(Line::Record(&NLB)),
        time if crate::time::parse_rfc3339(time).is_some() => {
            let second = values.next().unwrap_or_default();
            if super::typed::parse_ip(second).is_some() {
                Ok(Line::Record(&CONNECTION))
            } else {
                Ok(Line::Record(&CLB))
            }
        }
        other => Err(format!(
            "unknown load balancer log type {:?}",
            other.chars().take(32).collect::<String>()
        )),
    }
}

/// Is this line an ELB log line? It is if its first values say which kind
/// and the line then parses as that kind: load balancer names and ids may
/// have any shape.
pub fn looks_like(line: &str) -> bool {
    match classify(line) {
        Ok(Line::Record(format)) => super::fields::parses_as(format, line),
        Ok(Line::Control) => true,
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::super::Format;
    use super::*;

    const ALB_LINE: &str = r#"https 2018-07-02T22:23:00.186641Z app/my-loadbalancer/50dc6c495c0c9188 [fe80::202:b3ff:fe1e:8329]:443 2001:db8::1:80 0.086 0.048 0.037 200 200 0 57 "GET https://www.example.com:443/ HTTP/1.1" "curl/7.46.0" ECDHE-RSA-AES128-GCM-SHA256 TLSv1.2 arn:aws:elasticloadbalancing:us-east-2:123456789012:targetgroup/my-targets/73e2d6bc24d8a067 "Root=1-58337281-1d84f3d73c47ec4e58577259" "www.example.com" "arn:aws:acm:us-east-2:123456789012:certificate/12345678-1234-1234-1234-123456789012" 1 2018-07-02T22:22:48.364000Z "authenticate,forward" "-" "-" "10.0.0.1:80" "200" "-" "-" TID_1234abcd5678ef90"#;

    #[test]
    fn alb_records_with_ipv6_endpoints() {
        assert!(looks_like(ALB_LINE));
        let (doc, encoded) = encode_doc(&Format::Elb, &event(ALB_LINE));
        assert!(encoded.error.is_none(), "{:?}", encoded.error);
        assert_eq!(doc["@timestamp"], "2018-07-02T22:23:00.186Z");
        assert_eq!(doc["time"], "2018-07-02T22:23:00.186641Z");
        assert_eq!(doc["client_ip"], "fe80::202:b3ff:fe1e:8329");
        assert_eq!(doc["client_port"], 443);
        assert_eq!(doc["target_ip"], "2001:db8::1");
        assert_eq!(doc["target_port"], 80);
        assert_eq!(doc["request_processing_time"], 0.086);
        assert_eq!(doc["elb_status_code"], 200);
        assert_eq!(doc["request_method"], "GET");
        assert_eq!(doc["request_url"], "https://www.example.com:443/");
        assert_eq!(
            doc["actions_executed"],
            serde_json::json!(["authenticate", "forward"])
        );
        assert_eq!(doc["conn_trace_id"], "TID_1234abcd5678ef90");
    }

    #[test]
    fn each_kind_of_line_is_recognised() {
        let nlb = "tls 2.0 2018-12-20T02:59:40 net/my-network-loadbalancer/c6e77e28c25b2234 g3d4b5e8bb8464cd 192.168.131.39:2817 10.0.0.1:80 5 2 98 246 - arn:aws:acm:us-east-2:671290407336:certificate/2a108f19-aded-46b0-8493-c63eb1ef4a99 - ECDHE-RSA-AES128-SHA tlsv12 - my-network-loadbalancer-c6e77e28c25b2234.elb.us-east-2.amazonaws.com - - - 2018-12-20T02:59:30";
        assert_eq!(classify(nlb), Ok(Line::Record(&NLB)));
        let (doc, _) = encode_doc(&Format::Elb, &event(nlb));
        assert_eq!(doc["@timestamp"], "2018-12-20T02:59:40.000Z");
        assert_eq!(doc["destination_port"], 80);
        let clb = r#"2019-10-17T13:22:51.758784Z filebeat-aws-elb-test-elb 77.227.156.41:51600 10.0.0.47:80 0.000943 0.00001 0.000015 - - 134 859 "- - - " "-" - -"#;
        assert_eq!(classify(clb), Ok(Line::Record(&CLB)));
        let (doc, encoded) = encode_doc(&Format::Elb, &event(clb));
        assert!(encoded.error.is_none(), "{:?}", encoded.error);
        assert_eq!(doc["backend_ip"], "10.0.0.47");
        assert_eq!(doc["backend_processing_time"], 0.00001);
        assert!(doc.get("request_method").is_none());
        assert!(
            doc.get("request_protocol").is_none(),
            "the TCP placeholder \"- - - \" has no protocol: {doc}"
        );
        let connection = r#"2024-10-04T17:05:15.514108Z 192.168.131.39 36280 443 TLSv1.2 ECDHE-RSA-AES128-GCM-SHA256 4.036 "CN=amazondomains.com,O=endEntity" NotBefore=2023-09-21T22:43:21Z FEF257372D5C14D4 Success"#;
        assert_eq!(classify(connection), Ok(Line::Record(&CONNECTION)));
        let (doc, _) = encode_doc(&Format::Elb, &event(connection));
        assert_eq!(doc["tls_handshake_latency"], 4.036);
        assert_eq!(
            doc["leaf_client_cert_subject"],
            "CN=amazondomains.com,O=endEntity"
        );
        assert_eq!(
            classify("Enable AccessLog for ELB: app/x at 2025-05-30T16:47:00.781Z"),
            Ok(Line::Control)
        );
    }

    #[test]
    fn unknown_types_are_errors() {
        let line = ALB_LINE.replacen("https", "invalid", 1);
        let (doc, encoded) = encode_doc(&Format::Elb, &event(&line));
        assert!(encoded
            .error
            .expect("error")
            .contains("unknown load balancer log type \"invalid\""));
        assert_eq!(doc["@message"], line.as_str());
    }
}
