//! The time and level an application's text line starts with, as the
//! common logging libraries write them, so that such a line is filed under
//! its own time with its `level` (and `logger`, where the layout has one):
//!
//! - log4j / logback / Kafka: `2025-07-04 10:00:00,123 INFO [main] c.e.App - started`,
//!   `[2025-07-04 10:00:00,123] INFO [KafkaServer id=1] started (kafka.server.KafkaServer)`
//!   (the logger in parentheses at the end);
//! - Python `logging`: `2025-07-04 10:00:00,123 - app.db - WARNING - slow query`;
//! - ISO 8601 times: `2025-07-04T10:00:00.123Z ERROR boom`;
//! - Go's `log`: `2025/07/04 10:00:00 listening` (a time, no level);
//! - klog (Kubernetes): `I0704 10:00:00.123456   12345 server.go:42] started`
//!   (no year: the year of the time the line was received, or the one
//!   before for a line from late December read in January);
//! - logfmt as Go's logrus writes it (EKS's authenticator):
//!   `time="2025-07-04T10:00:00Z" level=info msg="started"`.
//!
//! Times without an offset are UTC. Anything else is no prefix: the line
//! stays plain text under the time it was received.

use crate::time;

/// What a line's prefix says.
#[derive(Debug, PartialEq, Eq)]
pub struct Prefix<'a> {
    pub millis: i64,
    pub level: Option<&'a str>,
    pub logger: Option<&'a str>,
}

const LEVELS: &[&str] = &[
    "TRACE", "DEBUG", "INFO", "NOTICE", "WARN", "WARNING", "ERROR", "CRITICAL", "FATAL", "SEVERE",
];

fn is_level(word: &str) -> bool {
    LEVELS.iter().any(|l| l.eq_ignore_ascii_case(word))
}

/// The prefix of `line`, if it starts with a time; `received_ms` gives the
/// year of a klog line.
pub fn parse(line: &str, received_ms: i64) -> Option<Prefix<'_>> {
    let first = *line.as_bytes().first()?;
    if matches!(first, b'I' | b'W' | b'E' | b'F') {
        return klog(line, received_ms);
    }
    if first == b't' {
        return logfmt(line);
    }
    let (bracketed, line) = match line.strip_prefix('[') {
        Some(rest) => (true, rest),
        None => (false, line),
    };
    if !line.as_bytes().first().is_some_and(u8::is_ascii_digit) {
        return None;
    }
    let (millis, rest) = leading_time(line)?;
    let rest = match bracketed {
        true => rest.strip_prefix(']')?,
        false => rest,
    };
    let mut prefix = Prefix {
        millis,
        level: None,
        logger: None,
    };
    let rest = rest.trim_start();
    // Python: ` - name - LEVEL - message`.
    if let Some(python) = rest.strip_prefix("- ") {
        let mut parts = python.splitn(3, " - ");
        if let (Some(name), Some(level), Some(_)) = (parts.next(), parts.next(), parts.next()) {
            if is_level(level) && !name.contains(' ') {
                prefix.level = Some(level);
                prefix.logger = Some(name);
            }
        }
        return Some(prefix);
    }
    // log4j and friends: `[thread] LEVEL logger - message`, `LEVEL [thread]
    // message (logger)`, `[LEVEL] message`.
    let mut words = rest.split_ascii_whitespace();
    let mut word = words.next().unwrap_or_default();
    if word.starts_with('[') && !is_level(word.trim_matches(['[', ']'])) {
        word = words.next().unwrap_or_default();
    }
    let level = word.trim_matches(['[', ']']);
    if !is_level(level) {
        return Some(prefix);
    }
    prefix.level = Some(level);
    // The logger: `(a.b.C)` at the end (Kafka), or a dotted word followed
    // by ` - ` (logback's default pattern).
    prefix.logger = rest
        .trim_end()
        .strip_suffix(')')
        .and_then(|r| r.rsplit_once('('))
        .map(|(_, name)| name)
        .filter(|name| name.contains('.') && !name.contains(' '))
        .or_else(|| {
            let after = rest.split_once(level).map(|(_, a)| a.trim_start())?;
            let (name, _) = after.split_once(" - ")?;
            (!name.contains(' ') && name.contains('.')).then_some(name)
        });
    Some(prefix)
}

/// `YYYY-MM-DD HH:MM:SS[,.]fff`, `YYYY-MM-DDTHH:MM:SS[.fff][Z|±hh:mm]` or
/// `YYYY/MM/DD HH:MM:SS` at the start of `text`, and the rest.
fn leading_time(text: &str) -> Option<(i64, &str)> {
    let b = text.as_bytes();
    // ASCII, so that the slices below fall on character boundaries.
    if b.len() < 19
        || !b[..19].is_ascii()
        || !matches!(b[4], b'-' | b'/')
        || b[7] != b[4]
        || !matches!(b[10], b' ' | b'T')
    {
        return None;
    }
    // The time runs to the first space after the date and time.
    let end = text[19..]
        .find(|c: char| c.is_ascii_whitespace() || c == ']')
        .map_or(text.len(), |p| p + 19);
    let mut iso = [0u8; 40];
    let taken = &b[..end.min(iso.len())];
    iso[..taken.len()].copy_from_slice(taken);
    iso[4] = b'-';
    iso[7] = b'-';
    iso[10] = b'T';
    if taken.len() > 19 && iso[19] == b',' {
        iso[19] = b'.';
    }
    let iso = std::str::from_utf8(&iso[..taken.len()]).ok()?;
    Some((time::parse_iso8601_utc(iso)?, &text[end..]))
}

