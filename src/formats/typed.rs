//! Lossless typing of values that arrive as text.
//!
//! A value becomes a JSON number only when nothing is lost: `"0042"` (an id
//! with a leading zero), account ids and 19-digit values stay strings, because
//! a number mapping would silently change them. Formats with a known schema
//! (flow logs, access logs) use [`Kind`] per field; unknown fields use
//! [`infer`].

use crate::json::ObjectWriter;
use crate::time::EpochTime;

/// How a field's text is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Always a string.
    Keyword,
    /// An integer (kept as a string if it is not one, see [`write`]).
    Integer,
    /// A decimal number.
    Float,
    /// An IPv4 or IPv6 address, brackets removed.
    Ip,
    /// A time since the epoch in whole seconds, written as the integer and
    /// mapped as an `epoch_second` date; or in milliseconds (some producers
    /// write those, see [`crate::time::EpochTime`]), written as an ISO 8601
    /// time, which the same mapping takes, so no millisecond is lost.
    EpochSeconds,
}

/// Why a value does not have its field's kind.
#[derive(Debug, thiserror::Error)]
#[error("field {field}: {value:?} is not {kind}")]
pub struct TypeError {
    pub field: String,
    /// The value's start, for messages.
    pub value: String,
    pub kind: &'static str,
    /// The whole value, kept in `@invalid`.
    pub full_value: String,
}

/// Values that did not fit their columns in a record whose structure was
/// fine: the record keeps every other field typed, and these are written
/// once at the end as `"@invalid":{"<field>":"<value as text>"}` (mapped as
/// keywords by every template, so they never conflict) with `@error` naming
/// them. Allocates nothing unless a value is bad.
#[derive(Debug, Default)]
pub struct Invalid {
    fields: Vec<(String, String)>,
    reasons: Vec<String>,
}

impl Invalid {
    #[cold]
    pub fn push(&mut self, error: TypeError) {
        self.reasons.push(error.to_string());
        self.fields.push((error.field, error.full_value));
    }

    /// Writes `@invalid` and `@error`, and returns the error for the
    /// summary; nothing when every value fitted.
    pub fn finish(self, w: &mut ObjectWriter<'_>) -> Option<String> {
        if self.fields.is_empty() {
            return None;
        }
        let out = w.field("@invalid");
        let mut invalid = ObjectWriter::new(out);
        for (field, value) in &self.fields {
            invalid.str(field, value);
        }
        invalid.finish();
        let reason = self.reasons.join("; ");
        w.str("@error", &reason);
        Some(reason)
    }
}

/// The largest number of digits an integer may have and still be written as a
/// number: 18 digits always fit a signed 64-bit `long`.
const MAX_INTEGER_DIGITS: usize = 18;

/// Is `s` an integer that survives the trip through a JSON number?
pub fn is_lossless_integer(s: &str) -> bool {
    let digits = s.strip_prefix('-').unwrap_or(s);
    !digits.is_empty()
        && digits.len() <= MAX_INTEGER_DIGITS
        && digits.bytes().all(|b| b.is_ascii_digit())
        && (digits == "0" || !digits.starts_with('0'))
}

/// Is `s` a plain decimal (`12.5`, `-0.25`) that a JSON number keeps exactly
/// as written? Exponents and trailing zeros are left as strings.
pub fn is_lossless_decimal(s: &str) -> bool {
    let digits = s.strip_prefix('-').unwrap_or(s);
    let Some((int, frac)) = digits.split_once('.') else {
        return false;
    };
    is_lossless_integer(int)
        && !frac.is_empty()
        && frac.len() <= 9
        && frac.bytes().all(|b| b.is_ascii_digit())
        && !frac.ends_with('0')
}

/// Names of fields that hold identifiers, which stay strings whatever they
/// look like.
pub fn is_identifier_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower.contains("account")
        || lower.ends_with("id")
        || lower.ends_with("_id")
        || lower.contains("arn")
}

/// Writes `value` under `name`, as a number only where that is lossless.
pub fn infer(w: &mut ObjectWriter<'_>, name: &str, value: &str) {
    if !is_identifier_name(name) && (is_lossless_integer(value) || is_lossless_decimal(value)) {
        w.raw(name, value.as_bytes());
    } else {
        w.str(name, value);
    }
}

