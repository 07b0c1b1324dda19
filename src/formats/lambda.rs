//! AWS Lambda function logs (`/aws/lambda/<function>` log groups, text log
//! format).
//!
//! Reference: "Working with Lambda function logs" and the runtime logging
//! pages of the Lambda developer guide. The runtime writes platform lines
//!
//! ```text
//! START RequestId: <id> Version: $LATEST
//! END RequestId: <id>
//! REPORT RequestId: <id>  Duration: 26.73 ms  Billed Duration: 27 ms  Memory Size: 128 MB  Max Memory Used: 75 MB  Init Duration: 166.62 ms
//! ```
//!
//! (tab separated, shown here as two spaces; sometimes with an `XRAY TraceId: ... SegmentId: ...
//! Sampled: true` tail), and the managed runtimes prefix application lines
//! with their time, request id and level: Node.js
//! `<time>\t<request id>\t<LEVEL>\t<message>`, Python's logging module
//! `[LEVEL]\t<time>\t<request id>\t<message>`.
//!
//! Every document keeps the whole line in `@message`. Platform lines add
//! `platform` (`start`, `end`, `report`, `init_start`), `request_id` and, for
//! REPORT, the figures as numbers with their unit in the name
//! (`duration_ms`, `billed_duration_ms`, `memory_size_mb`,
//! `max_memory_used_mb`, `init_duration_ms`, ...). Application lines add
//! `level` and `request_id`, and their own time is `@timestamp`. Messages
//! that are JSON objects (the JSON log format) are handled as JSON, filed
//! under their own `timestamp` or `time` ([`super::json::TIME_NAMES`]); so is a
//! JSON platform line (`{"time":…,"type":"platform.report",…}`) with an
//! extension's unterminated output glued in front of it, which keeps the
//! whole line in `@message` as well.

use super::typed::{self, Kind};
use super::{write_cloudwatch_meta, Encoded, Event, Origin};
use crate::json::{key, ObjectWriter};

/// One labelled value of a REPORT line.
pub struct ReportField {
    /// The words of its label, the colon included.
    pub label: &'static [&'static str],
    /// The document field it is written to.
    pub name: &'static str,
    /// `"name":`, rendered when compiling (the key is written for every
    /// value of every REPORT line).
    key: &'static [u8],
    pub kind: Kind,
}

macro_rules! report_field {
    ($label:expr, $name:literal, $kind:ident) => {
        ReportField {
            label: $label,
            name: $name,
            key: key!($name),
            kind: Kind::$kind,
        }
    };
}

/// The labelled values of a REPORT line.
pub const REPORT_FIELDS: &[ReportField] = &[
    report_field!(&["RequestId:"], "request_id", Keyword),
    report_field!(&["Duration:"], "duration_ms", Float),
    report_field!(
        &["Billed", "Restore", "Duration:"],
        "billed_restore_duration_ms",
        Float
    ),
    report_field!(&["Billed", "Duration:"], "billed_duration_ms", Float),
    report_field!(&["Memory", "Size:"], "memory_size_mb", Integer),
    report_field!(&["Max", "Memory", "Used:"], "max_memory_used_mb", Integer),
    report_field!(&["Init", "Duration:"], "init_duration_ms", Float),
    report_field!(&["Restore", "Duration:"], "restore_duration_ms", Float),
    report_field!(&["XRAY", "TraceId:"], "xray_trace_id", Keyword),
    report_field!(&["SegmentId:"], "segment_id", Keyword),
    report_field!(&["Sampled:"], "sampled", Keyword),
    report_field!(&["Status:"], "status", Keyword),
    report_field!(&["Error", "Type:"], "error_type", Keyword),
];

const LEVELS: &[&str] = &[
    "TRACE", "DEBUG", "INFO", "WARN", "WARNING", "ERROR", "FATAL", "CRITICAL",
];

