//! Input envelopes: how events reach the forwarder, unwrapped into units of
//! work. A unit is what the event source acknowledges on its own (a Kinesis
//! record, an SQS message) or the whole event (a direct CloudWatch Logs
//! subscription), so that a bad unit fails alone.

pub mod cloudwatch;
pub mod firehose;
pub mod s3;

use std::io::Read;
use std::path::Path;

use serde_json::Value;

use crate::decode;

/// One independently acknowledged piece of an event.
#[derive(Debug)]
pub struct Unit {
    /// The id to name in `batchItemFailures` (Kinesis sequence number, SQS
    /// message id); `None` when the event is acknowledged as a whole.
    pub item_id: Option<String>,
    pub work: Work,
}

#[derive(Debug)]
pub enum Work {
    /// A decoded CloudWatch Logs payload (possibly several concatenated).
    Logs(Vec<u8>),
    /// A log object (what S3 holds), read as a stream.
    Object(ObjectInput),
    /// Objects in S3 to read, from a notification.
    S3(Vec<s3::S3Location>),
    /// A dead-letter file (NDJSON records), to send again as it is.
    DeadLetters(Vec<u8>),
    /// Input that could not be decoded, with the reason.
    Undecodable(String),
    /// Nothing to index, with the reason.
    Skip(&'static str),
}

/// A log object to read: where it is and its bytes, as a stream
/// (decompressed if it was gzipped).
pub struct ObjectInput {
    /// Empty for a local file.
    pub bucket: String,
    /// The object key, or the path of a local file.
    pub key: String,
    /// What identifies this version of the object (S3 version id or ETag;
    /// size and modification time of a file): part of derived ids.
    pub version: String,
    /// The time of records that carry none of their own (milliseconds).
    pub timestamp_ms: i64,
    /// The bytes as stored (gzip is recognised and undone when read).
    pub body: Box<dyn Read + Send>,
}

impl std::fmt::Debug for ObjectInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ObjectInput")
            .field("bucket", &self.bucket)
            .field("key", &self.key)
            .field("version", &self.version)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum EnvelopeError {
    #[error("not JSON: {0}")]
    NotJson(String),
    #[error("unrecognised event (top-level keys: {0})")]
    Unknown(String),
}

/// Unwraps a Lambda event.
pub fn from_event(event: &Value) -> Result<Vec<Unit>, EnvelopeError> {
    if let Some(data) = event.pointer("/awslogs/data") {
        let work = match data.as_str() {
            Some(text) => logs_work(text),
            None => Work::Undecodable("awslogs.data is not a string".into()),
        };
        return Ok(vec![Unit {
            item_id: None,
            work,
        }]);
    }
    if let Some(records) = event.get("Records").and_then(Value::as_array) {
        if records.iter().any(|r| r.get("kinesis").is_some()) {
            return Ok(records.iter().map(kinesis_unit).collect());
        }
        let source = |r: &Value| {
            r.get("eventSource")
                .or_else(|| r.get("EventSource"))
                .and_then(Value::as_str)
                .map(str::to_owned)
        };
        if !records.is_empty()
            && records
                .iter()
                .all(|r| source(r).as_deref() == Some("aws:sqs"))
        {
            return Ok(records.iter().map(sqs_unit).collect());
        }
        if !records.is_empty()
            && records
                .iter()
                .all(|r| source(r).as_deref() == Some("aws:sns"))
        {
            return Ok(records
                .iter()
                .map(|r| Unit {
                    item_id: None,
                    work: match r.pointer("/Sns/Message").and_then(Value::as_str) {
                        Some(message) => text_notification(message, "SNS message"),
                        None => Work::Undecodable("SNS record without Sns.Message".into()),
                    },
                })
                .collect());
        }
    }
    if let Some(shape) = firehose::shape(event) {
        return Ok(firehose::units(event, shape));
    }
    if let Some(notification) = s3::notification(event) {
        return Ok(vec![Unit {
            item_id: None,
            work: notification_work(notification),
        }]);
    }
    let keys: Vec<&str> = event
        .as_object()
        .map(|o| o.keys().map(String::as_str).collect())
        .unwrap_or_default();
    Err(EnvelopeError::Unknown(if keys.is_empty() {
        "none".into()
    } else {
        keys.join(", ")
    }))
}

/// A CloudWatch Logs subscription delivered through Kinesis Data Streams.
fn kinesis_unit(record: &Value) -> Unit {
    let item_id = record
        .pointer("/kinesis/sequenceNumber")
        .and_then(Value::as_str)
        .map(str::to_owned);
    let work = match record.pointer("/kinesis/data").and_then(Value::as_str) {
        Some(data) => logs_work(data),
        None => Work::Undecodable("Kinesis record without kinesis.data".into()),
    };
    Unit { item_id, work }
}

/// An SQS message: an S3 notification (possibly inside an SNS
/// notification) in its body. A body that is not one fails alone, so that
/// the queue's redrive policy keeps it.
fn sqs_unit(record: &Value) -> Unit {
    let item_id = record
        .get("messageId")
        .and_then(Value::as_str)
        .map(str::to_owned);
    let work = match record.get("body").and_then(Value::as_str) {
        Some(body) => text_notification(body, "SQS message body"),
        None => Work::Undecodable("SQS record without body".into()),
    };
    Unit { item_id, work }
}

fn text_notification(text: &str, what: &str) -> Work {
    match serde_json::from_str::<Value>(text) {
        Ok(value) => match s3::notification(&value) {
            Some(notification) => notification_work(notification),
            None => Work::Undecodable(format!("{what} is not an S3 notification")),
        },
        Err(e) => Work::Undecodable(format!("{what} is not JSON: {e}")),
    }
}

fn notification_work(notification: s3::Notification) -> Work {
    match notification {
        s3::Notification::Objects(objects) => Work::S3(objects),
        s3::Notification::Skip(reason) => Work::Skip(reason),
    }
}

fn logs_work(data: &str) -> Work {
    match decode::base64_gzip(data) {
        Ok(bytes) => Work::Logs(bytes),
        Err(e) => Work::Undecodable(format!("CloudWatch Logs data: {e}")),
    }
}

/// How much of a file [`from_file`] reads to tell an event from a log object.
const SNIFF_LEN: usize = 64 * 1024;

/// Opens a file for replay: a Lambda event or CloudWatch Logs payload
/// (read whole: they are small), or else a log object as S3 would hold it
/// (streamed, never read whole). Gzip is recognised by its magic bytes.
pub fn from_file(path: &Path) -> std::io::Result<Vec<Unit>> {
    let file = std::fs::File::open(path)?;
    let meta = file.metadata()?;
    let mut body = decode::maybe_gunzip_reader(file)?;
    let mut head = Vec::with_capacity(SNIFF_LEN);
    (&mut body).take(SNIFF_LEN as u64).read_to_end(&mut head)?;
    if looks_like_event(&head) {
        let mut bytes = head;
        body.read_to_end(&mut bytes)?;
        return from_file_bytes(bytes).map_err(std::io::Error::other);
    }
    let first_line = memchr::memchr(b'\n', &head).map_or(&head[..], |p| &head[..p]);
    let marker = format!("\"{}\":1", crate::dead_letter::MARKER);
    if memchr::memmem::find(first_line, marker.as_bytes()).is_some() {
        let mut bytes = head;
        body.read_to_end(&mut bytes)?;
        return Ok(vec![Unit {
            item_id: None,
            work: Work::DeadLetters(bytes),
        }]);
    }
    let modified_ms = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_millis() as i64);
    Ok(vec![Unit {
        item_id: None,
        work: Work::Object(ObjectInput {
            bucket: String::new(),
            key: path.display().to_string(),
            version: format!("{}-{modified_ms}", meta.len()),
            timestamp_ms: modified_ms,
            // The stored bytes, as S3 would hand them over: the object
            // reader undoes gzip itself, so the head read here is not
            // passed on through a second decompressing layer.
            body: Box::new(std::fs::File::open(path)?),
        }),
    }])
}

