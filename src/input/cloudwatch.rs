//! CloudWatch Logs subscription payloads.
//!
//! A subscription delivers `{"awslogs":{"data":"<base64(gzip(payload))>"}}` to
//! Lambda, or the same gzip blob as a Kinesis record. The payload is:
//!
//! ```json
//! {"messageType":"DATA_MESSAGE","owner":"123456789012","logGroup":"/aws/lambda/f",
//!  "logStream":"2024/01/01/[$LATEST]abc","subscriptionFilters":["f"],
//!  "logEvents":[{"id":"3706...","timestamp":1704067200000,"message":"...",
//!                "extractedFields":{"srcaddr":"10.0.0.1"}}]}
//! ```
//!
//! `CONTROL_MESSAGE` payloads are health checks from CloudWatch Logs and carry
//! nothing to index. Key order is not fixed, unknown keys are ignored, and
//! Firehose-style concatenations of several payloads in one blob are split.
//!
//! Parsing borrows every string from the decoded buffer itself (simd-json
//! unescapes in place), so a payload of thousands of events costs one
//! allocation for the event list, none per event, and no copy.

use serde::de::IgnoredAny;
use simd_json::{Buffers, Node, StaticNode, Tape};

#[derive(Debug, thiserror::Error)]
pub enum PayloadError {
    #[error("payload is not valid CloudWatch Logs JSON: {0}")]
    Json(String),
    #[error("payload is empty")]
    Empty,
    #[error("unknown messageType {0:?}")]
    UnknownMessageType(String),
    /// Only the bytes of a message can be bad in a payload CloudWatch
    /// wrote: [`PayloadParser::replace_invalid_utf8`] keeps every event.
    #[error("payload is not valid UTF-8 (near byte {0})")]
    InvalidUtf8(usize),
}

#[derive(Debug)]
pub struct LogsData<'a> {
    pub message_type: &'a str,
    pub owner: &'a str,
    pub log_group: &'a str,
    pub log_stream: &'a str,
    pub log_events: Vec<LogEvent<'a>>,
}

impl LogsData<'_> {
    pub fn is_control(&self) -> bool {
        self.message_type == "CONTROL_MESSAGE"
    }
}

#[derive(Debug)]
pub struct LogEvent<'a> {
    pub id: &'a str,
    pub timestamp: i64,
    pub message: &'a str,
    pub extracted_fields: Option<ExtractedFields<'a>>,
    /// The message held bytes that are not UTF-8, replaced with U+FFFD (in
    /// a payload that had such bytes, a U+FFFD it sent as such marks too).
    pub invalid_utf8: bool,
}

/// `extractedFields` in the order CloudWatch sent them.
#[derive(Debug, Default)]
pub struct ExtractedFields<'a>(pub Vec<(&'a str, FieldValue<'a>)>);

/// An extracted value. CloudWatch sends strings; numbers and booleans are
/// accepted too. Nested values are not part of the format and are dropped.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum FieldValue<'a> {
    Str(&'a str),
    Int(i64),
    Float(f64),
    Bool(bool),
    Null,
}

/// Reads a payload off its tape in one pass, every string borrowed (a
/// derived `Deserialize` over the tape cost a quarter of the parse).
/// Members may come in any order; unknown ones are skipped; missing ones
/// are empty, but for `messageType`.
fn read_payload<'a>(nodes: &[Node<'a>]) -> Result<LogsData<'a>, String> {
    let mut message_type = None;
    let mut data = LogsData {
        message_type: "",
        owner: "",
        log_group: "",
        log_stream: "",
        log_events: Vec::new(),
    };
    for (key, value) in members(nodes, "the payload")? {
        match key {
            "messageType" => message_type = Some(string(value, key)?),
            "owner" => data.owner = string(value, key)?,
            "logGroup" => data.log_group = string(value, key)?,
            "logStream" => data.log_stream = string(value, key)?,
            "logEvents" => data.log_events = log_events(value)?,
            _ => {}
        }
    }
    data.message_type = message_type.ok_or("missing field `messageType`")?;
    Ok(data)
}

