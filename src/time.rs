//! UTC calendar arithmetic for timestamps and index-name dates.
//!
//! Log timestamps are formatted once per document, so this stays free of
//! allocation and time-zone machinery: days are converted with Howard
//! Hinnant's `civil_from_days` / `days_from_civil` algorithms, which are exact
//! for the whole proleptic Gregorian calendar.

/// Milliseconds in a day.
const DAY_MS: i64 = 86_400_000;

/// CloudWatch timestamps are milliseconds, but some producers send seconds.
/// Anything below this (1973-03-03 in milliseconds, year 5138 in seconds) is
/// taken to be seconds.
const SECONDS_CUTOFF: i64 = 100_000_000_000;

/// A calendar date.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Date {
    pub year: i32,
    pub month: u8,
    pub day: u8,
}

/// Days since 1970-01-01 of a timestamp in milliseconds.
pub fn day_number(millis: i64) -> i64 {
    millis.div_euclid(DAY_MS)
}

/// Interprets a CloudWatch-style timestamp that may be in seconds, returning
/// milliseconds and whether it had to be scaled.
pub fn normalize_millis(ts: i64) -> (i64, bool) {
    if ts > 0 && ts < SECONDS_CUTOFF {
        (ts.saturating_mul(1000), true)
    } else {
        (ts, false)
    }
}

/// The last second of year 9999: later times have no ISO 8601 form with a
/// four-digit year, which is all a date field takes.
const MAX_EPOCH_SECONDS: i64 = 253_402_300_799;

/// An epoch time that a producer may have written in seconds or in
/// milliseconds (flow log `start`/`end`): below [`SECONDS_CUTOFF`] it is
/// seconds, from there to the end of year 9999 milliseconds. Anything else
/// is no date a cluster can store, and must not overflow.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EpochTime {
    Seconds(i64),
    Millis(i64),
}

impl EpochTime {
    /// Reads `value`, or `None` if it is neither (negative, or later than
    /// year 9999 in milliseconds).
    pub fn from_number(value: i64) -> Option<EpochTime> {
        const MAX_MILLIS: i64 = MAX_EPOCH_SECONDS * 1000 + 999;
        match value {
            0..SECONDS_CUTOFF => Some(EpochTime::Seconds(value)),
            SECONDS_CUTOFF..=MAX_MILLIS => Some(EpochTime::Millis(value)),
            _ => None,
        }
    }

    pub fn millis(self) -> i64 {
        match self {
            EpochTime::Seconds(s) => s * 1000,
            EpochTime::Millis(ms) => ms,
        }
    }
}

pub fn civil_from_days(days: i64) -> Date {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u8;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
    let year = yoe + era * 400 + i64::from(month <= 2);
    Date {
        year: year as i32,
        month,
        day,
    }
}

pub fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = i64::from(month);
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Writes `value` as exactly `digits.len()` decimal digits.
fn put_digits(digits: &mut [u8], value: u32) {
    let mut v = value;
    for slot in digits.iter_mut().rev() {
        *slot = b'0' + (v % 10) as u8;
        v /= 10;
    }
}

/// Writes `YYYY-MM-DDTHH:MM:SS.mmmZ`. Years outside 0..=9999 are clamped,
/// since neither OpenSearch nor Elasticsearch accepts them in that format.
/// Built on the stack and appended once: it is written for every document.
pub fn write_rfc3339_millis(out: &mut Vec<u8>, millis: i64) {
    // Records of a stream mostly fall in the same second as the one before
    // (a flow log's `start` is the same for a whole capture window), and
    // nearly always in the same day: the text of the last time is kept per
    // thread, and only what changed is written anew (the date, which takes
    // the most work, once a day).
    thread_local! {
        static LAST: std::cell::Cell<(i64, [u8; 24])> = const { std::cell::Cell::new((i64::MIN, [0; 24])) };
    }
    // Clamped times are not kept: their text is not their second's.
    if !(MIN_MS..=MAX_MS).contains(&millis) {
        out.extend_from_slice(&format_rfc3339_millis(millis));
        return;
    }
    // `i64::MIN` marks "nothing kept yet" (no millis divide to it).
    let (last_second, mut text) = LAST.get();
    let second = millis.div_euclid(1000);
    let day_of = |second: i64| second.div_euclid(DAY_MS / 1000);
    if second == last_second {
        put_digits(&mut text[20..23], millis.rem_euclid(1000) as u32);
    } else {
        if day_of(second) == day_of(last_second) {
            put_time_of_day(&mut text, millis.rem_euclid(DAY_MS) as u32);
        } else {
            text = format_rfc3339_millis(millis);
        }
        LAST.set((second, text));
    }
    out.extend_from_slice(&text);
}

