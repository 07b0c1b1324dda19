//! AWS WAF web ACL logs (and WAF Classic's, which have the same core).
//!
//! Reference: "Log fields for web ACL traffic" in the AWS WAF developer
//! guide. One JSON object per request: `timestamp` (epoch milliseconds),
//! `webaclId`, `action`, the terminating rule, the rule groups and rules
//! that matched, and `httpRequest` (`clientIp`, `country`, `uri`, `args`,
//! `httpMethod`, `headers` as a list of name / value pairs). Delivered to
//! `aws-waf-logs-*` log groups, Firehose streams and S3 buckets
//! (`AWSLogs/<account>/WAFLogs/<region>/<web-acl>/YYYY/MM/DD/HH/mm/`).

use super::typed::Kind;
use super::typed_json::Schema;

pub const SCHEMA: Schema = Schema {
    name: "waf",
    index: "waf",
    time: &["timestamp"],
    fields: &[
        ("timestamp", Kind::Integer),
        ("formatVersion", Kind::Integer),
        ("webaclId", Kind::Keyword),
        ("action", Kind::Keyword),
        ("terminatingRuleId", Kind::Keyword),
        ("terminatingRuleType", Kind::Keyword),
        ("httpSourceName", Kind::Keyword),
        ("httpSourceId", Kind::Keyword),
        ("responseCodeSent", Kind::Integer),
        ("requestBodySize", Kind::Integer),
        ("requestBodySizeInspectedByWAF", Kind::Integer),
        ("ja3Fingerprint", Kind::Keyword),
        ("ja4Fingerprint", Kind::Keyword),
        ("httpRequest.clientIp", Kind::Ip),
        ("httpRequest.country", Kind::Keyword),
        ("httpRequest.uri", Kind::Keyword),
        ("httpRequest.args", Kind::Keyword),
        ("httpRequest.httpVersion", Kind::Keyword),
        ("httpRequest.httpMethod", Kind::Keyword),
        ("httpRequest.requestId", Kind::Keyword),
        ("httpRequest.host", Kind::Keyword),
        ("labels.name", Kind::Keyword),
        ("captchaResponse.responseCode", Kind::Integer),
        ("captchaResponse.solveTimestamp", Kind::Integer),
        ("challengeResponse.responseCode", Kind::Integer),
        ("challengeResponse.solveTimestamp", Kind::Integer),
    ],
    // Lists of objects whose members differ by rule type and match.
    flattened: &[
        "httpRequest.headers",
        "terminatingRuleMatchDetails",
        "ruleGroupList",
        "rateBasedRuleList",
        "nonTerminatingMatchingRules",
        "requestHeadersInserted",
        "oversizeFields",
    ],
    dash_is_absent: false,
    id: None,
};

/// A cheap test for "this JSON text is a WAF log record".
pub fn looks_like(head: &str) -> bool {
    head.contains("\"webaclId\"") && head.contains("\"httpRequest\"")
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::super::Format;

    /// Written from the field list and example of the WAF developer guide.
    const RECORD: &str = r#"{"timestamp":1764950400123,"formatVersion":1,"webaclId":"arn:aws:wafv2:eu-west-1:111122223333:regional/webacl/shop/a1b2c3d4","terminatingRuleId":"AWS-AWSManagedRulesSQLiRuleSet","terminatingRuleType":"MANAGED_RULE_GROUP","action":"BLOCK","terminatingRuleMatchDetails":[{"conditionType":"SQL_INJECTION","sensitivityLevel":"LOW","location":"QUERY_STRING","matchedData":["1","OR","1"]}],"httpSourceName":"ALB","httpSourceId":"111122223333-app/shop/0123456789abcdef","ruleGroupList":[{"ruleGroupId":"AWS#AWSManagedRulesSQLiRuleSet","terminatingRule":{"ruleId":"SQLi_QUERYARGUMENTS","action":"BLOCK","ruleMatchDetails":null},"nonTerminatingMatchingRules":[],"excludedRules":null}],"rateBasedRuleList":[],"nonTerminatingMatchingRules":[],"requestHeadersInserted":null,"responseCodeSent":403,"httpRequest":{"clientIp":"198.51.100.7","country":"NL","headers":[{"name":"Host","value":"shop.example.com"},{"name":"User-Agent","value":"curl/8.5.0"}],"uri":"/search","args":"q=1%20OR%201=1","httpVersion":"HTTP/1.1","httpMethod":"GET","requestId":"1-67a2b3c4-0123456789abcdef01234567"},"labels":[{"name":"awswaf:managed:aws:sql-database:SQLi_QueryArguments"}],"ja3Fingerprint":"0123456789abcdef0123456789abcdef"}"#;

    #[test]
    fn a_record_is_typed_and_filed_under_its_own_time() {
        assert!(super::looks_like(RECORD));
        assert_eq!(Format::detect(RECORD, None), Format::Known(&super::SCHEMA));
        let (doc, encoded) = encode_doc(&Format::Known(&super::SCHEMA), &event(RECORD));
        assert_eq!(doc["@timestamp"], "2025-12-05T16:00:00.123Z");
        assert_eq!(doc["httpRequest"]["clientIp"], "198.51.100.7");
        assert_eq!(doc["responseCodeSent"], 403);
        assert_eq!(doc["httpRequest"]["headers"][1]["value"], "curl/8.5.0");
        assert!(encoded.error.is_none() && !encoded.own_time_missing);
    }

    #[test]
    fn a_client_address_that_is_not_one_goes_to_invalid() {
        let bad = RECORD.replace("198.51.100.7", "unknown");
        let (doc, encoded) = encode_doc(&Format::Known(&super::SCHEMA), &event(&bad));
        assert_eq!(doc["@invalid"]["httpRequest.clientIp"], "unknown");
        assert_eq!(doc["httpRequest"]["country"], "NL");
        assert_eq!(doc["action"], "BLOCK");
        assert!(encoded.error.is_some());
    }
}
