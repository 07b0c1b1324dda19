//! S3 event notifications, however they arrive: directly, wrapped in SQS,
//! in SNS, in SQS wrapping SNS, or as EventBridge "Object Created" events.
//!
//! References: "Event message structure" (S3 user guide), "EventBridge
//! event message structure", the SQS and SNS Lambda event formats. What
//! matters here is which objects were created: `s3:TestEvent` messages and
//! other event types (removals, restores, replication, lifecycle) carry
//! nothing to index and are acknowledged. Keys in S3 notifications are
//! URL-encoded (spaces as `+`); EventBridge keys are not.

use aws_lambda_events::eventbridge::EventBridgeEvent;
use aws_lambda_events::s3::S3Entity;
use serde::Deserialize;
use serde_json::Value;

pub use crate::client::s3::S3Location;

/// What a notification asks for.
#[derive(Debug, PartialEq, Eq)]
pub enum Notification {
    /// Objects to read.
    Objects(Vec<S3Location>),
    /// Nothing to index, and why.
    Skip(&'static str),
}

/// Is `value` a notification [`notification`] reads: an S3 event
/// (`{"Records":[{"s3":...}]}`), a test event, an SNS notification (as an
/// SQS body) or an EventBridge event from S3?
pub fn is_notification(value: &Value) -> bool {
    let text = |key: &str| value.get(key).and_then(Value::as_str);
    text("Event") == Some("s3:TestEvent")
        || text("source") == Some("aws.s3")
        || text("Type") == Some("Notification")
        || value
            .get("Records")
            .and_then(Value::as_array)
            .is_some_and(|records| records.iter().all(|r| r.get("s3").is_some()))
}

/// An S3 event notification record, with the fields read here.
///
/// Not `aws_lambda_events`' `S3EventRecord`: that type requires
/// `userIdentity` and `requestParameters`, which S3-compatible stores (moto,
/// MinIO) leave out and nothing here reads. Its `s3` member is the
/// library's [`S3Entity`].
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct S3Record {
    #[serde(default)]
    event_name: Option<String>,
    #[serde(default)]
    event_time: Option<String>,
    #[serde(default)]
    aws_region: Option<String>,
    s3: S3Entity,
}

#[derive(Deserialize)]
struct S3Notification {
    #[serde(rename = "Records")]
    records: Vec<S3Record>,
}

/// The `detail` of an EventBridge "Object Created" event (no type for it in
/// `aws_lambda_events`). Keys there are not URL-encoded.
#[derive(Deserialize)]
struct ObjectCreated {
    bucket: EventBridgeBucket,
    object: EventBridgeObject,
}

#[derive(Deserialize)]
struct EventBridgeBucket {
    name: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
struct EventBridgeObject {
    key: String,
    #[serde(default)]
    size: Option<u64>,
    #[serde(default)]
    etag: Option<String>,
    #[serde(default)]
    version_id: Option<String>,
}

/// Reads a notification that [`is_notification`] recognised, or says why it
/// is not a valid one.
pub fn notification(value: Value) -> Result<Notification, String> {
    let text = |key: &str| value.get(key).and_then(Value::as_str);
    if text("Event") == Some("s3:TestEvent") {
        return Ok(Notification::Skip("s3:TestEvent"));
    }
    if text("source") == Some("aws.s3") {
        let event = EventBridgeEvent::<Value>::deserialize(value)
            .map_err(|e| format!("EventBridge event: {e}"))?;
        return eventbridge(event);
    }
    // An SNS notification (as an SQS body): its Message is the S3 event.
    if text("Type") == Some("Notification") {
        let sns = super::SnsNotification::deserialize(value)
            .map_err(|e| format!("SNS notification: {e}"))?;
        let inner: Value = serde_json::from_str(&sns.message)
            .map_err(|e| format!("SNS message is not JSON: {e}"))?;
        if !is_notification(&inner) {
            return Err("SNS message is not an S3 notification".into());
        }
        return notification(inner);
    }
    let event = S3Notification::deserialize(value).map_err(|e| format!("S3 notification: {e}"))?;
    let mut objects = Vec::new();
    for record in event.records {
        let created = record
            .event_name
            .as_deref()
            .is_some_and(|n| n.trim_start_matches("s3:").starts_with("ObjectCreated:"));
        if !created {
            continue;
        }
        let (Some(bucket), Some(key)) = (record.s3.bucket.name, record.s3.object.key) else {
            return Err("S3 notification record without bucket name or object key".into());
        };
        objects.push(S3Location {
            bucket,
            key: crate::percent::decode_form(&key),
            version_id: record.s3.object.version_id,
            etag: record.s3.object.e_tag,
            size: record.s3.object.size.and_then(|s| u64::try_from(s).ok()),
            region: record.aws_region,
            event_time_ms: record
                .event_time
                .as_deref()
                .and_then(crate::time::parse_rfc3339),
        });
    }
    Ok(if objects.is_empty() {
        Notification::Skip("not an object-created event")
    } else {
        Notification::Objects(objects)
    })
}

fn eventbridge(event: EventBridgeEvent<Value>) -> Result<Notification, String> {
    if event.detail_type != "Object Created" {
        return Ok(Notification::Skip("not an Object Created event"));
    }
    let detail = ObjectCreated::deserialize(event.detail)
        .map_err(|e| format!("Object Created event: {e}"))?;
    Ok(Notification::Objects(vec![S3Location {
        bucket: detail.bucket.name,
        key: detail.object.key,
        version_id: detail.object.version_id,
        etag: detail.object.etag,
        size: detail.object.size,
        region: event.region,
        event_time_ms: event.time.map(|t| t.timestamp_millis()),
    }]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn s3_event(name: &str, key: &str) -> Value {
        json!({"Records": [{"eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": "eu-west-1",
            "eventTime": "2025-11-22T08:26:40.000Z", "eventName": name,
            "s3": {"bucket": {"name": "logs"}, "object": {"key": key, "size": 10, "eTag": "abc", "versionId": "v1"}}}]})
    }

    #[test]
    fn created_objects_with_decoded_keys() {
        let Ok(Notification::Objects(objects)) = notification(s3_event(
            "ObjectCreated:Put",
            "AWSLogs/1/a+b%2Bc%C3%A9.log.gz",
        )) else {
            panic!("objects")
        };
        assert_eq!(objects[0].key, "AWSLogs/1/a b+cé.log.gz");
        assert_eq!(objects[0].version_id.as_deref(), Some("v1"));
        assert_eq!(objects[0].region.as_deref(), Some("eu-west-1"));
        assert_eq!(objects[0].event_time_ms, Some(1_763_800_000_000));
    }

    #[test]
    fn other_events_are_skipped() {
        assert_eq!(
            notification(s3_event("ObjectRemoved:Delete", "k")),
            Ok(Notification::Skip("not an object-created event"))
        );
        assert_eq!(
            notification(json!({"Service": "Amazon S3", "Event": "s3:TestEvent"})),
            Ok(Notification::Skip("s3:TestEvent"))
        );
        assert!(!is_notification(&json!({"Records": [{"kinesis": {}}]})));
        let bad = json!({"Records": [{"eventName": "ObjectCreated:Put", "s3": {"bucket": "b"}}]});
        assert!(is_notification(&bad));
        let err = notification(bad).expect_err("bucket is not an object");
        assert!(err.starts_with("S3 notification: "), "{err}");
    }

    #[test]
    fn sns_and_eventbridge_wrappings() {
        let sns = json!({"Type": "Notification", "MessageId": "m", "TopicArn": "arn:aws:sns:eu-west-1:123456789012:t",
            "Message": s3_event("ObjectCreated:Put", "k").to_string(), "Timestamp": "2025-11-22T08:26:40.000Z",
            "SignatureVersion": "1", "Signature": "s", "SigningCertURL": "https://sns", "UnsubscribeURL": "https://sns"});
        assert!(matches!(notification(sns), Ok(Notification::Objects(o)) if o[0].key == "k"));
        let eb = json!({"detail-type": "Object Created", "source": "aws.s3", "region": "eu-west-1",
            "time": "2025-11-22T08:26:40Z",
            "detail": {"bucket": {"name": "b"}, "object": {"key": "raw/a:b c.log", "etag": "e"}}});
        let Ok(Notification::Objects(objects)) = notification(eb) else {
            panic!("objects")
        };
        assert_eq!(
            objects[0].key, "raw/a:b c.log",
            "EventBridge keys are not encoded"
        );
        assert_eq!(objects[0].etag.as_deref(), Some("e"));
    }

    #[test]
    fn url_decoding_keeps_what_it_cannot_decode() {
        assert_eq!(
            crate::percent::decode_form("100%25+done%zz%"),
            "100% done%zz%"
        );
    }
}
