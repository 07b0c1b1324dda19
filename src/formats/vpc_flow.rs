//! VPC and Transit Gateway flow logs.
//!
//! Reference: "Flow log records" in the Amazon VPC user guide and "Transit
//! Gateway Flow Logs records". A record is one line of space-separated
//! values in the order of the flow log's format; `-` means "no value". The
//! default (version 2) format is
//!
//! ```text
//! version account-id interface-id srcaddr dstaddr srcport dstport protocol
//! packets bytes start end action log-status
//! ```
//!
//! Custom formats pick any of the fields in [`SCHEMA`] (versions 2 to 11 and
//! the Transit Gateway fields). S3 delivery writes the format as a header
//! line; CloudWatch delivery does not, so there the field list comes from
//! `extractedFields`, from the route's configuration, or is the default.
//!
//! Field names are the AWS names with `-` turned into `_` (`srcaddr`,
//! `dstport`, `log_status`, `tcp_flags`). Addresses are checked IP addresses,
//! ports, counts and flags are integers, `start` and `end` stay epoch
//! seconds (mapped as `epoch_second` dates), or become ISO 8601 times when a
//! producer wrote them in milliseconds; `@timestamp` is `start`.
//! NODATA and SKIPDATA records are kept.

use super::text::write_extracted;
use super::typed::{self, Kind};
use super::{write_cloudwatch_meta, Encoded, Event, Origin};
use crate::input::cloudwatch::{ExtractedFields, FieldValue};
use crate::json::ObjectWriter;
use crate::time::EpochTime;

/// Every flow log field AWS documents: (AWS name, kind).
pub const SCHEMA: &[(&str, Kind)] = &[
    ("version", Kind::Integer),
    ("account-id", Kind::Keyword),
    ("interface-id", Kind::Keyword),
    ("srcaddr", Kind::Ip),
    ("dstaddr", Kind::Ip),
    ("srcport", Kind::Integer),
    ("dstport", Kind::Integer),
    ("protocol", Kind::Integer),
    ("packets", Kind::Integer),
    ("bytes", Kind::Integer),
    ("start", Kind::EpochSeconds),
    ("end", Kind::EpochSeconds),
    ("action", Kind::Keyword),
    ("log-status", Kind::Keyword),
    // Version 3.
    ("vpc-id", Kind::Keyword),
    ("subnet-id", Kind::Keyword),
    ("instance-id", Kind::Keyword),
    ("tcp-flags", Kind::Integer),
    ("type", Kind::Keyword),
    ("pkt-srcaddr", Kind::Ip),
    ("pkt-dstaddr", Kind::Ip),
    // Version 4.
    ("region", Kind::Keyword),
    ("az-id", Kind::Keyword),
    ("sublocation-type", Kind::Keyword),
    ("sublocation-id", Kind::Keyword),
    // Version 5.
    ("pkt-src-aws-service", Kind::Keyword),
    ("pkt-dst-aws-service", Kind::Keyword),
    ("flow-direction", Kind::Keyword),
    ("traffic-path", Kind::Integer),
    // Version 7 (ECS).
    ("ecs-cluster-arn", Kind::Keyword),
    ("ecs-cluster-name", Kind::Keyword),
    ("ecs-container-instance-arn", Kind::Keyword),
    ("ecs-container-instance-id", Kind::Keyword),
    ("ecs-container-id", Kind::Keyword),
    ("ecs-second-container-id", Kind::Keyword),
    ("ecs-service-name", Kind::Keyword),
    ("ecs-task-definition-arn", Kind::Keyword),
    ("ecs-task-arn", Kind::Keyword),
    ("ecs-task-id", Kind::Keyword),
    // Version 8.
    ("reject-reason", Kind::Keyword),
    // Versions 9 to 11.
    ("resource-id", Kind::Keyword),
    ("encryption-status", Kind::Integer),
    ("instance-tag", Kind::Keyword),
    ("instance-tag-2", Kind::Keyword),
    ("interface-tag", Kind::Keyword),
    ("interface-tag-2", Kind::Keyword),
    ("asg-tag", Kind::Keyword),
    ("asg-tag-2", Kind::Keyword),
    ("interface-type", Kind::Keyword),
    ("next-hop-interface-id", Kind::Keyword),
    ("next-hop-interface-type", Kind::Keyword),
    ("next-hop-subnet-id", Kind::Keyword),
    ("next-hop-az-id", Kind::Keyword),
    ("next-hop-vpc-id", Kind::Keyword),
    // Transit Gateway.
    ("resource-type", Kind::Keyword),
    ("tgw-id", Kind::Keyword),
    ("tgw-attachment-id", Kind::Keyword),
    ("tgw-src-vpc-account-id", Kind::Keyword),
    ("tgw-dst-vpc-account-id", Kind::Keyword),
    ("tgw-src-vpc-id", Kind::Keyword),
    ("tgw-dst-vpc-id", Kind::Keyword),
    ("tgw-src-subnet-id", Kind::Keyword),
    ("tgw-dst-subnet-id", Kind::Keyword),
    ("tgw-src-eni", Kind::Keyword),
    ("tgw-dst-eni", Kind::Keyword),
    ("tgw-src-az-id", Kind::Keyword),
    ("tgw-dst-az-id", Kind::Keyword),
    ("tgw-pair-attachment-id", Kind::Keyword),
    ("packets-lost-no-route", Kind::Integer),
    ("packets-lost-blackhole", Kind::Integer),
    ("packets-lost-mtu-exceeded", Kind::Integer),
    ("packets-lost-ttl-expired", Kind::Integer),
];

