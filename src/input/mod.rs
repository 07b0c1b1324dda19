//! Input envelopes: how events reach the forwarder, unwrapped into units of
//! work. A unit is what the event source acknowledges on its own (a Kinesis
//! record, an SQS message) or the whole event (a direct CloudWatch Logs
//! subscription), so that a bad unit fails alone.

pub mod cloudwatch;
pub mod firehose;
pub mod s3;

use std::io::Read;
use std::path::Path;

use serde::Deserialize;
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
    /// A CloudWatch Logs payload, inflated only when its turn comes.
    Logs(Payload),
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

/// A CloudWatch Logs payload as it arrived. A batch's payloads are kept
/// packed until each is forwarded, so that a batch of records that inflate
/// large (Kinesis, Firehose) holds one inflated payload at a time, not all.
#[derive(Debug)]
pub enum Payload {
    /// Decoded already (a captured file).
    Decoded(Vec<u8>),
    /// base64 of gzip or zlib, as a subscription or a Kinesis record
    /// carries it.
    Base64(String),
    /// A Firehose record's bytes: a payload or raw text (see
    /// [`firehose::payload`]).
    Firehose(firehose::Record),
}

impl Payload {
    /// The decoded payload, or why it cannot be had. The payload stays as
    /// it came, so that one that does not decode or parse can be kept.
    pub fn decode(&self) -> Result<Vec<u8>, String> {
        match self {
            Payload::Decoded(bytes) => Ok(bytes.clone()),
            Payload::Base64(text) => {
                decode::base64_gzip(text).map_err(|e| format!("CloudWatch Logs data: {e}"))
            }
            Payload::Firehose(record) => firehose::payload(record),
        }
    }

    /// The payload as it came (base64 text, a Firehose record's bytes).
    pub fn raw(&self) -> &[u8] {
        match self {
            Payload::Decoded(bytes) => bytes,
            Payload::Base64(text) => text.as_bytes(),
            Payload::Firehose(record) => record.data(),
        }
    }
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
    #[error("a Lambda failure record without the event it failed on (an SQS or SNS destination keeps only the batch's position): read the records from the stream")]
    FailureRecordWithoutPayload,
}

/// The envelopes a Lambda event can be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Envelope {
    /// A direct CloudWatch Logs subscription (`awslogs.data`).
    CloudWatchLogs,
    /// Kinesis Data Streams records, each a CloudWatch Logs payload.
    Kinesis,
    /// SQS messages, each an S3 notification (possibly inside SNS).
    Sqs,
    /// SNS records, each an S3 notification.
    Sns,
    /// An S3 event notification, an EventBridge S3 event or a test event.
    S3,
    /// Firehose: a transformation event or an HTTP endpoint body.
    Firehose(firehose::Shape),
}

/// Which envelope `event` is, from its top-level keys and its first
/// record's source: the one place that decides, so that each envelope is
/// then read with its own type.
pub fn envelope_of(event: &Value) -> Option<Envelope> {
    if event.get("awslogs").is_some() {
        return Some(Envelope::CloudWatchLogs);
    }
    if let Some(records) = event.get("Records").and_then(Value::as_array) {
        let Some(first) = records.first() else {
            return Some(Envelope::S3);
        };
        let source = first
            .get("eventSource")
            .or_else(|| first.get("EventSource"))
            .and_then(Value::as_str);
        return match source {
            _ if first.get("kinesis").is_some() => Some(Envelope::Kinesis),
            Some("aws:sqs") => Some(Envelope::Sqs),
            Some("aws:sns") => Some(Envelope::Sns),
            _ if first.get("s3").is_some() => Some(Envelope::S3),
            _ => None,
        };
    }
    if let Some(shape) = firehose::shape(event) {
        return Some(Envelope::Firehose(shape));
    }
    s3::is_notification(event).then_some(Envelope::S3)
}

/// An event unwrapped: its units, and how the invocation is to be answered.
#[derive(Debug)]
pub struct Event {
    pub units: Vec<Unit>,
    pub answer: Answer,
}

/// What the event source expects back.
#[derive(Debug)]
pub enum Answer {
    /// Nothing in particular: the invocation's summary.
    Summary,
    /// Kinesis: `batchItemFailures` naming sequence numbers.
    Kinesis,
    /// SQS: `batchItemFailures` naming message ids.
    Sqs,
    /// Firehose: every record back, or the request id.
    Firehose(firehose::Answer),
}

