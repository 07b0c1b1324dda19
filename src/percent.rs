//! Percent-encoding (RFC 3986), both ways: URL paths and queries the
//! clients build, and values that arrive encoded (S3 notification keys,
//! CloudFront's user agents). Shared here, below both.

/// Percent-encodes `text`: every byte but the unreserved characters
/// (RFC 3986) and those in `keep`.
pub fn encode(text: &str, keep: &[u8]) -> String {
    let mut out = String::with_capacity(text.len());
    for &b in text.as_bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') || keep.contains(&b)
        {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The bytes `text` percent-encodes: `%XX` undone, and `+` a space where
/// `plus_is_space` (form encoding). An invalid escape is kept as written.
pub fn decode(text: &str, plus_is_space: bool) -> Vec<u8> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' if plus_is_space => out.push(b' '),
            b'%' => {
                let hex = bytes
                    .get(i + 1..i + 3)
                    .and_then(|h| std::str::from_utf8(h).ok())
                    .and_then(|h| u8::from_str_radix(h, 16).ok());
                match hex {
                    Some(byte) => {
                        out.push(byte);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    out
}

/// Decodes the form encoding S3 uses for keys in notifications and in
/// listings asked for with `encoding-type=url`: `%XX` escapes and `+` for
/// a space. Invalid escapes are kept as written, bytes that are no UTF-8
/// replaced.
pub fn decode_form(text: &str) -> String {
    let decoded = decode(text, true);
    String::from_utf8(decoded)
        .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

#[cfg(test)]
mod tests {
    #[test]
    fn decoding_undoes_encoding_and_keeps_what_it_cannot_decode() {
        let text = "a b/c+d%é";
        assert_eq!(
            super::decode(&super::encode(text, b""), false),
            text.as_bytes()
        );
        assert_eq!(super::decode("100%25+done%zz%", true), b"100% done%zz%");
        assert_eq!(super::decode("1+1%2", false), b"1+1%2");
    }
}