/// The version 2 default format: the first fields of [`SCHEMA`].
const DEFAULT_FIELD_COUNT: usize = 14;
const DEFAULT_FIELDS: &str =
    "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status";

/// One column of a flow log format: its document name and kind.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Column {
    pub name: String,
    pub kind: Kind,
    /// `"name":`, rendered once for every record.
    key: Vec<u8>,
    /// What comes between the previous value and this one in a record
    /// whose every value is present and clean: the previous value's closing
    /// quote, a comma, the key, this value's opening quote; `joint_len`
    /// bytes, zero-padded to a multiple of [`STRIDE`] for [`copy_strided`].
    joint: Vec<u8>,
    joint_len: usize,
    /// This is `start`, the record's time.
    is_start: bool,
}

impl Column {
    /// Is the value written as a JSON string?
    fn quoted(&self) -> bool {
        matches!(self.kind, Kind::Keyword | Kind::Ip)
    }
}

/// The columns of a flow log format, in record order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldList {
    columns: Vec<Column>,
    /// The room [`write_whole_record`] needs beyond the line's length: every
    /// padded joint, a stride of overrun per value, the closing quote.
    whole_record_room: usize,
}

impl Default for FieldList {
    fn default() -> Self {
        FieldList::parse(DEFAULT_FIELDS)
    }
}

/// The document name of an AWS field name.
pub fn document_name(aws: &str) -> String {
    aws.replace('-', "_")
}

/// A field name as written in a format string (`${srcaddr}`) or a header
/// (`srcaddr`), without the decoration.
fn bare_name(token: &str) -> &str {
    let token = token.strip_prefix("${").unwrap_or(token);
    token.strip_suffix('}').unwrap_or(token)
}

/// The kind of a field, by AWS (`tcp-flags`) or document (`tcp_flags`) name.
pub fn kind_of(name: &str) -> Option<Kind> {
    SCHEMA
        .iter()
        .find(|(aws, _)| {
            aws.len() == name.len()
                && aws
                    .bytes()
                    .zip(name.bytes())
                    .all(|(a, b)| a == b || (a == b'-' && b == b'_'))
        })
        .map(|&(_, kind)| kind)
}

impl FieldList {
    /// A format string or header line: names separated by spaces, either
    /// `${srcaddr}` style or bare, with `-` or `_`. Unknown names are kept
    /// as keyword columns, so a field newer than this table is not lost.
    pub fn parse(format: &str) -> FieldList {
        let mut columns: Vec<Column> = format
            .split_ascii_whitespace()
            .map(|token| {
                let bare = bare_name(token);
                let name = document_name(bare);
                Column {
                    key: crate::json::render_key(&name),
                    joint: Vec::new(),
                    joint_len: 0,
                    is_start: name == "start",
                    name,
                    kind: kind_of(bare).unwrap_or(Kind::Keyword),
                }
            })
            .collect();
        let mut previous_quoted = None;
        for column in &mut columns {
            let mut joint = Vec::new();
            match previous_quoted {
                Some(true) => joint.extend_from_slice(b"\","),
                Some(false) => joint.push(b','),
                None => {}
            }
            joint.extend_from_slice(&column.key);
            if column.quoted() {
                joint.push(b'"');
            }
            column.joint_len = joint.len();
            joint.resize(joint.len().next_multiple_of(STRIDE), 0);
            column.joint = joint;
            previous_quoted = Some(column.quoted());
        }
        let whole_record_room = columns
            .iter()
            .map(|c| c.joint.len() + STRIDE)
            .sum::<usize>()
            + 1;
        FieldList {
            columns,
            whole_record_room,
        }
    }

