//! Finding and editing members of an encoded JSON document, in place.
//!
//! Documents are written straight into byte buffers (`crate::json`), so the
//! filters read them the same way: a scan over the bytes that finds a
//! member's value by its path, with no value tree and no allocation. The
//! scanner accepts any valid JSON (whitespace included); on invalid JSON it
//! finds nothing rather than panicking.

use std::ops::Range;

use crate::json::{bytes_equal, word_at};

/// A value found in a document: its raw JSON text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Found<'a> {
    /// The text between the quotes, still escaped.
    Str(&'a [u8]),
    /// A number, `true` or `false`, as written.
    Scalar(&'a [u8]),
    /// An array: its elements are read with [`elements`].
    Array(&'a [u8]),
    Object(&'a [u8]),
    Null,
}

impl<'a> Found<'a> {
    fn of(raw: &'a [u8]) -> Found<'a> {
        match raw.first() {
            Some(b'"') => Found::Str(&raw[1..raw.len() - 1]),
            Some(b'[') => Found::Array(raw),
            Some(b'{') => Found::Object(raw),
            Some(b'n') => Found::Null,
            _ => Found::Scalar(raw),
        }
    }

    /// The string's text, unescaped only when it has escapes.
    pub fn text(&self) -> Option<std::borrow::Cow<'a, str>> {
        match *self {
            Found::Str(inner) if !inner.contains(&b'\\') => {
                std::str::from_utf8(inner).ok().map(Into::into)
            }
            Found::Str(inner) => {
                let mut quoted = Vec::with_capacity(inner.len() + 2);
                quoted.push(b'"');
                quoted.extend_from_slice(inner);
                quoted.push(b'"');
                serde_json::from_slice::<String>(&quoted)
                    .ok()
                    .map(Into::into)
            }
            Found::Scalar(raw) => std::str::from_utf8(raw).ok().map(Into::into),
            _ => None,
        }
    }
}

/// The value at `path` (member names, outermost first) of the object `doc`.
pub fn find<'a>(doc: &'a [u8], path: &[Box<str>]) -> Option<Found<'a>> {
    let span = value_span(doc, path)?;
    Some(Found::of(&doc[span]))
}

/// The top-level members of one document, found lazily in one pass: a
/// look-up scans only as far as its member, and every later one starts from
/// what earlier ones found, so the rules of a route scan a document at most
/// once.
#[derive(Debug, Default)]
pub struct Index {
    /// Key (between its quotes) and value of each member found so far.
    members: Vec<(Key, Range<usize>)>,
    /// Where the scan goes on; `None` once the object has been read.
    resume: Option<usize>,
}

impl Index {
    /// Starts indexing `doc` (an object); reuses the allocation.
    pub fn build(&mut self, doc: &[u8]) {
        self.members.clear();
        let object = skip_ws(doc, 0);
        self.resume = (doc.get(object) == Some(&b'{')).then_some(object + 1);
    }

    /// [`find`], with the first name looked up in the index.
    pub fn find<'a>(&mut self, doc: &'a [u8], path: &[Box<str>]) -> Option<Found<'a>> {
        let (first, rest) = path.split_first()?;
        let value = self.member(doc, first)?;
        let value = &doc[value];
        match rest {
            [] => Some(Found::of(value)),
            _ => value_span(value, rest).map(|span| Found::of(&value[span])),
        }
    }

    fn member(&mut self, doc: &[u8], name: &str) -> Option<Range<usize>> {
        if let Some((_, value)) = self.members.iter().find(|(key, _)| key_is(doc, key, name)) {
            return Some(value.clone());
        }
        let mut members = Members {
            doc,
            at: self.resume?,
            done: false,
        };
        for member in members.by_ref() {
            self.members
                .push((member.key.clone(), member.value.clone()));
            if key_is(doc, &member.key, name) {
                self.resume = Some(member.value.end);
                return Some(member.value);
            }
        }
        self.resume = None;
        None
    }

    /// Every member, scanning the rest of the object.
    fn all(&mut self, doc: &[u8]) -> &[(Key, Range<usize>)] {
        if let Some(at) = self.resume.take() {
            let members = Members {
                doc,
                at,
                done: false,
            };
            self.members.extend(members.map(|m| (m.key, m.value)));
        }
        &self.members
    }

    /// Copies `doc` into `out` without the top-level members named `drop`;
    /// false (nothing copied) when it has none of them.
    pub fn copy_without(&mut self, doc: &[u8], drop: &[Box<str>], out: &mut Vec<u8>) -> bool {
        let dropped = |key: &Key| drop.iter().any(|name| key_is(doc, key, name));
        let members = self.all(doc);
        if !members.iter().any(|(key, _)| dropped(key)) {
            return false;
        }
        out.clear();
        out.push(b'{');
        for (key, value) in members.iter().filter(|(key, _)| !dropped(key)) {
            if out.len() > 1 {
                out.push(b',');
            }
            // The key with its quotes, the colon, the value.
            out.extend_from_slice(&doc[key.span.start - 1..key.span.end + 1]);
            out.push(b':');
            out.extend_from_slice(&doc[value.clone()]);
        }
        out.push(b'}');
        true
    }
}