pub fn encode(origin: &Origin, event: &Event<'_>, doc: &mut Vec<u8>) -> Result<Encoded, String> {
    let line = event.message.trim_end();
    let application = application_prefix(line);
    let timestamp_ms = application.map_or(event.timestamp_ms, |(time, _, _)| time);
    let mut w = ObjectWriter::new(doc);
    write_cloudwatch_meta(&mut w, origin, event, timestamp_ms);
    super::write_message(&mut w, event.message);
    if let Some(rest) = line.strip_prefix("REPORT ") {
        w.rendered_str(key!("platform"), "report");
        write_report(&mut w, rest)?;
    } else if let Some(rest) = line.strip_prefix("START RequestId: ") {
        w.rendered_str(key!("platform"), "start");
        let (id, version) = start_line(rest);
        w.rendered_str(key!("request_id"), id.trim());
        if !version.trim().is_empty() {
            w.rendered_str(key!("version"), version.trim());
        }
    } else if let Some(rest) = line.strip_prefix("END RequestId: ") {
        w.rendered_str(key!("platform"), "end");
        w.rendered_str(key!("request_id"), rest.trim());
    } else if let Some(rest) = line.strip_prefix("INIT_START ") {
        w.rendered_str(key!("platform"), "init_start");
        if let Some(version) = rest.strip_prefix("Runtime Version: ") {
            let (version, arn) = version
                .split_once("Runtime Version ARN: ")
                .unwrap_or((version, ""));
            w.rendered_str(key!("runtime_version"), version.trim());
            if !arn.trim().is_empty() {
                w.rendered_str(key!("runtime_version_arn"), arn.trim());
            }
        }
    } else if let Some((_, request_id, level)) = application {
        w.rendered_str(key!("level"), level);
        w.rendered_str(key!("request_id"), request_id);
    }
    w.finish();
    Ok(Encoded {
        timestamp_ms,
        ..Encoded::default()
    })
}

/// Where the JSON platform line starts in `line`, if `line` is other text
/// glued in front of one (an extension's output without its line break):
/// the JSON is then encoded as JSON, the whole line kept in `@message`.
/// Only platform lines are split off: an application's "Result: {...}"
/// stays text.
pub fn glued_platform_json(line: &str) -> Option<usize> {
    const START: &str = "{\"time\":";
    if line.starts_with('{') || !line.trim_end().ends_with('}') {
        return None;
    }
    let at = line.find(START)?;
    line[at..].contains("\"type\":\"platform.").then_some(at)
}

/// The labelled values of a REPORT line, whatever separates them (tabs, the
/// double spaces of older runtimes, a line break before `XRAY`). Read word
/// by word, looking ahead on copies of the word iterator: nothing is
/// collected, for a quarter of a function's lines.
fn write_report(w: &mut ObjectWriter<'_>, rest: &str) -> Result<(), String> {
    let mut words = rest.split_ascii_whitespace();
    let mut found_id = false;
    // Labels are looked for from the one after the last found: lines carry
    // them in the table's order, so the first one tried nearly always is
    // it. (At most one label can start at a word, so the order of the search
    // changes nothing else.)
    let mut next_label = 0;
    while let Some(word) = words.next() {
        let count = REPORT_FIELDS.len();
        let labelled = (next_label..count).chain(0..next_label).find_map(|i| {
            let field = &REPORT_FIELDS[i];
            let (first, more) = field.label.split_first()?;
            if *first != word {
                return None;
            }
            let mut after = words.clone();
            more.iter()
                .all(|&l| after.next() == Some(l))
                .then_some((i, field, after))
        });
        let Some((i, field, mut after)) = labelled else {
            continue;
        };
        next_label = i + 1;
        let Some(value) = after.next() else {
            break;
        };
        found_id |= field.name == "request_id";
        match (field.name, value) {
            ("sampled", "true" | "false") => {
                w.rendered_key(field.key)
                    .extend_from_slice(value.as_bytes());
            }
            _ => typed::write_rendered(w, field.key, field.name, value, field.kind, false)
                .map_err(|e| e.to_string())?,
        }
        words = after.clone();
        if matches!(after.next(), Some("ms" | "MB")) {
            words = after;
        }
    }
    if !found_id {
        return Err("REPORT line without RequestId".into());
    }
    Ok(())
}

