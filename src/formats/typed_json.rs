//! JSON logs of a known AWS type (WAF, Network Firewall, Route 53 Resolver,
//! CloudFront's JSON output): one [`Schema`] each, one encoder for all.
//!
//! A schema says where the record's own time is and which members have a
//! type (dotted paths into nested objects). Members are written as they
//! came, except typed ones: a number or address written as a string becomes
//! the number or the bare address, `-` or `""` (AWS's "no value") is left
//! out, and a value that is not of its kind goes to `@invalid` (the rest of
//! the record stays typed), so that the index template can map these
//! members strictly and never reject a document over one of them.

use super::json::{own_time_at, write_each_member, write_members};
use super::typed::{self, Invalid, Kind};
use super::{write_cloudwatch_meta, Encoded, Event, Origin, Parsed};
use crate::json::check::{array_elements, object_members, Member};
use crate::json::ObjectWriter;

/// A JSON log type.
#[derive(Debug, PartialEq, Eq)]
pub struct Schema {
    /// The format's name (`waf`), as routes and `--format` name it.
    pub name: &'static str,
    /// The index base its records go to when no route names one.
    pub index: &'static str,
    /// The members that hold the record's own time, tried in order
    /// (dotted for nested ones); see [`crate::time::own_time`].
    pub time: &'static [&'static str],
    /// Members with a type; every other member is written as it came.
    pub fields: &'static [(&'static str, Kind)],
    /// Subtrees whose shape differs from record to record: mapped as one
    /// field each (`flat_object` / `flattened`), so no record adds fields.
    pub flattened: &'static [&'static str],
    /// A top-level member whose value is `"-"` has no value and is left
    /// out (CloudFront writes every field it has no value for so).
    pub dash_is_absent: bool,
    /// The member holding the record's own unique id (EventBridge's `id`,
    /// EKS's `auditID`), the document's `_id`: delivered twice, stored once.
    pub id: Option<&'static str>,
}

/// Writes the document of a record of `schema`.
pub fn encode(
    schema: &Schema,
    parsed: &Parsed<'_, '_>,
    origin: &Origin,
    event: &Event<'_>,
    doc: &mut Vec<u8>,
) -> Result<Encoded, String> {
    encode_with(schema, parsed, origin, event, doc, |_| {})
}

/// [`encode`], with members of the forwarder's own written by `more`
/// (findings' common summary).
pub fn encode_with(
    schema: &Schema,
    parsed: &Parsed<'_, '_>,
    origin: &Origin,
    event: &Event<'_>,
    doc: &mut Vec<u8>,
    more: impl FnOnce(&mut ObjectWriter<'_>),
) -> Result<Encoded, String> {
    let own = own_time_at(parsed, schema.time.iter().copied());
    let timestamp_ms = own.unwrap_or(event.timestamp_ms);
    let mut w = ObjectWriter::new(doc);
    write_cloudwatch_meta(&mut w, origin, event, timestamp_ms);
    if own.is_none() {
        super::write_time_received(&mut w);
    }
    let mut invalid = Invalid::default();
    write_typed(&mut w, parsed, schema, &mut invalid);
    more(&mut w);
    let error = invalid
        .finish(&mut w)
        .map(|reason| format!("{}: {reason}", schema.name));
    w.finish();
    Ok(Encoded {
        timestamp_ms,
        error,
        own_time_missing: own.is_none(),
        id: schema
            .id
            .and_then(|name| super::json::str_member(parsed, name))
            .filter(|id| !id.is_empty())
            .map(std::borrow::Cow::into_owned),
        ..Encoded::default()
    })
}

/// Writes the members of `parsed`, typed by `fields`. Records whose typed
/// members are already what they should be (nearly all of WAF's, Network
/// Firewall's and Resolver's) are spliced whole.
fn write_typed(
    w: &mut ObjectWriter<'_>,
    parsed: &Parsed<'_, '_>,
    schema: &Schema,
    invalid: &mut Invalid,
) {
    let fields = schema.fields;
    let dash = |m: &Member<'_>| schema.dash_is_absent && m.value == "\"-\"";
    if !parsed.members.iter().any(dash) && members_fit(parsed.members.iter().copied(), fields, "") {
        write_members(w, parsed);
        return;
    }
    write_each_member(w, parsed, |w, member| {
        if !dash(member) {
            write_member(w, member, &member.name(), fields, "", invalid);
        }
    });
}

/// Where `path` goes below the member `name` of the object at `prefix`
/// (`"event."`): `Some("")` for the member itself, `Some(".x")` for a
/// member below it, `None` for neither.
#[inline]
fn below<'p>(path: &'p str, prefix: &str, name: &str) -> Option<&'p str> {
    // Most paths do not name this member: its length, the byte after it
    // and its first byte tell, before any comparison of strings (a call to
    // memcmp each, which was three quarters of encoding a Resolver record
    // when every path was compared).
    let (at, end, bytes) = (prefix.len(), prefix.len() + name.len(), path.as_bytes());
    let boundary = match bytes.get(end) {
        None => bytes.len() == end,
        Some(&b) => b == b'.',
    };
    if !boundary || bytes.get(at) != name.as_bytes().first() {
        return None;
    }
    if !same(&bytes[at..end], name.as_bytes()) || !same(&bytes[..at], prefix.as_bytes()) {
        return None;
    }
    Some(&path[end..])
}

