//! AWS CloudTrail records.
//!
//! Reference: the CloudTrail record contents page of the CloudTrail user
//! guide. Each record is a JSON object with `eventVersion` (1.0 to 1.11 so
//! far), `eventTime` (ISO 8601, UTC), `eventSource`, `eventName`, `eventID`
//! (a UUID) and up to hundreds of service-specific fields under
//! `requestParameters`, `responseElements`, `additionalEventData` and
//! `serviceEventDetails`.
//!
//! Records keep their own field names. `@timestamp` is `eventTime` and the
//! document `_id` is `eventID`, so the same event delivered twice (CloudWatch
//! and S3, or a retried batch) is stored once.

use super::json::{str_member, write_members};
use super::{write_cloudwatch_meta, Encoded, Event, Origin, Parsed};
use crate::json::ObjectWriter;

/// Record fields that the index template maps explicitly (the rest are
/// mapped by their JSON type): the ones searched and aggregated most, which
/// the starter dashboards use.
pub const FIELDS: &[(&str, super::typed::Kind)] = &[
    ("eventSource", super::typed::Kind::Keyword),
    ("eventName", super::typed::Kind::Keyword),
    ("eventType", super::typed::Kind::Keyword),
    ("errorCode", super::typed::Kind::Keyword),
    ("awsRegion", super::typed::Kind::Keyword),
    ("recipientAccountId", super::typed::Kind::Keyword),
    // An address, or a service name ("s3.amazonaws.com"): not an `ip`.
    ("sourceIPAddress", super::typed::Kind::Keyword),
    ("userAgent", super::typed::Kind::Keyword),
];

/// A cheap test for "this JSON text is a CloudTrail record".
pub fn looks_like(message: &str) -> bool {
    let head = message.trim_start();
    head.starts_with('{') && head.contains("\"eventVersion\"") && head.contains("\"eventSource\"")
}

pub fn encode(
    parsed: &Parsed<'_, '_>,
    origin: &Origin,
    event: &Event<'_>,
    doc: &mut Vec<u8>,
) -> Result<Encoded, String> {
    let event_time =
        str_member(parsed, "eventTime").and_then(|time| crate::time::parse_iso8601_utc(&time));
    let timestamp_ms = event_time.unwrap_or(event.timestamp_ms);
    let mut w = ObjectWriter::new(doc);
    write_cloudwatch_meta(&mut w, origin, event, timestamp_ms);
    write_members(&mut w, parsed);
    w.finish();
    Ok(Encoded {
        timestamp_ms,
        id: str_member(parsed, "eventID")
            .filter(|id| !id.is_empty())
            .map(std::borrow::Cow::into_owned),
        ..Encoded::default()
    })
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::super::Format;

    #[test]
    fn event_time_and_id_drive_the_document() {
        let record = r#"{"eventVersion":"1.08","eventTime":"2021-01-02T03:04:05Z","eventSource":"s3.amazonaws.com","eventName":"GetObject","eventID":"e1","apiVersion":"2006-03-01","requestParameters":{"bucketName":"b"}}"#;
        let (doc, encoded) = encode_doc(&Format::CloudTrail, &event(record));
        assert_eq!(doc["@timestamp"], "2021-01-02T03:04:05.000Z");
        assert_eq!(doc["eventTime"], "2021-01-02T03:04:05Z");
        assert_eq!(doc["apiVersion"], "2006-03-01");
        assert_eq!(doc["requestParameters"]["bucketName"], "b");
        assert_eq!(encoded.id.as_deref(), Some("e1"));
        assert_eq!(encoded.timestamp_ms, 1_609_556_645_000);
    }

    #[test]
    fn escaped_time_and_id_are_read_unescaped() {
        let record = r#"{"eventVersion":"1.08","eventTime":"2021-01-02T03:04:05\u005a","eventSource":"x","eventID":"e\/1"}"#;
        let (doc, encoded) = encode_doc(&Format::CloudTrail, &event(record));
        assert_eq!(doc["@timestamp"], "2021-01-02T03:04:05.000Z");
        assert_eq!(encoded.id.as_deref(), Some("e/1"));
    }

    #[test]
    fn without_event_time_the_cloudwatch_time_is_used() {
        let (doc, encoded) = encode_doc(
            &Format::CloudTrail,
            &event(r#"{"eventVersion":"1.05","eventSource":"x"}"#),
        );
        assert_eq!(doc["@timestamp"], "2023-11-14T22:13:20.000Z");
        assert!(encoded.id.is_none());
    }
}
