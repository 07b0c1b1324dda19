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

use super::typed::{self, Kind};
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

/// Writes the values of one line under `format`'s columns and returns the
/// time of its first time column, if it has one.
pub fn write_line(
    w: &mut ObjectWriter<'_>,
    format: &LineFormat,
    line: &str,
    values: &Values,
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
                typed::write(w, column.name, value, kind).map_err(|e| e.to_string())?
            }
            Shape::Endpoint { ip, port } => {
                let (address, number) = split_endpoint(value).ok_or_else(|| {
                    format!("field {}: {value:?} is not address:port", column.name)
                })?;
                typed::write(w, ip, address, Kind::Ip).map_err(|e| e.to_string())?;
                typed::write(w, port, number, Kind::Integer).map_err(|e| e.to_string())?;
            }
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
                    None => {
                        let millis = crate::time::parse_iso8601_utc(value)
                            .or_else(|| crate::time::parse_clf(value))
                            .ok_or_else(|| {
                                format!("field {}: {value:?} is not a time", column.name)
                            })?;
                        w.timestamp(column.name, millis);
                        millis
                    }
                };
                time.get_or_insert(millis);
            }
            Shape::List(kind) => {
                let out = w.field(column.name);
                out.push(b'[');
                for (i, item) in value.split(',').enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    typed::write_value(out, column.name, item, kind).map_err(|e| e.to_string())?;
                }
                out.push(b']');
            }
        }
    }
    if values.len() > format.columns.len() {
        let out = w.field("extra_fields");
        out.push(b'[');
        for index in format.columns.len()..values.len() {
            if index > format.columns.len() {
                out.push(b',');
            }
            crate::json::write_str(out, values.get(line, index).unwrap_or_default());
        }
        out.push(b']');
    }
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
        let time = write_line(&mut w, &FORMAT, line, &values)?;
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
        assert!(write("2014-12-14T04:06:50Z x:1 y")
            .expect_err("bad ip")
            .contains("client_ip"));
    }
}
