//! Amazon CloudFront standard logs (access logs), legacy and v2.
//!
//! Reference: "Standard logging reference" in the CloudFront developer
//! guide. Legacy logs are gzipped W3C extended files in S3, named
//! `<distribution>.YYYY-MM-DD-HH.<id>.gz`: a `#Version` line, a `#Fields`
//! line that names the columns, then one tab-separated line per request.
//! The columns grew over the years (33 today): the `#Fields` line of each
//! file sets them, so older and newer layouts both read. Standard logging
//! v2 delivers to CloudWatch Logs, Firehose or S3, as JSON objects of the
//! same field names (with `timestamp` and `DistributionId` among them) or
//! as W3C lines.
//!
//! Fields keep AWS's names (`c-ip`, `sc-status`, `cs(User-Agent)`); `-` is
//! "no value"; addresses, statuses, byte counts and times are typed
//! ([`FIELDS`]); the user agent, referrer and cookie, which CloudFront
//! URL-encodes, are decoded; `@timestamp` is `date` + `time` (or v2's
//! `timestamp`). Values beyond the columns are kept in `extra_fields`.

use std::borrow::Cow;
use std::sync::Arc;

use super::typed::{self, Invalid, Kind};
use super::typed_json::Schema;
use super::{write_cloudwatch_meta, Encoded, Event, Origin};
use crate::json::ObjectWriter;

/// Fields with a type (every other field is a keyword).
pub const FIELDS: &[(&str, Kind)] = &[
    ("sc-bytes", Kind::Integer),
    ("c-ip", Kind::Ip),
    ("sc-status", Kind::Integer),
    ("cs-bytes", Kind::Integer),
    ("time-taken", Kind::Float),
    ("fle-encrypted-fields", Kind::Integer),
    ("c-port", Kind::Integer),
    ("time-to-first-byte", Kind::Float),
    ("sc-content-len", Kind::Integer),
    ("sc-range-start", Kind::Integer),
    ("sc-range-end", Kind::Integer),
    // v2 and real-time log fields.
    ("timestamp", Kind::Keyword),
    ("timestamp(ms)", Kind::Integer),
    ("cs-headers-count", Kind::Integer),
    ("origin-fbl", Kind::Float),
    ("origin-lbl", Kind::Float),
    ("asn", Kind::Integer),
];

/// Fields CloudFront writes URL-encoded, decoded once.
const DECODED: &[&str] = &["cs(User-Agent)", "cs(Referer)", "cs(Cookie)"];

/// Today's columns, for lines that come without a `#Fields` header.
const DEFAULT_FIELDS: &str = "date time x-edge-location sc-bytes c-ip cs-method cs(Host) \
    cs-uri-stem sc-status cs(Referer) cs(User-Agent) cs-uri-query cs(Cookie) \
    x-edge-result-type x-edge-request-id x-host-header cs-protocol cs-bytes time-taken \
    x-forwarded-for ssl-protocol ssl-cipher x-edge-response-result-type cs-protocol-version \
    fle-status fle-encrypted-fields c-port time-to-first-byte x-edge-detailed-result-type \
    sc-content-type sc-content-len sc-range-start sc-range-end";

/// v2's JSON output: the same fields, as members.
pub const JSON: Schema = Schema {
    name: "cloudfront",
    index: "cloudfront",
    time: &["timestamp(ms)", "timestamp"],
    fields: FIELDS,
    flattened: &[],
    dash_is_absent: true,
    id: None,
};

/// What a column means for the record's time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Role {
    Date,
    Time,
    /// v2's epoch seconds, or milliseconds (`timestamp(ms)`).
    Epoch,
    Other,
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Column {
    name: Box<str>,
    /// `"name":`, rendered once.
    key: Box<[u8]>,
    kind: Kind,
    decode: bool,
    role: Role,
}

/// The columns of a file, from its `#Fields` line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Columns(Arc<[Column]>);

impl Default for Columns {
    fn default() -> Self {
        Columns::new(DEFAULT_FIELDS)
    }
}

impl Columns {
    fn new(names: &str) -> Columns {
        let columns = names
            .split_ascii_whitespace()
            .map(|name| Column {
                name: name.into(),
                key: crate::json::render_key(name).into(),
                kind: FIELDS
                    .iter()
                    .find(|(n, _)| *n == name)
                    .map_or(Kind::Keyword, |(_, kind)| *kind),
                decode: DECODED.contains(&name),
                role: match name {
                    "date" => Role::Date,
                    "time" => Role::Time,
                    "timestamp" | "timestamp(ms)" => Role::Epoch,
                    _ => Role::Other,
                },
            })
            .collect();
        Columns(columns)
    }