/// The elements of an array found by [`find`].
pub fn elements(array: &[u8]) -> impl Iterator<Item = Found<'_>> {
    let mut at = 1;
    std::iter::from_fn(move || {
        at = skip_ws(array, at);
        match array.get(at)? {
            b']' => None,
            b',' => {
                at = skip_ws(array, at + 1);
                let end = value_end(array, at)?;
                let found = Found::of(&array[at..end]);
                at = end;
                Some(found)
            }
            _ => {
                let end = value_end(array, at)?;
                let found = Found::of(&array[at..end]);
                at = end;
                Some(found)
            }
        }
    })
}

/// Removes the member at `path`; false if there was none.
pub fn remove(doc: &mut Vec<u8>, path: &[Box<str>]) -> bool {
    remove_member(doc, path).is_some()
}

fn remove_member(doc: &mut Vec<u8>, path: &[Box<str>]) -> Option<()> {
    let (last, parents) = path.split_last()?;
    let object = match parents {
        [] => skip_ws(doc, 0)..doc.len(),
        _ => match value_span(doc, parents) {
            Some(span) if doc[span.start] == b'{' => span,
            _ => return None,
        },
    };
    if doc.get(object.start) != Some(&b'{') {
        return None;
    }
    // The member, the one before it and the one after it: enough to cut it
    // out with its comma, without collecting the object's members.
    let mut before: Option<Member> = None;
    let mut members = Members::new(doc, object.start);
    let found = loop {
        let member = members.next()?;
        if key_is(doc, &member.key, last) {
            break member;
        }
        before = Some(member);
    };
    let cut = match (before, members.next()) {
        // Up to the next member: this member and the comma after it.
        (_, Some(next)) => found.start..next.start,
        // The last of several: the comma before it and the member.
        (Some(before), None) => before.value.end..found.value.end,
        (None, None) => found.start..found.value.end,
    };
    doc.drain(cut);
    Some(())
}

/// Adds `member` (`"key":value`, already rendered) at the end of the object
/// `doc`.
pub fn append(doc: &mut Vec<u8>, member: &[u8]) {
    let Some(close) = doc.iter().rposition(|&b| b == b'}') else {
        return;
    };
    let empty = doc[..close]
        .iter()
        .rev()
        .find(|b| !b.is_ascii_whitespace())
        .is_some_and(|&b| b == b'{');
    let tail = doc.len() - close;
    doc.truncate(close);
    if !empty {
        doc.push(b',');
    }
    doc.extend_from_slice(member);
    // What followed the brace was whitespace at most.
    doc.push(b'}');
    doc.resize(doc.len() + tail - 1, b' ');
}

fn value_span(doc: &[u8], path: &[Box<str>]) -> Option<Range<usize>> {
    let mut object = skip_ws(doc, 0);
    let mut span = None;
    for name in path {
        if doc.get(object) != Some(&b'{') {
            return None;
        }
        let member = Members::new(doc, object).find(|m| key_is(doc, &m.key, name))?;
        object = member.value.start;
        span = Some(member.value);
    }
    span
}

/// A member's key: its text between the quotes, and whether that text has
/// escapes (rare: then it is unescaped to be compared).
#[derive(Clone, Debug)]
struct Key {
    span: Range<usize>,
    escaped: bool,
}

#[inline]
fn key_is(doc: &[u8], key: &Key, name: &str) -> bool {
    let raw = &doc[key.span.clone()];
    if key.escaped {
        Found::Str(raw).text().is_some_and(|t| t == name)
    } else {
        raw == name.as_bytes()
    }
}

/// One `"key": value` of an object: where it starts, the key's text
/// (without quotes) and the value.
struct Member {
    start: usize,
    key: Key,
    value: Range<usize>,
}

/// The members of the object starting at `doc[at] == b'{'`.
struct Members<'a> {
    doc: &'a [u8],
    at: usize,
    done: bool,
}

impl<'a> Members<'a> {
    fn new(doc: &'a [u8], object: usize) -> Self {
        Members {
            doc,
            at: object + 1,
            done: false,
        }
    }
}