fn log_events<'a>(nodes: &[Node<'a>]) -> Result<Vec<LogEvent<'a>>, String> {
    let Some(&Node::Array { len, .. }) = nodes.first() else {
        return Err("`logEvents` is not an array".into());
    };
    let mut events = Vec::with_capacity(len);
    let mut at = 1;
    for _ in 0..len {
        let event = nodes.get(at..).unwrap_or_default();
        at += span(event);
        let mut log_event = LogEvent {
            id: "",
            timestamp: 0,
            message: "",
            extracted_fields: None,
            invalid_utf8: false,
        };
        for (key, value) in members(event, "a log event")? {
            match key {
                "id" => log_event.id = string(value, key)?,
                "timestamp" => log_event.timestamp = integer(value, key)?,
                "message" => log_event.message = string(value, key)?,
                "extractedFields" => log_event.extracted_fields = extracted_fields(value)?,
                _ => {}
            }
        }
        events.push(log_event);
    }
    Ok(events)
}

fn extracted_fields<'a>(nodes: &[Node<'a>]) -> Result<Option<ExtractedFields<'a>>, String> {
    if let Some(Node::Static(StaticNode::Null)) = nodes.first() {
        return Ok(None);
    }
    let fields = members(nodes, "`extractedFields`")?
        .map(|(key, value)| {
            let value = match value.first() {
                Some(&Node::String(s)) => FieldValue::Str(s),
                Some(&Node::Static(StaticNode::I64(i))) => FieldValue::Int(i),
                Some(&Node::Static(StaticNode::U64(u))) => {
                    i64::try_from(u).map_or(FieldValue::Float(u as f64), FieldValue::Int)
                }
                Some(&Node::Static(StaticNode::F64(f))) => FieldValue::Float(f),
                Some(&Node::Static(StaticNode::Bool(b))) => FieldValue::Bool(b),
                _ => FieldValue::Null,
            };
            (key, value)
        })
        .collect();
    Ok(Some(ExtractedFields(fields)))
}

/// The `(key, value nodes)` members of the object at `nodes[0]`.
fn members<'t, 'a>(
    nodes: &'t [Node<'a>],
    what: &str,
) -> Result<impl Iterator<Item = (&'a str, &'t [Node<'a>])> + 't, String> {
    let Some(&Node::Object { len, .. }) = nodes.first() else {
        return Err(format!("{what} is not an object"));
    };
    let mut at = 1;
    Ok((0..len).filter_map(move |_| {
        let Some(&Node::String(key)) = nodes.get(at) else {
            return None;
        };
        let value = nodes.get(at + 1..)?;
        at += 1 + span(value);
        Some((key, value))
    }))
}

/// How many tape nodes the value at `nodes[0]` spans.
fn span(nodes: &[Node<'_>]) -> usize {
    match nodes.first() {
        Some(Node::Array { count, .. } | Node::Object { count, .. }) => count + 1,
        Some(_) => 1,
        None => 0,
    }
}

fn string<'a>(nodes: &[Node<'a>], key: &str) -> Result<&'a str, String> {
    match nodes.first() {
        Some(&Node::String(s)) => Ok(s),
        _ => Err(format!("`{key}` is not a string")),
    }
}

