//! Amazon API Gateway access logs: the customer-defined format, nearly
//! always a JSON object of `$context` variables, in any log group.
//!
//! Reference: "$context variables for data models, authorizers, mapping
//! templates, and access logging" in the API Gateway developer guide, and
//! its JSON access log example. Values are written as strings, and `-`
//! where there is none: numbers (`status`, `responseLength`, the latencies)
//! become numbers, `-` is left out, `ip` / `sourceIp` are addresses, and
//! the own time is `requestTimeEpoch` (epoch seconds or milliseconds) or
//! `requestTime` (`22/Sep/2022:01:50:36 +0000`). `requestId` is the
//! document's `_id`. Recognised by content (a JSON object holding
//! `requestId`, a method or route, `status` and a request time), whatever
//! the group's name. Execution logs (`API-Gateway-Execution-Logs_*`
//! groups) are text, routed to `apigw-execution-*`.

use super::typed::Kind;
use super::typed_json::Schema;

pub const ACCESS: Schema = Schema {
    name: "apigateway",
    index: "apigateway",
    time: &["requestTimeEpoch", "requestTime"],
    fields: &[
        ("requestId", Kind::Keyword),
        ("extendedRequestId", Kind::Keyword),
        ("ip", Kind::Ip),
        ("sourceIp", Kind::Ip),
        ("identity.sourceIp", Kind::Ip),
        // `caller` and `user` are text as written; not declared, since
        // `user` is the parent of the common `user.name` in other indices.
        ("requestTime", Kind::Keyword),
        ("requestTimeEpoch", Kind::Integer),
        ("httpMethod", Kind::Keyword),
        ("resourcePath", Kind::Keyword),
        ("routeKey", Kind::Keyword),
        ("path", Kind::Keyword),
        ("status", Kind::Integer),
        ("protocol", Kind::Keyword),
        ("responseLength", Kind::Integer),
        ("responseLatency", Kind::Integer),
        ("integrationLatency", Kind::Integer),
        ("integrationStatus", Kind::Integer),
        ("integration.status", Kind::Integer),
        ("integration.latency", Kind::Integer),
        ("integrationErrorMessage", Kind::Keyword),
        ("apiId", Kind::Keyword),
        ("stage", Kind::Keyword),
        ("domainName", Kind::Keyword),
        ("userAgent", Kind::Keyword),
        ("errorMessage", Kind::Keyword),
        ("error.message", Kind::Keyword),
        ("error.responseType", Kind::Keyword),
        ("authorizer.latency", Kind::Integer),
        ("authorizer.status", Kind::Integer),
        ("waf.latency", Kind::Integer),
        ("waf.status", Kind::Integer),
    ],
    flattened: &[],
    dash_is_absent: true,
    id: Some("requestId"),
};

/// A JSON object of API Gateway's context names: `requestId`, a method or
/// route, `status`, and a request time.
pub fn looks_like(head: &str) -> bool {
    let has = |name: &str| head.contains(name);
    has("\"requestId\"")
        && (has("\"httpMethod\"") || has("\"routeKey\""))
        && has("\"status\"")
        && (has("\"requestTime\"") || has("\"requestTimeEpoch\""))
}

/// The text groups of execution logging.
pub const EXECUTION_GROUP_PREFIX: &str = "API-Gateway-Execution-Logs_";

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::super::Format;

    /// The developer guide's JSON access log format, filled in.
    const LINE: &str = r#"{"requestId":"c6af9ac6-7b61-11e6-9a41-93e8deadbeef","ip":"198.51.100.7","caller":"-","user":"-","requestTime":"05/Dec/2025:16:00:00 +0000","httpMethod":"POST","resourcePath":"/orders","status":"502","protocol":"HTTP/1.1","responseLength":"36","integrationLatency":"-","responseLatency":"29"}"#;

    #[test]
    fn numbers_are_numbers_and_dashes_absent() {
        let format = Format::detect(LINE, None);
        assert_eq!(format, Format::Known(&super::ACCESS));
        let (doc, encoded) = encode_doc(&format, &event(LINE));
        assert_eq!(doc["@timestamp"], "2025-12-05T16:00:00.000Z");
        assert_eq!(doc["status"], 502);
        assert_eq!(doc["responseLength"], 36);
        assert!(doc.get("integrationLatency").is_none());
        assert!(doc.get("caller").is_none());
        assert_eq!(doc["ip"], "198.51.100.7");
        assert_eq!(
            encoded.id.as_deref(),
            Some("c6af9ac6-7b61-11e6-9a41-93e8deadbeef")
        );
        let epoch = LINE.replace(
            r#""requestTime":"05/Dec/2025:16:00:00 +0000""#,
            r#""requestTimeEpoch":"1764950400123""#,
        );
        let (doc, _) = encode_doc(&format, &event(&epoch));
        assert_eq!(doc["@timestamp"], "2025-12-05T16:00:00.123Z");
        assert_eq!(doc["requestTimeEpoch"], 1_764_950_400_123_i64);
    }
}