impl Iterator for Members<'_> {
    type Item = Member;

    // Inlined: a `Member` returned through memory is read back before its
    // stores retire (a store-forwarding stall that was half of `find`).
    #[inline(always)]
    fn next(&mut self) -> Option<Member> {
        if self.done {
            return None;
        }
        let doc = self.doc;
        let mut at = skip_ws(doc, self.at);
        if doc.get(at) == Some(&b',') {
            at = skip_ws(doc, at + 1);
        }
        if doc.get(at) != Some(&b'"') {
            self.done = true;
            return None;
        }
        let start = at;
        let (key_end, escaped) = scan_string(doc, at)?;
        let colon = skip_ws(doc, key_end);
        if doc.get(colon) != Some(&b':') {
            self.done = true;
            return None;
        }
        let value_start = skip_ws(doc, colon + 1);
        let value_end = value_end(doc, value_start)?;
        self.at = value_end;
        Some(Member {
            start,
            key: Key {
                span: start + 1..key_end - 1,
                escaped,
            },
            value: value_start..value_end,
        })
    }
}

fn skip_ws(doc: &[u8], mut at: usize) -> usize {
    while doc.get(at).is_some_and(u8::is_ascii_whitespace) {
        at += 1;
    }
    at
}

/// The index after the closing quote of the string starting at `at`.
/// Eight bytes at a time (SWAR): document strings are mostly short, where a
/// vectorised search costs more to set up than it saves, and a byte loop
/// spends two cycles a byte.
fn string_end(doc: &[u8], at: usize) -> Option<usize> {
    scan_string(doc, at).map(|(end, _)| end)
}

/// [`string_end`], and whether the string has escapes.
fn scan_string(doc: &[u8], at: usize) -> Option<(usize, bool)> {
    let mut i = at + 1;
    let mut escaped = false;
    loop {
        if let Some(word) = word_at(doc, i) {
            let found = bytes_equal(word, b'"') | bytes_equal(word, b'\\');
            if found == 0 {
                i += 8;
                continue;
            }
            // Straight to the first marked byte, not a byte at a time.
            i += found.trailing_zeros() as usize / 8;
        }
        match *doc.get(i)? {
            b'"' => return Some((i + 1, escaped)),
            b'\\' => {
                escaped = true;
                i += 2;
            }
            _ => i += 1,
        }
    }
}