impl Answer {
    /// The response for an invocation whose units `failed` (item ids) were
    /// not delivered.
    pub fn response(self, summary: &crate::summary::Summary, failed: &[String]) -> Value {
        use aws_lambda_events::{sqs::SqsBatchResponse, streams::KinesisEventResponse};
        let json = |r: Result<Value, serde_json::Error>| r.unwrap_or(Value::Null);
        match self {
            Answer::Summary => json(serde_json::to_value(summary)),
            Answer::Kinesis => {
                let mut response = KinesisEventResponse::default();
                response.set_failures(failed.iter().cloned());
                json(serde_json::to_value(response))
            }
            Answer::Sqs => {
                let mut response = SqsBatchResponse::default();
                response.set_failures(failed.iter().cloned());
                json(serde_json::to_value(response))
            }
            Answer::Firehose(answer) => answer.response(failed),
        }
    }
}

/// Unwraps a Lambda event into units of work, each read with its
/// envelope's type (`aws_lambda_events`), record by record, so that a record
/// that does not fit fails alone, with serde's reason.
pub fn from_event(mut event: Value) -> Result<Event, EnvelopeError> {
    let Some(envelope) = envelope_of(&event) else {
        let keys: Vec<&str> = event
            .as_object()
            .map(|o| o.keys().map(String::as_str).collect())
            .unwrap_or_default();
        return Err(EnvelopeError::Unknown(if keys.is_empty() {
            "none".into()
        } else {
            keys.join(", ")
        }));
    };
    let records = |event: &mut Value| match event.get_mut("Records").map(Value::take) {
        Some(Value::Array(records)) => records,
        _ => Vec::new(),
    };
    let (units, answer) = match envelope {
        Envelope::CloudWatchLogs => (vec![cloudwatch_unit(&event)], Answer::Summary),
        Envelope::Kinesis => {
            let units = records(&mut event).into_iter().map(kinesis_unit).collect();
            (units, Answer::Kinesis)
        }
        Envelope::Sqs => {
            let units = records(&mut event).into_iter().map(sqs_unit).collect();
            (units, Answer::Sqs)
        }
        Envelope::Sns => {
            let units = records(&mut event).into_iter().map(sns_unit).collect();
            (units, Answer::Summary)
        }
        Envelope::S3 => {
            let work = match s3::notification(event) {
                Ok(notification) => notification_work(notification),
                Err(reason) => Work::Undecodable(reason),
            };
            (
                vec![Unit {
                    item_id: None,
                    work,
                }],
                Answer::Summary,
            )
        }
        Envelope::Firehose(shape) => {
            let (units, answer) = firehose::read(event, shape);
            (units, Answer::Firehose(answer))
        }
    };
    Ok(Event { units, answer })
}

/// A direct CloudWatch Logs subscription.
///
/// Read by hand, not with `aws_lambda_events::cloudwatch_logs::LogsEvent`:
/// that type inflates `data` while it is deserialised, without a bound on
/// the size (a zip bomb would be inflated whole) and for gzip only, and
/// parses the events into owned strings; here the bytes go to
/// [`decode::base64_gzip`] (bounded, gzip or zlib) and then to the payload
/// parser, which borrows the events from them.
fn cloudwatch_unit(event: &Value) -> Unit {
    let work = match event.pointer("/awslogs/data").map(Value::as_str) {
        Some(Some(text)) => logs_work(text.to_owned()),
        Some(None) => Work::Undecodable("awslogs.data is not a string".into()),
        None => Work::Undecodable("awslogs without data".into()),
    };
    Unit {
        item_id: None,
        work,
    }
}

/// A Kinesis Data Streams record, with the field read here.
///
/// Not `aws_lambda_events`' `KinesisEventRecord`: its `Base64Data` reports
/// bad data as "Invalid symbol 32, offset 3." without saying what was being
/// decoded, and it requires `approximateArrivalTimestamp`, which is not used
/// (and which it reads wrongly with more than three decimals). The data goes
/// through [`decode::base64_gzip`] like every other payload.
#[derive(Deserialize)]
struct KinesisRecord {
    kinesis: KinesisData,
}

#[derive(Deserialize)]
struct KinesisData {
    data: String,
}

/// A CloudWatch Logs subscription delivered through Kinesis Data Streams.
/// A record that is not one fails alone; its sequence number is looked up
/// first, so that it can still be named in `batchItemFailures`.
fn kinesis_unit(record: Value) -> Unit {
    let item_id = record
        .pointer("/kinesis/sequenceNumber")
        .and_then(Value::as_str)
        .map(str::to_owned);
    let work = match KinesisRecord::deserialize(record) {
        Ok(KinesisRecord { kinesis }) => logs_work(kinesis.data),
        Err(e) => Work::Undecodable(format!("Kinesis record: {e}")),
    };
    Unit { item_id, work }
}