/// `time="<RFC 3339>" level=<level> ...`: logrus's text layout.
fn logfmt(line: &str) -> Option<Prefix<'_>> {
    let rest = line.strip_prefix("time=\"")?;
    let (stamp, rest) = rest.split_once('"')?;
    let millis = time::parse_iso8601_utc(stamp)?;
    let level = rest
        .trim_start()
        .strip_prefix("level=")
        .and_then(|r| r.split(' ').next())
        .map(|l| l.trim_matches('"'))
        .filter(|l| is_level(l));
    Some(Prefix {
        millis,
        level,
        logger: None,
    })
}

/// `Lmmdd hh:mm:ss.uuuuuu threadid file:line] message`.
fn klog(line: &str, received_ms: i64) -> Option<Prefix<'_>> {
    let b = line.as_bytes();
    // ASCII, so that the slices below fall on character boundaries.
    if b.len() < 21
        || !b[..21].is_ascii()
        || b[5] != b' '
        || b[8] != b':'
        || b[11] != b':'
        || b[14] != b'.'
    {
        return None;
    }
    if !line.contains("] ") && !line.ends_with(']') {
        return None;
    }
    let level = match b[0] {
        b'I' => "INFO",
        b'W' => "WARNING",
        b'E' => "ERROR",
        _ => "FATAL",
    };
    let received_year = time::civil_from_days(time::day_number(received_ms)).year;
    let at = |year: i32| {
        let iso = format!(
            "{year:04}-{}-{}T{}Z",
            &line[1..3],
            &line[3..5],
            &line[6..21]
        );
        time::parse_iso8601_utc(&iso)
    };
    let mut millis = at(received_year)?;
    // A line from late December read in early January.
    if millis > received_ms + 86_400_000 {
        millis = at(received_year - 1)?;
    }
    Some(Prefix {
        millis,
        level: Some(level),
        logger: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const RECEIVED: i64 = 1_764_950_400_000; // 2025-12-05T16:00:00Z

    /// A prefix as text: the time, the level, the logger.
    type Shown<'a> = (String, Option<&'a str>, Option<&'a str>);
    /// What a case expects of it.
    type Expected<'a> = (&'a str, Option<&'a str>, Option<&'a str>);

    fn at(line: &str) -> Option<Shown<'_>> {
        parse(line, RECEIVED).map(|p| (time::rfc3339_millis(p.millis), p.level, p.logger))
    }

    #[test]
    fn the_layouts_of_the_common_libraries() {
        let cases: &[(&str, Expected<'_>)] = &[
            (
                r#"time="2025-07-04T10:00:00Z" level=info msg="access granted" arn="arn:aws:iam::111122223333:role/dev""#,
                ("2025-07-04T10:00:00.000Z", Some("info"), None),
            ),
            (
                r#"time="2025-07-04T10:00:00.5+02:00" level=warning msg="x""#,
                ("2025-07-04T08:00:00.500Z", Some("warning"), None),
            ),
            (
                "[2025-07-04 10:00:00,123] INFO [KafkaServer id=1] started (kafka.server.KafkaServer)",
                ("2025-07-04T10:00:00.123Z", Some("INFO"), Some("kafka.server.KafkaServer")),
            ),
            (
                "2025-07-04 10:00:00,123 INFO  [main] com.example.App - started in 2.1 s",
                ("2025-07-04T10:00:00.123Z", Some("INFO"), None),
            ),
            (
                "2025-07-04 10:00:00.123 WARN com.example.db.Pool - pool exhausted",
                ("2025-07-04T10:00:00.123Z", Some("WARN"), Some("com.example.db.Pool")),
            ),
            (
                "2025-07-04 10:00:00,123 - app.db - WARNING - slow query (1.2 s)",
                ("2025-07-04T10:00:00.123Z", Some("WARNING"), Some("app.db")),
            ),
            (
                "2025-07-04T10:00:00.123+02:00 error [worker-3] boom",
                ("2025-07-04T08:00:00.123Z", Some("error"), None),
            ),
            (
                "2025-07-04T10:00:00Z [ERROR] boom",
                ("2025-07-04T10:00:00.000Z", Some("ERROR"), None),
            ),
            ("2025/07/04 10:00:00 listening on :8080", ("2025-07-04T10:00:00.000Z", None, None)),
            (
                "I1205 15:59:58.123456   12345 server.go:42] Starting server",
                ("2025-12-05T15:59:58.123Z", Some("INFO"), None),
            ),
            (
                "E1231 23:59:59.000001       1 controller.go:7] sync failed",
                ("2024-12-31T23:59:59.000Z", Some("ERROR"), None),
            ),
        ];
        for (line, (time, level, logger)) in cases {
            assert_eq!(
                at(line),
                Some(((*time).to_owned(), *level, *logger)),
                "{line}"
            );
        }
    }

    #[test]
    fn lines_that_only_look_like_it_are_no_prefix() {
        for line in [
            "INFO starting",
            "[INFO] starting",
            "2025 was a good year",
            "12:00:00 lunch",
            "2025-13-45 10:00:00 no such date",
            "Error: something",
            "I am a sentence that starts with I",
            "",
            "[",
            "2025-07-04",
            "time=\"soon\" level=info",
            "the end",
            // A character of several bytes where a digit belongs (found
            // by the formats fuzzer: slicing there panicked).
            "[2025-07-04 10:2\0\x000\u{13294}3] INFO [KafkaServer)",
            "2025-07-04 10:00:0\u{e9}0 INFO x",
            "I0704 10:00:00.12345\u{e9} 1 server.go:42] started",
            "I\u{e9}704 10:00:00.123456 1 server.go:42] started",
        ] {
            assert_eq!(parse(line, RECEIVED), None, "{line}");
        }
    }
}
