//! S3 event notifications, however they arrive: directly, wrapped in SQS,
//! in SNS, in SQS wrapping SNS, or as EventBridge "Object Created" events.
//!
//! References: "Event message structure" (S3 user guide), "EventBridge
//! event message structure", the SQS and SNS Lambda event formats. What
//! matters here is which objects were created: `s3:TestEvent` messages and
//! other event types (removals, restores, replication, lifecycle) carry
//! nothing to index and are acknowledged. Keys in S3 notifications are
//! URL-encoded (spaces as `+`); EventBridge keys are not.

use serde_json::Value;

/// One object to read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct S3Location {
    pub bucket: String,
    /// Decoded: the key as S3 stores it.
    pub key: String,
    pub version_id: Option<String>,
    pub etag: Option<String>,
    pub size: Option<u64>,
    /// The bucket's region, when the notification says.
    pub region: Option<String>,
    /// When the object was written (milliseconds), for records without a
    /// time of their own.
    pub event_time_ms: Option<i64>,
}

impl S3Location {
    /// What identifies this version of the object: part of derived ids.
    pub fn version(&self) -> String {
        self.version_id
            .clone()
            .or_else(|| self.etag.clone())
            .unwrap_or_default()
    }
}

/// What a notification asks for.
#[derive(Debug, PartialEq, Eq)]
pub enum Notification {
    /// Objects to read.
    Objects(Vec<S3Location>),
    /// Nothing to index, and why.
    Skip(&'static str),
}

/// Reads a notification: an S3 event (`{"Records":[{"s3":...}]}`), a test
/// event, an SNS message body, or an EventBridge event. `None` if `value`
/// is none of these.
pub fn notification(value: &Value) -> Option<Notification> {
    if value.get("Event").and_then(Value::as_str) == Some("s3:TestEvent") {
        return Some(Notification::Skip("s3:TestEvent"));
    }
    if value.get("source").and_then(Value::as_str) == Some("aws.s3") {
        return Some(eventbridge(value));
    }
    // An SNS notification (as an SQS body): its Message is the S3 event.
    if value.get("Type").and_then(Value::as_str) == Some("Notification") {
        let message = value.get("Message").and_then(Value::as_str)?;
        let inner: Value = serde_json::from_str(message).ok()?;
        return notification(&inner);
    }
    let records = value.get("Records")?.as_array()?;
    if !records.iter().all(|r| r.get("s3").is_some()) {
        return None;
    }
    let objects: Vec<S3Location> = records
        .iter()
        .filter(|r| {
            r.get("eventName")
                .and_then(Value::as_str)
                .is_some_and(|n| n.trim_start_matches("s3:").starts_with("ObjectCreated:"))
        })
        .filter_map(record_location)
        .collect();
    Some(if objects.is_empty() {
        Notification::Skip("not an object-created event")
    } else {
        Notification::Objects(objects)
    })
}

fn record_location(record: &Value) -> Option<S3Location> {
    let s3 = record.get("s3")?;
    let text = |v: Option<&Value>| v.and_then(Value::as_str).map(str::to_owned);
    Some(S3Location {
        bucket: text(s3.pointer("/bucket/name"))?,
        key: url_decode(s3.pointer("/object/key")?.as_str()?),
        version_id: text(s3.pointer("/object/versionId")),
        etag: text(s3.pointer("/object/eTag")),
        size: s3.pointer("/object/size").and_then(Value::as_u64),
        region: text(record.get("awsRegion")),
        event_time_ms: record
            .get("eventTime")
            .and_then(Value::as_str)
            .and_then(crate::time::parse_rfc3339),
    })
}

fn eventbridge(event: &Value) -> Notification {
    if event.get("detail-type").and_then(Value::as_str) != Some("Object Created") {
        return Notification::Skip("not an Object Created event");
    }
    let text = |p: &str| event.pointer(p).and_then(Value::as_str).map(str::to_owned);
    let (Some(bucket), Some(key)) = (text("/detail/bucket/name"), text("/detail/object/key"))
    else {
        return Notification::Skip("Object Created event without bucket or key");
    };
    Notification::Objects(vec![S3Location {
        bucket,
        key,
        version_id: text("/detail/object/version-id"),
        etag: text("/detail/object/etag"),
        size: event.pointer("/detail/object/size").and_then(Value::as_u64),
        region: text("/region"),
        event_time_ms: text("/time").and_then(|t| crate::time::parse_rfc3339(&t)),
    }])
}

/// Decodes the form encoding S3 uses for keys in notifications: `%XX`
/// escapes and `+` for a space. Invalid escapes are kept as written.
pub fn url_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = bytes
                    .get(i + 1..i + 3)
                    .and_then(|h| std::str::from_utf8(h).ok())
                    .and_then(|h| u8::from_str_radix(h, 16).ok());
                match hex {
                    Some(byte) => {
                        out.push(byte);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
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
        let Some(Notification::Objects(objects)) = notification(&s3_event(
            "ObjectCreated:Put",
            "AWSLogs/1/a+b%2Bc%C3%A9.log.gz",
        )) else {
            panic!("objects")
        };
        assert_eq!(objects[0].key, "AWSLogs/1/a b+cé.log.gz");
        assert_eq!(objects[0].version(), "v1");
        assert_eq!(objects[0].region.as_deref(), Some("eu-west-1"));
        assert_eq!(objects[0].event_time_ms, Some(1_763_800_000_000));
    }

    #[test]
    fn other_events_are_skipped() {
        assert_eq!(
            notification(&s3_event("ObjectRemoved:Delete", "k")),
            Some(Notification::Skip("not an object-created event"))
        );
        assert_eq!(
            notification(&json!({"Service": "Amazon S3", "Event": "s3:TestEvent"})),
            Some(Notification::Skip("s3:TestEvent"))
        );
        assert_eq!(notification(&json!({"Records": [{"kinesis": {}}]})), None);
    }

    #[test]
    fn sns_and_eventbridge_wrappings() {
        let sns = json!({"Type": "Notification", "Message": s3_event("ObjectCreated:Put", "k").to_string()});
        assert!(matches!(notification(&sns), Some(Notification::Objects(o)) if o[0].key == "k"));
        let eb = json!({"detail-type": "Object Created", "source": "aws.s3", "region": "eu-west-1",
            "time": "2025-11-22T08:26:40Z",
            "detail": {"bucket": {"name": "b"}, "object": {"key": "raw/a:b c.log", "etag": "e"}}});
        let Some(Notification::Objects(objects)) = notification(&eb) else {
            panic!("objects")
        };
        assert_eq!(
            objects[0].key, "raw/a:b c.log",
            "EventBridge keys are not encoded"
        );
        assert_eq!(objects[0].version(), "e");
    }

    #[test]
    fn url_decoding_keeps_what_it_cannot_decode() {
        assert_eq!(url_decode("100%25+done%zz%"), "100% done%zz%");
    }
}
