//! Plain text: the message is kept whole in `@message`; fields extracted by a
//! CloudWatch subscription filter pattern are added, typed losslessly.

use super::{typed, write_cloudwatch_meta, Encoded, Event, Origin};
use crate::input::cloudwatch::{ExtractedFields, FieldValue};
use crate::json::ObjectWriter;

/// A text line: filed under the time it starts with, with its `level` and
/// `logger`, when it starts as a logging library writes
/// ([`line_prefix`](super::line_prefix)); else under the time it was
/// received, which `@timestamp_from` says.
pub fn encode(origin: &Origin, event: &Event<'_>, doc: &mut Vec<u8>) -> Encoded {
    let prefix = super::line_prefix::parse(event.message, event.timestamp_ms);
    let timestamp_ms = prefix.as_ref().map_or(event.timestamp_ms, |p| p.millis);
    let mut w = ObjectWriter::new(doc);
    write_cloudwatch_meta(&mut w, origin, event, timestamp_ms);
    super::write_message(&mut w, event.message);
    match &prefix {
        Some(prefix) => {
            if let Some(level) = prefix.level {
                w.str("level", level);
            }
            if let Some(logger) = prefix.logger {
                w.str("logger", logger);
            }
        }
        None => super::write_time_received(&mut w),
    }
    if let Some(fields) = event.extracted {
        // Cannot fail: with no fixed kinds every value is inferred.
        let _ = write_extracted(&mut w, fields, |_| None);
    }
    w.finish();
    Encoded {
        timestamp_ms,
        own_time_missing: prefix.is_none(),
        ..Encoded::default()
    }
}

/// The text document of an event that did not fit its format: `@error`
/// says why, and nothing of the event is lost.
pub fn encode_with_error(
    origin: &Origin,
    event: &Event<'_>,
    error: Option<String>,
    doc: &mut Vec<u8>,
) -> Encoded {
    let mut w = ObjectWriter::new(doc);
    write_cloudwatch_meta(&mut w, origin, event, event.timestamp_ms);
    super::write_message(&mut w, event.message);
    if let Some(fields) = event.extracted {
        // Cannot fail: with no fixed kinds every value is inferred.
        let _ = write_extracted(&mut w, fields, |_| None);
    }
    if let Some(error) = &error {
        w.str("@error", error);
    }
    w.finish();
    Encoded {
        timestamp_ms: event.timestamp_ms,
        error,
        ..Encoded::default()
    }
}

/// Writes extracted fields, with `-` in names turned into `_`. `kind_of`
/// gives a field's kind where the format knows it; other values are typed by
/// inference. Fields named like the forwarder's own `@` fields are skipped.
pub fn write_extracted(
    w: &mut ObjectWriter<'_>,
    fields: &ExtractedFields<'_>,
    kind_of: impl Fn(&str) -> Option<typed::Kind>,
) -> Result<(), typed::TypeError> {
    let mut name_buf = String::new();
    for &(name, value) in &fields.0 {
        if super::RESERVED.contains(&name) {
            continue;
        }
        let name = if name.contains('-') {
            name_buf.clear();
            name_buf.extend(name.chars().map(|c| if c == '-' { '_' } else { c }));
            name_buf.as_str()
        } else {
            name
        };
        match value {
            FieldValue::Str("-") | FieldValue::Null => {}
            FieldValue::Str(s) => match kind_of(name) {
                Some(kind) => typed::write(w, name, s, kind)?,
                None => typed::infer(w, name, s),
            },
            FieldValue::Int(i) => w.i64(name, i),
            FieldValue::Float(f) => w.f64(name, f),
            FieldValue::Bool(b) => w.raw(name, if b { b"true" } else { b"false" }),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::super::Format;
    use crate::input::cloudwatch::{ExtractedFields, FieldValue};

    #[test]
    fn keeps_message_and_stock_metadata() {
        let (doc, encoded) = encode_doc(
            &Format::Text,
            &event("START RequestId: abc\tVersion: $LATEST\n"),
        );
        assert_eq!(doc["@message"], "START RequestId: abc\tVersion: $LATEST\n");
        assert_eq!(doc["@timestamp"], "2023-11-14T22:13:20.000Z");
        assert_eq!(doc["@owner"], "123456789012");
        assert_eq!(doc["@log_group"], "/test/group");
        assert_eq!(doc["@log_stream"], "stream");
        assert_eq!(
            doc["@id"],
            "36000000000000000000000000000000000000000000000000000001"
        );
        assert_eq!(encoded.timestamp_ms, 1_700_000_000_000);
        assert!(encoded.error.is_none());
    }

    #[test]
    fn extracted_fields_are_typed() {
        let fields = ExtractedFields(vec![
            ("@aws.account", FieldValue::Str("999888777666")),
            ("latency-ms", FieldValue::Str("12")),
            ("@timestamp", FieldValue::Str("spoof")),
            ("empty", FieldValue::Str("-")),
        ]);
        let mut e = event("hello");
        e.extracted = Some(&fields);
        let (doc, _) = encode_doc(&Format::Text, &e);
        assert_eq!(doc["@aws.account"], "999888777666");
        assert_eq!(doc["latency_ms"], 12);
        assert_eq!(doc["@timestamp"], "2023-11-14T22:13:20.000Z");
        assert!(doc.get("empty").is_none());
    }
}