    /// Is this line a header (field names) rather than a record? Every
    /// name looks like one (lowercase, digits, `-` or `_`) and at least two
    /// in three are known, so a field newer than [`SCHEMA`] still passes
    /// and a sentence does not.
    pub fn is_header(line: &str) -> bool {
        // Checked for every line of a flow log object (headers may repeat):
        // a record starts with a value, rarely with a lowercase letter.
        if !line
            .trim_start()
            .starts_with(|c: char| c.is_ascii_lowercase() || c == '$')
        {
            return false;
        }
        let (mut total, mut known) = (0, 0);
        for token in line.split_ascii_whitespace() {
            let bare = bare_name(token);
            let name_like = bare.bytes().any(|b| b.is_ascii_lowercase())
                && bare.bytes().all(|b| {
                    b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_'
                });
            if !name_like {
                return false;
            }
            total += 1;
            known += usize::from(kind_of(bare).is_some());
        }
        total >= 2 && known * 3 >= total * 2
    }

    /// Recognises a default-format (version 2) record by its values alone:
    /// fourteen of them, version 2, an action and a log status, and every
    /// other value of its column's kind (or `-`) but at most one, which the
    /// encoder keeps in `@invalid`. Ids (account, interface) may have any
    /// shape.
    pub fn detect_line(line: &str) -> Option<FieldList> {
        let mut tokens = line.split_ascii_whitespace();
        let mut columns = SCHEMA[..DEFAULT_FIELD_COUNT].iter();
        let mut misfits = 0;
        for (token, &(name, kind)) in tokens.by_ref().zip(columns.by_ref()) {
            let structural = match name {
                "version" => Some(token == "2"),
                "action" => Some(matches!(token, "ACCEPT" | "REJECT" | "-")),
                "log-status" => Some(matches!(token, "OK" | "NODATA" | "SKIPDATA")),
                _ => None,
            };
            match structural {
                Some(true) => {}
                Some(false) => return None,
                None => misfits += usize::from(token != "-" && !typed::fits(token, kind)),
            }
        }
        (misfits <= 1 && columns.next().is_none() && tokens.next().is_none())
            .then(FieldList::default)
    }

    pub fn len(&self) -> usize {
        self.columns.len()
    }

    pub fn is_empty(&self) -> bool {
        self.columns.is_empty()
    }
}

/// Do these extracted fields describe a flow log record?
pub fn looks_like_extracted(fields: &ExtractedFields<'_>) -> bool {
    let has = |n: &str| fields.0.iter().any(|(k, _)| *k == n);
    has("srcaddr") && has("dstaddr")
}

pub fn encode(
    fields: &FieldList,
    origin: &Origin,
    event: &Event<'_>,
    doc: &mut Vec<u8>,
) -> Result<Encoded, String> {
    let own;
    let mut w = ObjectWriter::new(doc);
    let mut invalid = typed::Invalid::default();
    match event.extracted.filter(|f| looks_like_extracted(f)) {
        Some(extracted) => {
            own = extracted
                .0
                .iter()
                .find(|(k, _)| *k == "start")
                .and_then(|(_, v)| match v {
                    FieldValue::Str(s) => s.parse::<i64>().ok(),
                    FieldValue::Int(i) => Some(*i),
                    _ => None,
                })
                .and_then(EpochTime::from_number)
                .map(EpochTime::millis);
            write_cloudwatch_meta(&mut w, origin, event, own.unwrap_or(event.timestamp_ms));
            write_extracted(&mut w, extracted, kind_of).map_err(|e| e.to_string())?;
        }
        None => {
            // One pass over the values: typed as they are written, the
            // metadata after them once `start` is known.
            let line = event.message.trim_end();
            // Checked once, for both ways of writing the record.
            let clean = !crate::json::needs_escaping(line.as_bytes());
            let start = match write_whole_record(&mut w, fields, line, clean) {
                Some(whole) => whole.start,
                None => write_values(&mut w, fields, line, clean, &mut invalid)?,
            };
            own = start
                .and_then(EpochTime::from_number)
                .map(EpochTime::millis);
            write_cloudwatch_meta(&mut w, origin, event, own.unwrap_or(event.timestamp_ms));
        }
    }
    // A format without `start` (or a record with `-` there) has no own
    // time: filed under the time received, and says so.
    if own.is_none() {
        super::write_time_received(&mut w);
    }
    let error = invalid
        .finish(&mut w)
        .map(|reason| format!("vpc_flow: {reason}"));
    w.finish();
    Ok(Encoded {
        timestamp_ms: own.unwrap_or(event.timestamp_ms),
        error,
        own_time_missing: own.is_none(),
        ..Encoded::default()
    })
}

