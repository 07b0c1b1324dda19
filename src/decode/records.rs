//! The records of a streamed log object, one at a time, in bounded memory.
//!
//! S3 log objects come in four layouts: lines (flow logs, access logs,
//! NDJSON), a sequence of JSON values (pretty-printed objects one after the
//! other), CloudTrail's `{"Records":[...]}` (and AWS Config's
//! `{"fileVersion":...,"configurationItems":[...]}`), whose array elements are the
//! records, and a bare `[...]` of records (CloudTrail Lake and many tools
//! export so), pretty-printed or on one line. [`RecordReader`] reads any of them from a `BufRead` and holds at
//! most one record (up to [`MAX_RECORD`] bytes) plus the reader's buffer, so
//! memory does not grow with the object: a 1 GB CloudTrail file is read one
//! event at a time. CloudTrail digest files are recognised and yield nothing.
//!
//! A record that is not valid UTF-8, larger than [`MAX_RECORD`], or cut off
//! by the end of the object is still returned, with a [`Record::problem`]
//! saying what is wrong with it, so that it is indexed with an `@error`
//! rather than lost.

use std::borrow::Cow;
use std::io::{self, BufRead, Read};

use crate::spill::{Spill, Spilled};

/// The largest record kept whole. A longer one is indexed as its first
/// [`OVERSIZE_PREFIX`] bytes with an error.
pub const MAX_RECORD: usize = 8 * 1024 * 1024;
/// How much of an oversized record is kept.
pub const OVERSIZE_PREFIX: usize = 64 * 1024;

/// How much of an object's start [`Layout::sniff`] looks at.
const SNIFF_LEN: usize = 4096;

/// How an object's records are laid out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layout {
    /// One record per line (empty lines skipped).
    Lines,
    /// JSON values one after the other, each a record.
    JsonValues,
    /// `{"Records":[...]}`: each array element is a record.
    RecordsArray,
    /// `[...]`: each element is a record.
    Array,
    /// A CloudTrail digest file: no records.
    Digest,
}

impl Layout {
    /// Decides from the first bytes of an object (after decompression).
    ///
    /// A JSON layout is taken only when the head really is JSON: its first
    /// value parses, or is cut off by the end of the head without a syntax
    /// error. Anything else is lines, so that a text whose first line merely
    /// starts like JSON (`[INFO] starting`, a Kafka `[2025-07-04 10:00:00,123]
    /// INFO ...` line) loses nothing.
    pub fn sniff(head: &[u8]) -> Layout {
        let text = head.strip_prefix(b"\xef\xbb\xbf").unwrap_or(head);
        let start = text
            .iter()
            .position(|b| !b.is_ascii_whitespace())
            .unwrap_or(text.len());
        let text = &text[start..];
        // A bad byte is no reason to doubt the layout: parse what it says.
        let lossy;
        let text = match std::str::from_utf8(text) {
            Ok(_) => text,
            Err(_) => {
                lossy = String::from_utf8_lossy(text).into_owned();
                lossy.as_bytes()
            }
        };
        let opening = match text.first() {
            Some(b @ (b'[' | b'{')) => *b,
            _ => return Layout::Lines,
        };
        let finder = |needle: &[u8]| memchr::memmem::find(text, needle).is_some();
        if opening == b'{' && finder(b"\"digestStartTime\"") && finder(b"\"logFiles\"") {
            return Layout::Digest;
        }
        let end = match first_value_end(text) {
            FirstValue::Ends(end) => end,
            // Longer than the head: a pretty-printed or large value.
            FirstValue::CutOff => return json_layout(text),
            FirstValue::NotJson => return Layout::Lines,
        };
        let first_line_end = memchr::memchr(b'\n', text).unwrap_or(text.len());
        let rest_of_line = &text[end.min(first_line_end)..first_line_end];
        let rest = &text[end..];
        let on_first_line = end <= first_line_end;
        match opening {
            // A value spread over lines, or values one after the other on
            // the first line.
            b'{' if !on_first_line || !rest_of_line.iter().all(u8::is_ascii_whitespace) => {
                json_layout(text)
            }
            // One object a line, unless it is CloudTrail's file on one line.
            b'{' => match json_layout(text) {
                Layout::RecordsArray => Layout::RecordsArray,
                _ => Layout::Lines,
            },
            // One array, and nothing after it in the head: its elements
            // are the records. An array followed by more lines is a line.
            _ if rest.iter().all(u8::is_ascii_whitespace) || !on_first_line => Layout::Array,
            _ => Layout::Lines,
        }
    }
}

