//! Route 53 DNS query logs: Resolver query logs (DNS queries made from
//! VPCs, JSON) and public DNS query logs (queries that reach a public
//! hosted zone, text). Both go to the `dns-*` indices, with the same names
//! for what they share (`query_name`, `query_type`, `rcode`, `transport`,
//! `query_timestamp`), so one query or dashboard covers both.

use super::fields::{col, Column, LineFormat, Shape, KEYWORD};
use super::typed::Kind;
use super::typed_json::Schema;

/// The index both kinds of DNS log go to by default.
pub const INDEX: &str = "dns";

/// Resolver query logs. Reference: "Values that appear in VPC Resolver
/// query logs" in the Route 53 developer guide. One JSON object per query:
/// `query_timestamp` (ISO 8601), `query_name`, `query_type`,
/// `query_class`, `rcode`, `answers` (`Rdata`, `Type`, `Class`), the
/// source (`srcaddr`, `srcport` as a string, `transport`, `srcids`) and
/// the DNS Firewall's verdict when a rule matched. Delivered to log groups,
/// Firehose streams and S3 (`AWSLogs/<account>/vpcdnsquerylogs/<vpc>/...`).
pub const RESOLVER: Schema = Schema {
    name: "route53_resolver",
    index: INDEX,
    time: &["query_timestamp"],
    fields: &[
        ("version", Kind::Keyword),
        ("account_id", Kind::Keyword),
        ("region", Kind::Keyword),
        ("vpc_id", Kind::Keyword),
        ("query_timestamp", Kind::Keyword),
        ("query_name", Kind::Keyword),
        ("query_type", Kind::Keyword),
        ("query_class", Kind::Keyword),
        ("rcode", Kind::Keyword),
        ("answers.Rdata", Kind::Keyword),
        ("answers.Type", Kind::Keyword),
        ("answers.Class", Kind::Keyword),
        ("srcaddr", Kind::Ip),
        ("srcport", Kind::Integer),
        ("transport", Kind::Keyword),
        ("srcids.instance", Kind::Keyword),
        ("srcids.resolver_endpoint", Kind::Keyword),
        ("firewall_rule_action", Kind::Keyword),
        ("firewall_rule_group_id", Kind::Keyword),
        ("firewall_domain_list_id", Kind::Keyword),
    ],
    flattened: &[],
    dash_is_absent: false,
    id: None,
};

/// A cheap test for "this JSON text is a Resolver query log record".
pub fn looks_like_resolver(head: &str) -> bool {
    head.contains("\"query_name\"") && head.contains("\"srcaddr\"")
}

/// Public DNS query logs. Reference: "Public DNS query logging" in the
/// Route 53 developer guide. CloudWatch Logs only (`/aws/route53/<zone>`
/// groups in us-east-1), one line per query, values separated by spaces:
///
/// ```text
/// version query_timestamp hosted_zone_id query_name query_type rcode
/// transport edge_location resolver_ip edns_client_subnet
/// ```
pub const PUBLIC_COLUMNS: &[Column] = &[
    col("version", KEYWORD),
    col("query_timestamp", Shape::Time),
    col("hosted_zone_id", KEYWORD),
    col("query_name", KEYWORD),
    col("query_type", KEYWORD),
    col("rcode", KEYWORD),
    col("transport", KEYWORD),
    col("edge_location", KEYWORD),
    col("resolver_ip", Shape::Value(Kind::Ip)),
    col("edns_client_subnet", KEYWORD),
];

pub const PUBLIC: LineFormat = LineFormat {
    name: "route53_public",
    columns: PUBLIC_COLUMNS,
    min_values: 9,
};

/// Is this line a public DNS query log record? Version `1.0`, a hosted
/// zone id (`Z...`), and the rest of the layout.
pub fn looks_like_public(line: &str) -> bool {
    let mut words = line.split(' ');
    words.next() == Some("1.0")
        && words.nth(1).is_some_and(|zone| zone.starts_with('Z'))
        && super::fields::parses_as(&PUBLIC, line)
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::super::Format;

    // Written from the field descriptions and examples of the Route 53
    // developer guide.
    const RESOLVER: &str = r#"{"version":"1.100000","account_id":"111122223333","region":"eu-west-1","vpc_id":"vpc-0a1b2c3d4e5f60718","query_timestamp":"2025-12-05T16:00:00Z","query_name":"db.internal.example.","query_type":"A","query_class":"IN","rcode":"NOERROR","answers":[{"Rdata":"10.0.2.15","Type":"A","Class":"IN"}],"srcaddr":"10.0.1.25","srcport":"53124","transport":"UDP","srcids":{"instance":"i-0123456789abcdef0"}}"#;
    const PUBLIC: &str = "1.0 2025-12-05T16:00:00.250Z Z0123456789ABCDEFGHIJ www.example.com AAAA NOERROR UDP FRA56-C2 192.0.2.53 198.51.100.0/24";

    #[test]
    fn resolver_records_are_typed() {
        let format = Format::Known(&super::RESOLVER);
        assert_eq!(Format::detect(RESOLVER, None), format);
        let (doc, encoded) = encode_doc(&format, &event(RESOLVER));
        assert_eq!(doc["@timestamp"], "2025-12-05T16:00:00.000Z");
        assert_eq!(doc["srcport"], 53124);
        assert_eq!(doc["answers"][0]["Rdata"], "10.0.2.15");
        assert!(encoded.error.is_none());
    }

    #[test]
    fn public_lines_are_split_into_fields() {
        assert!(super::looks_like_public(PUBLIC));
        assert!(!super::looks_like_public(
            "1.0 2025-12-05T16:00:00Z cluster up and running fine now ok"
        ));
        assert_eq!(Format::detect(PUBLIC, None), Format::DnsQuery);
        let (doc, encoded) = encode_doc(&Format::DnsQuery, &event(PUBLIC));
        assert_eq!(doc["@timestamp"], "2025-12-05T16:00:00.250Z");
        assert_eq!(doc["query_name"], "www.example.com");
        assert_eq!(doc["resolver_ip"], "192.0.2.53");
        assert_eq!(doc["edns_client_subnet"], "198.51.100.0/24");
        assert!(encoded.error.is_none());
        let no_subnet = PUBLIC.replace(" 198.51.100.0/24", " -");
        let (doc, _) = encode_doc(&Format::DnsQuery, &event(&no_subnet));
        assert!(doc.get("edns_client_subnet").is_none());
    }
}
