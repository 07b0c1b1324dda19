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

/// Parses decoded payloads in place (simd-json unescapes strings inside the
/// buffer it is given), reusing its scratch buffers from one to the next.
#[derive(Default)]
pub struct PayloadParser {
    buffers: Option<Buffers>,
}

impl PayloadParser {
    /// Parses one decoded payload. `decoded` is padded and rewritten in
    /// place; the returned payload borrows every string from it.
    pub fn parse<'a>(&mut self, decoded: &'a mut Vec<u8>) -> Result<LogsData<'a>, PayloadError> {
        let end = decoded.len() - trailing_whitespace(decoded);
        let start = decoded[..end].len() - decoded[..end].trim_ascii_start().len();
        if start == end {
            return Err(PayloadError::Empty);
        }
        // simd-json reads up to INPUT_PADDING bytes past the document.
        decoded.truncate(end);
        decoded.resize(end + simd_json::INPUT_PADDING, b' ');
        let buffers = self
            .buffers
            .get_or_insert_with(|| Buffers::new(end - start));
        let segment = &mut decoded[start..];
        let mut tape = Tape::null();
        simd_json::fill_tape_padded(segment, end - start, buffers, &mut tape)
            .map_err(|e| PayloadError::Json(e.to_string()))?;
        let data: LogsData<'a> = tape
            .deserialize()
            .map_err(|e| PayloadError::Json(e.to_string()))?;
        if !matches!(data.message_type, "DATA_MESSAGE" | "CONTROL_MESSAGE") {
            return Err(PayloadError::UnknownMessageType(data.message_type.into()));
        }
        Ok(data)
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
