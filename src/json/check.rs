//! Checking that a text is one JSON object, in one pass that builds nothing.
//!
//! Formats splice JSON messages into documents as they are written, so the
//! text must be valid JSON (the cluster rejects a document that is not, and
//! an unbalanced text could carry members of its own into the document), and
//! they want a few of its top-level members. A full parse (a tape, every
//! string unescaped into a copy) did that at ~1.5 GB/s; this check skips the
//! bytes of strings eight at a time and only looks at the rest.
//!
//! It accepts exactly RFC 8259's grammar (tested against `serde_json`),
//! with containers nested at most [`MAX_DEPTH`] deep (which `serde_json`
//! does not bound when it only checks). The text is a `&str`,
//! so it is valid UTF-8 already.

use std::borrow::Cow;

use super::escape_mask;

/// The deepest nesting accepted, the top-level object included: a bound on
/// the work per message (`serde_json`'s values stop at 127; the cluster's
/// mappings at 20 by default).
pub const MAX_DEPTH: u32 = 128;

/// One member of the top-level object, as written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Member<'i> {
    /// The key's JSON text, quotes and escapes included.
    pub key: &'i str,
    /// The key holds an escape (its name is not the text between the quotes).
    pub escaped_key: bool,
    /// The value's JSON text.
    pub value: &'i str,
}

impl<'i> Member<'i> {
    /// The key's name, escapes undone.
    pub fn name(&self) -> Cow<'i, str> {
        let quoted = self.key.get(1..self.key.len() - 1).unwrap_or_default();
        if !self.escaped_key {
            return Cow::Borrowed(quoted);
        }
        unescape(self.key).map_or(Cow::Borrowed(quoted), Cow::Owned)
    }

    /// The value, if it is a string: escapes undone.
    pub fn str_value(&self) -> Option<Cow<'i, str>> {
        let quoted = self.value.strip_prefix('"')?.strip_suffix('"')?;
        if !quoted.contains('\\') {
            return Some(Cow::Borrowed(quoted));
        }
        unescape(self.value).map(Cow::Owned)
    }
}

/// The text of a checked JSON string, escapes undone (the rare case:
/// `serde_json` does it). `None` for a lone surrogate escape (`\udddd`),
/// which JSON's grammar allows and no UTF-8 text can hold.
fn unescape(string: &str) -> Option<String> {
    serde_json::from_str(string).ok()
}

/// Why a text is not one JSON object.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid JSON at byte {at}: {what}")]
pub struct Invalid {
    pub at: usize,
    pub what: &'static str,
}

/// Checks that `text` is one JSON object (whitespace around it allowed),
/// handing each top-level member to `each` in order.
pub fn object_members<'i>(text: &'i str, mut each: impl FnMut(Member<'i>)) -> Result<(), Invalid> {
    let mut s = Scanner {
        bytes: text.as_bytes(),
        at: 0,
    };
    s.skip_whitespace();
    if s.peek() != Some(b'{') {
        return s.fail("not a JSON object");
    }
    s.at += 1;
    s.skip_whitespace();
    if s.peek() == Some(b'}') {
        s.at += 1;
    } else {
        loop {
            let key_start = s.at;
            let (key_end, escaped_key) = s.key()?;
            s.skip_whitespace();
            let value_start = s.at;
            s.value()?;
            let (Some(key), Some(value)) =
                (text.get(key_start..key_end), text.get(value_start..s.at))
            else {
                return s.fail("not at a character boundary");
            };
            each(Member {
                key,
                escaped_key,
                value,
            });
            s.skip_whitespace();
            match s.peek() {
                Some(b',') => {
                    s.at += 1;
                    s.skip_whitespace();
                }
                Some(b'}') => {
                    s.at += 1;
                    break;
                }
                _ => return s.fail("expected ',' or '}'"),
            }
        }
    }
    s.skip_whitespace();
    if s.at != s.bytes.len() {
        return s.fail("text after the object");
    }
    Ok(())
}