/// The range [`write_rfc3339_millis`] writes as it is; times outside are
/// clamped to its ends.
const MIN_MS: i64 = -62_167_219_200_000; // 0000-01-01
const MAX_MS: i64 = 253_402_300_799_999; // 9999-12-31T23:59:59.999

fn format_rfc3339_millis(millis: i64) -> [u8; 24] {
    let millis = millis.clamp(MIN_MS, MAX_MS);
    let date = civil_from_days(day_number(millis));
    let mut text = *b"0000-00-00T00:00:00.000Z";
    put_digits(&mut text[0..4], date.year as u32);
    put_digits(&mut text[5..7], u32::from(date.month));
    put_digits(&mut text[8..10], u32::from(date.day));
    put_time_of_day(&mut text, millis.rem_euclid(DAY_MS) as u32);
    text
}

/// Writes `HH:MM:SS.mmm` of a time `in_day` milliseconds into its day.
fn put_time_of_day(text: &mut [u8; 24], in_day: u32) {
    put_digits(&mut text[11..13], in_day / 3_600_000);
    put_digits(&mut text[14..16], in_day / 60_000 % 60);
    put_digits(&mut text[17..19], in_day / 1000 % 60);
    put_digits(&mut text[20..23], in_day % 1000);
}

/// The current time in milliseconds since the epoch.
pub fn now_millis() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// Formats a timestamp in milliseconds as an RFC 3339 string.
pub fn rfc3339_millis(millis: i64) -> String {
    let mut out = Vec::with_capacity(24);
    write_rfc3339_millis(&mut out, millis);
    String::from_utf8(out).unwrap_or_default()
}

fn digits(bytes: &[u8]) -> Option<u32> {
    if bytes.is_empty() || !bytes.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(
        bytes
            .iter()
            .fold(0u32, |acc, &b| acc * 10 + u32::from(b - b'0')),
    )
}

/// Parses the ISO 8601 / RFC 3339 timestamps AWS writes
/// (`2014-03-06T21:22:54Z`, with optional fraction and `+hh:mm` offset) into
/// milliseconds since the epoch.
pub fn parse_rfc3339(s: &str) -> Option<i64> {
    parse_iso8601(s, false)
}

/// A date (`2025-12-05`) and a time of day (`16:00:00`, UTC) written
/// apart, as CloudFront's and database logs write them.
pub fn parse_date_and_time(date: &str, time: &str) -> Option<i64> {
    if date.len() != 10 || time.len() != 8 {
        return None;
    }
    let mut text = [0u8; 20];
    text[..10].copy_from_slice(date.as_bytes());
    text[10] = b'T';
    text[11..19].copy_from_slice(time.as_bytes());
    text[19] = b'Z';
    parse_iso8601_utc(std::str::from_utf8(&text).ok()?)
}

/// [`parse_rfc3339`], also taking a time without an offset as UTC (Network
/// Load Balancer logs write `2018-12-20T02:59:40`).
pub fn parse_iso8601_utc(s: &str) -> Option<i64> {
    parse_iso8601(s, true)
}

fn parse_iso8601(s: &str, bare_is_utc: bool) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() < 19 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't' | b' ') {
        return None;
    }
    if b[13] != b':' || b[16] != b':' {
        return None;
    }
    let year = digits(&b[0..4])?;
    let month = digits(&b[5..7])?;
    let day = digits(&b[8..10])?;
    let hour = digits(&b[11..13])?;
    let minute = digits(&b[14..16])?;
    let second = digits(&b[17..19])?;
    if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
        return None;
    }
    if hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let mut rest = &b[19..];
    let mut millis = 0u32;
    if let Some((b'.', fraction)) = rest.split_first() {
        let len = fraction.iter().take_while(|c| c.is_ascii_digit()).count();
        if len == 0 {
            return None;
        }
        let mut ms = [b'0'; 3];
        for (slot, digit) in ms.iter_mut().zip(&fraction[..len]) {
            *slot = *digit;
        }
        millis = digits(&ms)?;
        rest = &fraction[len..];
    }
    let offset_minutes: i64 = match rest {
        b"Z" | b"z" => 0,
        b"" if bare_is_utc => 0,
        // `+hh:mm`, or `+hhmm` as Network Firewall and others write it.
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] | [sign @ (b'+' | b'-'), h1, h2, m1, m2] => {
            let minutes = i64::from(digits(&[*h1, *h2])? * 60 + digits(&[*m1, *m2])?);
            if *sign == b'+' {
                minutes
            } else {
                -minutes
            }
        }
        _ => return None,
    };
    let days = days_from_civil(i64::from(year), month, day);
    let seconds =
        days * 86_400 + i64::from(hour) * 3600 + i64::from(minute) * 60 + i64::from(second)
            - offset_minutes * 60;
    Some(seconds * 1000 + i64::from(millis))
}

