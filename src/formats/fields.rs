//! Access-log lines: values separated by spaces, where a `"quoted"` or
//! `[bracketed]` value may contain spaces. S3 server access logs and the ELB
//! logs share this tokenizer and the column machinery below; each format file
//! only lists its columns ([`LineFormat`]).
//!
//! Invariants: `-` (quoted or not) means "no value" and writes nothing; values
//! beyond the last known column are kept, in order, in `extra_fields`, so a
//! field that AWS adds tomorrow is never lost; a line with fewer values than
//! the format's minimum is an error (and becomes a text document).

use std::ops::Range;

use super::typed::{self, Invalid, Kind};
use crate::json::ObjectWriter;

/// How one column's value is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    /// A single typed value under the column's name.
    Value(Kind),
    /// `ip:port` (`[v6]:port` or bare `v6:port` too), written as the two
    /// names given.
    Endpoint {
        ip: &'static str,
        port: &'static str,
    },
    /// An HTTP request line `METHOD target PROTOCOL`, kept whole under the
    /// column's name and split into the three names given.
    Request {
        method: &'static str,
        target: &'static str,
        protocol: &'static str,
    },
    /// A time (ISO 8601, or `06/Feb/2019:00:00:38 +0000`), written as ISO
    /// 8601; the first time column is the document's `@timestamp`.
    Time,
    /// Comma-separated values written as an array.
    List(Kind),
}

/// One column of an access-log line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Column {
    pub name: &'static str,
    pub shape: Shape,
}

/// Shorthand for the format tables.
pub const fn col(name: &'static str, shape: Shape) -> Column {
    Column { name, shape }
}

/// An `ip:port` column written as the two names given.
pub const fn endpoint(ip: &'static str, port: &'static str) -> Shape {
    Shape::Endpoint { ip, port }
}

/// Shapes the format tables use most.
pub const KEYWORD: Shape = Shape::Value(Kind::Keyword);
pub const INTEGER: Shape = Shape::Value(Kind::Integer);
pub const FLOAT: Shape = Shape::Value(Kind::Float);

/// A line format: its columns in order, and how many values a line must
/// have (formats grew new columns at the end over the years).
#[derive(Debug, PartialEq, Eq)]
pub struct LineFormat {
    pub name: &'static str,
    pub columns: &'static [Column],
    pub min_values: usize,
}

/// Where the values of a line are, as byte ranges into the line, quotes
/// and brackets removed. Reused from line to line.
#[derive(Debug, Default)]
pub struct Values(Vec<Range<usize>>);

impl Values {
    /// Splits `line`, or says why it cannot be split.
    pub fn split(&mut self, line: &str) -> Result<(), String> {
        self.0.clear();
        let bytes = line.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            let b = bytes[i];
            if b == b' ' || b == b'\t' {
                i += 1;
                continue;
            }
            let closing = match b {
                b'"' => Some(b'"'),
                b'[' => Some(b']'),
                _ => None,
            };
            if let Some(close) = closing {
                if let Some(end) = closing_at(bytes, i + 1, close) {
                    self.0.push(i + 1..end);
                    i = end + 1;
                    continue;
                }
                if close == b'"' {
                    return Err(format!("unterminated quoted value at byte {i}"));
                }
                // `[v6]:port` is a plain value that starts with a bracket.
            }
            let end = memchr::memchr2(b' ', b'\t', &bytes[i..]).map_or(bytes.len(), |p| i + p);
            self.0.push(i..end);
            i = end;
        }
        Ok(())
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The value at `index` of `line` (the line that was split).
    pub fn get<'l>(&self, line: &'l str, index: usize) -> Option<&'l str> {
        self.0.get(index).and_then(|r| line.get(r.clone()))
    }
}

