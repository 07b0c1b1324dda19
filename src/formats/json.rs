//! JSON messages: the message's own members become the document's fields,
//! next to the CloudWatch metadata. The message text is spliced in as it is
//! (only line breaks between tokens are dropped), so numbers, nesting and key
//! order survive untouched.

use std::borrow::Cow;

use super::{is_reserved, write_cloudwatch_meta, Encoded, Event, Origin, Parsed};
use crate::json::check::Member;
use crate::json::ObjectWriter;

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
    write_members(&mut w, parsed);
    w.finish();
    Ok(Encoded {
        timestamp_ms: event.timestamp_ms,
        ..Encoded::default()
    })
}

/// Writes the members of the parsed object. Members whose names the forwarder
/// writes itself (`@timestamp`, ...) would be duplicate keys, which the
/// cluster rejects; they are kept under `@original` instead.
/// Members are written as they came (key, value and all).
pub fn write_members(w: &mut ObjectWriter<'_>, parsed: &Parsed<'_, '_>) {
    let reserved = |m: &Member<'_>| is_reserved(&m.name());
    if !parsed.members.iter().any(reserved) {
        w.splice_object(parsed.text.as_bytes());
        return;
    }
    let mut original = Vec::new();
    let mut ow = ObjectWriter::new(&mut original);
    for member in parsed.members {
        if reserved(member) {
            ow.member(member);
        } else {
            w.member(member);
        }
    }
    ow.finish();
    w.raw("@original", &original);
}

/// The value of the first top-level member called `name` that is a string.
pub fn str_member<'i>(parsed: &Parsed<'_, 'i>, name: &str) -> Option<Cow<'i, str>> {
    parsed
        .members
        .iter()
        .filter(|m| m.name() == name)
        .find_map(Member::str_value)
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
    fn colliding_members_are_found_through_escapes_and_kept_as_written() {
        // `\u0040` is '@': the key is `@log_group` all the same. The other
        // members keep their text (numbers as written), on one line.
        let message = "{\"\\u0040log_group\":\"mine\",\n \"n\": 1.50,\n \"list\": [1,\n 2],\"k\\\"q\":{\"@id\":7}}";
        let mut doc = Vec::new();
        let encoder = &mut super::super::DocumentEncoder::default();
        encoder.encode(&Format::Json, &origin(), &event(message), &mut doc);
        let text = String::from_utf8(doc).expect("utf-8");
        assert!(!text.contains('\n'), "{text}");
        assert!(
            text.contains(r#""n":1.50,"list":[1, 2],"k\"q":{"@id":7}"#),
            "{text}"
        );
        let doc: serde_json::Value = serde_json::from_str(&text).expect("valid JSON");
        assert_eq!(doc["@log_group"], "/test/group");
        assert_eq!(doc["@original"]["@log_group"], "mine");
        assert_eq!(doc["k\"q"]["@id"], 7);
    }

    #[test]
    fn non_object_json_falls_back_to_text() {
        let (doc, encoded) = encode_doc(&Format::Json, &event("{not json"));
        assert_eq!(doc["@message"], "{not json");
        assert!(encoded.error.is_some());
    }
}
