//! Writing JSON straight into byte buffers.
//!
//! Every document the forwarder sends is written here, field by field, into the
//! request buffer: there is no intermediate value tree on the hot path. The
//! writer only produces valid JSON as long as callers pass valid JSON to
//! [`ObjectWriter::raw`]; everything else is escaped here.

pub mod check;

/// Must this byte be escaped inside a JSON string? (`"`, `\` and controls.)
/// Branch-free, so that a scan over many bytes vectorises.
#[inline(always)]
const fn needs_escape(b: u8) -> bool {
    (b < 0x20) | (b == b'"') | (b == b'\\')
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// Appends a time in milliseconds as a quoted ISO 8601 UTC string.
#[inline]
pub fn write_timestamp(out: &mut Vec<u8>, millis: i64) {
    out.push(b'"');
    crate::time::write_rfc3339_millis(out, millis);
    out.push(b'"');
}

/// Appends `s` as a quoted, escaped JSON string.
#[inline]
pub fn write_str(out: &mut Vec<u8>, s: &str) {
    out.reserve(s.len() + 2);
    out.push(b'"');
    write_escaped(out, s.as_bytes());
    out.push(b'"');
}

/// Does any byte of `bytes` need escaping in a JSON string? One pass that
/// the compiler vectorises: it lets a whole line be checked once rather
/// than each value cut from it.
pub fn needs_escaping(bytes: &[u8]) -> bool {
    const CHUNK: usize = 32;
    let dirty = |chunk: &[u8; CHUNK]| any_to_escape(chunk);
    let mut chunks = bytes.chunks_exact(CHUNK);
    let mut block = [b'a'; CHUNK];
    for chunk in chunks.by_ref() {
        block.copy_from_slice(chunk);
        if dirty(&block) {
            return true;
        }
    }
    // The rest, padded with a byte that needs no escaping, checked alike.
    let rest = chunks.remainder();
    block = [b'a'; CHUNK];
    block[..rest.len()].copy_from_slice(rest);
    dirty(&block)
}

/// Appends the escaped contents of a string, without quotes. Blocks of 32
/// bytes are checked for anything to escape in one step (an OR of compares
/// that vectorises, on x86-64 and on arm64 alike); the words of a block
/// that holds something, and the last bytes, are read eight at a time,
/// and the marked bytes escaped. Clean runs between them are copied in one
/// go. A block-wide bit mask (a shift per byte) did not vectorise and cost
/// more than this on clean and tab-separated text alike.
pub fn write_escaped(out: &mut Vec<u8>, bytes: &[u8]) {
    const BLOCK: usize = 32;
    let mut start = 0;
    let mut at = 0;
    while let Some(block) = bytes.get(at..).and_then(<[u8]>::first_chunk::<BLOCK>) {
        if any_to_escape(block) {
            for word in (at..at + BLOCK).step_by(8) {
                let mask = word_at(bytes, word).map_or(0, escape_mask);
                escape_marked(out, bytes, &mut start, word, mask);
            }
        }
        at += BLOCK;
    }
    while let Some(word) = word_at(bytes, at) {
        escape_marked(out, bytes, &mut start, at, escape_mask(word));
        at += 8;
    }
    if at < bytes.len() {
        match bytes.len().checked_sub(8) {
            // The last word overlaps bytes already seen: their marks are
            // dropped.
            Some(from) => {
                let mask = word_at(bytes, from).map_or(0, escape_mask) & (!0 << (8 * (at - from)));
                escape_marked(out, bytes, &mut start, from, mask);
            }
            // Shorter than a word (and nothing read yet): padded with a
            // byte that is never marked.
            None => {
                let mut word = [b'a'; 8];
                word[..bytes.len()].copy_from_slice(bytes);
                let mask = escape_mask(u64::from_le_bytes(word));
                escape_marked(out, bytes, &mut start, 0, mask);
            }
        }
    }
    out.extend_from_slice(&bytes[start..]);
}

/// Escapes the bytes that `mask`, the [`escape_mask`] of the word at `at`,
/// marks, each after the clean run from `start` to it. Only the lowest
/// mark is exact, so each is checked again (a borrow can mark the byte
/// after a control character), and marks past the end are ignored.
#[inline(always)]
fn escape_marked(out: &mut Vec<u8>, bytes: &[u8], start: &mut usize, at: usize, mut mask: u64) {
    while mask != 0 {
        let i = at + mask.trailing_zeros() as usize / 8;
        mask &= mask - 1;
        let Some(&b) = bytes.get(i) else {
            break;
        };
        if needs_escape(b) {
            out.extend_from_slice(&bytes[*start..i]);
            write_escape(out, b);
            *start = i + 1;
        }
    }
}

/// Eight bytes of `bytes` from `at`, little-endian, if it has eight there:
/// the word the SWAR scans here and in the filters read. (Sliced
/// `at..at + 8`: `first_chunk` of the tail compiled to 6-10% more
/// instructions in the filters' index scan.)
#[inline(always)]
pub(crate) fn word_at(bytes: &[u8], at: usize) -> Option<u64> {
    let word = bytes.get(at..at + 8)?;
    Some(u64::from_le_bytes(word.try_into().ok()?))
}

/// Does any byte of `bytes` need escaping? Branch-free over the bytes, so
/// that on a fixed-size block it vectorises.
#[inline(always)]
fn any_to_escape(bytes: &[u8]) -> bool {
    bytes
        .iter()
        .fold(false, |dirty, &b| dirty | needs_escape(b))
}

/// The high bit of each byte of `word` (read little-endian) that needs
/// escaping; exact as [`bytes_below`] is.
#[inline(always)]
fn escape_mask(word: u64) -> u64 {
    bytes_below(word, b' ') | bytes_equal(word, b'"') | bytes_equal(word, b'\\')
}

const ONES: u64 = u64::from_le_bytes([1; 8]);

/// The high bit of each byte of `word` (read little-endian) below `n`
/// (n <= 128). Exact as a yes/no answer, and its lowest bit is exact too: a
/// false bit only ever sits above a true one, where a borrow ran on. That
/// is all a scan for the first such byte needs.
#[inline(always)]
pub(crate) fn bytes_below(word: u64, n: u8) -> u64 {
    word.wrapping_sub(ONES * u64::from(n)) & !word & (ONES * 0x80)
}

/// The high bit of each byte of `word` equal to `byte`, exact as
/// [`bytes_below`] is.
#[inline(always)]
pub(crate) fn bytes_equal(word: u64, byte: u8) -> u64 {
    bytes_below(word ^ (ONES * u64::from(byte)), 1)
}

/// The escape sequence of one byte that JSON strings may not hold raw.
#[inline(always)]
fn write_escape(out: &mut Vec<u8>, b: u8) {
    match b {
        b'"' => out.extend_from_slice(b"\\\""),
        b'\\' => out.extend_from_slice(b"\\\\"),
        b'\n' => out.extend_from_slice(b"\\n"),
        b'\r' => out.extend_from_slice(b"\\r"),
        b'\t' => out.extend_from_slice(b"\\t"),
        _ => out.extend_from_slice(&[
            b'\\',
            b'u',
            b'0',
            b'0',
            HEX[(b >> 4) as usize],
            HEX[(b & 0xf) as usize],
        ]),
    }
}

/// Appends valid JSON text with its raw line breaks removed, so that it fits on
/// one NDJSON line. Inside valid JSON a raw CR or LF can only be insignificant
/// whitespace (strings must escape them), so dropping them changes nothing.
pub fn write_single_line(out: &mut Vec<u8>, json: &[u8]) {
    let mut rest = json;
    while let Some(pos) = memchr::memchr2(b'\n', b'\r', rest) {
        out.extend_from_slice(&rest[..pos]);
        rest = &rest[pos + 1..];
    }
    out.extend_from_slice(rest);
}

/// Does `name` hold nothing to escape? (For [`key!`], when compiling.)
pub const fn is_plain(name: &str) -> bool {
    let bytes = name.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if needs_escape(bytes[i]) {
            return false;
        }
        i += 1;
    }
    true
}