    /// The columns a `#Fields:` line names, if `line` is one.
    pub fn from_header(line: &str) -> Option<Columns> {
        let names = line.trim_end().strip_prefix("#Fields:")?;
        Some(Columns::new(names))
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Every field of today's layout and of v2 with a type, with its kind
/// (for the index template).
pub fn all_fields() -> impl Iterator<Item = (&'static str, Kind)> {
    DEFAULT_FIELDS
        .split_ascii_whitespace()
        .map(|name| (name, kind_of(name)))
        .chain(FIELDS.iter().copied())
}

fn kind_of(name: &str) -> Kind {
    FIELDS
        .iter()
        .find(|(n, _)| *n == name)
        .map_or(Kind::Keyword, |(_, kind)| *kind)
}

/// A W3C header line (`#Version: 1.0`, `#Fields: ...`): never a record.
pub fn is_header(line: &str) -> bool {
    line.starts_with("#Version:") || line.starts_with("#Fields:")
}

/// Does this line look like a CloudFront record: a date, a time and an
/// edge location, separated by tabs?
pub fn looks_like(line: &str) -> bool {
    let mut values = line.split('\t');
    let (Some(date), Some(time), Some(_edge)) = (values.next(), values.next(), values.next())
    else {
        return false;
    };
    crate::time::parse_date_and_time(date, time).is_some() && values.count() >= 6
}

/// A cheap test for "this JSON text is a CloudFront v2 log record".
pub fn looks_like_json(head: &str) -> bool {
    head.contains("\"x-edge-location\"") || head.contains("\"x-edge-request-id\"")
}

/// Writes the document of one W3C line.
pub fn encode(
    columns: &Columns,
    origin: &Origin,
    event: &Event<'_>,
    doc: &mut Vec<u8>,
) -> Result<Encoded, String> {
    let line = event.message.trim_end_matches(['\n', '\r']);
    if line.starts_with('#') {
        return Ok(Encoded {
            skip: true,
            ..Encoded::default()
        });
    }
    // Tabs in legacy files; a line without one is split at spaces (values
    // are URL-encoded, so they hold none).
    let separator = if line.contains('\t') { '\t' } else { ' ' };
    let clean = !crate::json::needs_escaping(line.as_bytes());
    let mut w = ObjectWriter::new(doc);
    let mut invalid = Invalid::default();
    let (mut date, mut time, mut epoch) = ("", "", None);
    let mut values = line.split(separator);
    for column in columns.0.iter() {
        let Some(value) = values.next() else {
            return Err(format!(
                "expected {} fields, found {}",
                columns.len(),
                line.split(separator).count()
            ));
        };
        if value == "-" || value.is_empty() {
            continue;
        }
        match column.role {
            Role::Date => date = value,
            Role::Time => time = value,
            Role::Epoch => epoch = Some(value),
            Role::Other => {}
        }
        let value = match column.decode {
            true => percent_decoded(value),
            false => Cow::Borrowed(value),
        };
        let clean = clean && matches!(value, Cow::Borrowed(_));
        if let Err(e) = typed::write_rendered(
            &mut w,
            &column.key,
            &column.name,
            &value,
            column.kind,
            clean,
        ) {
            invalid.push(e);
        }
    }
    super::fields::write_extra_fields(&mut w, values);
    let own = own_time(date, time, epoch);
    let timestamp_ms = own.unwrap_or(event.timestamp_ms);
    write_cloudwatch_meta(&mut w, origin, event, timestamp_ms);
    if own.is_none() {
        super::write_time_received(&mut w);
    }
    let error = invalid
        .finish(&mut w)
        .map(|reason| format!("cloudfront: {reason}"));
    w.finish();
    Ok(Encoded {
        timestamp_ms,
        error,
        own_time_missing: own.is_none(),
        ..Encoded::default()
    })
}

/// `date` (`2025-12-05`) and `time` (`16:00:00`, UTC), or v2's epoch time.
fn own_time(date: &str, time: &str, epoch: Option<&str>) -> Option<i64> {
    if let Some(epoch) = epoch {
        return crate::time::own_time(epoch, crate::time::now_millis());
    }
    crate::time::parse_date_and_time(date, time)
}

/// `value` with its `%XX` escapes undone, when it has any and the result is
/// text; otherwise as it was.
fn percent_decoded(value: &str) -> Cow<'_, str> {
    if !value.contains('%') {
        return Cow::Borrowed(value);
    }
    match String::from_utf8(crate::percent::decode(value, false)) {
        Ok(decoded) => Cow::Owned(decoded),
        Err(_) => Cow::Borrowed(value),
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::super::Format;
    use super::*;

    /// A line in today's 33 columns, written from the field descriptions of
    /// the CloudFront developer guide.
    pub const LINE: &str = "2025-12-05\t16:00:00\tAMS58-P3\t2318\t203.0.113.9\tGET\td111111abcdef8.cloudfront.net\t/index.html\t200\thttps://www.example.com/start\tMozilla/5.0%20(X11;%20Linux%20x86_64)\tlang=en\t-\tHit\tSOX4xwn4XV6Q4rgb7XiVGOHms_BGlTAC4KyHmureZmBNrjGdRLiNIQ==\twww.example.com\thttps\t421\t0.004\t-\tTLSv1.3\tTLS_AES_128_GCM_SHA256\tHit\tHTTP/2.0\t-\t-\t51234\t0.002\tHit\ttext/html\t2011\t-\t-";

    #[test]
    fn a_line_is_typed_and_decoded() {
        assert!(looks_like(LINE));
        let format = Format::CloudFront(Columns::default());
        assert_eq!(Columns::default().len(), 33);
        let (doc, encoded) = encode_doc(&format, &event(LINE));
        assert_eq!(doc["@timestamp"], "2025-12-05T16:00:00.000Z");
        assert_eq!(doc["c-ip"], "203.0.113.9");
        assert_eq!(doc["sc-status"], 200);
        assert_eq!(doc["sc-bytes"], 2318);
        assert_eq!(doc["time-taken"], 0.004);
        assert_eq!(doc["cs(User-Agent)"], "Mozilla/5.0 (X11; Linux x86_64)");
        assert_eq!(doc["cs-uri-query"], "lang=en", "not decoded");
        assert!(doc.get("cs(Cookie)").is_none());
        assert!(encoded.error.is_none(), "{:?}", encoded.error);
    }

    #[test]
    fn the_fields_header_sets_the_columns() {
        let old = Columns::from_header(
            "#Fields: date time x-edge-location sc-bytes c-ip cs-method cs(Host) cs-uri-stem sc-status cs(Referer) cs(User-Agent) cs-uri-query",
        )
        .expect("header");
        assert_eq!(old.len(), 12);
        let line = LINE.split('\t').take(12).collect::<Vec<_>>().join("\t");
        let (doc, encoded) = encode_doc(&Format::CloudFront(old.clone()), &event(&line));
        assert_eq!(doc["cs-uri-query"], "lang=en");
        assert!(encoded.error.is_none());
        // More values than the header names: kept, in order.
        let (doc, _) = encode_doc(&Format::CloudFront(old), &event(LINE));
        assert_eq!(doc["extra_fields"][0], "-");
        assert_eq!(doc["extra_fields"][1], "Hit");
        // Header lines are never documents.
        let mut doc = Vec::new();
        let encoded = super::super::DocumentEncoder::default().encode(
            &Format::CloudFront(Columns::default()),
            &origin(),
            &event("#Version: 1.0"),
            &mut doc,
        );
        assert!(encoded.skip && doc.is_empty());
    }

    #[test]
    fn bad_values_and_short_lines() {
        let bad = LINE.replace("203.0.113.9", "not-an-ip");
        let (doc, encoded) = encode_doc(&Format::CloudFront(Columns::default()), &event(&bad));
        assert_eq!(doc["@invalid"]["c-ip"], "not-an-ip");
        assert_eq!(doc["sc-status"], 200);
        assert!(encoded.error.is_some());
        let (doc, encoded) = encode_doc(
            &Format::CloudFront(Columns::default()),
            &event("2025-12-05\t16:00:00"),
        );
        assert_eq!(doc["@message"], "2025-12-05\t16:00:00");
        assert!(encoded.error.expect("error").contains("expected 33 fields"));
    }

    #[test]
    fn v2_json_records_are_typed() {
        let record = r#"{"timestamp":"1764950400","DistributionId":"E1A2B3C4D5E6F7","date":"2025-12-05","time":"16:00:00","x-edge-location":"AMS58-P3","sc-bytes":"2318","c-ip":"203.0.113.9","cs-method":"GET","sc-status":"404","time-taken":"0.004","cs(Cookie)":"-"}"#;
        assert!(looks_like_json(record));
        let format = Format::CloudFront(Columns::default());
        assert_eq!(Format::detect(record, None), format);
        let (doc, encoded) = encode_doc(&format, &event(record));
        assert_eq!(doc["@timestamp"], "2025-12-05T16:00:00.000Z");
        assert_eq!(doc["sc-status"], 404);
        assert_eq!(doc["time-taken"], 0.004);
        assert!(doc.get("cs(Cookie)").is_none());
        assert!(encoded.error.is_none());
    }

    #[test]
    fn percent_decoding() {
        assert_eq!(percent_decoded("a%20b%2Fc"), "a b/c");
        assert_eq!(percent_decoded("100%"), "100%");
        assert_eq!(percent_decoded("%ff"), "%ff", "not text: as it was");
    }
}
