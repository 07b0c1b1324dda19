//! JSON messages: the message's own members become the document's fields,
//! next to the CloudWatch metadata. The message text is spliced in as it is
//! (only line breaks between tokens are dropped), so numbers, nesting and key
//! order survive untouched.

use super::{write_cloudwatch_meta, Encoded, Event, Origin, Parsed, RESERVED};
use crate::json::{object_members_of, ObjectWriter};
use simd_json::Node;

pub fn encode(
    parsed: &Parsed<'_, '_>,
    origin: &Origin,
    event: &Event<'_>,
    doc: &mut Vec<u8>,
) -> Result<Encoded, String> {
    encode_with_message(parsed, origin, event, None, doc)
}

/// [`encode`], keeping `message` (the whole line the JSON came in, when
/// there was more to it) in `@message`.
pub fn encode_with_message(
    parsed: &Parsed<'_, '_>,
    origin: &Origin,
    event: &Event<'_>,
    message: Option<&str>,
    doc: &mut Vec<u8>,
) -> Result<Encoded, String> {
    let mut w = ObjectWriter::new(doc);
    write_cloudwatch_meta(&mut w, origin, event, event.timestamp_ms);
    if let Some(message) = message {
        super::write_message(&mut w, message);
    }
    write_members(&mut w, parsed)?;
    w.finish();
    Ok(Encoded {
        timestamp_ms: event.timestamp_ms,
        ..Encoded::default()
    })
}

/// Writes the members of the parsed object. Members whose names the forwarder
/// writes itself (`@timestamp`, ...) would be duplicate keys, which the
/// cluster rejects; they are kept under `@original` instead.
pub fn write_members(w: &mut ObjectWriter<'_>, parsed: &Parsed<'_, '_>) -> Result<(), String> {
    if !matches!(parsed.nodes.first(), Some(Node::Object { .. })) {
        return Err("not a JSON object".into());
    }
    let collides = object_members_of(parsed.nodes).any(|(key, _)| RESERVED.contains(&key));
    if !collides {
        w.splice_object(parsed.text.as_bytes());
        return Ok(());
    }
    let mut original = Vec::new();
    let mut ow = ObjectWriter::new(&mut original);
    for (key, value) in object_members_of(parsed.nodes) {
        if RESERVED.contains(&key) {
            ow.tape(key, value);
        } else {
            w.tape(key, value);
        }
    }
    ow.finish();
    w.raw("@original", &original);
    Ok(())
}

/// The string value of a top-level member, if it is a string.
pub fn str_member<'i>(parsed: &Parsed<'_, 'i>, name: &str) -> Option<&'i str> {
    object_members_of(parsed.nodes).find_map(|(key, value)| match value.first() {
        Some(Node::String(s)) if key == name => Some(*s),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::super::Format;

    #[test]
    fn members_become_fields() {
        let (doc, _) = encode_doc(
            &Format::Json,
            &event("{\"level\":\"info\",\"n\":1.50,\"nested\":{\"a\":[1]}}\n"),
        );
        assert_eq!(doc["level"], "info");
        assert_eq!(doc["n"], 1.5);
        assert_eq!(doc["nested"]["a"][0], 1);
        assert_eq!(doc["@log_group"], "/test/group");
        assert!(doc.get("@message").is_none());
    }

    #[test]
    fn colliding_members_are_kept_under_original() {
        let (doc, _) = encode_doc(
            &Format::Json,
            &event(r#"{"@timestamp":"2020-01-01T00:00:00Z","msg":"x"}"#),
        );
        assert_eq!(doc["@timestamp"], "2023-11-14T22:13:20.000Z");
        assert_eq!(doc["@original"]["@timestamp"], "2020-01-01T00:00:00Z");
        assert_eq!(doc["msg"], "x");
    }

    #[test]
    fn non_object_json_falls_back_to_text() {
        let (doc, encoded) = encode_doc(&Format::Json, &event("{not json"));
        assert_eq!(doc["@message"], "{not json");
        assert!(encoded.error.is_some());
    }
}
