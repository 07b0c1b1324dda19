//! Amazon EventBridge events, wherever a rule delivers them: a CloudWatch
//! Logs group (`/aws/events/*`), Firehose, the objects Firehose writes.
//!
//! Reference: "Amazon EventBridge events" in the EventBridge user guide.
//! Every event has `version`, `id`, `detail-type`, `source`, `account`,
//! `time` (ISO 8601), `region`, `resources` and `detail`, whose shape is
//! the source's own: it is one flattened field here. The event's `id` is the
//! document's `_id`, so an event delivered twice is stored once.
//!
//! Routed by what the event is: findings (GuardDuty, Security Hub) to
//! `findings-*` as findings ([`super::findings`]), Config's events to
//! `config-*`, every other event to `events-*`.

use super::typed::Kind;
use super::typed_json::Schema;

/// The event's own members (its `detail` is the source's).
pub const FIELDS: &[(&str, Kind)] = &[
    ("version", Kind::Keyword),
    ("id", Kind::Keyword),
    ("detail-type", Kind::Keyword),
    ("source", Kind::Keyword),
    ("account", Kind::Keyword),
    ("time", Kind::Keyword),
    ("region", Kind::Keyword),
    ("resources", Kind::Keyword),
];

pub const EVENT: Schema = Schema {
    name: "eventbridge",
    index: "events",
    time: &["time"],
    fields: FIELDS,
    flattened: &["detail"],
    dash_is_absent: false,
    id: Some("id"),
};

/// AWS Config's events (compliance and configuration item changes): the
/// same shape, in the Config indices.
pub const CONFIG_EVENT: Schema = Schema {
    name: "config_event",
    index: super::config::INDEX,
    ..EVENT
};

/// A cheap test for "this JSON text is an EventBridge event".
pub fn looks_like(head: &str) -> bool {
    head.contains("\"detail-type\"") && head.contains("\"source\"") && head.contains("\"detail\"")
}

/// The format of an event, from its source and detail type.
pub fn format_of(head: &str) -> super::Format {
    if head.contains("\"aws.guardduty\"") || head.contains("\"aws.securityhub\"") {
        super::Format::Findings
    } else if head.contains("\"aws.config\"") {
        super::Format::Known(&CONFIG_EVENT)
    } else {
        super::Format::Known(&EVENT)
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::super::Format;

    /// Written from the EventBridge user guide's event structure.
    const EVENT: &str = r#"{"version":"0","id":"6a7e8feb-b491-4cf7-a9f1-bf3703467718","detail-type":"EC2 Instance State-change Notification","source":"aws.ec2","account":"111122223333","time":"2025-12-05T16:00:00Z","region":"eu-west-1","resources":["arn:aws:ec2:eu-west-1:111122223333:instance/i-0123456789abcdef0"],"detail":{"instance-id":"i-0123456789abcdef0","state":"running"}}"#;

    #[test]
    fn events_keep_their_shape_own_time_and_id() {
        let format = Format::detect(EVENT, None);
        assert_eq!(format, Format::Known(&super::EVENT));
        let (doc, encoded) = encode_doc(&format, &event(EVENT));
        assert_eq!(doc["@timestamp"], "2025-12-05T16:00:00.000Z");
        assert_eq!(doc["detail"]["state"], "running");
        assert_eq!(
            encoded.id.as_deref(),
            Some("6a7e8feb-b491-4cf7-a9f1-bf3703467718")
        );
        let config = EVENT.replace("aws.ec2", "aws.config");
        assert_eq!(
            Format::detect(&config, None),
            Format::Known(&super::CONFIG_EVENT)
        );
    }
}