/// Strips the brackets of `[2001:db8::1]` and checks that `s` is an address.
pub fn parse_ip(s: &str) -> Option<&str> {
    if is_plain_ipv4(s) {
        return Some(s);
    }
    let bare = s
        .strip_prefix('[')
        .and_then(|rest| rest.strip_suffix(']'))
        .unwrap_or(s);
    bare.parse::<std::net::IpAddr>().ok().map(|_| bare)
}

/// Is `s` a dotted-quad IPv4 address with no leading zeros (as AWS writes
/// them)? Only a quick yes: for anything else, IPv6 or not an address,
/// the standard parser decides. Written out because std's parser was 4% of
/// a flow log object, with two addresses in every record.
#[inline(always)]
fn is_plain_ipv4(s: &str) -> bool {
    // The octet being read: its value, its digits, whether it began with 0.
    let (mut value, mut digits, mut zero_first, mut dots) = (0u32, 0u32, false, 0u32);
    let octet_ok = |value: u32, digits: u32, zero_first: bool| {
        (1..=3).contains(&digits) && value <= 255 && !(zero_first && digits > 1)
    };
    for &b in s.as_bytes() {
        if b == b'.' {
            if !octet_ok(value, digits, zero_first) {
                return false;
            }
            (value, digits, dots) = (0, 0, dots + 1);
            continue;
        }
        let digit = b.wrapping_sub(b'0');
        if digit > 9 || digits == 3 {
            return false;
        }
        zero_first = if digits == 0 { digit == 0 } else { zero_first };
        value = value * 10 + u32::from(digit);
        digits += 1;
    }
    dots == 3 && octet_ok(value, digits, zero_first)
}

/// A value in the JSON form its kind gives it.
enum Typed<'v> {
    Quoted(&'v str),
    /// Text that needs no escaping (a checked address): quoted as it is.
    Plain(&'v str),
    Bare(&'v str),
    Float(f64),
    /// Milliseconds since the epoch, written as an ISO 8601 string.
    Time(i64),
}

impl Typed<'_> {
    #[inline(always)]
    fn write(self, out: &mut Vec<u8>) {
        match self {
            Typed::Quoted(text) => crate::json::write_str(out, text),
            Typed::Plain(text) => {
                out.reserve(text.len() + 2);
                out.push(b'"');
                out.extend_from_slice(text.as_bytes());
                out.push(b'"');
            }
            Typed::Bare(text) => out.extend_from_slice(text.as_bytes()),
            Typed::Float(v) => write_float(out, v),
            Typed::Time(ms) => crate::json::write_timestamp(out, ms),
        }
    }
}

#[inline(never)]
fn write_float(out: &mut Vec<u8>, v: f64) {
    out.extend_from_slice(ryu::Buffer::new().format_finite(v).as_bytes());
}

/// Decides how `value` is written as `kind`, before anything is written;
/// `None` if it is not one. Kept small and inlined: it runs for every value
/// of every access-log and flow-log line.
#[inline(always)]
fn typed(value: &str, kind: Kind) -> Option<Typed<'_>> {
    match kind {
        Kind::Keyword => Some(Typed::Quoted(value)),
        // Eleven digits or fewer are below the milliseconds cutoff (1e11):
        // seconds, without parsing (two of these in every flow record).
        Kind::EpochSeconds if value.len() <= 11 && is_lossless_integer(value) => {
            (!value.starts_with('-')).then_some(Typed::Bare(value))
        }
        Kind::EpochSeconds if is_lossless_integer(value) => {
            match value.parse().ok().and_then(EpochTime::from_number)? {
                EpochTime::Seconds(_) => Some(Typed::Bare(value)),
                EpochTime::Millis(ms) => Some(Typed::Time(ms)),
            }
        }
        Kind::Integer | Kind::Float if is_lossless_integer(value) => Some(Typed::Bare(value)),
        Kind::Float if is_lossless_decimal(value) => Some(Typed::Bare(value)),
        Kind::Float => value
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite())
            .map(Typed::Float),
        Kind::Ip => parse_ip(value).map(Typed::Plain),
        Kind::Integer | Kind::EpochSeconds => None,
    }
}