/// Byte-wise equality of two short names, in line: a call to `memcmp`
/// costs more than comparing a dozen bytes.
#[inline]
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x == y)
}

/// Do the typed members among `members` (of the object at `prefix`) hold
/// values of their kinds as they are written?
fn members_fit<'i>(
    mut members: impl Iterator<Item = Member<'i>>,
    fields: &[(&'static str, Kind)],
    prefix: &str,
) -> bool {
    members.all(|member| member_fits(&member, fields, prefix))
}

/// Does `member` (of the object at `prefix`), and every typed member below
/// it, hold a value of its kind as it is written?
fn member_fits(member: &Member<'_>, fields: &[(&'static str, Kind)], prefix: &str) -> bool {
    let name = member.name();
    for &(path, kind) in fields {
        match below(path, prefix, &name) {
            None => {}
            Some("") => return fits_as_written(member.value, kind),
            Some(_) if member.value.starts_with('{') => {
                // One descent covers every path below the member.
                let nested = &path[..prefix.len() + name.len() + 1];
                let mut fit = true;
                let parsed = object_members(member.value, |m| {
                    fit = fit && member_fits(&m, fields, nested);
                });
                return parsed.is_ok() && fit;
            }
            Some(_) => {}
        }
    }
    true
}

/// Is `value` (JSON text) of `kind` as it is written?
fn fits_as_written(value: &str, kind: Kind) -> bool {
    let first = value.as_bytes().first().copied().unwrap_or(b'n');
    match kind {
        Kind::Keyword => true,
        _ if first == b'n' => true,
        // A list of values of the kind (EKS's `sourceIPs`).
        _ if first == b'[' => {
            let mut fit = true;
            let parsed = array_elements(value, |e| fit = fit && fits_as_written(e, kind));
            parsed.is_ok() && fit
        }
        Kind::Integer | Kind::Float | Kind::EpochSeconds => first == b'-' || first.is_ascii_digit(),
        Kind::Ip => match value.strip_prefix('"').and_then(|v| v.strip_suffix('"')) {
            Some(text) => !text.contains('\\') && typed::is_verbatim(text, Kind::Ip),
            None => false,
        },
    }
}