fn integer(nodes: &[Node<'_>], key: &str) -> Result<i64, String> {
    match nodes.first() {
        Some(&Node::Static(StaticNode::I64(i))) => Ok(i),
        Some(&Node::Static(StaticNode::U64(u))) => {
            i64::try_from(u).map_err(|_| format!("`{key}` is out of range"))
        }
        _ => Err(format!("`{key}` is not an integer")),
    }
}

/// Parses decoded payloads in place (simd-json unescapes strings inside the
/// buffer it is given), reusing its scratch buffers from one to the next.
///
/// A payload with bytes that are not UTF-8 fails with
/// [`PayloadError::InvalidUtf8`]; the caller then has them replaced and
/// parses again, which costs nothing on the common path (simd-json checks
/// UTF-8 as it parses):
///
/// ```ignore
/// let payload = match parser.parse(decoded) {
///     Err(PayloadError::InvalidUtf8(_)) => parser.replace_invalid_utf8(decoded).parse(decoded),
///     parsed => parsed,
/// };
/// ```
#[derive(Default)]
pub struct PayloadParser {
    buffers: Option<Buffers>,
    /// The next payload had bad bytes replaced: its events that hold a
    /// replacement character are marked.
    replaced: bool,
}

impl PayloadParser {
    /// Parses one decoded payload. `decoded` is padded and rewritten in
    /// place; the returned payload borrows every string from it.
    pub fn parse<'a>(&mut self, decoded: &'a mut Vec<u8>) -> Result<LogsData<'a>, PayloadError> {
        let replaced = std::mem::take(&mut self.replaced);
        let end = decoded.len() - trailing_whitespace(decoded);
        let start = decoded[..end].len() - decoded[..end].trim_ascii_start().len();
        if start == end {
            return Err(PayloadError::Empty);
        }
        // simd-json reads up to INPUT_PADDING bytes past the document; a
        // gunzipped payload has that room already.
        const _: () = assert!(crate::decode::SPARE >= simd_json::INPUT_PADDING);
        decoded.truncate(end);
        decoded.resize(end + simd_json::INPUT_PADDING, b' ');
        let buffers = self
            .buffers
            .get_or_insert_with(|| Buffers::new(end - start));
        let segment = &mut decoded[start..];
        let mut tape = Tape::null();
        if let Err(e) = simd_json::fill_tape_padded(segment, end - start, buffers, &mut tape) {
            return Err(match e.error() {
                simd_json::ErrorType::InvalidUtf8 => PayloadError::InvalidUtf8(start + e.index()),
                _ => PayloadError::Json(e.to_string()),
            });
        }
        let mut data = read_payload(&tape.0).map_err(PayloadError::Json)?;
        if !matches!(data.message_type, "DATA_MESSAGE" | "CONTROL_MESSAGE") {
            return Err(PayloadError::UnknownMessageType(data.message_type.into()));
        }
        if replaced {
            for event in &mut data.log_events {
                event.invalid_utf8 = event.message.contains(char::REPLACEMENT_CHARACTER);
            }
        }
        Ok(data)
    }

    /// Replaces every byte sequence of `decoded` that is not UTF-8 with
    /// U+FFFD, so that the next [`parse`](Self::parse) keeps every event,
    /// and marks the events whose message held one (`invalid_utf8`).
    pub fn replace_invalid_utf8(&mut self, decoded: &mut Vec<u8>) -> &mut Self {
        if let std::borrow::Cow::Owned(text) = String::from_utf8_lossy(decoded) {
            let mut bytes = text.into_bytes();
            bytes.reserve(crate::decode::SPARE);
            *decoded = bytes;
        }
        self.replaced = true;
        self
    }
}

fn trailing_whitespace(bytes: &[u8]) -> usize {
    bytes.len() - bytes.trim_ascii_end().len()
}