/// The position of the `close` byte that ends a value opened just before
/// `from`: one followed by a separator or the end of the line, and (for
/// quotes) not escaped by a backslash.
fn closing_at(bytes: &[u8], from: usize, close: u8) -> Option<usize> {
    let mut at = from;
    while let Some(p) = memchr::memchr(close, bytes.get(at..)?) {
        let pos = at + p;
        let escaped = close == b'"'
            && bytes[..pos]
                .iter()
                .rev()
                .take_while(|&&c| c == b'\\')
                .count()
                % 2
                == 1;
        let at_boundary = matches!(bytes.get(pos + 1), None | Some(b' ' | b'\t'));
        if !escaped && at_boundary {
            return Some(pos);
        }
        at = pos + 1;
    }
    None
}

/// Writes the values beyond a record's known columns, in order, as
/// `extra_fields` (a list of text), so that a field AWS adds tomorrow is
/// never lost; nothing when there are none.
pub fn write_extra_fields<'v>(w: &mut ObjectWriter<'_>, values: impl Iterator<Item = &'v str>) {
    let mut values = values.peekable();
    if values.peek().is_none() {
        return;
    }
    let out = w.field("extra_fields");
    out.push(b'[');
    for (n, value) in values.enumerate() {
        if n > 0 {
            out.push(b',');
        }
        crate::json::write_str(out, value);
    }
    out.push(b']');
}

/// Splits `host:port`, `[v6]:port` and `v6:port` (the port is after the last
/// colon) into the address and the port.
pub fn split_endpoint(value: &str) -> Option<(&str, &str)> {
    let (host, port) = value.rsplit_once(':')?;
    let host = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    Some((host, port))
}

/// Does `line` parse as `format`: enough values, its time a time, and every
/// other value of its column's shape (or `-`) but at most one? Detection
/// asks this rather than looking at the shape of ids, so that a line that
/// parses as a layout is that layout; the one value allowed to be wrong is
/// the one that [`write_line`] keeps in `@invalid`, so that a stream whose
/// first record has a bad value is still read as what it is.
pub fn parses_as(format: &LineFormat, line: &str) -> bool {
    let mut values = Values::default();
    if values.split(line).is_err() || values.len() < format.min_values {
        return false;
    }
    let mut misfits = 0;
    for (index, column) in format.columns.iter().enumerate() {
        let Some(value) = values.get(line, index) else {
            break;
        };
        if value == "-" || fits(column.shape, value) {
            continue;
        }
        if column.shape == Shape::Time {
            return false;
        }
        misfits += 1;
    }
    misfits <= 1
}

/// Would `value` be written as `shape` without going to `@invalid`?
fn fits(shape: Shape, value: &str) -> bool {
    match shape {
        Shape::Value(kind) => typed::fits(value, kind),
        Shape::List(kind) => value.split(',').all(|item| typed::fits(item, kind)),
        Shape::Endpoint { .. } => split_endpoint(value).is_some_and(|(ip, port)| {
            typed::fits(ip, Kind::Ip) && typed::fits(port, Kind::Integer)
        }),
        Shape::Request { .. } => true,
        Shape::Time => crate::time::parse_rfc3339(value)
            .or_else(|| crate::time::parse_iso8601_utc(value))
            .or_else(|| crate::time::parse_clf(value))
            .is_some(),
    }
}