/// Writes one member of the object at `prefix`, typed where `fields` says.
fn write_member(
    w: &mut ObjectWriter<'_>,
    member: &Member<'_>,
    name: &str,
    fields: &[(&'static str, Kind)],
    prefix: &str,
    invalid: &mut Invalid,
) {
    for &(path, kind) in fields {
        match below(path, prefix, name) {
            None => {}
            Some("") => return write_value(w, member, path, kind, invalid),
            Some(_) if member.value.starts_with('{') => {
                let nested = &path[..prefix.len() + name.len() + 1];
                let out = w.field(name);
                let mut inner = ObjectWriter::new(out);
                let _ = object_members(member.value, |m| {
                    write_member(&mut inner, &m, &m.name(), fields, nested, invalid);
                });
                inner.finish();
                return;
            }
            Some(_) => {}
        }
    }
    w.member(member);
}

/// Writes a typed member's value as `kind` (`path` names it in errors).
fn write_value(
    w: &mut ObjectWriter<'_>,
    member: &Member<'_>,
    path: &str,
    kind: Kind,
    invalid: &mut Invalid,
) {
    if fits_as_written(member.value, kind) {
        return w.member(member);
    }
    if member.value.starts_with('[') {
        return write_list(w, member, path, kind, invalid);
    }
    let text = match member.str_value() {
        Some(text) => text,
        None if kind == Kind::Ip => {
            return invalid.push(typed::not_a(path, member.value, "an IP address"))
        }
        None => std::borrow::Cow::Borrowed(member.value),
    };
    if text.is_empty() || text == "-" {
        return;
    }
    let mut error = None;
    w.try_members(|out| {
        out.extend_from_slice(member.key.as_bytes());
        out.push(b':');
        typed::write_value(out, path, &text, kind)
            .map_err(|e| error = Some(e))
            .ok()
    });
    if let Some(e) = error {
        invalid.push(e);
    }
}

/// A list whose values are not all of `kind` as written: each made so
/// where it can be; one that cannot sends the whole list to `@invalid`.
fn write_list(
    w: &mut ObjectWriter<'_>,
    member: &Member<'_>,
    path: &str,
    kind: Kind,
    invalid: &mut Invalid,
) {
    let mut error = None;
    w.try_members(|out| {
        out.extend_from_slice(member.key.as_bytes());
        out.extend_from_slice(b":[");
        let mut first = true;
        let parsed = array_elements(member.value, |element| {
            if error.is_some() {
                return;
            }
            if !std::mem::take(&mut first) {
                out.push(b',');
            }
            if fits_as_written(element, kind) {
                out.extend_from_slice(element.as_bytes());
                return;
            }
            let text = serde_json::from_str::<String>(element).unwrap_or_default();
            if let Err(e) = typed::write_value(out, path, &text, kind) {
                error = Some(e);
            }
        });
        out.push(b']');
        (parsed.is_ok() && error.is_none()).then_some(())
    });
    if error.is_some() {
        invalid.push(typed::not_a(path, member.value, "a list of such values"));
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::super::{DocumentEncoder, Format};
    use super::*;

    const SCHEMA: Schema = Schema {
        name: "test",
        index: "test",
        time: &["event.timestamp", "event_timestamp"],
        fields: &[
            ("event.src_ip", Kind::Ip),
            ("event.src_port", Kind::Integer),
            ("event.netflow.pkts", Kind::Integer),
            ("bytes", Kind::Integer),
        ],
        flattened: &[],
        dash_is_absent: false,
        id: None,
    };

    fn encode(message: &str) -> (serde_json::Value, Encoded) {
        let format = Format::Known(&SCHEMA);
        let mut doc = Vec::new();
        let encoded =
            DocumentEncoder::default().encode(&format, &origin(), &event(message), &mut doc);
        let value = serde_json::from_slice(&doc)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&doc)));
        (value, encoded)
    }

    #[test]
    fn records_already_typed_are_spliced_as_written() {
        let record = r#"{"event_timestamp":"1764950400","event":{"src_ip":"10.0.0.1","src_port":443,"netflow":{"pkts":2}},"bytes":1.50}"#;
        let mut doc = Vec::new();
        DocumentEncoder::default().encode(
            &Format::Known(&SCHEMA),
            &origin(),
            &event(record),
            &mut doc,
        );
        let text = String::from_utf8(doc).expect("utf-8");
        assert!(text.ends_with(&record[1..]), "{text}");
        let (doc, encoded) = encode(record);
        assert_eq!(doc["@timestamp"], "2025-12-05T16:00:00.000Z");
        assert!(!encoded.own_time_missing && encoded.error.is_none());
    }

    #[test]
    fn strings_become_their_kind_and_dashes_are_left_out() {
        let (doc, encoded) = encode(
            r#"{"event":{"timestamp":"2025-12-05T16:00:00.250000+0000","src_ip":"[2001:db8::1]","src_port":"443","netflow":{"pkts":"-","age":"7"}},"bytes":"12","other":"x"}"#,
        );
        assert_eq!(doc["@timestamp"], "2025-12-05T16:00:00.250Z");
        assert_eq!(doc["event"]["src_ip"], "2001:db8::1");
        assert_eq!(doc["event"]["src_port"], 443);
        assert!(doc["event"]["netflow"].get("pkts").is_none());
        assert_eq!(doc["event"]["netflow"]["age"], "7", "untyped: as written");
        assert_eq!(doc["bytes"], 12);
        assert_eq!(doc["other"], "x");
        assert!(encoded.error.is_none());
    }

    #[test]
    fn a_bad_value_costs_only_itself() {
        let (doc, encoded) = encode(
            r#"{"event_timestamp":"1764950400","event":{"src_ip":"10.0.0.300","src_port":80},"bytes":"many"}"#,
        );
        assert_eq!(
            doc["@invalid"],
            serde_json::json!({"event.src_ip": "10.0.0.300", "bytes": "many"})
        );
        assert!(doc["event"].get("src_ip").is_none());
        assert!(doc.get("bytes").is_none());
        assert_eq!(doc["event"]["src_port"], 80);
        let error = encoded.error.expect("error");
        assert!(error.starts_with("test: field event.src_ip"), "{error}");
        let (doc, _) = encode(r#"{"event":{"src_ip":17}}"#);
        assert_eq!(doc["@invalid"]["event.src_ip"], "17");
    }

    #[test]
    fn without_its_own_time_a_record_says_so() {
        let (doc, encoded) = encode(r#"{"event":{"timestamp":"soon"}}"#);
        assert_eq!(doc["@timestamp"], "2023-11-14T22:13:20.000Z");
        assert_eq!(doc["@timestamp_from"], "received");
        assert!(encoded.own_time_missing);
    }

    #[test]
    fn colliding_members_are_kept_under_original_when_rewritten() {
        let (doc, _) = encode(r#"{"@timestamp":"x","@id":"y","bytes":"5"}"#);
        assert_eq!(
            doc["@original"],
            serde_json::json!({"@timestamp": "x", "@id": "y"})
        );
        assert_eq!(doc["bytes"], 5);
    }
}