/// Splits bytes holding several concatenated JSON values (as Firehose
/// writes CloudWatch Logs payloads to S3) into one buffer per value. Only
/// captured files need this: Lambda and Kinesis deliver one payload at a
/// time, so the hot path never scans for it.
pub fn split_concatenated(bytes: &[u8]) -> Option<Vec<Vec<u8>>> {
    let mut stream = serde_json::Deserializer::from_slice(bytes).into_iter::<IgnoredAny>();
    let mut values = Vec::new();
    let mut start = 0;
    while let Some(Ok(_)) = stream.next() {
        let end = stream.byte_offset();
        values.push(bytes[start..end].trim_ascii().to_vec());
        start = end;
    }
    (values.len() > 1 && bytes[start..].trim_ascii().is_empty()).then_some(values)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ONE: &str = r#"{"messageType":"DATA_MESSAGE","owner":"1","logGroup":"g","logStream":"s","subscriptionFilters":["f"],"logEvents":[{"id":"a","timestamp":5,"message":"say \"hi\"\n","extractedFields":{"x":"1","y":2}}]}"#;

    fn parse(text: &str) -> Result<(), PayloadError> {
        let mut bytes = text.as_bytes().to_vec();
        PayloadParser::default().parse(&mut bytes).map(|_| ())
    }

    #[test]
    fn bad_bytes_cost_only_their_own_message() {
        let mut bytes = br#"{"messageType":"DATA_MESSAGE","logGroup":"g","logEvents":[{"id":"1","timestamp":5,"message":"ok"},{"id":"2","timestamp":5,"message":"b@d \ufffd"},{"id":"3","timestamp":5,"message":"fine"}]}"#.to_vec();
        let at = bytes.iter().position(|&b| b == b'@').expect("marker");
        bytes[at] = 0xff;
        let mut parser = PayloadParser::default();
        let err = parser.parse(&mut bytes).map(|_| ()).expect_err("not UTF-8");
        assert!(matches!(err, PayloadError::InvalidUtf8(_)), "{err}");
        let payload = parser
            .replace_invalid_utf8(&mut bytes)
            .parse(&mut bytes)
            .expect("every event kept");
        let events: Vec<_> = payload
            .log_events
            .iter()
            .map(|e| (e.id, e.message, e.invalid_utf8))
            .collect();
        assert_eq!(
            events,
            [
                ("1", "ok", false),
                ("2", "b\u{fffd}d \u{fffd}", true),
                ("3", "fine", false)
            ]
        );
        // The next payload is parsed as usual, nothing marked.
        let mut next = ONE.as_bytes().to_vec();
        let payload = parser.parse(&mut next).expect("parses");
        assert!(!payload.log_events[0].invalid_utf8);
    }

    #[test]
    fn a_gunzipped_payload_is_parsed_where_it_was_inflated() {
        // Padding it for simd-json must not move (copy) the whole payload.
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        std::io::Write::write_all(&mut gz, ONE.as_bytes()).expect("in-memory write");
        let packed = gz.finish().expect("in-memory finish");
        let mut decoded = crate::decode::gunzip(&packed, usize::MAX).expect("gunzip");
        let room = decoded.capacity();
        PayloadParser::default().parse(&mut decoded).expect("valid");
        assert_eq!(
            decoded.capacity(),
            room,
            "padded within the room gunzip left"
        );
    }

    #[test]
    fn parses_borrowed_with_escapes() {
        let mut parser = PayloadParser::default();
        let mut bytes = format!("\n  {ONE}\n\n").into_bytes();
        let p = &parser.parse(&mut bytes).expect("valid");
        assert_eq!((p.owner, p.log_group, p.log_stream), ("1", "g", "s"));
        let e = &p.log_events[0];
        assert_eq!(e.message, "say \"hi\"\n");
        let fields = &e.extracted_fields.as_ref().expect("fields").0;
        assert_eq!(fields[0], ("x", FieldValue::Str("1")));
        assert_eq!(fields[1], ("y", FieldValue::Int(2)));
    }

    #[test]
    fn members_in_any_order_unknown_ones_skipped_missing_ones_empty() {
        let text = r#"{"logEvents":[{"message":"m","extra":{"a":[1,{"b":2}]},"timestamp":18446744073709551,"id":"1"},{},
            {"extractedFields":null,"id":"3"},{"extractedFields":{"s":"x","u":18446744073709551615,"f":1.5,"b":true,"n":null,"deep":{"a":1},"list":[1]}}],
            "unknown":{"logGroup":"not this one"},"logGroup":"g","messageType":"DATA_MESSAGE"}"#;
        let mut bytes = text.as_bytes().to_vec();
        let mut parser = PayloadParser::default();
        let p = parser.parse(&mut bytes).expect("valid");
        assert_eq!(
            (p.message_type, p.owner, p.log_group, p.log_stream),
            ("DATA_MESSAGE", "", "g", "")
        );
        let events = &p.log_events;
        assert_eq!(events.len(), 4);
        assert_eq!(
            (events[0].id, events[0].timestamp, events[0].message),
            ("1", 18_446_744_073_709_551, "m")
        );
        assert_eq!(
            (events[1].id, events[1].timestamp, events[1].message),
            ("", 0, "")
        );
        assert!(events[0].extracted_fields.is_none() && events[2].extracted_fields.is_none());
        let fields = &events[3].extracted_fields.as_ref().expect("fields").0;
        assert_eq!(
            fields.as_slice(),
            [
                ("s", FieldValue::Str("x")),
                ("u", FieldValue::Float(u64::MAX as f64)),
                ("f", FieldValue::Float(1.5)),
                ("b", FieldValue::Bool(true)),
                ("n", FieldValue::Null),
                ("deep", FieldValue::Null),
                ("list", FieldValue::Null),
            ]
        );
    }

    #[test]
    fn members_of_the_wrong_kind_are_errors_that_say_which() {
        for (text, says) in [
            (r#"{"owner":"1"}"#, "missing field `messageType`"),
            (r#"{"messageType":1}"#, "`messageType` is not a string"),
            (
                r#"{"messageType":"DATA_MESSAGE","logGroup":null}"#,
                "`logGroup` is not a string",
            ),
            (
                r#"{"messageType":"DATA_MESSAGE","logEvents":{}}"#,
                "`logEvents` is not an array",
            ),
            (
                r#"{"messageType":"DATA_MESSAGE","logEvents":[1]}"#,
                "a log event is not an object",
            ),
            (
                r#"{"messageType":"DATA_MESSAGE","logEvents":[{"timestamp":"5"}]}"#,
                "`timestamp` is not an integer",
            ),
            (
                r#"{"messageType":"DATA_MESSAGE","logEvents":[{"timestamp":1.5}]}"#,
                "`timestamp` is not an integer",
            ),
            (
                r#"{"messageType":"DATA_MESSAGE","logEvents":[{"timestamp":18446744073709551615}]}"#,
                "`timestamp` is out of range",
            ),
            (
                r#"{"messageType":"DATA_MESSAGE","logEvents":[{"extractedFields":[]}]}"#,
                "`extractedFields` is not an object",
            ),
            (r#"["messageType"]"#, "the payload is not an object"),
        ] {
            match parse(text) {
                Err(PayloadError::Json(e)) => assert_eq!(e, says, "{text}"),
                other => panic!("{text}: {other:?}"),
            }
        }
    }

    #[test]
    fn splits_concatenated_payloads() {
        let two = format!("{ONE}\n  {}", ONE.replace("\"g\"", "\"h\""));
        let parts = split_concatenated(two.as_bytes()).expect("two values");
        let mut parser = PayloadParser::default();
        let groups: Vec<String> = parts
            .into_iter()
            .map(|mut p| parser.parse(&mut p).expect("valid").log_group.to_owned())
            .collect();
        assert_eq!(groups, ["g", "h"]);
        assert!(split_concatenated(ONE.as_bytes()).is_none());
        let tricky = ONE.replace("say", "} {");
        assert!(
            split_concatenated(tricky.as_bytes()).is_none(),
            "a brace in a string is no boundary"
        );
    }

    #[test]
    fn errors_are_clear() {
        assert!(matches!(parse("  "), Err(PayloadError::Empty)));
        assert!(matches!(
            parse(&ONE[..ONE.len() / 2]),
            Err(PayloadError::Json(_))
        ));
        assert!(matches!(
            parse(&format!("{ONE}{ONE}")),
            Err(PayloadError::Json(_))
        ));
        let other = ONE.replace("DATA_MESSAGE", "SURPRISE");
        assert!(
            matches!(parse(&other), Err(PayloadError::UnknownMessageType(t)) if t == "SURPRISE")
        );
    }
}
