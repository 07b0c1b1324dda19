//! Amazon RDS and Aurora logs published to CloudWatch Logs
//! (`/aws/rds/instance/<db>/<log>` and `/aws/rds/cluster/<db>/<log>`).
//!
//! References: "MySQL database log files" and "PostgreSQL database log
//! files" in the RDS user guide, and "Aurora MySQL advanced auditing". Each
//! line is recognised by its own shape, whatever the log's name:
//!
//! - MySQL / Aurora MySQL audit: `time,server,user,host,connection id,query
//!   id,operation,database,'object',return code`, the time in microseconds
//!   since the epoch (Aurora) or `YYYYMMDD HH:MM:SS` (the MariaDB audit
//!   plugin of RDS for MySQL); the object is quoted and may hold commas.
//! - MySQL error log: `2025-12-05T16:00:00.123456Z 0 [Warning] [MY-010068]
//!   [Server] message` (older: `2025-12-05 16:00:00 12345 [Note] message`).
//! - MySQL slow query log entries: `# Time:`, `# User@Host:`, `# Query_time:
//!   ... Lock_time: ... Rows_sent: ... Rows_examined: ...`, the statement.
//! - PostgreSQL with RDS's `log_line_prefix` `%t:%r:%u@%d:[%p]:`:
//!   `2025-12-05 16:00:00 UTC:10.0.1.25(51234):app@orders:[4242]:LOG:  ...`.
//!
//! The database user is `db_user` (`user` is the common `user.name`'s
//! parent elsewhere). Every document keeps the whole line in `@message`; anything else is
//! text (with the time and level of a logging library's prefix).

use super::typed::{self, Invalid, Kind};
use super::{write_cloudwatch_meta, Encoded, Event, Origin};
use crate::json::ObjectWriter;
use crate::time;

/// The index of RDS logs.
pub const INDEX: &str = "rds";

/// Is `log_group` one RDS publishes to?
pub fn is_rds_group(log_group: &str) -> bool {
    log_group.starts_with("/aws/rds/instance/") || log_group.starts_with("/aws/rds/cluster/")
}

/// Field names and kinds the template maps.
pub const FIELDS: &[(&str, Kind)] = &[
    ("log_type", Kind::Keyword),
    ("server", Kind::Keyword),
    ("db_user", Kind::Keyword),
    ("host", Kind::Keyword),
    ("client_ip", Kind::Ip),
    ("client_port", Kind::Integer),
    ("connection_id", Kind::Integer),
    ("query_id", Kind::Integer),
    ("operation", Kind::Keyword),
    ("database", Kind::Keyword),
    ("object", Kind::Keyword),
    ("return_code", Kind::Integer),
    ("thread", Kind::Integer),
    ("level", Kind::Keyword),
    ("error_code", Kind::Keyword),
    ("subsystem", Kind::Keyword),
    ("pid", Kind::Integer),
    ("query_time", Kind::Float),
    ("lock_time", Kind::Float),
    ("rows_sent", Kind::Integer),
    ("rows_examined", Kind::Integer),
];

/// Writes the document of one RDS log event.
pub fn encode(origin: &Origin, event: &Event<'_>, doc: &mut Vec<u8>) -> Encoded {
    let line = event.message.trim_end_matches(['\n', '\r']);
    let start = doc.len();
    let mut w = ObjectWriter::new(doc);
    let mut invalid = Invalid::default();
    let own = audit(&mut w, line, &mut invalid)
        .or_else(|| postgres(&mut w, line, &mut invalid))
        .or_else(|| slow_query(&mut w, line, &mut invalid))
        .or_else(|| mysql_error(&mut w, line, &mut invalid));
    let Some(timestamp_ms) = own else {
        doc.truncate(start);
        return super::text::encode(origin, event, doc);
    };
    write_cloudwatch_meta(&mut w, origin, event, timestamp_ms);
    super::write_message(&mut w, event.message);
    let error = invalid.finish(&mut w).map(|r| format!("rds: {r}"));
    w.finish();
    Encoded {
        timestamp_ms,
        error,
        ..Encoded::default()
    }
}

fn put(w: &mut ObjectWriter<'_>, invalid: &mut Invalid, name: &str, value: &str, kind: Kind) {
    if value.is_empty() || value == "-" {
        return;
    }
    if let Err(e) = typed::write(w, name, value, kind) {
        invalid.push(e);
    }
}