/// Is `value` written as its own text by [`write`] (quoted for text and
/// addresses), given that it holds nothing to escape? Then a caller that
/// renders many values at once may copy it as it is. Kept beside [`typed`], whose rules it follows; only plain
/// dotted quads count among addresses.
#[inline(always)]
pub fn is_verbatim(value: &str, kind: Kind) -> bool {
    match kind {
        Kind::Keyword => true,
        Kind::Ip => is_plain_ipv4(value),
        Kind::Integer => is_lossless_integer(value),
        Kind::EpochSeconds => {
            value.len() <= 11 && !value.starts_with('-') && is_lossless_integer(value)
        }
        Kind::Float => is_lossless_integer(value) || is_lossless_decimal(value),
    }
}

/// Would `value` be written as `kind` (rather than go to `@invalid`)?
/// For detection: a line that parses as a layout is that layout.
pub fn fits(value: &str, kind: Kind) -> bool {
    typed(value, kind).is_some()
}

/// [`typed`], or why `value` is not a `kind` (for the field `name`).
#[inline(always)]
fn checked<'v>(name: &str, value: &'v str, kind: Kind) -> Result<Typed<'v>, TypeError> {
    typed(value, kind).ok_or_else(|| type_error(name, value, kind))
}

/// Why `value` is not a `kind`: built only on the rare bad value.
#[cold]
#[inline(never)]
fn type_error(name: &str, value: &str, kind: Kind) -> TypeError {
    TypeError {
        field: name.to_owned(),
        value: value.chars().take(64).collect(),
        full_value: value.to_owned(),
        kind: match kind {
            Kind::Keyword => "text",
            Kind::Integer => "an integer",
            Kind::EpochSeconds => "a time in epoch seconds",
            Kind::Float => "a number",
            Kind::Ip => "an IP address",
        },
    }
}

/// A value of field `name` that is not `what` ("address:port", "a time").
#[cold]
pub fn not_a(name: &str, value: &str, what: &'static str) -> TypeError {
    TypeError {
        field: name.to_owned(),
        value: value.chars().take(64).collect(),
        full_value: value.to_owned(),
        kind: what,
    }
}

/// Appends `value` as `kind` (a bare JSON value, for arrays); `name` is
/// only for the error.
pub fn write_value(
    out: &mut Vec<u8>,
    name: &str,
    value: &str,
    kind: Kind,
) -> Result<(), TypeError> {
    checked(name, value, kind)?.write(out);
    Ok(())
}

/// Writes `value` under `name` as `kind`, or says why it is not one.
pub fn write(
    w: &mut ObjectWriter<'_>,
    name: &str,
    value: &str,
    kind: Kind,
) -> Result<(), TypeError> {
    checked(name, value, kind)?.write(w.field(name));
    Ok(())
}