/// An SQS message: an S3 notification (possibly inside an SNS
/// notification) in its body. A body that is not one fails alone, so that
/// the queue's redrive policy keeps it.
fn sqs_unit(record: Value) -> Unit {
    use aws_lambda_events::sqs::SqsMessage;
    let item_id = record
        .get("messageId")
        .and_then(Value::as_str)
        .map(str::to_owned);
    let work = match SqsMessage::deserialize(record) {
        Ok(SqsMessage {
            body: Some(body), ..
        }) => text_notification(&body, "SQS message body"),
        Ok(_) => Work::Undecodable("SQS record without body".into()),
        Err(e) => Work::Undecodable(format!("SQS record: {e}")),
    };
    Unit { item_id, work }
}

/// The `Sns` member of an SNS record, with the field read here.
///
/// Not `aws_lambda_events`' `SnsMessage`: it requires the signature, the
/// signing certificate and the unsubscribe URL, which are not verified here
/// (Lambda and SQS have authenticated the message) and which notifications
/// passed on by other tools leave out.
#[derive(Deserialize)]
pub(crate) struct SnsNotification {
    #[serde(rename = "Message")]
    pub message: String,
}

#[derive(Deserialize)]
struct SnsRecord {
    #[serde(rename = "Sns")]
    sns: SnsNotification,
}

/// An SNS record whose message is an S3 notification.
fn sns_unit(record: Value) -> Unit {
    let work = match SnsRecord::deserialize(record) {
        Ok(record) => text_notification(&record.sns.message, "SNS message"),
        Err(e) => Work::Undecodable(format!("SNS record: {e}")),
    };
    Unit {
        item_id: None,
        work,
    }
}

fn text_notification(text: &str, what: &str) -> Work {
    match serde_json::from_str::<Value>(text) {
        Ok(value) if s3::is_notification(&value) => match s3::notification(value) {
            Ok(notification) => notification_work(notification),
            Err(reason) => Work::Undecodable(format!("{what}: {reason}")),
        },
        Ok(_) => Work::Undecodable(format!("{what} is not an S3 notification")),
        Err(e) => Work::Undecodable(format!("{what} is not JSON: {e}")),
    }
}

fn notification_work(notification: s3::Notification) -> Work {
    match notification {
        s3::Notification::Objects(objects) => Work::S3(objects),
        s3::Notification::Skip(reason) => Work::Skip(reason),
    }
}

fn logs_work(data: String) -> Work {
    Work::Logs(Payload::Base64(data))
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
        // A file that only starts like an event (a payload followed by
        // text lines, a cut-off capture) is read as a log object: its
        // lines are indexed, each with what is wrong with it.
        return match from_file_bytes(bytes) {
            Err(EnvelopeError::NotJson(_)) => Ok(vec![object_from_file(path, &meta)?]),
            read => read.map_err(std::io::Error::other),
        };
    }
    let first_line = memchr::memchr(b'\n', &head).map_or(&head[..], |p| &head[..p]);
    if crate::dead_letter::is_record(first_line) {
        let mut bytes = head;
        body.read_to_end(&mut bytes)?;
        return Ok(vec![Unit {
            item_id: None,
            work: Work::DeadLetters(bytes),
        }]);
    }
    Ok(vec![object_from_file(path, &meta)?])
}

/// A local file as a log object, read from its start.
fn object_from_file(path: &Path, meta: &std::fs::Metadata) -> std::io::Result<Unit> {
    let modified_ms = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_millis() as i64);
    Ok(Unit {
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
    })
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
            || is_failure_record(head)
            || find(b"\"detail-type\"")
            || find(b"\"s3:TestEvent\"")
            || event_source_is_aws(head))
}