/// Is this the start of a Lambda event or a CloudWatch Logs payload (as
/// opposed to a log object, such as a CloudTrail file, which also starts
/// with `{"Records"`)?
pub fn looks_like_event(head: &[u8]) -> bool {
    let find = |needle: &[u8]| memchr::memmem::find(head, needle).is_some();
    let first = head.iter().find(|b| !b.is_ascii_whitespace());
    first == Some(&b'{')
        && (find(b"\"awslogs\"")
            || find(b"\"messageType\"")
            // A decoded payload whose keys are sorted starts with its events.
            || head
                .trim_ascii_start()
                .strip_prefix(b"{")
                .is_some_and(|rest| rest.trim_ascii_start().starts_with(b"\"logEvents\""))
            // Firehose: a transformation event or an HTTP endpoint body.
            || (find(b"\"records\"")
                && (find(b"\"invocationId\"")
                    || find(b"\"deliveryStreamArn\"")
                    || find(b"\"requestId\"")))
            || find(b"\"detail-type\"")
            || find(b"\"s3:TestEvent\"")
            || event_source_is_aws(head))
}

/// Does the first `eventSource` / `EventSource` member name an AWS event
/// source (`aws:s3`, `aws:sqs`, `aws:kinesis`, `aws:sns`)? CloudTrail
/// records name a service endpoint (`s3.amazonaws.com`) instead.
fn event_source_is_aws(head: &[u8]) -> bool {
    for needle in [&b"\"eventSource\""[..], b"\"EventSource\""] {
        if let Some(at) = memchr::memmem::find(head, needle) {
            let rest = &head[at + needle.len()..];
            let value = rest
                .iter()
                .position(|b| !b.is_ascii_whitespace() && *b != b':')
                .map_or(&[][..], |p| &rest[p..]);
            return value.starts_with(b"\"aws:");
        }
    }
    false
}