/// The request id and version of a START line after its `RequestId: `.
/// The id has no space, so " Version: " is nearly always at the first
/// one: looked for there before searching the line for it.
fn start_line(rest: &str) -> (&str, &str) {
    const VERSION: &str = " Version: ";
    if let Some(space) = memchr::memchr(b' ', rest.as_bytes()) {
        if let Some(version) = rest[space..].strip_prefix(VERSION) {
            return (&rest[..space], version);
        }
    }
    rest.split_once(VERSION).unwrap_or((rest, ""))
}

/// `<time>\t<request id>\t<LEVEL>\t...` (Node.js) or
/// `[LEVEL]\t<time>\t<request id>\t...` (Python): the time in milliseconds,
/// the request id and the level.
fn application_prefix(line: &str) -> Option<(i64, &str, &str)> {
    // A time starts with its year's digits: platform lines (START, END,
    // REPORT) and most other text are out before being split into words.
    if !matches!(
        line.trim_ascii_start().as_bytes().first(),
        Some(b'0'..=b'9' | b'[')
    ) {
        return None;
    }
    let mut parts = line.split_ascii_whitespace();
    let first = parts.next()?;
    let (time, request_id, level) = match first.strip_prefix('[').and_then(|l| l.strip_suffix(']'))
    {
        Some(level) => (parts.next()?, parts.next()?, level),
        None => (first, parts.next()?, parts.next()?),
    };
    if !LEVELS.contains(&level) {
        return None;
    }
    let millis = crate::time::parse_rfc3339(time)?;
    Some((millis, request_id, level))
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::super::Format;

    /// Lambda's JSON log format (the Lambda developer guide's examples):
    /// an application line's `timestamp`, a platform line's `time`.
    #[test]
    fn json_lines_are_filed_under_their_own_time() {
        for (line, time) in [
            (
                r#"{"timestamp":"2025-12-05T16:00:00.250Z","level":"INFO","requestId":"79b4f56e-95b1-4643-9700-2807f4e68189","message":"order placed"}"#,
                "2025-12-05T16:00:00.250Z",
            ),
            (
                r#"{"time":"2025-12-05T16:00:01.000Z","type":"platform.start","record":{"requestId":"79b4f56e-95b1-4643-9700-2807f4e68189","version":"$LATEST"}}"#,
                "2025-12-05T16:00:01.000Z",
            ),
        ] {
            let (doc, encoded) = encode_doc(&Format::Lambda, &event(line));
            assert_eq!(doc["@timestamp"], time, "{line}");
            assert!(!encoded.own_time_missing, "{line}");
        }
        let (doc, encoded) = encode_doc(&Format::Lambda, &event(r#"{"level":"INFO"}"#));
        assert_eq!(doc["@timestamp_from"], "received");
        assert!(encoded.own_time_missing);
    }

    #[test]
    fn start_lines_split_where_the_first_version_label_is() {
        for rest in [
            "8f5a3c2e-1d4b Version: $LATEST",
            "id Version: ",
            "id  Version: 3",
            "odd id Version: 7",
            " Version: x",
            "no version here",
            "",
            "id Version: 1 Version: 2",
        ] {
            let expected = rest.split_once(" Version: ").unwrap_or((rest, ""));
            assert_eq!(super::start_line(rest), expected, "{rest:?}");
        }
    }

    #[test]
    fn report_labels_are_found_in_any_order() {
        // Status before Duration, Restore before Billed Restore: each is
        // found after a later one in the table.
        let line = "REPORT RequestId: r1\tStatus: timeout\tDuration: 3000.00 ms\tBilled Duration: 3000 ms\tMemory Size: 128 MB\tMax Memory Used: 60 MB\tRestore Duration: 10.5 ms\tBilled Restore Duration: 11 ms\n";
        let (doc, encoded) = encode_doc(&Format::Lambda, &event(line));
        assert!(encoded.error.is_none(), "{:?}", encoded.error);
        assert_eq!(doc["status"], "timeout");
        assert_eq!(doc["duration_ms"], 3000.0);
        assert_eq!(doc["billed_duration_ms"], 3000);
        assert_eq!(doc["restore_duration_ms"], 10.5);
        assert_eq!(doc["billed_restore_duration_ms"], 11);
    }

    #[test]
    fn report_lines_become_numbers() {
        let line = "REPORT RequestId: c793869b-ee49-115b-a5b6-4fd21e8dedac\tDuration: 128.83 ms\tBilled Duration: 200 ms\tMemory Size: 128 MB\tMax Memory Used: 74 MB\tInit Duration: 166.62 ms\tXRAY TraceId: 1-5d9d007f-0a8c7fd02xmpl480aed55ef0\tSegmentId: 3d752xmpl1bbe37e\tSampled: true\t\n";
        let (doc, encoded) = encode_doc(&Format::Lambda, &event(line));
        assert!(encoded.error.is_none(), "{:?}", encoded.error);
        assert_eq!(doc["platform"], "report");
        assert_eq!(doc["request_id"], "c793869b-ee49-115b-a5b6-4fd21e8dedac");
        assert_eq!(doc["duration_ms"], 128.83);
        assert_eq!(doc["billed_duration_ms"], 200);
        assert_eq!(doc["memory_size_mb"], 128);
        assert_eq!(doc["max_memory_used_mb"], 74);
        assert_eq!(doc["init_duration_ms"], 166.62);
        assert_eq!(doc["xray_trace_id"], "1-5d9d007f-0a8c7fd02xmpl480aed55ef0");
        assert_eq!(doc["sampled"], true);
        assert_eq!(doc["@message"], line);
    }

    #[test]
    fn start_end_and_application_lines() {
        let (doc, _) = encode_doc(
            &Format::Lambda,
            &event("START RequestId: 4ce9 Version: $LATEST\n"),
        );
        assert_eq!(
            (
                doc["platform"].as_str(),
                doc["request_id"].as_str(),
                doc["version"].as_str()
            ),
            (Some("start"), Some("4ce9"), Some("$LATEST"))
        );
        let (doc, encoded) = encode_doc(
            &Format::Lambda,
            &event("2019-06-07T19:11:20.564Z\tc793869b\tWARN\tEvent not processed.\n"),
        );
        assert_eq!(doc["level"], "WARN");
        assert_eq!(doc["request_id"], "c793869b");
        assert_eq!(encoded.timestamp_ms, 1_559_934_680_564);
        let (doc, _) = encode_doc(
            &Format::Lambda,
            &event("[INFO]\t2020-01-31T22:12:58.534Z\t1c8df7d3\t## EVENT"),
        );
        assert_eq!(doc["level"], "INFO");
        // Whitespace before the prefix, as the words were split before.
        let (doc, _) = encode_doc(
            &Format::Lambda,
            &event(" \t2019-06-07T19:11:20.564Z c793869b ERROR boom"),
        );
        assert_eq!(doc["level"], "ERROR");
        let (doc, _) = encode_doc(&Format::Lambda, &event("just some text"));
        assert_eq!(doc["@message"], "just some text");
        assert!(doc.get("level").is_none());
    }

    #[test]
    fn extension_text_glued_in_front_of_a_json_platform_line() {
        let json = r#"{"time":"2024-05-01T10:00:00.000Z","type":"platform.report","record":{"requestId":"6d68ca91","metrics":{"durationMs":12.5,"billedDurationMs":13,"memorySizeMB":128,"maxMemoryUsedMB":71},"status":"success"}}"#;
        let line = format!("[telemetry-ext] flushed 3 batches{json}");
        let (doc, encoded) = encode_doc(&Format::Lambda, &event(&line));
        assert!(encoded.error.is_none(), "{:?}", encoded.error);
        assert_eq!(doc["type"], "platform.report");
        assert_eq!(doc["record"]["metrics"]["durationMs"], 12.5);
        assert_eq!(doc["@message"], line.as_str());
        // An application's text ending in a JSON object stays text.
        let (doc, _) = encode_doc(&Format::Lambda, &event(r#"Result: {"time":1}"#));
        assert!(doc.get("time").is_none());
        assert_eq!(doc["@message"], r#"Result: {"time":1}"#);
    }

    #[test]
    fn a_report_without_request_id_is_an_error() {
        let (doc, encoded) = encode_doc(&Format::Lambda, &event("REPORT invalid report log line"));
        assert_eq!(
            encoded.error.as_deref(),
            Some("lambda: REPORT line without RequestId")
        );
        assert_eq!(doc["@message"], "REPORT invalid report log line");
    }
}
