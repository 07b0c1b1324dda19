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
//! Parsing borrows every string from one working buffer (simd-json unescapes
//! in place), so a payload of thousands of events costs one allocation for the
//! event list and none per event.

use serde::de::{self, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde::Deserialize;
use simd_json::{Buffers, Tape};

#[derive(Debug, thiserror::Error)]
pub enum PayloadError {
    #[error("payload is not valid CloudWatch Logs JSON: {0}")]
    Json(String),
    #[error("payload is empty")]
    Empty,
    #[error("unknown messageType {0:?}")]
    UnknownMessageType(String),
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LogsData<'a> {
    #[serde(borrow)]
    pub message_type: &'a str,
    #[serde(default, borrow)]
    pub owner: &'a str,
    #[serde(default, borrow)]
    pub log_group: &'a str,
    #[serde(default, borrow)]
    pub log_stream: &'a str,
    #[serde(default, borrow)]
    pub log_events: Vec<LogEvent<'a>>,
}

impl LogsData<'_> {
    pub fn is_control(&self) -> bool {
        self.message_type == "CONTROL_MESSAGE"
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LogEvent<'a> {
    #[serde(default, borrow)]
    pub id: &'a str,
    #[serde(default)]
    pub timestamp: i64,
    #[serde(default, borrow)]
    pub message: &'a str,
    #[serde(default, borrow)]
    pub extracted_fields: Option<ExtractedFields<'a>>,
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

impl<'de: 'a, 'a> Deserialize<'de> for ExtractedFields<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct FieldsVisitor;
        impl<'de> Visitor<'de> for FieldsVisitor {
            type Value = ExtractedFields<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an object of extracted fields")
            }
            fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<Self::Value, M::Error> {
                let mut fields = Vec::with_capacity(map.size_hint().unwrap_or(8));
                while let Some(key) = map.next_key::<&'de str>()? {
                    fields.push((key, map.next_value::<FieldValue<'de>>()?));
                }
                Ok(ExtractedFields(fields))
            }
        }
        d.deserialize_map(FieldsVisitor)
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for FieldValue<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct ValueVisitor;
        impl<'de> Visitor<'de> for ValueVisitor {
            type Value = FieldValue<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a string, number, boolean or null")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(FieldValue::Str(v))
            }
            fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
                Err(E::custom("extracted field strings must be borrowable"))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
                Ok(FieldValue::Int(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
                Ok(i64::try_from(v).map_or(FieldValue::Float(v as f64), FieldValue::Int))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
                Ok(FieldValue::Float(v))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
                Ok(FieldValue::Bool(v))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(FieldValue::Null)
            }
            fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<Self::Value, M::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(FieldValue::Null)
            }
            fn visit_seq<S: de::SeqAccess<'de>>(self, mut seq: S) -> Result<Self::Value, S::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(FieldValue::Null)
            }
        }
        d.deserialize_any(ValueVisitor)
    }
}

/// Reusable parsing state: the working copy of the payload (simd-json
/// rewrites strings in place) and simd-json's scratch buffers.
#[derive(Default)]
pub struct PayloadParser {
    work: Vec<u8>,
    buffers: Option<Buffers>,
}

impl PayloadParser {
    /// Parses decoded payload bytes into one or more payloads. `decoded` is
    /// left untouched, so a failed fast parse can fall back to splitting.
    pub fn parse<'a>(&'a mut self, decoded: &[u8]) -> Result<Vec<LogsData<'a>>, PayloadError> {
        let trimmed = decoded.trim_ascii();
        if trimmed.is_empty() {
            return Err(PayloadError::Empty);
        }
        let segments = match top_level_values(trimmed) {
            Some(segments) => segments,
            None => vec![(0, trimmed.len())],
        };
        // Lay every segment out back to back, each followed by the padding
        // simd-json reads past the end of its input.
        self.work.clear();
        let mut spans = Vec::with_capacity(segments.len());
        for &(start, end) in &segments {
            self.work.extend_from_slice(&trimmed[start..end]);
            spans.push(end - start);
            self.work
                .resize(self.work.len() + simd_json::INPUT_PADDING, b' ');
        }
        let buffers = self
            .buffers
            .get_or_insert_with(|| Buffers::new(trimmed.len()));
        let mut payloads = Vec::with_capacity(spans.len());
        let mut rest: &'a mut [u8] = &mut self.work;
        for len in spans {
            let (segment, tail) =
                std::mem::take(&mut rest).split_at_mut(len + simd_json::INPUT_PADDING);
            rest = tail;
            let mut tape = Tape::null();
            simd_json::fill_tape_padded(segment, len, buffers, &mut tape)
                .map_err(|e| PayloadError::Json(e.to_string()))?;
            let data: LogsData<'a> = tape
                .deserialize()
                .map_err(|e| PayloadError::Json(e.to_string()))?;
            if !matches!(data.message_type, "DATA_MESSAGE" | "CONTROL_MESSAGE") {
                return Err(PayloadError::UnknownMessageType(data.message_type.into()));
            }
            payloads.push(data);
        }
        Ok(payloads)
    }
}