/// [`write`] with the key already rendered as JSON (`"name":`). `clean`
/// says that the value holds nothing to escape (it was cut from a line
/// that holds nothing to escape), so that text is copied without a scan.
pub fn write_rendered(
    w: &mut ObjectWriter<'_>,
    key: &[u8],
    name: &str,
    value: &str,
    kind: Kind,
    clean: bool,
) -> Result<(), TypeError> {
    let typed = match kind {
        Kind::Keyword if clean => Typed::Plain(value),
        _ => checked(name, value, kind)?,
    };
    typed.write(w.rendered_key(key));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epoch_times_in_seconds_or_milliseconds() {
        let written = |v: &str| {
            let mut out = Vec::new();
            write_value(&mut out, "start", v, Kind::EpochSeconds)
                .ok()
                .map(|()| String::from_utf8_lossy(&out).into_owned())
        };
        assert_eq!(written("1418530010").as_deref(), Some("1418530010"));
        assert_eq!(written("0").as_deref(), Some("0"));
        assert_eq!(
            written("1418530010123").as_deref(),
            Some("\"2014-12-14T04:06:50.123Z\"")
        );
        assert_eq!(written("-5"), None);
        assert_eq!(
            written("253402300799999"),
            Some("\"9999-12-31T23:59:59.999Z\"".into())
        );
        assert_eq!(written("253402300800000"), None, "past year 9999");
        assert_eq!(written("1e10"), None);
    }

    #[test]
    fn verbatim_values_are_written_as_they_are() {
        let values = [
            "0",
            "-3",
            "17",
            "1418530010",
            "1418530010123",
            "99999999999",
            "007",
            "1.5",
            "1.50",
            "10.0.0.1",
            "2001:db8::1",
            "[::1]",
            "300.1.1.1",
            "abc",
            "-",
            "",
            "1e3",
        ];
        let kinds = [
            Kind::Keyword,
            Kind::Integer,
            Kind::Float,
            Kind::Ip,
            Kind::EpochSeconds,
        ];
        for value in values {
            for kind in kinds {
                if !is_verbatim(value, kind) {
                    continue;
                }
                let mut out = Vec::new();
                write_value(&mut out, "f", value, kind).expect("a verbatim value fits");
                let expected = match kind {
                    Kind::Keyword | Kind::Ip => format!("\"{value}\""),
                    _ => value.to_owned(),
                };
                assert_eq!(
                    String::from_utf8_lossy(&out),
                    expected,
                    "{value:?} as {kind:?}"
                );
            }
        }
        assert!(
            is_verbatim("10.0.0.1", Kind::Ip) && !is_verbatim("1418530010123", Kind::EpochSeconds)
        );
    }

    #[test]
    fn integers_only_when_lossless() {
        for yes in ["0", "7", "-12", "123456789012345678"] {
            assert!(is_lossless_integer(yes), "{yes}");
        }
        for no in [
            "",
            "-",
            "007",
            "1234567890123456789",
            "1e5",
            "1.0",
            " 1",
            "+1",
        ] {
            assert!(!is_lossless_integer(no), "{no}");
        }
        assert!(is_lossless_decimal("12.25"));
        assert!(!is_lossless_decimal("12.50"));
        assert!(!is_lossless_decimal("1e3"));
    }

    #[test]
    fn inference_keeps_identifiers_as_strings() {
        let mut out = Vec::new();
        let mut w = ObjectWriter::new(&mut out);
        infer(&mut w, "account_id", "123456789012");
        infer(&mut w, "@aws.account", "999888777666");
        infer(&mut w, "bytes", "4249");
        infer(&mut w, "ratio", "0.5");
        infer(&mut w, "code", "0042");
        w.finish();
        let v: serde_json::Value = serde_json::from_slice(&out).expect("json");
        assert_eq!(
            v,
            serde_json::json!({"account_id":"123456789012","@aws.account":"999888777666","bytes":4249,"ratio":0.5,"code":"0042"})
        );
    }

    /// The written-out IPv4 check agrees with the standard parser.
    #[test]
    fn ipv4_as_the_standard_parser_reads_it() {
        for s in [
            "10.0.0.1",
            "255.255.255.255",
            "0.0.0.0",
            "256.1.1.1",
            "1.2.3",
            "1.2.3.4.5",
            "01.2.3.4",
            "1..2.3",
            "1.2.3.",
            ".1.2.3",
            "1234.1.1.1",
            "",
            ".",
            "9999999999.1.1.1",
            "1.2.3.04",
            "100.200.30.0",
        ] {
            let std = s.parse::<std::net::Ipv4Addr>().is_ok();
            assert_eq!(is_plain_ipv4(s), std, "{s:?}");
            assert_eq!(parse_ip(s).is_some(), std, "{s:?}");
        }
        assert!(!is_plain_ipv4("2001:db8::1"));
        // Every string of up to seven digits and dots agrees with std.
        let alphabet = [b'0', b'1', b'2', b'5', b'6', b'9', b'.'];
        for len in 0..=7u32 {
            for n in 0..alphabet.len().pow(len) {
                let mut rest = n;
                let s: String = (0..len)
                    .map(|_| {
                        let c = alphabet[rest % alphabet.len()];
                        rest /= alphabet.len();
                        char::from(c)
                    })
                    .collect();
                let std = s.parse::<std::net::Ipv4Addr>().is_ok();
                assert_eq!(is_plain_ipv4(&s), std, "{s:?}");
            }
        }
        assert_eq!(parse_ip("[2001:db8::1]"), Some("2001:db8::1"));
    }

    #[test]
    fn ip_addresses() {
        assert_eq!(parse_ip("10.0.0.1"), Some("10.0.0.1"));
        assert_eq!(parse_ip("[2001:db8::1]"), Some("2001:db8::1"));
        assert_eq!(parse_ip("2a02:cf40::"), Some("2a02:cf40::"));
        assert_eq!(parse_ip("-"), None);
        assert_eq!(parse_ip("10.0.0.256"), None);
    }
}