/// The JSON layout of a head that starts with a JSON value.
fn json_layout(text: &[u8]) -> Layout {
    if text.starts_with(b"[") {
        return Layout::Array;
    }
    let after_brace = text[1..]
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .map_or(&[][..], |p| &text[1 + p..]);
    // CloudTrail's `{"Records":[...]}`, and AWS Config's snapshot and
    // history files, `{"fileVersion":"1.0",...,"configurationItems":[...]}`
    // (only scalars before the list, so its items are the records; tools
    // that rewrite them may sort the keys).
    let config = [
        &b"\"fileVersion\""[..],
        b"\"configSnapshotId\"",
        b"\"configurationItems\"",
    ]
    .iter()
    .any(|first| after_brace.starts_with(first))
        && memchr::memmem::find(text, b"\"configurationItems\"").is_some();
    if after_brace.starts_with(b"\"Records\"") || config {
        return Layout::RecordsArray;
    }
    Layout::JsonValues
}

/// What parsing the first JSON value of a head found.
enum FirstValue {
    /// It ends at this offset.
    Ends(usize),
    /// The head ends inside it, with no syntax error before.
    CutOff,
    NotJson,
}

fn first_value_end(text: &[u8]) -> FirstValue {
    let mut values =
        serde_json::Deserializer::from_slice(text).into_iter::<serde::de::IgnoredAny>();
    match values.next() {
        Some(Ok(_)) => FirstValue::Ends(values.byte_offset()),
        Some(Err(e)) if e.is_eof() => FirstValue::CutOff,
        _ => FirstValue::NotJson,
    }
}

/// One record, and what is wrong with it if something is.
#[derive(Debug)]
pub struct Record<'a> {
    pub text: Cow<'a, str>,
    /// Zero-based position of the record in its object.
    pub position: u64,
    pub problem: Option<String>,
    /// A record over [`MAX_RECORD`]: all of its bytes, in a temporary file
    /// (for the dead-letter destination), or why they could not be kept.
    pub whole: Option<Result<Spilled, String>>,
}

/// Reads the records of one object.
pub struct RecordReader {
    input: Box<dyn BufRead + Send>,
    layout: Layout,
    /// The record being read, when it is copied rather than lent.
    kept: Kept,
    scanner: Scanner,
    /// Bytes of the last record that were lent out of the input's buffer
    /// rather than copied, consumed when the next record is asked for.
    lent: usize,
    done: bool,
    position: u64,
}

impl RecordReader {
    pub fn new(mut input: Box<dyn BufRead + Send>) -> io::Result<RecordReader> {
        // Enough of the start to tell the layout, then read again from it.
        let mut head = Vec::with_capacity(SNIFF_LEN);
        while head.len() < SNIFF_LEN {
            let chunk = input.fill_buf()?;
            if chunk.is_empty() {
                break;
            }
            let take = chunk.len().min(SNIFF_LEN - head.len());
            head.extend_from_slice(&chunk[..take]);
            input.consume(take);
        }
        let layout = Layout::sniff(&head);
        let input: Box<dyn BufRead + Send> = Box::new(io::Cursor::new(head).chain(input));
        Ok(RecordReader {
            input,
            layout,
            kept: Kept::default(),
            scanner: Scanner::new(match layout {
                Layout::RecordsArray => 2,
                Layout::Array => 1,
                _ => 0,
            }),
            lent: 0,
            done: layout == Layout::Digest,
            position: 0,
        })
    }

    pub fn layout(&self) -> Layout {
        self.layout
    }

    /// The start of the object (at least the bytes its layout was told
    /// from, unless it is shorter), before the first record is read.
    pub fn head(&mut self) -> io::Result<&[u8]> {
        debug_assert_eq!(self.position, 0, "asked before the first record");
        self.input.fill_buf()
    }