/// Writes the values of one line under `format`'s columns and returns the
/// time of its first time column, if it has one.
///
/// A value that does not fit its column (text in a number column, an
/// address that is not one) goes to `invalid`, and the rest of the line is
/// still written: only a line too short for its format is an error.
pub fn write_line(
    w: &mut ObjectWriter<'_>,
    format: &LineFormat,
    line: &str,
    values: &Values,
    invalid: &mut Invalid,
) -> Result<Option<i64>, String> {
    if values.len() < format.min_values {
        return Err(format!(
            "expected at least {} values, found {}",
            format.min_values,
            values.len()
        ));
    }
    let mut time = None;
    for (index, column) in format.columns.iter().enumerate() {
        let Some(value) = values.get(line, index) else {
            break;
        };
        if value == "-" {
            continue;
        }
        match column.shape {
            Shape::Value(kind) => {
                if let Err(e) = typed::write(w, column.name, value, kind) {
                    invalid.push(e);
                }
            }
            Shape::Endpoint { ip, port } => match split_endpoint(value) {
                Some((address, number)) => {
                    if let Err(e) = typed::write(w, ip, address, Kind::Ip) {
                        invalid.push(e);
                    }
                    if let Err(e) = typed::write(w, port, number, Kind::Integer) {
                        invalid.push(e);
                    }
                }
                None => invalid.push(typed::not_a(column.name, value, "address:port")),
            },
            Shape::Request {
                method,
                target,
                protocol,
            } => {
                w.str(column.name, value);
                let mut parts = value.splitn(3, ' ');
                for part_name in [method, target, protocol] {
                    // Classic ELB writes `"- - - "` for TCP: the last part
                    // is "- " with its trailing space, still a placeholder.
                    match parts.next().map(str::trim) {
                        Some(part) if !part.is_empty() && part != "-" => w.str(part_name, part),
                        _ => {}
                    }
                }
            }
            Shape::Time => {
                // Parsed once: an RFC 3339 time is kept as written (it may
                // have microseconds), any other is written as one.
                let millis = match crate::time::parse_rfc3339(value) {
                    Some(millis) => {
                        w.str(column.name, value);
                        millis
                    }
                    None => match crate::time::parse_iso8601_utc(value)
                        .or_else(|| crate::time::parse_clf(value))
                    {
                        Some(millis) => {
                            w.timestamp(column.name, millis);
                            millis
                        }
                        None => {
                            invalid.push(typed::not_a(column.name, value, "a time"));
                            continue;
                        }
                    },
                };
                time.get_or_insert(millis);
            }
            Shape::List(kind) => {
                // Checked first (without writing anything): a list with one
                // bad item goes whole to `@invalid` rather than half-written.
                let bad = value.split(',').find(|item| !typed::fits(item, kind));
                if let Some(item) = bad {
                    let what = typed::write_value(&mut Vec::new(), column.name, item, kind)
                        .err()
                        .map_or("a list", |e| e.kind);
                    invalid.push(typed::not_a(column.name, value, what));
                    continue;
                }
                let out = w.field(column.name);
                out.push(b'[');
                for (i, item) in value.split(',').enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    // Checked above.
                    let _ = typed::write_value(out, column.name, item, kind);
                }
                out.push(b']');
            }
        }
    }
    write_extra_fields(
        w,
        (format.columns.len()..values.len())
            .map(|index| values.get(line, index).unwrap_or_default()),
    );
    Ok(time)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(line: &str) -> Vec<&str> {
        let mut values = Values::default();
        values.split(line).expect("splits");
        (0..values.len())
            .map(|i| values.get(line, i).expect("value"))
            .collect()
    }

    #[test]
    fn quotes_and_brackets_hold_spaces() {
        assert_eq!(
            split(r#"a [06/Feb/2019:00:00:38 +0000] "GET /x HTTP/1.1" - "-" "- - - ""#),
            [
                "a",
                "06/Feb/2019:00:00:38 +0000",
                "GET /x HTTP/1.1",
                "-",
                "-",
                "- - - "
            ]
        );
        assert_eq!(
            split(r#""say \"hi\" there" [fe80::1]:443 b"#),
            [r#"say \"hi\" there"#, "[fe80::1]:443", "b"]
        );
        assert_eq!(split("x  y\tz "), ["x", "y", "z"]);
        let mut values = Values::default();
        assert!(values
            .split(r#"a "never closed"#)
            .expect_err("unterminated")
            .contains("unterminated"));
    }

    #[test]
    fn endpoints_of_every_shape() {
        assert_eq!(split_endpoint("10.0.0.1:80"), Some(("10.0.0.1", "80")));
        assert_eq!(
            split_endpoint("[2001:db8::1]:443"),
            Some(("2001:db8::1", "443"))
        );
        assert_eq!(
            split_endpoint("2601:6bbc:c529:9dad:6bbc:c529:9dad:6bbc:50599"),
            Some(("2601:6bbc:c529:9dad:6bbc:c529:9dad:6bbc", "50599"))
        );
        assert_eq!(split_endpoint("nocolon"), None);
    }

    const COLUMNS: &[Column] = &[
        col("time", Shape::Time),
        col("client", endpoint("client_ip", "client_port")),
        col(
            "request",
            Shape::Request {
                method: "request_method",
                target: "request_url",
                protocol: "request_protocol",
            },
        ),
        col("codes", Shape::List(Kind::Integer)),
        col("bytes", Shape::Value(Kind::Integer)),
    ];
    const FORMAT: LineFormat = LineFormat {
        name: "test",
        columns: COLUMNS,
        min_values: 3,
    };

    fn write(line: &str) -> Result<(serde_json::Value, Option<i64>), String> {
        let mut values = Values::default();
        values.split(line)?;
        let mut out = Vec::new();
        let mut w = ObjectWriter::new(&mut out);
        let mut invalid = Invalid::default();
        let time = write_line(&mut w, &FORMAT, line, &values, &mut invalid)?;
        invalid.finish(&mut w);
        w.finish();
        Ok((serde_json::from_slice(&out).expect("valid JSON"), time))
    }

    #[test]
    fn columns_are_typed_and_split() {
        let (doc, time) = write(
            r#"[14/Dec/2014:04:06:50 +0000] [::1]:8080 "GET /a?b HTTP/1.1" 200,404 12 more "and more""#,
        )
        .expect("valid");
        assert_eq!(time, Some(1_418_530_010_000));
        assert_eq!(
            doc,
            serde_json::json!({
                "time": "2014-12-14T04:06:50.000Z",
                "client_ip": "::1", "client_port": 8080,
                "request": "GET /a?b HTTP/1.1", "request_method": "GET",
                "request_url": "/a?b", "request_protocol": "HTTP/1.1",
                "codes": [200, 404], "bytes": 12,
                "extra_fields": ["more", "and more"],
            })
        );
    }

    #[test]
    fn dashes_are_absent_and_short_lines_fail() {
        let (doc, time) = write("2014-12-14T04:06:50.123456Z - - - -").expect("valid");
        assert_eq!(time, Some(1_418_530_010_123));
        assert_eq!(
            doc,
            serde_json::json!({"time": "2014-12-14T04:06:50.123456Z"})
        );
        assert_eq!(
            write("2014-12-14T04:06:50Z -").expect_err("short"),
            "expected at least 3 values, found 2"
        );
    }

    #[test]
    fn one_bad_value_costs_only_itself() {
        for (line, field, value) in [
            ("2014-12-14T04:06:50Z x:1 - - 12", "client_ip", "x"),
            (
                "2014-12-14T04:06:50Z 10.0.0.1:http - - 12",
                "client_port",
                "http",
            ),
            ("2014-12-14T04:06:50Z nocolon - - 12", "client", "nocolon"),
            (
                "2014-12-14T04:06:50Z 10.0.0.1:80 - 200,abc 12",
                "codes",
                "200,abc",
            ),
            (
                "2014-12-14T04:06:50Z 10.0.0.1:80 - 200 twelve",
                "bytes",
                "twelve",
            ),
        ] {
            let (doc, time) = write(line).expect("structure is fine");
            assert_eq!(time, Some(1_418_530_010_000), "{line}");
            assert_eq!(doc["@invalid"], serde_json::json!({field: value}), "{line}");
            assert!(
                doc["@error"].as_str().expect("error").contains(field),
                "{line}"
            );
            assert!(doc.get(field).is_none(), "{line}: not written typed");
            // Everything else is still typed.
            assert_eq!(doc["time"], "2014-12-14T04:06:50Z", "{line}");
            if field != "bytes" {
                assert_eq!(doc["bytes"], 12, "{line}");
            }
        }
        let (doc, time) = write("not-a-time 10.0.0.1:80 - - 12").expect("structure is fine");
        assert_eq!(time, None, "the event's own time is used");
        assert_eq!(doc["@invalid"]["time"], "not-a-time");
        assert_eq!(doc["client_ip"], "10.0.0.1");
    }
}