/// Unwraps a captured file: a Lambda event, or a CloudWatch Logs payload
/// (decoded, or gzipped as CloudWatch sends it), in plain or gzip bytes.
pub fn from_file_bytes(bytes: Vec<u8>) -> Result<Vec<Unit>, EnvelopeError> {
    let bytes = match decode::maybe_inflate(bytes) {
        Ok(bytes) => bytes,
        Err(e) => {
            return Ok(vec![Unit {
                item_id: None,
                work: Work::Undecodable(e.to_string()),
            }])
        }
    };
    match serde_json::from_slice::<Value>(&bytes) {
        Ok(value) if value.get("messageType").is_some() => Ok(vec![Unit {
            item_id: None,
            work: Work::Logs(bytes),
        }]),
        Ok(value) => from_event(&value),
        // Several concatenated payloads are not one JSON value: one unit
        // each. Anything else goes to the payload parser, which says what is
        // wrong with it.
        Err(_) if memchr::memmem::find(&bytes, b"\"messageType\"").is_some() => {
            let parts = cloudwatch::split_concatenated(&bytes).unwrap_or_else(|| vec![bytes]);
            Ok(parts
                .into_iter()
                .map(|part| Unit {
                    item_id: None,
                    work: Work::Logs(part),
                })
                .collect())
        }
        Err(e) => Err(EnvelopeError::NotJson(e.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine as _;
    use std::io::Write as _;

    fn gzip_b64(data: &[u8]) -> String {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        enc.write_all(data).expect("write");
        base64::engine::general_purpose::STANDARD.encode(enc.finish().expect("finish"))
    }

    #[test]
    fn cloudwatch_and_kinesis_envelopes() {
        let data = gzip_b64(br#"{"messageType":"DATA_MESSAGE","logEvents":[]}"#);
        let units = from_event(&serde_json::json!({"awslogs": {"data": data}})).expect("cwl");
        assert!(matches!(
            &units[..],
            [Unit {
                item_id: None,
                work: Work::Logs(_)
            }]
        ));

        let event = serde_json::json!({"Records": [
            {"kinesis": {"sequenceNumber": "1", "data": data}},
            {"kinesis": {"sequenceNumber": "2", "data": "not base64!"}},
        ]});
        let units = from_event(&event).expect("kinesis");
        assert_eq!(units[0].item_id.as_deref(), Some("1"));
        assert!(matches!(units[0].work, Work::Logs(_)));
        assert!(matches!(&units[1].work, Work::Undecodable(r) if r.contains("base64")));
    }

    #[test]
    fn zlib_payloads_arrive_like_gzip_ones_and_a_bad_one_fails_alone() {
        let payload = br#"{"messageType":"DATA_MESSAGE","logGroup":"g","logEvents":[]}"#;
        let mut enc = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        enc.write_all(payload).expect("write");
        let packed = enc.finish().expect("finish");
        let data = base64::engine::general_purpose::STANDARD.encode(&packed);
        let truncated =
            base64::engine::general_purpose::STANDARD.encode(&packed[..packed.len() - 4]);
        let units = from_event(&serde_json::json!({"awslogs": {"data": data}})).expect("cwl");
        assert!(matches!(&units[0].work, Work::Logs(bytes) if bytes == payload));
        let event = serde_json::json!({"Records": [
            {"kinesis": {"sequenceNumber": "1", "data": data}},
            {"kinesis": {"sequenceNumber": "2", "data": truncated}},
        ]});
        let units = from_event(&event).expect("kinesis");
        assert!(matches!(&units[0].work, Work::Logs(bytes) if bytes == payload));
        assert!(matches!(&units[1].work, Work::Undecodable(r) if r.contains("zlib")));
    }

    #[test]
    fn events_are_told_from_log_objects() {
        assert!(looks_like_event(br#"{"awslogs":{"data":"x"}}"#));
        assert!(looks_like_event(
            br#" {"Records":[{"eventSource": "aws:s3","s3":{}}]}"#
        ));
        assert!(looks_like_event(
            br#"{"Records":[{"EventSource":"aws:sns"}]}"#
        ));
        assert!(!looks_like_event(
            br#"{"Records":[{"eventVersion":"1.0","eventSource":"s3.amazonaws.com","requestParameters":{"policy":"aws:s3"}}]}"#
        ));
        assert!(!looks_like_event(b"2 123 eni-1 - - - - - - - 1 2 - NODATA"));
        assert!(looks_like_event(
            br#"{"logEvents":[{"id":"1","timestamp":1,"message":"x"}"#
        ));
    }

    #[test]
    fn unknown_events_name_their_keys() {
        let err = from_event(&serde_json::json!({"hello": 1})).expect_err("unknown");
        assert_eq!(
            err.to_string(),
            "unrecognised event (top-level keys: hello)"
        );
    }
}