    /// The rest of the object, whole, if it is at most `limit` bytes; if it
    /// is longer, nothing is taken (what was read goes back in front).
    pub fn take_whole(&mut self, limit: u64) -> io::Result<Option<Vec<u8>>> {
        let mut whole = Vec::new();
        (&mut self.input).take(limit + 1).read_to_end(&mut whole)?;
        if whole.len() as u64 > limit {
            self.unread(whole);
            return Ok(None);
        }
        self.done = true;
        Ok(Some(whole))
    }

    /// Puts `bytes`, taken from the start of the object, back in front of
    /// what is still to be read: records are read from them again.
    pub fn unread(&mut self, bytes: Vec<u8>) {
        let rest = std::mem::replace(&mut self.input, Box::new(io::empty()));
        self.input = Box::new(io::Cursor::new(bytes).chain(rest));
        self.done = self.layout == Layout::Digest;
    }

    /// The next record, or `None` at the end of the object. I/O errors
    /// (a cut connection, corrupt gzip) end the object with an error.
    pub fn next_record(&mut self) -> io::Result<Option<Record<'_>>> {
        if self.lent > 0 {
            self.input.consume(std::mem::take(&mut self.lent));
        }
        if self.done {
            return Ok(None);
        }
        self.kept.clear();
        if self.layout == Layout::Lines {
            if let Some(len) = self.line_in_buffer()? {
                let position = self.position;
                self.position += 1;
                let mut problem = None;
                let text = record_text(&self.input.fill_buf()?[..len], &mut problem);
                return Ok(Some(Record {
                    text,
                    position,
                    problem,
                    whole: None,
                }));
            }
        }
        let complete = match self.layout {
            Layout::Lines => self.read_line()?,
            Layout::JsonValues | Layout::RecordsArray | Layout::Array => self.read_json()?,
            Layout::Digest => None,
        };
        let Some(complete) = complete else {
            self.done = true;
            return Ok(None);
        };
        let position = self.position;
        self.position += 1;
        let mut problem = None;
        let mut whole = None;
        if self.kept.len > MAX_RECORD {
            problem = Some(format!(
                "record of {} bytes, more than {MAX_RECORD}: only the first {OVERSIZE_PREFIX} indexed",
                self.kept.len
            ));
            self.kept.buf.truncate(OVERSIZE_PREFIX);
            whole = self.kept.take_whole();
        } else if !complete {
            problem = Some("record cut off by the end of the object".to_owned());
        }
        let text = record_text(&self.kept.buf, &mut problem);
        Ok(Some(Record {
            text,
            position,
            problem,
            whole,
        }))
    }

    /// The length of the next non-empty line if all of it is already in the
    /// input's buffer: it is then lent from there (consumed on the next
    /// call) rather than copied, which is the common case. Blank lines in
    /// the buffer are skipped. `None` when the line runs past the buffer.
    fn line_in_buffer(&mut self) -> io::Result<Option<usize>> {
        loop {
            let chunk = self.input.fill_buf()?;
            // A longer line is copied, which cuts it at the limit.
            let Some(newline) = memchr::memchr(b'\n', chunk).filter(|&n| n <= MAX_RECORD) else {
                return Ok(None);
            };
            let len = if newline > 0 && chunk[newline - 1] == b'\r' {
                newline - 1
            } else {
                newline
            };
            if chunk[..len].iter().all(u8::is_ascii_whitespace) {
                self.input.consume(newline + 1);
                continue;
            }
            self.lent = newline + 1;
            return Ok(Some(len));
        }
    }

    /// The next non-empty line into `buf`; `Some(true)` when found.
    fn read_line(&mut self) -> io::Result<Option<bool>> {
        loop {
            let mut saw_any = false;
            loop {
                let chunk = self.input.fill_buf()?;
                if chunk.is_empty() {
                    break;
                }
                saw_any = true;
                let newline = memchr::memchr(b'\n', chunk);
                let end = newline.unwrap_or(chunk.len());
                self.kept.keep(&chunk[..end]);
                self.input.consume(newline.map_or(end, |p| p + 1));
                if newline.is_some() {
                    break;
                }
            }
            if !saw_any {
                return Ok(None);
            }
            if self.kept.buf.last() == Some(&b'\r') {
                self.kept.buf.pop();
            }
            if self.kept.buf.iter().all(u8::is_ascii_whitespace) && self.kept.len <= MAX_RECORD {
                self.kept.clear();
                continue;
            }
            return Ok(Some(true));
        }
    }

    /// The next JSON value (or `Records` element) into `buf`; `Some(false)`
    /// when the object ended inside it. What a JSON layout cannot take is
    /// read as lines: anything after a top-level array's closing bracket,
    /// and, in a sequence of values, everything from a value that is not an
    /// object or array on.
    fn read_json(&mut self) -> io::Result<Option<bool>> {
        if self.layout == Layout::JsonValues && !self.next_value_is_container()? {
            self.layout = Layout::Lines;
            return self.read_line();
        }
        loop {
            let chunk = self.input.fill_buf()?;
            if chunk.is_empty() {
                let in_record = std::mem::take(&mut self.scanner.in_element);
                return Ok(in_record.then_some(false));
            }
            // An element already open continues from the chunk's start.
            let continuing = self.scanner.in_element;
            let scanned = self.scanner.scan(chunk);
            let end = scanned.unwrap_or(chunk.len());
            if self.scanner.finished {
                self.input.consume(end);
                if self.layout != Layout::Array {
                    self.done = true;
                    return Ok(None);
                }
                self.layout = Layout::Lines;
                return self.read_line();
            }
            let start = if continuing {
                Some(0)
            } else {
                self.scanner.element_start
            };
            if let Some(start) = start {
                self.kept.keep(&chunk[start..end]);
            }
            self.input.consume(end);
            if scanned.is_some() {
                return Ok(Some(true));
            }
        }
    }

    /// Skips blank space and separators before the next value of a sequence
    /// and tells whether it opens an object or array.
    fn next_value_is_container(&mut self) -> io::Result<bool> {
        loop {
            let chunk = self.input.fill_buf()?;
            let Some(at) = chunk
                .iter()
                .position(|b| !b.is_ascii_whitespace() && *b != b',')
            else {
                if chunk.is_empty() {
                    return Ok(true);
                }
                let len = chunk.len();
                self.input.consume(len);
                continue;
            };
            let container = matches!(chunk[at], b'{' | b'[');
            self.input.consume(at);
            return Ok(container);
        }
    }
}