/// The byte ranges of several concatenated top-level JSON values, or `None`
/// when `bytes` holds a single value (the common case, decided cheaply).
fn top_level_values(bytes: &[u8]) -> Option<Vec<(usize, usize)>> {
    // A single object ends with its own closing brace. Only when a `}` is
    // followed by optional whitespace and a `{` can there be several.
    if !has_object_boundary(bytes) {
        return None;
    }
    let mut stream = serde_json::Deserializer::from_slice(bytes).into_iter::<IgnoredAny>();
    let mut ranges = Vec::new();
    let mut start = 0;
    while let Some(Ok(_)) = stream.next() {
        let end = stream.byte_offset();
        let slice = &bytes[start..end];
        let lead = slice.len() - slice.trim_ascii_start().len();
        ranges.push((start + lead, end));
        start = end;
    }
    (ranges.len() > 1 && bytes[start..].trim_ascii().is_empty()).then_some(ranges)
}

fn has_object_boundary(bytes: &[u8]) -> bool {
    let mut search = bytes;
    while let Some(pos) = search.iter().position(|&b| b == b'}') {
        let after = search[pos + 1..].trim_ascii_start();
        if after.first() == Some(&b'{') {
            return true;
        }
        search = &search[pos + 1..];
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    const ONE: &str = r#"{"messageType":"DATA_MESSAGE","owner":"1","logGroup":"g","logStream":"s","subscriptionFilters":["f"],"logEvents":[{"id":"a","timestamp":5,"message":"say \"hi\"\n","extractedFields":{"x":"1","y":2}}]}"#;

    #[test]
    fn parses_borrowed_with_escapes() {
        let mut parser = PayloadParser::default();
        let payloads = parser.parse(ONE.as_bytes()).expect("valid");
        assert_eq!(payloads.len(), 1);
        let p = &payloads[0];
        assert_eq!((p.owner, p.log_group, p.log_stream), ("1", "g", "s"));
        let e = &p.log_events[0];
        assert_eq!(e.message, "say \"hi\"\n");
        let fields = &e.extracted_fields.as_ref().expect("fields").0;
        assert_eq!(fields[0], ("x", FieldValue::Str("1")));
        assert_eq!(fields[1], ("y", FieldValue::Int(2)));
    }

    #[test]
    fn splits_concatenated_payloads() {
        let two = format!("{ONE}\n  {}", ONE.replace("\"g\"", "\"h\""));
        let mut parser = PayloadParser::default();
        let payloads = parser.parse(two.as_bytes()).expect("valid");
        let groups: Vec<_> = payloads.iter().map(|p| p.log_group).collect();
        assert_eq!(groups, ["g", "h"]);
    }

    #[test]
    fn brace_inside_message_is_not_a_boundary() {
        let tricky = ONE.replace("say", "} {");
        let mut parser = PayloadParser::default();
        let payloads = parser.parse(tricky.as_bytes()).expect("valid");
        assert_eq!(payloads.len(), 1);
        assert!(payloads[0].log_events[0].message.starts_with("} {"));
    }

    #[test]
    fn errors_are_clear() {
        let mut parser = PayloadParser::default();
        assert!(matches!(parser.parse(b"  "), Err(PayloadError::Empty)));
        let truncated = &ONE.as_bytes()[..ONE.len() / 2];
        assert!(matches!(
            parser.parse(truncated),
            Err(PayloadError::Json(_))
        ));
        let other = ONE.replace("DATA_MESSAGE", "SURPRISE");
        assert!(matches!(
            parser.parse(other.as_bytes()),
            Err(PayloadError::UnknownMessageType(t)) if t == "SURPRISE"
        ));
    }
}