/// Checks that `text` is one JSON array (whitespace around it allowed),
/// handing the text of each element to `each` in order.
pub fn array_elements<'i>(text: &'i str, mut each: impl FnMut(&'i str)) -> Result<(), Invalid> {
    let mut s = Scanner {
        bytes: text.as_bytes(),
        at: 0,
    };
    s.skip_whitespace();
    if s.peek() != Some(b'[') {
        return s.fail("not a JSON array");
    }
    s.at += 1;
    s.skip_whitespace();
    if s.peek() == Some(b']') {
        s.at += 1;
    } else {
        loop {
            let start = s.at;
            s.value()?;
            let Some(element) = text.get(start..s.at) else {
                return s.fail("not at a character boundary");
            };
            each(element);
            s.skip_whitespace();
            match s.peek() {
                Some(b',') => {
                    s.at += 1;
                    s.skip_whitespace();
                }
                Some(b']') => {
                    s.at += 1;
                    break;
                }
                _ => return s.fail("expected ',' or ']'"),
            }
        }
    }
    s.skip_whitespace();
    if s.at != s.bytes.len() {
        return s.fail("text after the array");
    }
    Ok(())
}

struct Scanner<'i> {
    bytes: &'i [u8],
    at: usize,
}

impl Scanner<'_> {
    fn fail<T>(&self, what: &'static str) -> Result<T, Invalid> {
        // Running out of text is the one cause worth naming whatever was
        // expected: the message was cut short.
        let what = if self.at >= self.bytes.len() {
            "the text ends before the object does"
        } else {
            what
        };
        Err(Invalid { at: self.at, what })
    }

    #[inline(always)]
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    #[inline(always)]
    fn skip_whitespace(&mut self) {
        while let Some(b' ' | b'\n' | b'\r' | b'\t') = self.peek() {
            self.at += 1;
        }
    }

    /// One value of the top-level object, nested containers and all.
    /// Iterative: `objects` has a bit per open container, set for an
    /// object, clear for an array.
    fn value(&mut self) -> Result<(), Invalid> {
        let mut objects: u128 = 0;
        let mut depth = 0;
        'value: loop {
            match self.peek() {
                Some(b'"') => {
                    self.string()?;
                }
                Some(open @ (b'{' | b'[')) => {
                    self.at += 1;
                    self.skip_whitespace();
                    let object = open == b'{';
                    if self.peek() == Some(if object { b'}' } else { b']' }) {
                        self.at += 1;
                    } else {
                        if depth + 1 == MAX_DEPTH {
                            return self.fail("nested too deeply");
                        }
                        objects = objects & !(1 << depth) | (u128::from(object) << depth);
                        depth += 1;
                        if object {
                            self.key()?;
                        }
                        self.skip_whitespace();
                        continue 'value;
                    }
                }
                Some(b't') => self.literal(b"true")?,
                Some(b'f') => self.literal(b"false")?,
                Some(b'n') => self.literal(b"null")?,
                Some(b'-' | b'0'..=b'9') => self.number()?,
                _ => return self.fail("expected a value"),
            }
            // A value ended: the containers it ends, then the next value.
            while depth > 0 {
                self.skip_whitespace();
                let object = objects & (1 << (depth - 1)) != 0;
                match (self.peek(), object) {
                    (Some(b','), _) => {
                        self.at += 1;
                        if object {
                            self.key()?;
                        }
                        self.skip_whitespace();
                        continue 'value;
                    }
                    (Some(b'}'), true) | (Some(b']'), false) => {
                        self.at += 1;
                        depth -= 1;
                    }
                    (_, true) => return self.fail("expected ',' or '}'"),
                    (_, false) => return self.fail("expected ',' or ']'"),
                }
            }
            return Ok(());
        }
    }

    /// A key and its colon: where the key's text ends, and whether it holds
    /// an escape.
    fn key(&mut self) -> Result<(usize, bool), Invalid> {
        self.skip_whitespace();
        if self.peek() != Some(b'"') {
            return self.fail("expected a key");
        }
        let escaped = self.string()?;
        let end = self.at;
        self.skip_whitespace();
        if self.peek() != Some(b':') {
            return self.fail("expected ':'");
        }
        self.at += 1;
        Ok((end, escaped))
    }

    /// A string, from its opening quote; whether it holds an escape.
    /// Inlined, with the position in a local: most of a message's bytes
    /// are strings, and most strings are short.
    #[inline(always)]
    fn string(&mut self) -> Result<bool, Invalid> {
        let bytes = self.bytes;
        let mut at = self.at + 1;
        let mut escaped = false;
        loop {
            // Clean bytes eight at a time; the first byte that is not clean
            // is exactly the lowest flagged one.
            while let Some(word) = bytes.get(at..).and_then(<[u8]>::first_chunk::<8>) {
                let mask = escape_mask(u64::from_le_bytes(*word));
                if mask != 0 {
                    at += (mask.trailing_zeros() / 8) as usize;
                    break;
                }
                at += 8;
            }
            match bytes.get(at) {
                Some(b'"') => {
                    self.at = at + 1;
                    return Ok(escaped);
                }
                Some(b'\\') => {
                    escaped = true;
                    self.at = at;
                    self.escape()?;
                    at = self.at;
                }
                Some(0..0x20) => {
                    self.at = at;
                    return self.fail("control character in a string");
                }
                Some(_) => at += 1,
                None => {
                    self.at = at;
                    return self.fail("unterminated string");
                }
            }
        }
    }

    /// An escape sequence, from its backslash.
    fn escape(&mut self) -> Result<(), Invalid> {
        match self.bytes.get(self.at + 1) {
            Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => self.at += 2,
            Some(b'u') => match self.bytes.get(self.at + 2..self.at + 6) {
                Some(hex) if hex.iter().all(u8::is_ascii_hexdigit) => self.at += 6,
                _ => return self.fail("invalid \\u escape"),
            },
            _ => return self.fail("invalid escape"),
        }
        Ok(())
    }

    fn literal(&mut self, word: &[u8]) -> Result<(), Invalid> {
        if self.bytes.get(self.at..self.at + word.len()) != Some(word) {
            return self.fail("expected a value");
        }
        self.at += word.len();
        Ok(())
    }

    /// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`
    fn number(&mut self) -> Result<(), Invalid> {
        if self.peek() == Some(b'-') {
            self.at += 1;
        }
        match self.peek() {
            Some(b'0') => self.at += 1,
            Some(b'1'..=b'9') => {
                self.digits();
            }
            _ => return self.fail("invalid number"),
        }
        if self.peek() == Some(b'.') {
            self.at += 1;
            if self.digits() == 0 {
                return self.fail("invalid number");
            }
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.at += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.at += 1;
            }
            if self.digits() == 0 {
                return self.fail("invalid number");
            }
        }
        Ok(())
    }

    fn digits(&mut self) -> usize {
        let start = self.at;
        while let Some(b'0'..=b'9') = self.peek() {
            self.at += 1;
        }
        self.at - start
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::de::IgnoredAny;

    /// What `serde_json` says: one JSON value, and that value an object.
    fn oracle(text: &str) -> bool {
        serde_json::from_str::<IgnoredAny>(text).is_ok() && text.trim_start().starts_with('{')
    }

    fn members(text: &str) -> Result<Vec<Member<'_>>, Invalid> {
        let mut all = Vec::new();
        object_members(text, |m| all.push(m))?;
        Ok(all)
    }

    const VALID: &[&str] = &[
        "{}",
        " \t\r\n{ \n } \n",
        r#"{"a":1}"#,
        r#"{"a":-0,"b":0.5,"c":-12.25e+3,"d":1E-2,"e":1e9,"f":123456789012345678901234567890}"#,
        r#"{"a":"","b":"x\"y\\z\/\b\f\n\r\t\u00e9\uD83D\uDE00","c":"é 😀"}"#,
        r#"{"a":[],"b":{},"c":[[],[{}]],"d":[1,"2",true,false,null,{"e":[]}]}"#,
        "{ \"a\" : [ 1 , 2 ] , \"b\" : { \"c\" : null } }",
        r#"{"a":1,"a":2}"#,
        r#"{"\u0040timestamp":"x","k\"ey":1}"#,
        "{\"long\":\"0123456789abcdef0123456789abcdef0123456789\\\"0123456789\"}",
    ];

    const INVALID: &[&str] = &[
        "",
        "   ",
        "[]",
        "\"s\"",
        "1",
        "{",
        "}",
        "{\"a\"}",
        "{\"a\":}",
        "{\"a\":1,}",
        "{,\"a\":1}",
        "{\"a\":1 \"b\":2}",
        "{\"a\":[1,]}",
        "{\"a\":[1 2]}",
        "{\"a\":[}",
        "{\"a\":{]}",
        "{\"a\":01}",
        "{\"a\":1.}",
        "{\"a\":.5}",
        "{\"a\":1e}",
        "{\"a\":-}",
        "{\"a\":+1}",
        "{\"a\":0x10}",
        "{\"a\":NaN}",
        "{\"a\":tru}",
        "{\"a\":nul}",
        "{\"a\":True}",
        "{\"a\":'x'}",
        "{a:1}",
        "{\"a\":\"x}",
        "{\"a\":\"x\ny\"}",
        "{\"a\":\"x\ty\"}",
        "{\"a\":\"\\x\"}",
        "{\"a\":\"\\u12\"}",
        "{\"a\":\"\\u12G4\"}",
        "{\"a\":\"x\\\"}",
        "{\"a\":1}}",
        "{\"a\":1} {}",
        "{\"a\":1} x",
        "{\"a\":1}\u{0}",
        "\u{feff}{\"a\":1}",
        "{\"a\":1}\u{a0}",
    ];

    #[test]
    fn accepts_and_rejects_what_serde_json_does() {
        for text in VALID {
            assert!(oracle(text), "the oracle takes {text:?}");
            assert_eq!(members(text).err(), None, "{text:?}");
        }
        for text in INVALID {
            assert!(!oracle(text), "the oracle refuses {text:?}");
            assert!(members(text).is_err(), "{text:?}");
        }
    }

    #[test]
    fn members_are_the_top_level_ones_as_written() {
        let text =
            "{ \"a\" : {\"x\":[1,{\"y\":2}]},\n\"b\":[1, 2] , \"k\\u0041\":\"v\\n\",\"c\":-1.5e3}";
        let all = members(text).expect("valid");
        let keys: Vec<_> = all.iter().map(|m| m.key).collect();
        assert_eq!(keys, ["\"a\"", "\"b\"", "\"k\\u0041\"", "\"c\""]);
        let values: Vec<_> = all.iter().map(|m| m.value).collect();
        assert_eq!(
            values,
            ["{\"x\":[1,{\"y\":2}]}", "[1, 2]", "\"v\\n\"", "-1.5e3"]
        );
        assert_eq!(all[0].name(), "a");
        assert!(!all[0].escaped_key && all[2].escaped_key);
        assert_eq!(all[2].name(), "kA");
        assert_eq!(all[2].str_value().as_deref(), Some("v\n"));
        assert_eq!(all[1].str_value(), None);
        // A lone surrogate is grammatical, but no name: the key's own text.
        let lone = members(r#"{"a\udddd":"\ud800"}"#).expect("valid");
        assert_eq!(lone[0].name(), "a\\udddd");
        assert_eq!(lone[0].str_value(), None);
        assert!(members("{}").expect("valid").is_empty());
    }

    #[test]
    fn errors_say_where_and_what() {
        let cut = members("{\"a\":{\"b\":\"c\"}").expect_err("cut short");
        assert_eq!(
            cut.to_string(),
            "invalid JSON at byte 14: the text ends before the object does"
        );
        assert_eq!(members("{\"a\":\"x").expect_err("cut").at, 7);
        let bad = members("{\"a\":[1 2]}").expect_err("no comma");
        assert_eq!((bad.at, bad.what), (8, "expected ',' or ']'"));
        let bad = members("{\"a\":\"x\u{1}\"}").expect_err("control");
        assert_eq!((bad.at, bad.what), (7, "control character in a string"));
    }

    #[test]
    fn array_elements_are_the_top_level_ones_as_written() {
        let mut got = Vec::new();
        array_elements(" [1, {\"a\":[2]} ,\"x\",[]] ", |e| got.push(e)).expect("array");
        assert_eq!(got, ["1", "{\"a\":[2]}", "\"x\"", "[]"]);
        got.clear();
        array_elements("[]", |e| got.push(e)).expect("empty");
        assert!(got.is_empty());
        for bad in ["[1,]", "[1 2]", "{}", "[1] x", "[\"a"] {
            assert!(array_elements(bad, |_| {}).is_err(), "{bad}");
        }
    }

    #[test]
    fn nesting_is_limited() {
        let depth_limit = MAX_DEPTH as usize;
        for depth in [
            1,
            2,
            3,
            depth_limit - 1,
            depth_limit,
            depth_limit + 1,
            10_000,
        ] {
            let objects = format!("{}1{}", "{\"a\":".repeat(depth), "}".repeat(depth));
            let arrays = format!(
                "{{\"a\":{}1{}}}",
                "[".repeat(depth - 1),
                "]".repeat(depth - 1)
            );
            for text in [objects, arrays] {
                assert!(oracle(&text));
                let ours = members(&text);
                if depth <= depth_limit {
                    assert_eq!(ours.err(), None, "{depth}");
                } else {
                    assert_eq!(
                        ours.err().map(|e| e.what),
                        Some("nested too deeply"),
                        "{depth}"
                    );
                }
            }
        }
    }

    #[test]
    fn strings_end_right_at_every_position_around_the_words() {
        // The word scan must stop at the first byte to look at, wherever it
        // falls in a word, and never past the end of the text.
        for len in 0..40 {
            for at in 0..len {
                for special in ["\\\"", "\\n", "\\u00e9", "\"", "\n", "é"] {
                    let inner: String = (0..len)
                        .map(|i| if i == at { special } else { "x" })
                        .collect();
                    for text in [
                        format!("{{\"k\":\"{inner}\"}}"),
                        format!("{{\"k\":\"{inner}"),
                        format!("{{\"{inner}\":[\"{inner}\",1]}}"),
                    ] {
                        assert_eq!(members(&text).is_ok(), oracle(&text), "{text:?}");
                    }
                }
            }
        }
    }

    /// A small deterministic generator (xorshift), for the mutation test.
    struct Rng(u64);

    impl Rng {
        fn below(&mut self, n: usize) -> usize {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            (self.0 % n as u64) as usize
        }
    }

    #[test]
    fn mutated_objects_are_judged_as_serde_json_judges_them() {
        // Valid objects with bytes replaced, inserted or cut: every verdict
        // (and, for valid ones, every top-level key) agrees with the oracle.
        const BYTES: &[u8] = b"{}[]:,\"\\ \n0123456789.eE+-tfnulrsaxu\x01\x1f/";
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        let (mut valid, mut invalid) = (0, 0);
        for round in 0..20_000 {
            let seed = VALID[round % VALID.len()];
            let mut bytes = seed.as_bytes().to_vec();
            for _ in 0..1 + rng.below(3) {
                let at = rng.below(bytes.len() + 1);
                let byte = BYTES[rng.below(BYTES.len())];
                match rng.below(3) {
                    0 if at < bytes.len() => bytes[at] = byte,
                    1 => bytes.insert(at, byte),
                    _ => bytes.truncate(at),
                }
            }
            let Ok(text) = std::str::from_utf8(&bytes) else {
                continue;
            };
            let ours = members(text);
            assert_eq!(ours.is_ok(), oracle(text), "{text:?}: {ours:?}");
            if let Ok(ours) = ours {
                valid += 1;
                let theirs: serde_json::Map<String, serde_json::Value> =
                    match serde_json::from_str(text) {
                        Ok(map) => map,
                        Err(_) => continue, // a number too large for serde_json's values
                    };
                for m in &ours {
                    assert!(theirs.contains_key(&*m.name()), "{text:?}");
                }
            } else {
                invalid += 1;
            }
        }
        assert!(
            valid > 1_000 && invalid > 1_000,
            "{valid} valid, {invalid} invalid"
        );
    }
}