/// The text of a record's bytes. Invalid UTF-8 is replaced, and named in
/// `problem` unless that already says what is wrong.
fn record_text<'b>(bytes: &'b [u8], problem: &mut Option<String>) -> Cow<'b, str> {
    match std::str::from_utf8(bytes) {
        Ok(text) => Cow::Borrowed(text),
        Err(e) => {
            problem.get_or_insert_with(|| format!("invalid UTF-8 at byte {}", e.valid_up_to()));
            String::from_utf8_lossy(bytes)
        }
    }
}

/// The bytes of the record being read: the first [`MAX_RECORD`] + 1 in
/// memory (one past the limit tells an oversized record from one of
/// exactly the limit), and, once the record is larger, all of them in a
/// temporary file, so that memory stays bounded and nothing is lost.
#[derive(Default)]
struct Kept {
    buf: Vec<u8>,
    /// Bytes of the record seen, kept in memory or not.
    len: usize,
    overflow: Overflow,
}

#[derive(Default)]
enum Overflow {
    #[default]
    None,
    Spilling(Spill),
    /// The temporary file could not be made.
    Lost(String),
}

impl Kept {
    fn clear(&mut self) {
        self.buf.clear();
        self.len = 0;
        self.overflow = Overflow::None;
    }

    fn keep(&mut self, bytes: &[u8]) {
        let before = self.len;
        self.len += bytes.len();
        let room = (MAX_RECORD + 1).saturating_sub(self.buf.len());
        self.buf.extend_from_slice(&bytes[..bytes.len().min(room)]);
        if self.len <= MAX_RECORD {
            return;
        }
        match &mut self.overflow {
            Overflow::Spilling(spill) => spill.write(bytes),
            Overflow::Lost(_) => {}
            // Crossing the limit now: everything before is in `buf`.
            Overflow::None => match Spill::create() {
                Ok(mut spill) => {
                    spill.write(&self.buf[..before]);
                    spill.write(bytes);
                    self.overflow = Overflow::Spilling(spill);
                }
                Err(e) => self.overflow = Overflow::Lost(format!("no temporary file: {e}")),
            },
        }
    }