/// `"name":` rendered when compiling, for the fixed keys that formats
/// write into every document of their kind (escaping them anew each time
/// was a tenth of a Lambda line's encoding). Refuses, when compiling, a
/// name that would need escaping.
macro_rules! key {
    ($name:literal) => {{
        const _: () = assert!(
            $crate::json::is_plain($name),
            "a rendered key needs no escaping"
        );
        concat!("\"", $name, "\":").as_bytes()
    }};
}
pub(crate) use key;

/// Renders `"key":` once, for keys written many times.
pub fn render_key(key: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(key.len() + 3);
    write_str(&mut out, key);
    out.push(b':');
    out
}

/// Writes one JSON object, one field at a time.
pub struct ObjectWriter<'a> {
    out: &'a mut Vec<u8>,
    empty: bool,
}

impl<'a> ObjectWriter<'a> {
    pub fn new(out: &'a mut Vec<u8>) -> Self {
        out.push(b'{');
        ObjectWriter { out, empty: true }
    }

    /// Writes the comma that precedes every member but the first.
    #[inline]
    fn separate(&mut self) {
        if !self.empty {
            self.out.push(b',');
        }
        self.empty = false;
    }

    /// Starts a field and returns the buffer for its value, which the
    /// caller must fill with exactly one valid JSON value.
    #[inline]
    pub fn field(&mut self, key: &str) -> &mut Vec<u8> {
        self.separate();
        write_str(self.out, key);
        self.out.push(b':');
        self.out
    }

