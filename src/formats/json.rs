//! JSON messages: the message's own members become the document's fields,
//! next to the CloudWatch metadata. The message text is spliced in as it is
//! (only line breaks between tokens are dropped), so numbers, nesting and key
//! order survive untouched.

use std::borrow::Cow;

use super::{is_reserved, write_cloudwatch_meta, Encoded, Event, Origin, Parsed};
use crate::json::check::Member;
use crate::json::ObjectWriter;

/// The members tried, in this order, for the own time of JSON that no
/// route describes. The first whose value reads as a plausible time
/// ([`crate::time::own_time`]) is `@timestamp`.
pub const TIME_NAMES: &[&str] = &[
    "@timestamp",
    "timestamp",
    "time",
    "eventTime",
    "event_time",
    "ts",
    "datetime",
    "date",
];

/// A JSON record (the `json` format): filed under its own time, read from
/// `time_field` (a route's, dotted for a nested member) or the first of
/// [`TIME_NAMES`] that holds one. A record with none is filed under the
/// time it was received (the CloudWatch event's, or its object's) and says
/// so in `@timestamp_from`, never silently.
pub fn encode_record(
    parsed: &Parsed<'_, '_>,
    origin: &Origin,
    event: &Event<'_>,
    time_field: Option<&str>,
    doc: &mut Vec<u8>,
) -> Result<Encoded, String> {
    let own = own_time(parsed, time_field);
    let timestamp_ms = own.unwrap_or(event.timestamp_ms);
    let mut w = ObjectWriter::new(doc);
    write_cloudwatch_meta(&mut w, origin, event, timestamp_ms);
    if own.is_none() {
        super::write_time_received(&mut w);
    }
    write_members(&mut w, parsed);
    w.finish();
    Ok(Encoded {
        timestamp_ms,
        own_time_missing: own.is_none(),
        ..Encoded::default()
    })
}

/// The record's own time, in milliseconds.
fn own_time(parsed: &Parsed<'_, '_>, time_field: Option<&str>) -> Option<i64> {
    match time_field {
        Some(path) => own_time_at(parsed, std::iter::once(path)),
        None => own_time_at(parsed, TIME_NAMES.iter().copied()),
    }
}

/// The first plausible own time among the members at `paths` (dotted for
/// nested members), in milliseconds.
pub fn own_time_at<'p>(
    parsed: &Parsed<'_, '_>,
    paths: impl Iterator<Item = &'p str>,
) -> Option<i64> {
    let mut now = None;
    let mut read = |value: &str| {
        let now = *now.get_or_insert_with(crate::time::now_millis);
        crate::time::own_time(value, now)
    };
    paths
        .into_iter()
        .find_map(|path| member_at(parsed, path).and_then(&mut read))
}

/// The value text of the first top-level member called `name`.
fn member<'i>(parsed: &Parsed<'_, 'i>, name: &str) -> Option<&'i str> {
    parsed
        .members
        .iter()
        .find(|m| m.name() == name)
        .map(|m| m.value)
}

/// The value text of the member at `path`: a top-level member of that
/// name, or, through objects, `a.b.c`.
pub fn member_at<'i>(parsed: &Parsed<'_, 'i>, path: &str) -> Option<&'i str> {
    if let Some(value) = member(parsed, path) {
        return Some(value);
    }
    let mut parts = path.split('.');
    let mut value = member(parsed, parts.next()?)?;
    for part in parts {
        let mut found = None;
        crate::json::check::object_members(value, |m| {
            if found.is_none() && m.name() == part {
                found = Some(m.value);
            }
        })
        .ok()?;
        value = found?;
    }
    Some(value)
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
    if !parsed.members.iter().any(|m| is_reserved(&m.name())) {
        w.splice_object(parsed.text.as_bytes());
        return;
    }
    write_each_member(w, parsed, |w, member| w.member(member));
}