/// Is this the start of Lambda's failure record of an invocation or a
/// stream batch (what an on-failure destination keeps, in the dead-letter
/// bucket): the event it failed on is inside, to be sent again.
pub fn is_failure_record(head: &[u8]) -> bool {
    let find = |needle: &[u8]| memchr::memmem::find(head, needle).is_some();
    head.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{')
        && find(b"\"requestContext\"")
        && (find(b"\"requestPayload\"") || find(b"\"KinesisBatchInfo\""))
}

/// Is `bytes` one failure record, whole: a single JSON object whose members
/// name the request and the event (or batch) it failed on?
pub fn is_one_failure_record(bytes: &[u8]) -> bool {
    #[derive(serde::Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct FailureRecord {
        /// Required: its absence fails the parse.
        #[serde(rename = "requestContext")]
        _request_context: serde::de::IgnoredAny,
        request_payload: Option<serde::de::IgnoredAny>,
        #[serde(rename = "KinesisBatchInfo")]
        kinesis_batch_info: Option<serde::de::IgnoredAny>,
    }
    serde_json::from_slice::<FailureRecord>(bytes)
        .is_ok_and(|r| r.request_payload.is_some() || r.kinesis_batch_info.is_some())
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

/// The event a Lambda failure record wraps: what Lambda writes to an
/// on-failure destination when an asynchronous invocation (`requestPayload`)
/// or a stream batch (`payload`, S3 destinations only) failed every retry.
/// The payload is the event itself, or its JSON text.
fn failed_event(mut record: Value) -> Result<Value, EnvelopeError> {
    let payload = ["requestPayload", "payload"]
        .iter()
        .find_map(|key| record.get_mut(*key).map(Value::take))
        .filter(|p| !p.is_null())
        .ok_or(EnvelopeError::FailureRecordWithoutPayload)?;
    match payload {
        Value::String(text) => {
            serde_json::from_str(&text).map_err(|e| EnvelopeError::NotJson(e.to_string()))
        }
        event => Ok(event),
    }
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
        Ok(value) if value.get("requestContext").is_some() => {
            from_event(failed_event(value)?).map(|event| event.units)
        }
        Ok(value) if value.get("messageType").is_some() => Ok(vec![Unit {
            item_id: None,
            work: Work::Logs(Payload::Decoded(bytes)),
        }]),
        Ok(value) => from_event(value).map(|event| event.units),
        // Several concatenated payloads are not one JSON value: one unit
        // each.
        Err(e) if memchr::memmem::find(&bytes, b"\"messageType\"").is_some() => {
            let parts = cloudwatch::split_concatenated(&bytes)
                .ok_or_else(|| EnvelopeError::NotJson(e.to_string()))?;
            Ok(parts
                .into_iter()
                .map(|part| Unit {
                    item_id: None,
                    work: Work::Logs(Payload::Decoded(part)),
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
        let event = from_event(serde_json::json!({"awslogs": {"data": data}})).expect("cwl");
        assert!(matches!(event.answer, Answer::Summary));
        assert!(matches!(
            &event.units[..],
            [Unit {
                item_id: None,
                work: Work::Logs(_)
            }]
        ));

        let event = from_event(kinesis(&[("1", &data), ("2", "not base64!")])).expect("kinesis");
        assert!(matches!(event.answer, Answer::Kinesis));
        let units = event.units;
        assert_eq!(units[0].item_id.as_deref(), Some("1"));
        assert!(matches!(units[0].work, Work::Logs(_)));
        let decoded = decoded(units.into_iter().nth(1).expect("two"));
        assert!(
            matches!(&decoded, Err(r) if r.starts_with("CloudWatch Logs data: invalid base64")),
            "{decoded:?}"
        );
    }

    /// A unit's payload, decoded as it is when forwarded.
    fn decoded(unit: Unit) -> Result<Vec<u8>, String> {
        match unit.work {
            Work::Logs(payload) => payload.decode(),
            other => Err(format!("not a payload: {other:?}")),
        }
    }

    /// A Kinesis event as Lambda sends it, with these sequence numbers and data.
    fn kinesis(records: &[(&str, &str)]) -> Value {
        let records: Vec<Value> = records
            .iter()
            .map(|(seq, data)| serde_json::json!({"eventSource": "aws:kinesis", "eventID": format!("shardId-0:{seq}"),
                "kinesis": {"kinesisSchemaVersion": "1.0", "partitionKey": "p", "sequenceNumber": seq,
                    "data": data, "approximateArrivalTimestamp": 1_700_000_000.5}}))
            .collect();
        serde_json::json!({ "Records": records })
    }

    #[test]
    fn batch_answers_are_the_library_types() {
        let summary = crate::summary::Summary::default();
        let failed = ["2".to_owned()];
        let expected = serde_json::json!({"batchItemFailures": [{"itemIdentifier": "2"}]});
        assert_eq!(Answer::Kinesis.response(&summary, &failed), expected);
        assert_eq!(Answer::Sqs.response(&summary, &failed), expected);
        assert_eq!(
            Answer::Sqs.response(&summary, &[]),
            serde_json::json!({"batchItemFailures": []})
        );
        assert_eq!(Answer::Summary.response(&summary, &[])["events"], 0);
    }

    #[test]
    fn each_envelope_is_recognised_by_one_function() {
        let cases = [
            (
                serde_json::json!({"awslogs": {"data": ""}}),
                Some(Envelope::CloudWatchLogs),
            ),
            (kinesis(&[("1", "")]), Some(Envelope::Kinesis)),
            (
                serde_json::json!({"Records": [{"eventSource": "aws:sqs", "body": "{}"}]}),
                Some(Envelope::Sqs),
            ),
            (
                serde_json::json!({"Records": [{"EventSource": "aws:sns", "Sns": {}}]}),
                Some(Envelope::Sns),
            ),
            (
                serde_json::json!({"Records": [{"eventSource": "aws:s3", "s3": {}}]}),
                Some(Envelope::S3),
            ),
            (serde_json::json!({"Records": []}), Some(Envelope::S3)),
            (
                serde_json::json!({"source": "aws.s3", "detail-type": "Object Created"}),
                Some(Envelope::S3),
            ),
            (
                serde_json::json!({"Event": "s3:TestEvent"}),
                Some(Envelope::S3),
            ),
            (
                serde_json::json!({"invocationId": "i", "records": [{"data": ""}]}),
                Some(Envelope::Firehose(firehose::Shape::Transformation)),
            ),
            (
                serde_json::json!({"requestId": "r", "records": [{"data": ""}]}),
                Some(Envelope::Firehose(firehose::Shape::HttpEndpoint)),
            ),
            (
                serde_json::json!({"Records": [{"eventSource": "aws:dynamodb"}]}),
                None,
            ),
            (serde_json::json!({"hello": 1}), None),
        ];
        for (event, expected) in cases {
            assert_eq!(envelope_of(&event), expected, "{event}");
        }
    }

    #[test]
    fn a_record_that_does_not_fit_its_type_fails_alone() {
        let data = gzip_b64(br#"{"messageType":"DATA_MESSAGE","logEvents":[]}"#);
        let mut event = kinesis(&[("1", &data), ("2", &data)]);
        event["Records"][1]["kinesis"]["data"] = 7.into();
        let units = from_event(event).expect("kinesis").units;
        assert!(matches!(units[0].work, Work::Logs(_)));
        assert!(
            matches!(&units[1].work, Work::Undecodable(r) if r.starts_with("Kinesis record: ")),
            "{:?}",
            units[1].work
        );
        let sqs = serde_json::json!({"Records": [
            {"eventSource": "aws:sqs", "messageId": "m1", "body": "not json"},
            {"eventSource": "aws:sqs", "messageId": "m2", "body": 7},
            {"eventSource": "aws:sqs", "messageId": "m3", "body": r#"{"Records":[{"eventName":"ObjectCreated:Put","s3":{"bucket":{"name":"b"},"object":{"key":"k"}}}]}"#},
        ]});
        let units = from_event(sqs).expect("sqs").units;
        assert!(matches!(&units[0].work, Work::Undecodable(r) if r.contains("not JSON")));
        assert!(matches!(&units[1].work, Work::Undecodable(r) if r.starts_with("SQS record: ")));
        assert_eq!(units[1].item_id.as_deref(), Some("m2"));
        assert!(matches!(&units[2].work, Work::S3(o) if o[0].key == "k"));
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
        let units = from_event(serde_json::json!({"awslogs": {"data": data}}))
            .expect("cwl")
            .units;
        let mut units = units.into_iter();
        assert_eq!(
            decoded(units.next().expect("one")).as_deref(),
            Ok(&payload[..])
        );
        let units = from_event(kinesis(&[("1", &data), ("2", &truncated)]))
            .expect("kinesis")
            .units;
        assert_eq!(units[1].item_id.as_deref(), Some("2"), "named");
        let mut units = units.into_iter();
        assert_eq!(
            decoded(units.next().expect("one")).as_deref(),
            Ok(&payload[..])
        );
        let bad = decoded(units.next().expect("two"));
        assert!(matches!(&bad, Err(r) if r.contains("zlib")), "{bad:?}");
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
        let err = from_event(serde_json::json!({"hello": 1})).expect_err("unknown");
        assert_eq!(
            err.to_string(),
            "unrecognised event (top-level keys: hello)"
        );
    }
}