/// A record written by [`write_whole_record`], and its `start` value.
struct Whole {
    start: Option<i64>,
}

/// Writes a record whose every value is present and of its column's kind,
/// from a line with nothing to escape (`clean`), as one run of copies: the text
/// between two values is rendered once per format ([`Column::joint`]).
/// This is nearly every record, and it writes the same bytes as
/// [`write_values`] in half the steps. `None`, with nothing written, for
/// any other record.
fn write_whole_record(
    w: &mut ObjectWriter<'_>,
    fields: &FieldList,
    line: &str,
    clean: bool,
) -> Option<Whole> {
    let columns = &fields.columns;
    if columns.is_empty() || !clean {
        return None;
    }
    // Values are checked as they are written: a record that turns out not
    // to be whole (rare) is taken back and written value by value.
    w.try_members(|out| {
        // Room for the strided copies' overrun, given back at the end.
        let base = out.len();
        out.resize(base + line.len() + fields.whole_record_room, 0);
        let record = &mut out[base..];
        let (mut at, mut start) = (0, None);
        let mut values = SpaceSeparated::new(line.as_bytes());
        for column in columns {
            let value = values.next()?;
            // Taken unchecked: `line.get` checking both ends again was 4% of
            // encoding a flow record.
            debug_assert!(line.get(value.clone()).is_some());
            // SAFETY: `SpaceSeparated`'s ranges lie in `line`, on char
            // boundaries (see its invariant).
            let text = unsafe { line.get_unchecked(value.clone()) };
            if text.is_empty() || text == "-" || !typed::is_verbatim(text, column.kind) {
                return None;
            }
            if column.is_start {
                start = decimal(text);
            }
            copy_strided(record, at, &column.joint, 0, column.joint_len);
            at += column.joint_len;
            copy_strided(record, at, line.as_bytes(), value.start, text.len());
            at += text.len();
        }
        if values.next().is_some() {
            return None;
        }
        if columns.last().is_some_and(Column::quoted) {
            record[at] = b'"';
            at += 1;
        }
        out.truncate(base + at);
        Some(Whole { start })
    })
}

/// The copies of a whole record are short (a key, a value) and many:
/// made [`STRIDE`] bytes at a time, without a call to `memcpy` each.
const STRIDE: usize = 16;

/// Copies `src[from..from + len]` to `out[at..]` in strides of
/// [`STRIDE`]: the last stride may write up to `STRIDE - 1` bytes past the
/// copy in `out` (which must have room for them) and read past it in
/// `src`, unless `src` ends first, when the copy is exact.
#[inline(always)]
fn copy_strided(out: &mut [u8], at: usize, src: &[u8], from: usize, len: usize) {
    if from + len.next_multiple_of(STRIDE) > src.len() {
        out[at..at + len].copy_from_slice(&src[from..from + len]);
        return;
    }
    // A plain loop: `step_by`'s iterator cost more than the copies.
    let mut i = 0;
    while i < len {
        out[at + i..at + i + STRIDE].copy_from_slice(&src[from + i..from + i + STRIDE]);
        i += STRIDE;
    }
}

/// The value of a string of ASCII digits (`None` for anything else, or
/// past `i64`): `str::parse` cost more than the rest of a value's work.
fn decimal(text: &str) -> Option<i64> {
    if text.is_empty() {
        return None;
    }
    text.bytes().try_fold(0i64, |n, b| {
        let digit = b.checked_sub(b'0').filter(|d| *d <= 9)?;
        n.checked_mul(10)?.checked_add(i64::from(digit))
    })
}