    pub fn str(&mut self, key: &str, value: &str) {
        let out = self.field(key);
        write_str(out, value);
    }

    /// [`ObjectWriter::str`] with the key rendered already ([`key!`]).
    #[inline]
    pub fn rendered_str(&mut self, key: &[u8], value: &str) {
        write_str(self.rendered_key(key), value);
    }

    pub fn i64(&mut self, key: &str, value: i64) {
        let out = self.field(key);
        out.extend_from_slice(itoa::Buffer::new().format(value).as_bytes());
    }

    pub fn f64(&mut self, key: &str, value: f64) {
        let out = self.field(key);
        if value.is_finite() {
            out.extend_from_slice(ryu::Buffer::new().format_finite(value).as_bytes());
        } else {
            out.extend_from_slice(b"null");
        }
    }

    /// A value that is already valid JSON (a number's digits, a nested object).
    pub fn raw(&mut self, key: &str, json: &[u8]) {
        let out = self.field(key);
        write_single_line(out, json);
    }

    /// A timestamp in milliseconds, as an ISO 8601 UTC string.
    pub fn timestamp(&mut self, key: &str, millis: i64) {
        write_timestamp(self.field(key), millis);
    }

    /// A member of a checked JSON object, key and value as they were
    /// written (line breaks between tokens dropped).
    pub fn member(&mut self, member: &check::Member<'_>) {
        self.separate();
        self.out.extend_from_slice(member.key.as_bytes());
        self.out.push(b':');
        write_single_line(self.out, member.value.as_bytes());
    }

    /// Appends members already rendered as JSON (`"a":1,"b":2`).
    pub fn members(&mut self, rendered: &[u8]) {
        if rendered.is_empty() {
            return;
        }
        self.separate();
        self.out.extend_from_slice(rendered);
    }

    /// Members that `render` writes whole (`"a":1,"b":"x"`: no leading
    /// comma, at least one member). If it gives up (`None`), whatever it
    /// wrote is taken back and the object is as it was.
    #[inline]
    pub fn try_members<R>(&mut self, render: impl FnOnce(&mut Vec<u8>) -> Option<R>) -> Option<R> {
        let (mark, empty) = (self.out.len(), self.empty);
        self.separate();
        let rendered = render(self.out);
        if rendered.is_none() {
            self.out.truncate(mark);
            self.empty = empty;
        }
        rendered
    }

    /// A field whose key is already rendered as JSON (`"name":`).
    #[inline]
    pub fn rendered_key(&mut self, key: &[u8]) -> &mut Vec<u8> {
        self.separate();
        self.out.extend_from_slice(key);
        self.out
    }

    /// Appends the members of a JSON object given as its text (`{...}`),
    /// which the caller has already validated.
    pub fn splice_object(&mut self, object: &[u8]) {
        let inner = between_braces(object);
        if inner.iter().all(u8::is_ascii_whitespace) {
            return;
        }
        self.separate();
        write_single_line(self.out, inner);
    }

    /// No member written yet.
    pub fn is_empty(&self) -> bool {
        self.empty
    }

    pub fn finish(self) {
        self.out.push(b'}');
    }
}