/// An audit line: its time, or `None` (nothing written) if it is not one.
fn audit(w: &mut ObjectWriter<'_>, line: &str, invalid: &mut Invalid) -> Option<i64> {
    let mut fields = line.splitn(9, ',');
    let time_text = fields.next()?;
    let millis = if time_text.len() == 16 && time_text.bytes().all(|b| b.is_ascii_digit()) {
        time_text.parse::<i64>().ok()? / 1000
    } else if time_text.len() == 17
        && time_text.as_bytes()[8] == b' '
        && time_text.as_bytes()[..8].iter().all(u8::is_ascii_digit)
    {
        // `YYYYMMDD HH:MM:SS`: the date's digits checked first, so that
        // the slices below fall on character boundaries.
        let (d, t) = (&time_text[..8], &time_text[9..]);
        let date = format!("{}-{}-{}", &d[..4], &d[4..6], &d[6..]);
        time::parse_date_and_time(&date, t)?
    } else {
        return None;
    };
    let values: Vec<&str> = fields.collect();
    let [server, user, host, connection, query, operation, database, rest] = values[..] else {
        return None;
    };
    let (object, code) = rest.rsplit_once(',')?;
    if !connection.bytes().all(|b| b.is_ascii_digit()) || operation.is_empty() {
        return None;
    }
    w.str("log_type", "audit");
    put(w, invalid, "server", server, Kind::Keyword);
    put(w, invalid, "db_user", user, Kind::Keyword);
    put(w, invalid, "host", host, Kind::Keyword);
    if typed::parse_ip(host).is_some() {
        put(w, invalid, "client_ip", host, Kind::Ip);
    }
    put(w, invalid, "connection_id", connection, Kind::Integer);
    put(w, invalid, "query_id", query, Kind::Integer);
    put(w, invalid, "operation", operation, Kind::Keyword);
    put(w, invalid, "database", database, Kind::Keyword);
    let object = object
        .strip_prefix('\'')
        .and_then(|o| o.strip_suffix('\''))
        .unwrap_or(object);
    put(w, invalid, "object", object, Kind::Keyword);
    put(w, invalid, "return_code", code, Kind::Integer);
    Some(millis)
}

/// A PostgreSQL line with RDS's prefix `%t:%r:%u@%d:[%p]:`.
fn postgres(w: &mut ObjectWriter<'_>, line: &str, invalid: &mut Invalid) -> Option<i64> {
    // `2025-12-05 16:00:00 UTC:` (23 bytes and the colon).
    let head = line.get(..24)?;
    if !head.ends_with(" UTC:") || head.as_bytes()[10] != b' ' {
        return None;
    }
    let millis = time::parse_date_and_time(head.get(..10)?, head.get(11..19)?)?;
    let rest = &line[24..];
    let (client, rest) = rest.split_once(':')?;
    let (user_db, rest) = rest.split_once(':')?;
    let (pid, rest) = rest.split_once(':')?;
    let (level, _message) = rest.split_once(':')?;
    let pid = pid.strip_prefix('[')?.strip_suffix(']')?;
    w.str("log_type", "postgresql");
    if let Some((address, port)) = client.strip_suffix(')').and_then(|c| c.split_once('(')) {
        put(w, invalid, "client_ip", address, Kind::Ip);
        put(w, invalid, "client_port", port, Kind::Integer);
    } else {
        put(w, invalid, "host", client, Kind::Keyword);
    }
    if let Some((user, database)) = user_db.split_once('@') {
        put(w, invalid, "db_user", user, Kind::Keyword);
        put(w, invalid, "database", database, Kind::Keyword);
    }
    put(w, invalid, "pid", pid, Kind::Integer);
    put(w, invalid, "level", level.trim(), Kind::Keyword);
    Some(millis)
}

/// A slow query log entry (several lines in one event).
fn slow_query(w: &mut ObjectWriter<'_>, text: &str, invalid: &mut Invalid) -> Option<i64> {
    if !text.starts_with("# Time:") && !text.starts_with("# User@Host:") {
        return None;
    }
    let mut millis = None;
    let mut any = false;
    for line in text.lines() {
        if let Some(t) = line.strip_prefix("# Time:") {
            millis = time::parse_iso8601_utc(t.trim());
        } else if let Some(who) = line.strip_prefix("# User@Host:") {
            // `admin[admin] @  [10.0.1.25]  Id:    26`
            let Some((user, rest)) = who.trim().split_once('[') else {
                continue;
            };
            put(w, invalid, "db_user", user.trim(), Kind::Keyword);
            if let Some((_, at)) = rest.split_once('@') {
                let (host_part, id) = at.split_once("Id:").unwrap_or((at, ""));
                let address = host_part.trim().trim_start_matches(|c: char| c != '[');
                let address = address.trim_matches(['[', ']', ' ']);
                put(w, invalid, "client_ip", address, Kind::Ip);
                put(w, invalid, "connection_id", id.trim(), Kind::Integer);
            }
            any = true;
        } else if let Some(figures) = line.strip_prefix("# Query_time:") {
            let mut words = std::iter::once("Query_time:").chain(figures.split_ascii_whitespace());
            while let (Some(name), Some(value)) = (words.next(), words.next()) {
                let (field, kind) = match name {
                    "Query_time:" => ("query_time", Kind::Float),
                    "Lock_time:" => ("lock_time", Kind::Float),
                    "Rows_sent:" => ("rows_sent", Kind::Integer),
                    "Rows_examined:" => ("rows_examined", Kind::Integer),
                    _ => continue,
                };
                put(w, invalid, field, value, kind);
            }
            any = true;
        } else if let Some(stamp) = line.strip_prefix("SET timestamp=") {
            let seconds = stamp.trim_end_matches(';').parse::<i64>().ok();
            millis = millis.or(seconds.map(|s| s * 1000));
        }
    }
    if !any {
        return None;
    }
    w.str("log_type", "slowquery");
    millis
}