/// The index after the value starting at `at`.
#[inline]
fn value_end(doc: &[u8], at: usize) -> Option<usize> {
    match doc.get(at)? {
        b'"' => string_end(doc, at),
        b'{' | b'[' => {
            let mut depth = 0usize;
            let mut i = at;
            loop {
                match doc.get(i)? {
                    b'"' => {
                        i = string_end(doc, i)?;
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            return Some(i + 1);
                        }
                    }
                    _ => {}
                }
                i += 1;
            }
        }
        _ => {
            // A number, `true`, `false` or `null`. Byte by byte: they are
            // short, and a word-at-a-time search for the four kinds of end
            // took more instructions (callgrind, the filter bench).
            let len = doc[at..]
                .iter()
                .position(|&b| matches!(b, b',' | b'}' | b']') || b.is_ascii_whitespace())
                .unwrap_or(doc.len() - at);
            (len > 0).then_some(at + len)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(p: &str) -> Vec<Box<str>> {
        p.split('.').map(Into::into).collect()
    }

    /// The end of a string, a byte at a time, as JSON defines it.
    fn string_end_bytewise(doc: &[u8], at: usize) -> Option<(usize, bool)> {
        let (mut i, mut escaped) = (at + 1, false);
        loop {
            match *doc.get(i)? {
                b'"' => return Some((i + 1, escaped)),
                b'\\' => (i, escaped) = (i + 2, true),
                _ => i += 1,
            }
        }
    }

    #[test]
    fn strings_end_where_a_byte_at_a_time_scan_says() {
        // Every run of up to 11 bytes of the pieces `a`, `\"`, `\\` and `"`
        // after an opening quote (unterminated ones included), at every
        // alignment to the eight-byte words the scan reads.
        let pieces: [&[u8]; 4] = [b"a", b"\\\"", b"\\\\", b"\""];
        let mut strings: Vec<Vec<u8>> = vec![b"\"".to_vec()];
        let mut last = strings.clone();
        while !last.is_empty() {
            last = last
                .iter()
                .flat_map(|s| pieces.iter().map(move |p| [s.as_slice(), p].concat()))
                .filter(|s| s.len() <= 12)
                .collect();
            strings.extend(last.iter().cloned());
        }
        assert!(strings.len() > 10_000, "{}", strings.len());
        for s in &strings {
            for pad in 0..8 {
                let doc = [vec![b' '; pad], s.clone(), b"xxxxxxxx".to_vec()].concat();
                assert_eq!(
                    scan_string(&doc, pad),
                    string_end_bytewise(&doc, pad),
                    "{:?}",
                    String::from_utf8_lossy(&doc)
                );
            }
        }
    }

    const DOC: &[u8] = br#"{"a":"x","n":42,"o":{"t":"Root","q\"k":"esc","deep":{"z":[1,"two",{"w":3}]}},"l":["p","q"],"e":"a\"b","nul":null}"#;

    #[test]
    fn finds_values_by_path() {
        assert_eq!(find(DOC, &path("a")), Some(Found::Str(b"x")));
        assert_eq!(find(DOC, &path("n")), Some(Found::Scalar(b"42")));
        assert_eq!(find(DOC, &path("o.t")), Some(Found::Str(b"Root")));
        assert_eq!(
            find(DOC, &["o".into(), "q\"k".into()]),
            Some(Found::Str(b"esc"))
        );
        assert_eq!(find(DOC, &path("nul")), Some(Found::Null));
        assert_eq!(find(DOC, &path("o.missing")), None);
        assert_eq!(find(DOC, &path("a.b")), None, "a string has no members");
        assert_eq!(
            find(DOC, &path("e")).and_then(|f| f.text()).as_deref(),
            Some("a\"b")
        );
        let Some(Found::Array(z)) = find(DOC, &path("o.deep.z")) else {
            panic!("array");
        };
        let all: Vec<Found> = elements(z).collect();
        assert_eq!(all.len(), 3);
        assert_eq!(all[1], Found::Str(b"two"));
        assert!(matches!(all[2], Found::Object(_)));
        let spaced = br#" { "a" : { "b" : [ 1 , 2 ] } , "c" : true } "#;
        let Some(Found::Array(b)) = find(spaced, &path("a.b")) else {
            panic!("array");
        };
        assert_eq!(elements(b).count(), 2);
        assert_eq!(find(spaced, &path("c")), Some(Found::Scalar(b"true")));
    }

    #[test]
    fn the_index_finds_what_the_scan_finds_and_copies_without_members() {
        let mut index = Index::default();
        index.build(DOC);
        for p in [
            "a",
            "n",
            "o.t",
            "o.deep.z",
            "nul",
            "missing",
            "o.missing",
            "a.b",
            "e",
        ] {
            assert_eq!(index.find(DOC, &path(p)), find(DOC, &path(p)), "{p}");
        }
        let mut out = Vec::new();
        assert!(index.copy_without(DOC, &["o".into(), "n".into(), "e".into()], &mut out));
        assert_eq!(out, br#"{"a":"x","l":["p","q"],"nul":null}"#);
        assert!(!index.copy_without(DOC, &["zz".into()], &mut out));
        index.build(b"not an object");
        assert_eq!(index.find(b"not an object", &path("a")), None);
    }

    #[test]
    fn invalid_json_finds_nothing() {
        for bad in [
            &b""[..],
            b"{",
            b"{\"a",
            b"{\"a\":",
            b"{\"a\":\"x",
            b"[1]",
            b"{\"a\":{\"b\":[1,",
        ] {
            assert_eq!(find(bad, &path("a.b")), None);
            let mut doc = bad.to_vec();
            assert!(!remove(&mut doc, &path("a.b")));
        }
    }

    #[test]
    fn removes_members_first_middle_last_only_and_nested() {
        for (before, field, after) in [
            (r#"{"a":1,"b":2,"c":3}"#, "a", r#"{"b":2,"c":3}"#),
            (r#"{"a":1,"b":2,"c":3}"#, "b", r#"{"a":1,"c":3}"#),
            (r#"{"a":1,"b":2,"c":3}"#, "c", r#"{"a":1,"b":2}"#),
            (r#"{"a":1}"#, "a", r#"{}"#),
            (
                r#"{"u":{"t":"x","k":"y"},"z":1}"#,
                "u.t",
                r#"{"u":{"k":"y"},"z":1}"#,
            ),
            (
                r#"{"u":{"t":{"deep":[1]}},"z":1}"#,
                "u.t",
                r#"{"u":{},"z":1}"#,
            ),
        ] {
            let mut doc = before.as_bytes().to_vec();
            assert!(remove(&mut doc, &path(field)), "{before} - {field}");
            assert_eq!(String::from_utf8_lossy(&doc), after);
            serde_json::from_slice::<serde_json::Value>(&doc).expect("still JSON");
        }
        let mut doc = br#"{"a":1}"#.to_vec();
        assert!(!remove(&mut doc, &path("b")));
        assert_eq!(doc, br#"{"a":1}"#);
    }

    #[test]
    fn appends_members() {
        let mut doc = br#"{"a":1}"#.to_vec();
        append(&mut doc, br#""env":"prod""#);
        assert_eq!(doc, br#"{"a":1,"env":"prod"}"#);
        let mut empty = b"{}".to_vec();
        append(&mut empty, br#""k":[1]"#);
        assert_eq!(empty, br#"{"k":[1]}"#);
    }
}