/// The text between the outer braces of a JSON object's text.
fn between_braces(object: &[u8]) -> &[u8] {
    let start = object.iter().position(|&b| b == b'{').map_or(0, |p| p + 1);
    let end = object
        .iter()
        .rposition(|&b| b == b'}')
        .unwrap_or(object.len());
    object.get(start..end).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_what_json_requires() {
        let mut out = Vec::new();
        write_str(&mut out, "a\"b\\c\nd\u{1}é");
        assert_eq!(out, b"\"a\\\"b\\\\c\\nd\\u0001\xc3\xa9\"");
        let parsed: String = serde_json::from_slice(&out).expect("valid JSON");
        assert_eq!(parsed, "a\"b\\c\nd\u{1}é");
    }

    #[test]
    fn escapes_land_right_at_every_position_around_the_chunks() {
        // Escapes before, on and after the 32-byte chunk edges, and runs
        // of them: the text must come back exactly.
        let lens = (0..=18).chain(30..=42).chain([63, 64, 65, 100]);
        for len in lens {
            for at in 0..len {
                for special in ['"', '\\', '\n', '\u{1f}', '\t'] {
                    let text: String = (0..len)
                        .map(|i| {
                            if i == at || i == len - 1 {
                                special
                            } else {
                                'x'
                            }
                        })
                        .collect();
                    let mut out = Vec::new();
                    write_str(&mut out, &text);
                    let back: String = serde_json::from_slice(&out).expect("valid JSON");
                    assert_eq!(back, text);
                }
            }
        }
    }

    #[test]
    fn the_word_scan_escapes_exactly_what_a_byte_scan_does() {
        // Two bytes anywhere in texts around the block and word edges: every
        // byte to escape, and each byte a borrow from one before it can mark
        // falsely (a space after a control, '#' after '"', ']' after '\').
        let by_bytes = |bytes: &[u8]| {
            let mut out = Vec::new();
            for &b in bytes {
                if needs_escape(b) {
                    write_escape(&mut out, b);
                } else {
                    out.push(b);
                }
            }
            out
        };
        let specials = [b'"', b'\\', b'\n', 0, 0x1f, b' ', b'#', b']', 0x21, 0xc3];
        for len in (0..=41).chain([63, 64, 65, 71, 72]) {
            for first in 0..len {
                for second in first + 1..len.min(first + 10) {
                    for a in specials {
                        for b in specials {
                            let mut bytes = vec![b'x'; len];
                            bytes[first] = a;
                            bytes[second] = b;
                            let mut out = Vec::new();
                            write_escaped(&mut out, &bytes);
                            assert_eq!(out, by_bytes(&bytes), "{len} {first} {second} {a} {b}");
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn the_line_check_finds_a_byte_to_escape_anywhere() {
        for len in (0..70).chain([100, 128, 129]) {
            let clean = vec![b'x'; len];
            assert!(!needs_escaping(&clean), "{len}");
            for at in 0..len {
                for special in [b'"', b'\\', b'\n', 0x1f, 0] {
                    let mut bytes = clean.clone();
                    bytes[at] = special;
                    assert!(needs_escaping(&bytes), "{len} {at} {special}");
                }
            }
        }
    }

    #[test]
    fn the_word_check_agrees_with_the_byte_check() {
        // Every byte value at every place of a word, amid bytes next to
        // the ones that need escaping, and amid UTF-8 continuation bytes.
        for filler in [b'a', b' ', b'!', b'#', b'[', b']', 0x7f, 0x80, 0xc3, 0xff] {
            for place in 0..8 {
                for b in 0..=255u8 {
                    let mut word = [filler; 8];
                    word[place] = b;
                    let expected = word.iter().any(|&b| needs_escape(b));
                    assert_eq!(
                        escape_mask(u64::from_le_bytes(word)) != 0,
                        expected,
                        "{word:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn the_word_mask_finds_the_first_byte_to_escape() {
        // Any byte at one place, any byte at a later one: the lowest bit of
        // the mask is the first byte that needs escaping (what the JSON
        // check skips to), whatever follows it.
        for filler in [b'a', b'!', 0x80, 0xff] {
            for first in 0..8 {
                for later in first + 1..=8 {
                    for a in 0..=255u8 {
                        for b in [0, b'\n', 0x1f, b' ', b'"', b'\\', b'#', 0x7f, 0xc3] {
                            let mut word = [filler; 8];
                            word[first] = a;
                            if later < 8 {
                                word[later] = b;
                            }
                            let expected = word.iter().position(|&b| needs_escape(b));
                            let mask = escape_mask(u64::from_le_bytes(word));
                            let found = (mask != 0).then(|| mask.trailing_zeros() as usize / 8);
                            assert_eq!(found, expected, "{word:?}");
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn rendered_keys_are_the_keys_written_field_by_field() {
        let mut by_hand = Vec::new();
        ObjectWriter::new(&mut by_hand).str("request_id", "a\tb");
        let mut rendered = Vec::new();
        ObjectWriter::new(&mut rendered).rendered_str(key!("request_id"), "a\tb");
        assert_eq!(rendered, by_hand);
        assert!(is_plain("max_memory_used_mb") && is_plain("@id"));
        assert!(!is_plain("a\"b") && !is_plain("tab\t") && !is_plain("back\\slash"));
    }

    #[test]
    fn object_writer_and_splice() {
        let mut out = Vec::new();
        let mut w = ObjectWriter::new(&mut out);
        w.str("@id", "1");
        w.splice_object(b"{\n  \"k\": 1,\r\n  \"s\": \"v\"\n}\n");
        w.splice_object(b"{ }");
        w.i64("n", -5);
        w.finish();
        assert!(!out.contains(&b'\n'));
        let v: serde_json::Value = serde_json::from_slice(&out).expect("valid JSON");
        assert_eq!(v, serde_json::json!({"@id":"1","k":1,"s":"v","n":-5}));
    }
}