/// A MySQL error log line: an ISO time (or `YYYY-MM-DD HH:MM:SS`), the
/// thread, `[Level]`, and MySQL 8's `[MY-nnnnnn] [Subsystem]`.
fn mysql_error(w: &mut ObjectWriter<'_>, line: &str, invalid: &mut Invalid) -> Option<i64> {
    let (time_text, rest) = if line.as_bytes().get(10) == Some(&b'T') {
        line.split_once(' ')?
    } else {
        let t = line.get(..19)?;
        (t, line.get(20..)?)
    };
    let millis = time::parse_iso8601_utc(time_text)
        .or_else(|| time::parse_date_and_time(time_text.get(..10)?, time_text.get(11..19)?))?;
    let (thread, rest) = rest.split_once(' ')?;
    if !thread.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (level, rest) = rest.strip_prefix('[')?.split_once(']')?;
    w.str("log_type", "error");
    put(w, invalid, "thread", thread, Kind::Integer);
    put(w, invalid, "level", level, Kind::Keyword);
    let rest = rest.trim_start();
    if let Some((code, after)) = rest.strip_prefix("[MY-").and_then(|r| r.split_once(']')) {
        put(
            w,
            invalid,
            "error_code",
            &format!("MY-{code}"),
            Kind::Keyword,
        );
        if let Some((subsystem, _)) = after
            .trim_start()
            .strip_prefix('[')
            .and_then(|r| r.split_once(']'))
        {
            put(w, invalid, "subsystem", subsystem, Kind::Keyword);
        }
    }
    Some(millis)
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::super::Format;

    fn rds(line: &str) -> serde_json::Value {
        let (doc, encoded) = encode_doc(&Format::Rds, &event(line));
        assert!(encoded.error.is_none(), "{line}: {:?}", encoded.error);
        assert!(!encoded.own_time_missing, "{line}");
        assert_eq!(doc["@message"], line);
        doc
    }

    // Lines written from the RDS user guide's descriptions of each log.
    #[test]
    fn each_kind_of_line_is_typed() {
        let doc = rds("1764950400123456,ip-10-0-1-5,admin,10.0.1.25,26,1077,QUERY,orders,'SELECT id, total FROM orders WHERE id = 7',0");
        assert_eq!(doc["@timestamp"], "2025-12-05T16:00:00.123Z");
        assert_eq!(doc["operation"], "QUERY");
        assert_eq!(doc["object"], "SELECT id, total FROM orders WHERE id = 7");
        assert_eq!(doc["connection_id"], 26);
        assert_eq!(doc["client_ip"], "10.0.1.25");
        assert_eq!(doc["return_code"], 0);
        let doc = rds("20251205 16:00:00,ip-10-0-1-5,rdsadmin,localhost,3,0,CONNECT,,,0");
        assert_eq!(doc["@timestamp"], "2025-12-05T16:00:00.000Z");
        assert_eq!(doc["host"], "localhost");
        assert!(doc.get("client_ip").is_none());
        let doc = rds("2025-12-05 16:00:00 UTC:10.0.1.25(51234):app@orders:[4242]:ERROR:  relation \"ordrs\" does not exist at character 15");
        assert_eq!(doc["@timestamp"], "2025-12-05T16:00:00.000Z");
        assert_eq!(doc["client_port"], 51234);
        assert_eq!(doc["database"], "orders");
        assert_eq!(doc["level"], "ERROR");
        assert_eq!(doc["pid"], 4242);
        let doc = rds("2025-12-05T16:00:00.123456Z 0 [Warning] [MY-010068] [Server] CA certificate ca.pem is self signed.");
        assert_eq!(doc["@timestamp"], "2025-12-05T16:00:00.123Z");
        assert_eq!(doc["level"], "Warning");
        assert_eq!(doc["error_code"], "MY-010068");
        assert_eq!(doc["subsystem"], "Server");
        let doc = rds("# Time: 2025-12-05T16:00:00.123456Z\n# User@Host: admin[admin] @  [10.0.1.25]  Id:    26\n# Query_time: 2.000164  Lock_time: 0.000010 Rows_sent: 1  Rows_examined: 0\nSET timestamp=1764950400;\nSELECT SLEEP(2);");
        assert_eq!(doc["@timestamp"], "2025-12-05T16:00:00.123Z");
        assert_eq!(doc["query_time"], 2.000164);
        assert_eq!(doc["rows_sent"], 1);
        assert_eq!(doc["client_ip"], "10.0.1.25");
        assert_eq!(doc["db_user"], "admin");
        // Anything else is text, with its own time where it has one; a
        // character of several bytes inside the date is no date (slicing
        // it panicked).
        for line in [
            "plain words",
            "20251\u{e9}0 16:00:00,ip,u,h,1,2,QUERY,db,'x',0",
        ] {
            let (doc, _) = encode_doc(&Format::Rds, &event(line));
            assert_eq!(doc["@timestamp_from"], "received", "{line}");
        }
    }
}