/// Writes each member of the parsed object with `write` (a format's own
/// typing of it), except those whose names the forwarder writes itself,
/// which are kept as they came under `@original`.
pub fn write_each_member(
    w: &mut ObjectWriter<'_>,
    parsed: &Parsed<'_, '_>,
    mut write: impl FnMut(&mut ObjectWriter<'_>, &Member<'_>),
) {
    let mut original = Vec::new();
    let mut ow = ObjectWriter::new(&mut original);
    for member in parsed.members {
        if is_reserved(&member.name()) {
            ow.member(member);
        } else {
            write(w, member);
        }
    }
    let none = ow.is_empty();
    ow.finish();
    if !none {
        w.raw("@original", &original);
    }
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
            &Format::Json(None),
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
            &Format::Json(None),
            &event(r#"{"@log_group":"mine","@timestamp":"2020-01-01T00:00:00Z","msg":"x"}"#),
        );
        assert_eq!(doc["@log_group"], "/test/group");
        assert_eq!(doc["@original"]["@log_group"], "mine");
        // A record's own `@timestamp` is its time, and kept as written.
        assert_eq!(doc["@timestamp"], "2020-01-01T00:00:00.000Z");
        assert_eq!(doc["@original"]["@timestamp"], "2020-01-01T00:00:00Z");
        assert_eq!(doc["msg"], "x");
    }

    #[test]
    fn records_are_filed_under_their_own_time() {
        let at = |format: &Format, message: &str| {
            let (doc, encoded) = encode_doc(format, &event(message));
            (
                doc["@timestamp"].as_str().unwrap_or_default().to_owned(),
                doc.get("@timestamp_from").cloned(),
                encoded.own_time_missing,
            )
        };
        let own = |t: &str| (t.to_owned(), None, false);
        let json = Format::Json(None);
        // The well-known names, in their order, values in every shape.
        assert_eq!(
            at(&json, r#"{"timestamp":1764950400123,"action":"BLOCK"}"#),
            own("2025-12-05T16:00:00.123Z")
        );
        assert_eq!(
            at(&json, r#"{"time":"2025-12-05T16:00:00Z"}"#),
            own("2025-12-05T16:00:00.000Z")
        );
        assert_eq!(
            at(&json, r#"{"ts":"1764950400"}"#),
            own("2025-12-05T16:00:00.000Z")
        );
        assert_eq!(
            at(&json, r#"{"date":"05/Dec/2025:16:00:00 +0000"}"#),
            own("2025-12-05T16:00:00.000Z")
        );
        assert_eq!(
            at(&json, r#"{"time":"soon","timestamp":1764950400}"#),
            own("2025-12-05T16:00:00.000Z"),
            "an unreadable name gives way to the next"
        );
        // None, or none plausible: the time received, and said so.
        let received = (
            "2023-11-14T22:13:20.000Z".to_owned(),
            Some(serde_json::json!("received")),
            true,
        );
        assert_eq!(at(&json, r#"{"level":"info"}"#), received);
        assert_eq!(at(&json, r#"{"timestamp":0}"#), received);
        assert_eq!(at(&json, r#"{"time":"2099-01-01T00:00:00Z"}"#), received);
        // A route's field, nested: it alone is read.
        let nested = Format::Json(Some("event.timestamp".into()));
        assert_eq!(
            at(
                &nested,
                r#"{"time":"2020-01-01T00:00:00Z","event":{"timestamp":"2025-12-05T16:00:00.000123+0000"}}"#
            ),
            own("2025-12-05T16:00:00.000Z")
        );
        assert_eq!(at(&nested, r#"{"time":"2020-01-01T00:00:00Z"}"#), received);
        let dotted = Format::Json(Some("event.timestamp".into()));
        assert_eq!(
            at(&dotted, r#"{"event.timestamp":"1764950400"}"#),
            own("2025-12-05T16:00:00.000Z"),
            "a top-level member whose name has a dot"
        );
    }

    #[test]
    fn colliding_members_are_found_through_escapes_and_kept_as_written() {
        // `\u0040` is '@': the key is `@log_group` all the same. The other
        // members keep their text (numbers as written), on one line.
        let message = "{\"\\u0040log_group\":\"mine\",\n \"n\": 1.50,\n \"list\": [1,\n 2],\"k\\\"q\":{\"@id\":7}}";
        let mut doc = Vec::new();
        let encoder = &mut super::super::DocumentEncoder::default();
        encoder.encode(&Format::Json(None), &origin(), &event(message), &mut doc);
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
        let (doc, encoded) = encode_doc(&Format::Json(None), &event("{not json"));
        assert_eq!(doc["@message"], "{not json");
        assert!(encoded.error.is_some());
    }
}