/// The values of a line between single spaces, found a word at a time.
/// Meant for clean lines, whose only whitespace is the space (tabs and
/// the like need escaping); two spaces in a row give an empty value.
///
/// Invariant: each range it yields lies within the line, starts at the
/// line's start or just after a space, and ends at a space or at the line's
/// end; spaces being ASCII, a range of a `str`'s bytes is on char
/// boundaries.
struct SpaceSeparated<'a> {
    line: &'a [u8],
    /// Where the next value starts.
    start: usize,
    /// Where the word `spaces` was read from starts.
    word_at: usize,
    /// The high bit of each space in that word, taken off as used.
    spaces: u64,
}

impl<'a> SpaceSeparated<'a> {
    fn new(line: &'a [u8]) -> Self {
        SpaceSeparated {
            line,
            start: 0,
            word_at: 0,
            spaces: space_mask(word_at(line, 0)),
        }
    }
}

impl Iterator for SpaceSeparated<'_> {
    type Item = std::ops::Range<usize>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if self.spaces != 0 {
                let space = self.word_at + self.spaces.trailing_zeros() as usize / 8;
                self.spaces &= self.spaces - 1;
                let value = self.start..space;
                self.start = space + 1;
                return Some(value);
            }
            self.word_at += 8;
            if self.word_at >= self.line.len() {
                // The last value, then nothing.
                let value = self.start..self.line.len();
                self.start = self.line.len() + 1;
                return (value.start <= value.end).then_some(value);
            }
            self.spaces = space_mask(word_at(self.line, self.word_at));
        }
    }
}

/// Eight bytes of `line` from `at` (little-endian), zeros past its end.
#[inline(always)]
fn word_at(line: &[u8], at: usize) -> u64 {
    match line.get(at..at + 8) {
        Some(word) => u64::from_le_bytes(word.try_into().unwrap_or_default()),
        None => line
            .get(at..)
            .unwrap_or_default()
            .iter()
            .rev()
            .fold(0, |word, &b| word << 8 | u64::from(b)),
    }
}

/// The high bit of each byte of `word` that is a space, exactly: a byte is
/// zero after the XOR iff adding 0x7f to its low bits does not carry into
/// the high bit and the high bit was clear.
#[inline(always)]
fn space_mask(word: u64) -> u64 {
    const ONES: u64 = u64::from_le_bytes([1; 8]);
    const LOW: u64 = ONES * 0x7f;
    let x = word ^ (ONES * u64::from(b' '));
    !(((x & LOW) + LOW) | x) & !LOW
}

/// Writes a record's values one by one, each typed, leaving out `-` and
/// keeping values of the wrong kind in `invalid`; text values of a `clean`
/// line are copied without a scan. Returns `start`.
fn write_values(
    w: &mut ObjectWriter<'_>,
    fields: &FieldList,
    line: &str,
    clean: bool,
    invalid: &mut typed::Invalid,
) -> Result<Option<i64>, String> {
    let mut values = line.split_ascii_whitespace();
    let mut start = None;
    for column in &fields.columns {
        let Some(value) = values.next() else {
            return Err(count_error(fields, line));
        };
        if value == "-" {
            continue;
        }
        let (key, name) = (&column.key, &column.name);
        match typed::write_rendered(w, key, name, value, column.kind, clean) {
            Ok(()) if column.is_start => start = value.parse::<i64>().ok(),
            Ok(()) => {}
            Err(e) => invalid.push(e),
        }
    }
    // Values beyond the format's (a field AWS added, a format string that
    // lists fewer): the typed ones stay, the rest are kept in order. Fewer
    // values than fields is a misaligned line, whose values cannot be
    // trusted to be what their columns say (an error above).
    super::fields::write_extra_fields(w, values);
    Ok(start)
}