    /// The whole of an oversized record.
    fn take_whole(&mut self) -> Option<Result<Spilled, String>> {
        match std::mem::take(&mut self.overflow) {
            Overflow::None => None,
            Overflow::Spilling(spill) => Some(spill.finish()),
            Overflow::Lost(why) => Some(Err(why)),
        }
    }
}

/// Finds where JSON values begin and end in a byte stream, chunk by chunk,
/// by counting brackets outside strings. Values at `base_depth` are the
/// records: 0 for a sequence of values, 1 for the elements of a top-level
/// array, 2 for the elements of an array that is a member of the top-level
/// object.
#[derive(Debug)]
struct Scanner {
    base_depth: u32,
    depth: u32,
    in_string: bool,
    escaped: bool,
    in_element: bool,
    /// The element is a bare value (number, literal, stray byte) that ends
    /// at the next separator.
    bare: bool,
    /// Where the current element starts in the last chunk scanned, if it
    /// started there.
    element_start: Option<usize>,
    /// The records array is closed: nothing more to read.
    finished: bool,
}

impl Scanner {
    fn new(base_depth: u32) -> Scanner {
        Scanner {
            base_depth,
            depth: 0,
            in_string: false,
            escaped: false,
            in_element: false,
            bare: false,
            element_start: None,
            finished: false,
        }
    }

