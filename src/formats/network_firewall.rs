//! AWS Network Firewall flow, alert and TLS logs.
//!
//! Reference: "Contents of a firewall log" in the Network Firewall
//! developer guide. One JSON object per event: `firewall_name`,
//! `availability_zone`, `event_timestamp` (epoch seconds, as a string) and
//! `event`, the Suricata EVE record: `timestamp` (ISO 8601 with
//! microseconds and a `+0000` offset), `event_type` (`netflow`, `alert`,
//! `tls`, ...), the 5-tuple (`src_ip`, `src_port`, `dest_ip`, `dest_port`,
//! `proto`), and `netflow`, `alert`, `tls` or `http` by type. TLS logs
//! write ports as strings. Delivered to log groups, Firehose streams and S3
//! (`AWSLogs/<account>/network-firewall/{flow,alert,tls}/...`).

use super::typed::Kind;
use super::typed_json::Schema;

pub const SCHEMA: Schema = Schema {
    name: "network_firewall",
    index: "network-firewall",
    time: &["event.timestamp", "event_timestamp"],
    fields: &[
        ("firewall_name", Kind::Keyword),
        ("availability_zone", Kind::Keyword),
        ("event_timestamp", Kind::Keyword),
        ("event.timestamp", Kind::Keyword),
        ("event.event_type", Kind::Keyword),
        ("event.flow_id", Kind::Keyword),
        ("event.src_ip", Kind::Ip),
        ("event.src_port", Kind::Integer),
        ("event.dest_ip", Kind::Ip),
        ("event.dest_port", Kind::Integer),
        ("event.proto", Kind::Keyword),
        ("event.app_proto", Kind::Keyword),
        ("event.sni", Kind::Keyword),
        ("event.netflow.pkts", Kind::Integer),
        ("event.netflow.bytes", Kind::Integer),
        ("event.netflow.start", Kind::Keyword),
        ("event.netflow.end", Kind::Keyword),
        ("event.netflow.age", Kind::Integer),
        ("event.netflow.min_ttl", Kind::Integer),
        ("event.netflow.max_ttl", Kind::Integer),
        ("event.alert.action", Kind::Keyword),
        ("event.alert.signature_id", Kind::Integer),
        ("event.alert.rev", Kind::Integer),
        ("event.alert.signature", Kind::Keyword),
        ("event.alert.category", Kind::Keyword),
        ("event.alert.severity", Kind::Integer),
        ("event.tcp.tcp_flags", Kind::Keyword),
    ],
    // Protocol details whose members depend on the protocol and rule.
    flattened: &[
        "event.tls",
        "event.http",
        "event.dns",
        "event.alert.metadata",
        "event.tls_error",
        "event.revocation_check",
    ],
    dash_is_absent: false,
    id: None,
};

/// A cheap test for "this JSON text is a Network Firewall log record".
pub fn looks_like(head: &str) -> bool {
    head.contains("\"firewall_name\"") && head.contains("\"event\"")
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::super::Format;

    // Written from the log examples of the Network Firewall developer guide.
    const ALERT: &str = r#"{"firewall_name":"egress","availability_zone":"eu-west-1a","event_timestamp":"1764950400","event":{"timestamp":"2025-12-05T16:00:00.598481+0000","flow_id":1422893924390123,"event_type":"alert","src_ip":"10.0.1.25","src_port":49157,"dest_ip":"203.0.113.80","dest_port":443,"proto":"TCP","app_proto":"tls","alert":{"action":"blocked","signature_id":5,"rev":1,"signature":"deny bad domains","category":"","severity":1},"tls":{"sni":"bad.example.net","version":"TLS 1.3"}}}"#;
    const TLS: &str = r#"{"firewall_name":"egress","availability_zone":"eu-west-1b","event_timestamp":"1764950401","event":{"src_ip":"10.0.1.26","src_port":"55406","dest_ip":"203.0.113.81","dest_port":"443","timestamp":"2025-12-05T16:00:01.120000+0000","sni":"example.org","tls_error":{"error_message":"Server certificate verification failed"}}}"#;

    #[test]
    fn alert_and_tls_records_are_typed() {
        let format = Format::Known(&super::SCHEMA);
        assert_eq!(Format::detect(ALERT, None), format);
        let (doc, encoded) = encode_doc(&format, &event(ALERT));
        assert_eq!(doc["@timestamp"], "2025-12-05T16:00:00.598Z");
        assert_eq!(doc["event"]["alert"]["severity"], 1);
        assert_eq!(doc["event"]["dest_ip"], "203.0.113.80");
        assert!(encoded.error.is_none());
        let (doc, encoded) = encode_doc(&format, &event(TLS));
        assert_eq!(doc["@timestamp"], "2025-12-05T16:00:01.120Z");
        assert_eq!(doc["event"]["src_port"], 55406, "a port written as text");
        assert_eq!(doc["event"]["dest_port"], 443);
        assert!(encoded.error.is_none());
    }

    #[test]
    fn without_the_event_time_the_epoch_seconds_are_used() {
        let record = r#"{"firewall_name":"f","event_timestamp":"1764950400","event":{"event_type":"netflow","netflow":{"pkts":3,"bytes":180}}}"#;
        let (doc, encoded) = encode_doc(&Format::Known(&super::SCHEMA), &event(record));
        assert_eq!(doc["@timestamp"], "2025-12-05T16:00:00.000Z");
        assert!(!encoded.own_time_missing);
    }
}