fn count_error(fields: &FieldList, line: &str) -> String {
    let count = line.split_ascii_whitespace().count();
    format!("expected {} fields, found {count}", fields.len())
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::super::Format;
    use super::*;

    const V2: &str = "2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK";

    #[test]
    fn default_record_is_typed() {
        let (doc, encoded) = encode_doc(&Format::VpcFlow(FieldList::default()), &event(V2));
        assert_eq!(doc["version"], 2);
        assert_eq!(doc["account_id"], "123456789010");
        assert_eq!(doc["srcaddr"], "172.31.16.139");
        assert_eq!(doc["dstport"], 22);
        assert_eq!(doc["bytes"], 4249);
        assert_eq!(doc["start"], 1_418_530_010);
        assert_eq!(doc["log_status"], "OK");
        assert_eq!(doc["@timestamp"], "2014-12-14T04:06:50.000Z");
        assert_eq!(encoded.timestamp_ms, 1_418_530_010_000);
    }

    #[test]
    fn the_default_format_is_the_start_of_the_schema() {
        let names: Vec<&str> = SCHEMA[..DEFAULT_FIELD_COUNT].iter().map(|f| f.0).collect();
        assert_eq!(names.join(" "), DEFAULT_FIELDS);
    }

    #[test]
    fn detection_takes_one_bad_value_but_not_two() {
        assert!(FieldList::detect_line(V2).is_some());
        let one = V2.replace("172.31.16.139", "172.31.16.300");
        assert!(FieldList::detect_line(&one).is_some());
        let two = one.replace(" 22 ", " ssh ");
        assert!(FieldList::detect_line(&two).is_none());
        assert!(FieldList::detect_line(&V2.replace("ACCEPT", "ALLOW")).is_none());
    }

    #[test]
    fn nodata_keeps_the_record_without_dashes() {
        let line =
            "2 123456789010 eni-1235b8ca123456789 - - - - - - - 1431280876 1431280934 - NODATA";
        let (doc, encoded) = encode_doc(&Format::VpcFlow(FieldList::default()), &event(line));
        assert!(encoded.error.is_none());
        assert_eq!(doc["log_status"], "NODATA");
        assert!(doc.get("srcaddr").is_none());
    }

    #[test]
    fn whole_records_are_written_exactly_as_value_by_value() {
        let formats = [
            FieldList::default(),
            // Ends with a keyword (a closing quote), starts with an address,
            // `start` in the middle.
            FieldList::parse("pkt-srcaddr start tcp-flags type vpc-id srcport flow-direction"),
        ];
        let pools: [&[&str]; 7] = [
            &["10.0.0.1", "2001:db8::1", "-", "300.1.1.1", "010.0.0.1"],
            &["1418530010", "1418530010123", "-", "-5", "x"],
            &["0", "19", "-", "07", "1.5"],
            &[
                "IPv4",
                "-",
                "a\"b",
                "ACCEPT",
                "a-keyword-long-enough-for-three-strides-of-copy",
            ],
            &["vpc-1", "-", "tgw-attach-x"],
            &["443", "-", "65536", "99999999999999999999"],
            &["egress", "-", "ingress"],
        ];
        let (mut whole, mut total) = (0, 0);
        for fields in &formats {
            for n in 0..3000usize {
                let line: Vec<&str> = (0..fields.len())
                    .map(|i| {
                        let pool = match fields.len() {
                            14 => [
                                &["2"][..],
                                &["123456789012"],
                                &["eni-1"],
                                pools[0],
                                pools[0],
                                pools[5],
                                pools[5],
                                pools[2],
                                pools[2],
                                pools[2],
                                pools[1],
                                pools[1],
                                &["ACCEPT", "-"],
                                &["OK", "NODATA"],
                            ][i],
                            _ => pools[i],
                        };
                        // Mostly the first (good) value, now and then another.
                        let pick = (n * 7 + i * 13) % 23;
                        pool[if pick < pool.len() { pick } else { 0 }]
                    })
                    .collect();
                let line = line.join(" ");
                let (mut a, mut b) = (Vec::new(), Vec::new());
                let mut wa = ObjectWriter::new(&mut a);
                let clean = !crate::json::needs_escaping(line.as_bytes());
                let fast = write_whole_record(&mut wa, fields, &line, clean);
                wa.finish();
                let mut wb = ObjectWriter::new(&mut b);
                let mut invalid = typed::Invalid::default();
                let slow =
                    write_values(&mut wb, fields, &line, clean, &mut invalid).expect("aligned");
                wb.finish();
                total += 1;
                match fast {
                    Some(Whole { start }) => {
                        whole += 1;
                        assert_eq!(a, b, "{line}");
                        assert_eq!(start, slow, "{line}");
                    }
                    None => assert_eq!(a, b"{}", "nothing written: {line}"),
                }
            }
        }
        // Both paths ran, often.
        assert!(
            whole > total / 10 && whole < total,
            "{whole} of {total} whole"
        );
    }

    #[test]
    fn space_separated_values_are_split_as_by_split() {
        // Every line of up to 20 bytes from "a", " " (and "\u{e9}", two
        // bytes): spaces at every position of a word, at both ends, doubled.
        let alphabet = ["a", " ", "\u{e9}"];
        for len in 0..=20usize {
            for n in 0..3usize.pow(len.min(9) as u32) {
                let mut line = String::new();
                let mut rest = n;
                for i in 0..len {
                    line.push_str(alphabet[if i < 9 { rest % 3 } else { (i * 7 + n) % 3 }]);
                    rest /= 3;
                }
                let ours: Vec<&str> = SpaceSeparated::new(line.as_bytes())
                    .map(|range| &line[range])
                    .collect();
                let theirs: Vec<&str> = line.split(' ').collect();
                assert_eq!(ours, theirs, "{line:?}");
            }
        }
    }

    #[test]
    fn space_mask_marks_spaces_and_nothing_else() {
        for b in 0..=255u8 {
            for at in 0..8 {
                let mut word = [b' ' ^ 0x80; 8];
                word[at] = b;
                let mask = space_mask(u64::from_le_bytes(word));
                let expected = if b == b' ' { 0x80u64 << (8 * at) } else { 0 };
                assert_eq!(mask, expected, "byte {b:#x} at {at}");
            }
        }
    }

    #[test]
    fn decimals_read_as_str_parse_reads_digits() {
        for text in ["0", "7", "1763800000", "0042", "9223372036854775807"] {
            assert_eq!(decimal(text), text.parse::<i64>().ok(), "{text}");
        }
        for text in ["", "-1", "+1", "1.5", "12a", " 1", "9223372036854775808"] {
            assert_eq!(decimal(text), None, "{text}");
        }
    }

    #[test]
    fn strided_copies_are_exact_and_stay_in_bounds() {
        let src: Vec<u8> = (0..100u8).collect();
        for from in 0..src.len() {
            for len in 0..=src.len() - from {
                let mut out = vec![0xff; 2 + len + STRIDE];
                copy_strided(&mut out, 2, &src, from, len);
                assert_eq!(&out[2..2 + len], &src[from..from + len]);
                assert_eq!(&out[..2], [0xff, 0xff]);
            }
        }
    }

    #[test]
    fn values_of_a_line_with_quotes_or_tabs_are_escaped() {
        // Values of a clean line are copied unscanned; these lines are not
        // clean, and every value still comes back as written.
        let quoted = V2.replace("eni-1235b8ca123456789", "eni-\"x\\");
        let tabbed = V2.replace(' ', "\t").replace("OK", "OK\u{1}");
        for line in [quoted, tabbed] {
            let (doc, _) = encode_doc(&Format::VpcFlow(FieldList::default()), &event(&line));
            let values: Vec<&str> = line.split_ascii_whitespace().collect();
            assert_eq!(doc["interface_id"], values[2], "{line:?}");
            assert_eq!(doc["log_status"], values[13], "{line:?}");
        }
    }

    #[test]
    fn wrong_field_count_and_bad_address_are_errors() {
        let (doc, encoded) = encode_doc(
            &Format::VpcFlow(FieldList::default()),
            &event("2 1 eni-1 a b"),
        );
        assert_eq!(
            encoded.error.as_deref(),
            Some("vpc_flow: expected 14 fields, found 5")
        );
        assert_eq!(doc["@message"], "2 1 eni-1 a b");
        // More values than fields: typed all the same, the rest kept.
        let (doc, encoded) = encode_doc(
            &Format::VpcFlow(FieldList::default()),
            &event(&format!("{V2} 7 \"x\"")),
        );
        assert!(encoded.error.is_none(), "{:?}", encoded.error);
        assert_eq!(doc["srcaddr"], "172.31.16.139");
        assert_eq!(doc["log_status"], "OK");
        assert_eq!(doc["extra_fields"], serde_json::json!(["7", "\"x\""]));
        // One bad value costs only itself: the record keeps its other fields.
        let bad = V2.replace("172.31.16.139", "172.31.16.300");
        let (doc, encoded) = encode_doc(&Format::VpcFlow(FieldList::default()), &event(&bad));
        assert!(encoded.error.expect("error").contains("srcaddr"));
        assert_eq!(
            doc["@invalid"],
            serde_json::json!({"srcaddr": "172.31.16.300"})
        );
        assert!(doc.get("srcaddr").is_none());
        assert_eq!(doc["dstaddr"], "172.31.16.21");
        assert_eq!(doc["action"], "ACCEPT");
        assert!(doc.get("@message").is_none(), "not text");
    }

    #[test]
    fn custom_formats_and_headers() {
        let list =
            FieldList::parse("${version} ${vpc-id} ${tcp-flags} ${pkt-srcaddr} ${future-field}");
        assert_eq!(list.len(), 5);
        assert!(FieldList::is_header(
            "version account-id interface-id srcaddr"
        ));
        assert!(!FieldList::is_header(V2));
        assert!(!FieldList::is_header("version is deployed"));
        assert!(!FieldList::is_header("Version account-id"));
        let (doc, _) = encode_doc(&Format::VpcFlow(list), &event("3 vpc-1 18 [2001:db8::1] x"));
        assert_eq!(doc["tcp_flags"], 18);
        assert_eq!(doc["pkt_srcaddr"], "2001:db8::1");
        assert_eq!(doc["future_field"], "x");
    }

    /// Found by `cargo fuzz` (target `formats`): an 18-digit `start`
    /// overflowed the conversion to milliseconds. It is no date a cluster
    /// stores (past year 9999 even in milliseconds): kept in `@invalid`.
    #[test]
    fn a_start_beyond_year_9999_falls_back_to_the_event_time() {
        let list = FieldList::parse("version srcaddr tcp-flags start pkt-dstaddr future-field");
        let line = "22222222\t-\t2\t222222222222222202 2\t-\t2222222~2-2-";
        let (_, encoded) = encode_doc(&Format::VpcFlow(list.clone()), &event(line));
        assert!(encoded.error.is_some(), "six columns, seven values");
        let line = "2 - 2 222222222222222202 - x";
        let (doc, encoded) = encode_doc(&Format::VpcFlow(list), &event(line));
        assert!(encoded.error.expect("error").contains("start"));
        assert_eq!(encoded.timestamp_ms, 1_700_000_000_000);
        assert_eq!(doc["@invalid"]["start"], "222222222222222202");
        assert_eq!(doc["future_field"], "x");
        assert_eq!(doc["@timestamp_from"], "received");
        assert!(encoded.own_time_missing);
        // A format without `start` has no own time either, and says so.
        let list = FieldList::parse("version srcaddr dstaddr action");
        let (doc, encoded) = encode_doc(
            &Format::VpcFlow(list),
            &event("4 10.1.0.7 192.0.2.1 REJECT"),
        );
        assert_eq!(doc["@timestamp_from"], "received");
        assert!(encoded.own_time_missing && encoded.error.is_none());
        let (doc, encoded) = encode_doc(&Format::VpcFlow(FieldList::default()), &event(V2));
        assert!(doc.get("@timestamp_from").is_none() && !encoded.own_time_missing);
    }

    #[test]
    fn start_and_end_in_milliseconds_keep_their_milliseconds() {
        let line = "2 123456789010 eni-1 10.0.0.1 10.0.0.2 443 49152 6 3 180 1418530010123 1418530070456 ACCEPT OK";
        let (doc, encoded) = encode_doc(&Format::VpcFlow(FieldList::default()), &event(line));
        assert!(encoded.error.is_none(), "{:?}", encoded.error);
        assert_eq!(encoded.timestamp_ms, 1_418_530_010_123);
        assert_eq!(doc["start"], "2014-12-14T04:06:50.123Z");
        assert_eq!(doc["end"], "2014-12-14T04:07:50.456Z");
    }

    #[test]
    fn extracted_fields_take_precedence() {
        let fields = ExtractedFields(vec![
            ("srcaddr", FieldValue::Str("10.0.0.1")),
            ("dstaddr", FieldValue::Str("10.0.0.2")),
            ("dstport", FieldValue::Str("443")),
            ("account_id", FieldValue::Str("012345678901")),
            ("start", FieldValue::Str("1418530010")),
        ]);
        let mut e = event("ignored text");
        e.extracted = Some(&fields);
        let (doc, _) = encode_doc(&Format::VpcFlow(FieldList::default()), &e);
        assert_eq!(doc["dstport"], 443);
        assert_eq!(doc["account_id"], "012345678901");
        assert_eq!(doc["@timestamp"], "2014-12-14T04:06:50.000Z");
    }
}
