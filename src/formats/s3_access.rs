//! Amazon S3 server access logs.
//!
//! Reference: "Amazon S3 server access log format" in the S3 user guide. One
//! line per request, values separated by spaces, the time in brackets, the
//! request line, referrer and user agent in quotes, `-` for "no value":
//!
//! ```text
//! bucket_owner bucket [time] remote_ip requester request_id operation key
//! "request_uri" http_status error_code bytes_sent object_size total_time
//! turn_around_time "referer" "user_agent" version_id host_id
//! signature_version cipher_suite authentication_type host_header
//! tls_version access_point_arn acl_required source_region
//! ```
//!
//! AWS appends fields over time: lines end after `user_agent` (17 values) in
//! the oldest logs and after `source_region` (27) in the newest; later fields
//! are kept in `extra_fields`. Names are the documentation's, in snake case;
//! the request line is also split into `request_method`, `request_path` and
//! `request_protocol`; `@timestamp` is the bracketed time.

use super::fields::{col, Column, LineFormat, Shape, INTEGER, KEYWORD};
use super::typed::Kind;

pub const COLUMNS: &[Column] = &[
    col("bucket_owner", KEYWORD),
    col("bucket", KEYWORD),
    col("time", Shape::Time),
    col("remote_ip", Shape::Value(Kind::Ip)),
    col("requester", KEYWORD),
    col("request_id", KEYWORD),
    col("operation", KEYWORD),
    col("key", KEYWORD),
    col(
        "request_uri",
        Shape::Request {
            method: "request_method",
            target: "request_path",
            protocol: "request_protocol",
        },
    ),
    col("http_status", INTEGER),
    col("error_code", KEYWORD),
    col("bytes_sent", INTEGER),
    col("object_size", INTEGER),
    col("total_time", INTEGER),
    col("turn_around_time", INTEGER),
    col("referer", KEYWORD),
    col("user_agent", KEYWORD),
    col("version_id", KEYWORD),
    col("host_id", KEYWORD),
    col("signature_version", KEYWORD),
    col("cipher_suite", KEYWORD),
    col("authentication_type", KEYWORD),
    col("host_header", KEYWORD),
    col("tls_version", KEYWORD),
    col("access_point_arn", KEYWORD),
    col("acl_required", KEYWORD),
    col("source_region", KEYWORD),
];

pub const FORMAT: LineFormat = LineFormat {
    name: "s3_access",
    columns: COLUMNS,
    min_values: 17,
};

/// Is this line an S3 server access log record? It is if its third value
/// is the bracketed time and its fourth an address (or `-`), whatever the
/// shape of the owner and requester ids; and then, if it has enough values,
/// if it parses as one (numbers where numbers belong). A line too short for
/// the layout is still recognised, so that it arrives with an error that
/// says so rather than as plain text.
pub fn looks_like(line: &str) -> bool {
    // Owner and bucket have no spaces: the third word opens the time.
    if !line.split(' ').nth(2).is_some_and(|w| w.starts_with('[')) {
        return false;
    }
    let mut values = super::fields::Values::default();
    if values.split(line).is_err() {
        return false;
    }
    let time = values.get(line, 2).and_then(crate::time::parse_clf);
    let remote = values
        .get(line, 3)
        .is_some_and(|v| v == "-" || super::typed::fits(v, super::typed::Kind::Ip));
    time.is_some()
        && remote
        && (values.len() < FORMAT.min_values || super::fields::parses_as(&FORMAT, line))
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::super::Format;
    use super::*;

    const LINE: &str = r#"79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be awsexamplebucket1 [06/Feb/2019:00:00:38 +0000] 192.0.2.3 79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be 3E57427F3EXAMPLE REST.GET.VERSIONING - "GET /awsexamplebucket1?versioning HTTP/1.1" 200 - 113 - 7 - "-" "S3Console/0.4" - s9lzHYrFp76ZVxRcpX9+5cjAnEH2ROuNkd2BHfIa6UkFVdtjf5mKR3/eTPFvsiP/XV/VLi31234= SigV4 ECDHE-RSA-AES128-GCM-SHA256 AuthHeader awsexamplebucket1.s3.us-west-1.amazonaws.com TLSV1.2 arn:aws:s3:us-west-1:123456789012:accesspoint/example-AP Yes us-east-1"#;

    #[test]
    fn a_full_record_is_typed() {
        assert!(looks_like(LINE));
        let (doc, encoded) = encode_doc(&Format::S3Access, &event(LINE));
        assert!(encoded.error.is_none(), "{:?}", encoded.error);
        assert_eq!(encoded.timestamp_ms, 1_549_411_238_000);
        assert_eq!(doc["@timestamp"], "2019-02-06T00:00:38.000Z");
        assert_eq!(doc["time"], "2019-02-06T00:00:38.000Z");
        assert_eq!(doc["remote_ip"], "192.0.2.3");
        assert_eq!(doc["http_status"], 200);
        assert_eq!(doc["bytes_sent"], 113);
        assert_eq!(doc["total_time"], 7);
        assert_eq!(doc["request_method"], "GET");
        assert_eq!(doc["request_path"], "/awsexamplebucket1?versioning");
        assert_eq!(doc["request_protocol"], "HTTP/1.1");
        assert_eq!(doc["user_agent"], "S3Console/0.4");
        assert_eq!(doc["acl_required"], "Yes");
        assert_eq!(doc["source_region"], "us-east-1");
        assert!(doc.get("object_size").is_none(), "- is absent");
        assert!(doc.get("referer").is_none(), "\"-\" is absent");
    }

    #[test]
    fn short_lines_are_errors_and_long_ones_keep_their_extras() {
        let short: String = LINE.split(' ').take(8).collect::<Vec<_>>().join(" ");
        let (doc, encoded) = encode_doc(&Format::S3Access, &event(&short));
        assert!(encoded.error.expect("error").contains("at least 17"));
        assert_eq!(doc["@message"], short.as_str());
        let long = format!("{LINE} NewField");
        let (doc, _) = encode_doc(&Format::S3Access, &event(&long));
        assert_eq!(doc["extra_fields"], serde_json::json!(["NewField"]));
    }
}