/// The earliest own time believed: 2000-01-01. A record "from" 1970 is a
/// zero or a counter, not a time.
const PLAUSIBLE_FROM_MS: i64 = 946_684_800_000;

/// A record's own time from the text of a JSON value: a number or numeric
/// string of epoch seconds, milliseconds, microseconds or nanoseconds (told
/// by its size; a fraction of seconds is kept), an ISO 8601 time, or a
/// common log format date (`22/Sep/2022:01:50:36 +0000`). `None` for
/// anything else, and for a time that is not plausible: before 2000, or
/// more than a day after `now_ms`.
pub fn own_time(value: &str, now_ms: i64) -> Option<i64> {
    let text = value.trim().trim_matches('"').trim();
    let millis = if text.bytes().all(|b| b.is_ascii_digit() || b == b'.') && !text.is_empty() {
        let number: f64 = text.parse().ok()?;
        let scaled = match number {
            n if n < 1e11 => n * 1e3,
            n if n < 1e14 => n,
            n if n < 1e17 => n / 1e3,
            n if n < 1e20 => n / 1e6,
            _ => return None,
        };
        scaled as i64
    } else {
        parse_iso8601_utc(text).or_else(|| parse_clf(text))?
    };
    (PLAUSIBLE_FROM_MS..=now_ms.saturating_add(DAY_MS))
        .contains(&millis)
        .then_some(millis)
}

/// Parses the common log format time of S3 server access logs,
/// `06/Feb/2019:00:00:38 +0000`, into milliseconds since the epoch.
pub fn parse_clf(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() != 26 || b[2] != b'/' || b[6] != b'/' || b[11] != b':' || b[20] != b' ' {
        return None;
    }
    let day = digits(&b[0..2])?;
    const MONTHS: [&[u8; 3]; 12] = [
        b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov",
        b"Dec",
    ];
    let month = MONTHS.iter().position(|m| m[..] == b[3..6])? as u32 + 1;
    let year = digits(&b[7..11])?;
    let (hour, minute, second) = (
        digits(&b[12..14])?,
        digits(&b[15..17])?,
        digits(&b[18..20])?,
    );
    if b[14] != b':' || b[17] != b':' || hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    if day == 0 || day > days_in_month(year, month) {
        return None;
    }
    let offset = i64::from(digits(&b[22..24])? * 60 + digits(&b[24..26])?);
    let offset = match b[21] {
        b'+' => offset,
        b'-' => -offset,
        _ => return None,
    };
    let days = days_from_civil(i64::from(year), month, day);
    let seconds =
        days * 86_400 + i64::from(hour) * 3600 + i64::from(minute) * 60 + i64::from(second)
            - offset * 60;
    Some(seconds * 1000)
}

fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        4 | 6 | 9 | 11 => 30,
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        _ => 31,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_kept_second_and_day_are_only_used_within_them() {
        // A walk that stays in a second, crosses into the next, goes before
        // 1970 and past both clamped ends, hops about three days (midnight
        // included, on both sides of 1970), against the uncached text.
        let mut times = vec![0, 1, 999, 1000, -1, -999, -1000, -1001, MAX_MS, MAX_MS + 1];
        times.extend([MIN_MS, MIN_MS - 1, MIN_MS + 1, i64::MAX, i64::MIN + 1]);
        times.extend((0..3000).map(|i| 1_418_530_010_000 + i * 7 % 2500));
        for base in [1_418_515_200_000, -DAY_MS] {
            times.extend((0..3000).map(|i| base + i * 997_003 % (3 * DAY_MS)));
            times.extend([base - 1, base, base + DAY_MS - 1, base + DAY_MS, base - 1]);
        }
        for ms in times {
            let mut out = Vec::new();
            write_rfc3339_millis(&mut out, ms);
            assert_eq!(out, format_rfc3339_millis(ms), "{ms}");
        }
    }

    #[test]
    fn the_kept_time_is_only_used_for_the_same_instant() {
        let text = |ms| {
            let mut out = Vec::new();
            write_rfc3339_millis(&mut out, ms);
            String::from_utf8(out).expect("ascii")
        };
        assert_eq!(text(i64::MIN), "0000-01-01T00:00:00.000Z");
        assert_eq!(text(1_418_530_010_123), "2014-12-14T04:06:50.123Z");
        assert_eq!(text(1_418_530_010_123), "2014-12-14T04:06:50.123Z");
        assert_eq!(text(1_418_530_010_124), "2014-12-14T04:06:50.124Z");
        assert_eq!(text(i64::MIN), "0000-01-01T00:00:00.000Z");
    }

    #[test]
    fn epoch_times_in_seconds_or_milliseconds() {
        assert_eq!(
            EpochTime::from_number(1_418_530_010),
            Some(EpochTime::Seconds(1_418_530_010))
        );
        let ms = EpochTime::from_number(1_418_530_010_123).expect("ms");
        assert_eq!(ms, EpochTime::Millis(1_418_530_010_123));
        assert_eq!(ms.millis(), 1_418_530_010_123);
        assert_eq!(EpochTime::from_number(-1), None);
        assert_eq!(EpochTime::from_number(222_222_222_222_222_202), None);
    }

    #[test]
    fn civil_roundtrip_over_centuries() {
        for days in (-800_000..800_000).step_by(997) {
            let d = civil_from_days(days);
            assert_eq!(
                days_from_civil(i64::from(d.year), u32::from(d.month), u32::from(d.day)),
                days
            );
        }
    }

    #[test]
    fn formats_known_instants() {
        assert_eq!(rfc3339_millis(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(
            rfc3339_millis(1_418_530_010_000),
            "2014-12-14T04:06:50.000Z"
        );
        assert_eq!(rfc3339_millis(951_782_400_123), "2000-02-29T00:00:00.123Z");
        assert_eq!(rfc3339_millis(-1), "1969-12-31T23:59:59.999Z");
    }

    #[test]
    fn parses_aws_timestamps() {
        assert_eq!(
            parse_rfc3339("2014-12-14T04:06:50Z"),
            Some(1_418_530_010_000)
        );
        assert_eq!(
            parse_rfc3339("2014-12-14T04:06:50.5Z"),
            Some(1_418_530_010_500)
        );
        assert_eq!(
            parse_rfc3339("2014-12-14T06:06:50.123456+02:00"),
            Some(1_418_530_010_123)
        );
        assert_eq!(parse_rfc3339("2014-02-30T00:00:00Z"), None);
        assert_eq!(parse_rfc3339("20131102T010628Z"), None);
        assert_eq!(parse_rfc3339("2014-12-14T04:06:50"), None);
        assert_eq!(parse_rfc3339("2014-12-14TT04:06:50Z"), None);
    }

    #[test]
    fn parses_other_aws_times() {
        assert_eq!(
            parse_iso8601_utc("2014-12-14T04:06:50"),
            Some(1_418_530_010_000)
        );
        assert_eq!(
            parse_clf("14/Dec/2014:04:06:50 +0000"),
            Some(1_418_530_010_000)
        );
        assert_eq!(
            parse_clf("14/Dec/2014:06:06:50 +0200"),
            Some(1_418_530_010_000)
        );
        assert_eq!(parse_clf("14/Dec/2014:04:06:50"), None);
        assert_eq!(parse_clf("31/Feb/2014:04:06:50 +0000"), None);
        assert_eq!(parse_clf("14/Foo/2014:04:06:50 +0000"), None);
    }

    #[test]
    fn seconds_are_detected() {
        assert_eq!(normalize_millis(1_737_735_732), (1_737_735_732_000, true));
        assert_eq!(
            normalize_millis(1_737_735_732_000),
            (1_737_735_732_000, false)
        );
    }

    #[test]
    fn own_times_in_every_shape_and_only_plausible_ones() {
        let now = 1_764_950_400_000; // 2025-12-05T16:00:00Z
        for (value, expected) in [
            ("1764950400", Some(now)),
            ("1764950400123", Some(now + 123)),
            ("1764950400123456", Some(now + 123)),
            ("1764950400123456789", Some(now + 123)),
            ("1764950400.5", Some(now + 500)),
            ("\"1764950400\"", Some(now)),
            ("\"2025-12-05T16:00:00Z\"", Some(now)),
            ("\"2025-12-05T16:00:00.250+00:00\"", Some(now + 250)),
            ("\"2025-12-05T17:00:00.000123+0100\"", Some(now)),
            ("\"05/Dec/2025:16:00:00 +0000\"", Some(now)),
            ("0", None),
            ("42", None),
            ("\"1999-12-31T23:59:59Z\"", None),
            ("\"2025-12-07T16:00:01Z\"", None),
            ("\"yesterday\"", None),
            ("\"\"", None),
            ("true", None),
            ("-5", None),
        ] {
            assert_eq!(own_time(value, now), expected, "{value}");
        }
    }
}