    /// Scans `chunk` until the end of the next element, returning the
    /// position just past it; `None` if the chunk ends first. When the
    /// records array closes instead, `finished` is set and the position is
    /// just past its closing bracket.
    fn scan(&mut self, chunk: &[u8]) -> Option<usize> {
        self.element_start = None;
        let mut i = 0;
        while i < chunk.len() {
            if self.in_string {
                if self.escaped {
                    self.escaped = false;
                    i += 1;
                    continue;
                }
                match memchr::memchr2(b'"', b'\\', &chunk[i..]) {
                    None => return None,
                    Some(p) => {
                        i += p;
                        if chunk[i] == b'\\' {
                            self.escaped = true;
                        } else {
                            self.in_string = false;
                            if self.in_element && self.bare && self.depth == self.base_depth {
                                // A string element ends with its quote.
                                self.in_element = false;
                                return Some(i + 1);
                            }
                        }
                        i += 1;
                        continue;
                    }
                }
            }
            let b = chunk[i];
            if !self.in_element {
                if self.depth < self.base_depth {
                    // Before the records array: find its opening bracket.
                    match b {
                        b'"' => self.in_string = true,
                        b'{' | b'[' => self.depth += 1,
                        b'}' | b']' => {
                            self.finished = true;
                            return Some(i + 1);
                        }
                        _ => {}
                    }
                    i += 1;
                    continue;
                }
                if b.is_ascii_whitespace() || b == b',' {
                    i += 1;
                    continue;
                }
                if b == b']' && self.base_depth > 0 {
                    self.finished = true;
                    return Some(i + 1);
                }
                self.in_element = true;
                self.bare = !matches!(b, b'{' | b'[');
                self.element_start = Some(i);
                if self.bare && b != b'"' {
                    i += 1;
                    continue;
                }
            }
            match b {
                b'"' => self.in_string = true,
                b'{' | b'[' if !self.bare => self.depth += 1,
                b'}' | b']' if !self.bare => {
                    self.depth -= 1;
                    if self.depth == self.base_depth {
                        self.in_element = false;
                        return Some(i + 1);
                    }
                }
                b' ' | b'\t' | b'\r' | b'\n' | b',' | b'{' | b'[' | b']'
                    if self.bare && self.depth == self.base_depth =>
                {
                    self.in_element = false;
                    return Some(i);
                }
                _ => {}
            }
            i += 1;
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reads every record of `data`, fed in chunks of `chunk` bytes to
    /// exercise values split across reads.
    fn records(data: &[u8], chunk: usize) -> (Layout, Vec<(String, Option<String>)>) {
        let reader = std::io::BufReader::with_capacity(chunk, std::io::Cursor::new(data.to_vec()));
        let mut records = RecordReader::new(Box::new(reader)).expect("reader");
        let layout = records.layout();
        let mut out = Vec::new();
        while let Some(r) = records.next_record().expect("read") {
            out.push((r.text.into_owned(), r.problem));
        }
        (layout, out)
    }

    fn texts(data: &[u8], chunk: usize) -> Vec<String> {
        records(data, chunk).1.into_iter().map(|(t, _)| t).collect()
    }

    /// Taking an object whole, or giving it back, loses no record.
    #[test]
    fn what_is_taken_whole_or_given_back_is_read_again() {
        let data = b"{\"a\":1}\n{\"a\":2}\n{\"a\":3}\n".repeat(100);
        let open = || {
            let reader = std::io::BufReader::with_capacity(64, std::io::Cursor::new(data.clone()));
            RecordReader::new(Box::new(reader)).expect("reader")
        };
        let mut small = open();
        assert!(small.head().expect("head").starts_with(b"{\"a\":1}"));
        assert_eq!(small.take_whole(10).expect("read"), None, "over the limit");
        let mut whole = open();
        let taken = whole.take_whole(1 << 20).expect("read").expect("whole");
        assert_eq!(taken, data);
        assert!(whole.next_record().expect("read").is_none(), "taken");
        whole.unread(taken);
        for reader in [&mut small, &mut whole] {
            let mut count = 0;
            while let Some(record) = reader.next_record().expect("read") {
                assert_eq!(record.position, count);
                count += 1;
            }
            assert_eq!(count, 300);
        }
    }

    #[test]
    fn cloudtrail_records_one_at_a_time() {
        let file = br#"{"Records":[{"a":"x}]\"y","n":[1,{"b":2}]} , {"c":"[{"}
  ]}"#;
        for chunk in [1, 2, 3, 7, 64] {
            let (layout, _) = records(file, chunk);
            assert_eq!(layout, Layout::RecordsArray);
            assert_eq!(
                texts(file, chunk),
                [r#"{"a":"x}]\"y","n":[1,{"b":2}]}"#, r#"{"c":"[{"}"#],
                "chunk {chunk}"
            );
        }
        assert!(texts(br#"{"Records":[]}"#, 4).is_empty());
    }

    #[test]
    fn config_files_are_read_item_by_item() {
        let file = br#"{"fileVersion":"1.0","configSnapshotId":"a1b2","configurationItems":[{"resourceType":"AWS::S3::Bucket","configuration":{"x":[1,2]}},
  {"resourceType":"AWS::EC2::VPC"}]}"#;
        let (layout, _) = records(file, 64);
        assert_eq!(layout, Layout::RecordsArray);
        let sorted =
            br#"{"configSnapshotId":"a1b2","configurationItems":[{"a":1}],"fileVersion":"1.0"}"#;
        assert_eq!(texts(sorted, 64), [r#"{"a":1}"#]);
        assert_eq!(
            texts(file, 64),
            [
                r#"{"resourceType":"AWS::S3::Bucket","configuration":{"x":[1,2]}}"#,
                r#"{"resourceType":"AWS::EC2::VPC"}"#
            ]
        );
    }

    #[test]
    fn arrays_of_records_pretty_or_on_one_line() {
        let one_line = br#"[{"eventVersion":"1.08","a":"]"},{"eventVersion":"1.09","b":[1,2]}]"#;
        let pretty = b"\xef\xbb\xbf [\n  {\n    \"eventVersion\": \"1.08\",\n    \"a\": \"]\"\n  },\n  {\"eventVersion\": \"1.09\", \"b\": [1, 2]}\n]\n";
        for chunk in [1, 2, 5, 64] {
            let (layout, got) = records(one_line, chunk);
            assert_eq!(layout, Layout::Array);
            assert_eq!(
                got.iter().map(|(t, _)| t.as_str()).collect::<Vec<_>>(),
                [
                    r#"{"eventVersion":"1.08","a":"]"}"#,
                    r#"{"eventVersion":"1.09","b":[1,2]}"#
                ],
                "chunk {chunk}"
            );
            let (layout, got) = records(pretty, chunk);
            assert_eq!(layout, Layout::Array);
            assert_eq!(got.len(), 2, "chunk {chunk}");
            assert!(got[0].0.starts_with('{') && got[0].0.ends_with('}'));
            assert!(got.iter().all(|(_, problem)| problem.is_none()));
        }
        assert!(texts(b"[]", 1).is_empty());
        let (_, got) = records(br#"[{"a":1},{"b":"cut"#, 3);
        assert_eq!(got.len(), 2);
        assert_eq!(
            got[1].1.as_deref(),
            Some("record cut off by the end of the object")
        );
    }

    #[test]
    fn json_values_and_ndjson() {
        let pretty = b"{\n  \"a\": 1\n}\n{\n  \"b\": \"}\"\n}\n";
        assert_eq!(records(pretty, 64).0, Layout::JsonValues);
        assert_eq!(
            texts(pretty, 3),
            ["{\n  \"a\": 1\n}", "{\n  \"b\": \"}\"\n}"]
        );
        let ndjson = b"{\"a\":1}\n\n{\"b\":2}\r\n{\"broken\":\n";
        let (layout, got) = records(ndjson, 64);
        assert_eq!(layout, Layout::Lines);
        assert_eq!(got.len(), 3);
        assert_eq!(got[2].0, "{\"broken\":");
    }

    #[test]
    fn lines_skip_blanks_and_flag_bad_bytes() {
        let (layout, got) = records(b"a b\n\n  \nc\xff d\r\ncaf\xc3\xa9 \xe2\x82\xac\nlast", 4);
        assert_eq!(layout, Layout::Lines);
        assert_eq!(got[0], ("a b".to_owned(), None));
        assert_eq!(got[1].0, "c\u{fffd} d");
        assert_eq!(got[1].1.as_deref(), Some("invalid UTF-8 at byte 1"));
        assert_eq!(
            got[2],
            ("caf\u{e9} \u{20ac}".to_owned(), None),
            "UTF-8 beyond ASCII"
        );
        assert_eq!(got[3], ("last".to_owned(), None));
        assert_eq!(got.len(), 4);
    }

    #[test]
    fn truncated_and_digest_objects() {
        let (_, got) = records(br#"{"Records":[{"a":1},{"b":"cut"#, 5);
        assert_eq!(got.len(), 2);
        assert_eq!(got[1].0, r#"{"b":"cut"#);
        assert_eq!(
            got[1].1.as_deref(),
            Some("record cut off by the end of the object")
        );
        let digest = br#"{"awsAccountId":"1","digestStartTime":"x","logFiles":[{"s3Object":"k"}]}"#;
        assert_eq!(records(digest, 16), (Layout::Digest, vec![]));
    }

    /// Texts that start like JSON but are not (or not only) JSON: every
    /// line of each must be in some record, whatever the chunk size.
    #[test]
    fn near_misses_of_json_layouts_lose_no_line() {
        let cases: &[(&[u8], Layout, &[&str])] = &[
            (
                b"[2025-07-04 10:00:00,123] INFO [KafkaServer id=1] started (kafka.server.KafkaServer)\n[2025-07-04 10:00:01,456] WARN [Log partition=t-0] gone (kafka.log.Log)\n",
                Layout::Lines,
                &[
                    "[2025-07-04 10:00:00,123] INFO [KafkaServer id=1] started (kafka.server.KafkaServer)",
                    "[2025-07-04 10:00:01,456] WARN [Log partition=t-0] gone (kafka.log.Log)",
                ],
            ),
            (
                b"[INFO] starting\n[WARN] careful\n[ERROR] boom\n",
                Layout::Lines,
                &["[INFO] starting", "[WARN] careful", "[ERROR] boom"],
            ),
            (
                b"[1,2,3]\nsome text\nmore text",
                Layout::Lines,
                &["[1,2,3]", "some text", "more text"],
            ),
            (
                b"[{\"a\":1}]\n[{\"b\":2}]\n",
                Layout::Lines,
                &["[{\"a\":1}]", "[{\"b\":2}]"],
            ),
            (
                b"[\n  {\"a\": 1}\n]\nafter the array\n\n  and more ] text\n",
                Layout::Array,
                &["{\"a\": 1}", "after the array", "  and more ] text"],
            ),
            (
                b"[{\"a\":1}] trailing words\n",
                Layout::Lines,
                &["[{\"a\":1}] trailing words"],
            ),
            (
                b"{\"a\":1}\nplain text\n{\"b\":",
                Layout::Lines,
                &["{\"a\":1}", "plain text", "{\"b\":"],
            ),
            (
                b"{\n  \"a\": 1\n}\nplain text, with a comma\n{\"after\": true}\n",
                Layout::JsonValues,
                &["{\n  \"a\": 1\n}", "plain text, with a comma", "{\"after\": true}"],
            ),
            (
                b"{not json}\nsecond\n",
                Layout::Lines,
                &["{not json}", "second"],
            ),
            (
                b"{\"Records\" is what CloudTrail writes\nsecond\n",
                Layout::Lines,
                &["{\"Records\" is what CloudTrail writes", "second"],
            ),
            (
                b"[\"caf\xff\"]\n",
                Layout::Array,
                &["\"caf\u{fffd}\""],
            ),
        ];
        for (data, layout, expected) in cases {
            for chunk in [1, 3, 8, 64, 4096] {
                let (got_layout, got) = records(data, chunk);
                let label = String::from_utf8_lossy(data);
                assert_eq!(got_layout, *layout, "{label}");
                let got: Vec<&str> = got.iter().map(|(t, _)| t.as_str()).collect();
                assert_eq!(got, *expected, "{label}, chunk {chunk}");
            }
        }
    }

    #[test]
    fn oversized_records_are_kept_whole_on_the_side() {
        let mut big = br#"{"Records":[{"a":""#.to_vec();
        let record_start = br#"{"Records":["#.len();
        big.extend(std::iter::repeat_n(b'x', MAX_RECORD + 5));
        big.extend_from_slice(br#""},{"b":1}]}"#);
        let record_end = big.len() - br#",{"b":1}]}"#.len();
        let mut line = vec![b'y'; MAX_RECORD + 3];
        line.extend_from_slice(b"\nnext\n");
        for (data, whole_bytes) in [
            (&big[..], &big[record_start..record_end]),
            (&line[..], &line[..MAX_RECORD + 3]),
        ] {
            let reader =
                std::io::BufReader::with_capacity(64 * 1024, std::io::Cursor::new(data.to_vec()));
            let mut records = RecordReader::new(Box::new(reader)).expect("reader");
            let first = records.next_record().expect("read").expect("a record");
            assert_eq!(first.text.len(), OVERSIZE_PREFIX);
            let whole = first.whole.expect("oversized").expect("kept");
            assert_eq!(whole.len(), whole_bytes.len() as u64);
            assert!(
                std::fs::read(whole.path()).expect("spilled") == whole_bytes,
                "every byte, in order"
            );
            let path = whole.path().to_owned();
            drop(whole);
            assert!(!path.exists());
            let second = records
                .next_record()
                .expect("read")
                .expect("the next record");
            assert!(
                second.whole.is_none() && second.problem.is_none(),
                "{second:?}"
            );
        }
    }

    #[test]
    fn oversized_records_keep_a_prefix() {
        let mut line = vec![b'x'; MAX_RECORD + 10];
        line.extend_from_slice(b"\nnext\n");
        // Read in small chunks, and with the whole line in the buffer
        // (where lines are lent rather than copied): cut either way.
        for capacity in [64 * 1024, 2 * MAX_RECORD] {
            let (_, got) = records(&line, capacity);
            assert_eq!(got.len(), 2);
            assert_eq!(got[0].0.len(), OVERSIZE_PREFIX);
            assert!(got[0].1.as_deref().unwrap_or("").contains("only the first"));
            assert_eq!(got[1], ("next".to_owned(), None));
        }
    }
}
