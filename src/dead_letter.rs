//! The dead-letter destination (`DLQ_URI`): where documents go that the
//! cluster rejected even after their repair, so that nothing is lost.
//!
//! `s3://bucket/prefix` writes one object per invocation (PutObject signed
//! with SigV4) under `prefix/YYYY/MM/DD/`; `file:///dir` writes one file per
//! invocation into `dir`. Either holds NDJSON, one record per document:
//!
//! ```json
//! {"logs_forwarder_dead_letter":1,"time":"2025-11-22T08:26:40.000Z",
//!  "index":"vpc-flowlogs-2025.11.22","id":"…","action":"create",
//!  "error_type":"mapper_parsing_exception","reason":"…","document":{…}}
//! ```
//!
//! `logs-forwarder replay` reads such a file back and sends each document
//! as it was, to the same index under the same id. If the dead letters
//! cannot be written, the invocation fails, so that Lambda delivers the
//! batch again.

use std::path::PathBuf;

use bytes::Bytes;
use serde_json::{json, Value};

use crate::client::s3::S3Client;
use crate::delivery::Undelivered;
use crate::spill::Spilled;

/// The key every dead-letter record carries (and replay recognises).
pub const MARKER: &str = "logs_forwarder_dead_letter";

/// Is `line` (a file's or object's first) a dead-letter record? Then the
/// file is sent again record by record rather than indexed as a log. The
/// marker is looked for anywhere in the line: keys are written sorted, so
/// a large document comes before it.
pub fn is_record(line: &[u8]) -> bool {
    const QUOTED: &str = concat!("\"", "logs_forwarder_dead_letter", "\":1");
    line.trim_ascii_start().starts_with(b"{")
        && memchr::memmem::find(line, QUOTED.as_bytes()).is_some()
}

/// Where dead letters go.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Destination {
    S3 { bucket: String, prefix: String },
    Dir(PathBuf),
}

impl std::str::FromStr for Destination {
    type Err = String;
    fn from_str(uri: &str) -> Result<Self, String> {
        if let Some(rest) = uri.strip_prefix("s3://") {
            let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
            if bucket.is_empty() {
                return Err(format!("{uri:?} names no bucket"));
            }
            return Ok(Destination::S3 {
                bucket: bucket.to_owned(),
                prefix: prefix.trim_matches('/').to_owned(),
            });
        }
        if let Some(path) = uri.strip_prefix("file://") {
            if !path.starts_with('/') {
                return Err(format!("{uri:?}: use file:///absolute/dir"));
            }
            return Ok(Destination::Dir(PathBuf::from(path)));
        }
        Err(format!("{uri:?} is not s3://bucket/prefix or file:///dir"))
    }
}

/// The NDJSON records for `letters`.
pub fn encode(letters: &[Undelivered], now_ms: i64) -> Vec<u8> {
    let time = crate::time::rfc3339_millis(now_ms);
    let mut out = Vec::new();
    for letter in letters {
        let mut lines = letter.item.splitn(2, |&b| b == b'\n');
        let action: Value = lines
            .next()
            .and_then(|l| serde_json::from_slice(l).ok())
            .unwrap_or(Value::Null);
        let (action_name, target) = action
            .as_object()
            .and_then(|o| o.iter().next())
            .map_or(("create", &Value::Null), |(k, v)| (k.as_str(), v));
        let document_bytes = lines.next().unwrap_or_default();
        let document_bytes = document_bytes.strip_suffix(b"\n").unwrap_or(document_bytes);
        let document: Value = serde_json::from_slice(document_bytes).unwrap_or_else(|_| {
            Value::String(String::from_utf8_lossy(document_bytes).into_owned())
        });
        let record = json!({
            MARKER: 1,
            "time": time,
            "index": target.get("_index"),
            "id": target.get("_id"),
            "action": action_name,
            "error_type": letter.error_type,
            "reason": letter.reason,
            "document": document,
        });
        // Writing into a Vec cannot fail.
        let _ = serde_json::to_writer(&mut out, &record);
        out.push(b'\n');
    }
    out
}

/// The record for input that could not be decoded at all: the reason and
/// the input as it came, as text if it is UTF-8, else in base64
/// (`raw_base64`). Replay counts such a record and sends nothing: it is
/// there to be looked at.
pub fn encode_raw(reason: &str, raw: &[u8], now_ms: i64) -> Vec<u8> {
    let mut record = json!({
        MARKER: 1,
        "time": crate::time::rfc3339_millis(now_ms),
        "error_type": "undecodable",
        "reason": reason,
    });
    match std::str::from_utf8(raw) {
        Ok(text) => record["raw"] = text.into(),
        Err(_) => {
            use base64::Engine as _;
            record["raw_base64"] = base64::engine::general_purpose::STANDARD.encode(raw).into();
        }
    }
    let mut out = record.to_string().into_bytes();
    out.push(b'\n');
    out
}

/// A record too large to index whole (over the reader's limit): a
/// truncated copy was indexed with `@error`; the whole of it, as it was in
/// its object, is kept here.
#[derive(Debug)]
pub struct Oversize {
    /// `s3://bucket/key`, or the replayed file.
    pub source: String,
    /// The record's position in its object.
    pub position: u64,
    /// The `_id` of the truncated copy.
    pub id: String,
    pub reason: String,
    pub whole: Spilled,
}

/// Writes an oversized record: its bytes as an object (or file) of their
/// own, `<name>.record`, and beside it one NDJSON record saying what it is
/// (`error_type` `record_too_large`, `source`, `position`, `id`, `bytes`,
/// `record`: where the bytes are). Returns where the bytes went.
pub async fn write_oversize(
    destination: &Destination,
    s3: Option<&S3Client>,
    oversize: &Oversize,
) -> Result<String, String> {
    let now_ms = crate::time::now_millis();
    let name = object_name(now_ms);
    let stored = match destination {
        Destination::Dir(dir) => {
            let path = dir.join(format!("dead-letters-{name}.record"));
            let copy = async {
                tokio::fs::create_dir_all(dir).await?;
                tokio::fs::copy(oversize.whole.path(), &path).await
            };
            copy.await
                .map_err(|e| format!("writing an oversized record to {}: {e}", path.display()))?;
            path.display().to_string()
        }
        Destination::S3 { bucket, prefix } => {
            let s3 = s3.ok_or("dead letters to S3 need AWS_REGION and AWS credentials")?;
            let key = format!("{}.record", dated_key(prefix, now_ms, &name));
            s3.put_file(bucket, &key, oversize.whole.path())
                .await
                .map_err(|e| format!("writing an oversized record: {e}"))?;
            format!("s3://{bucket}/{key}")
        }
    };
    let record = json!({
        MARKER: 1,
        "time": crate::time::rfc3339_millis(now_ms),
        "error_type": "record_too_large",
        "reason": oversize.reason,
        "source": oversize.source,
        "position": oversize.position,
        "id": oversize.id,
        "bytes": oversize.whole.len(),
        "record": stored,
    });
    let mut body = record.to_string().into_bytes();
    body.push(b'\n');
    write_records(destination, s3, body, now_ms).await?;
    Ok(stored)
}

/// Writes `letters` to `destination`; returns where they went.
pub async fn write(
    destination: &Destination,
    s3: Option<&S3Client>,
    letters: &[Undelivered],
) -> Result<String, String> {
    let now_ms = crate::time::now_millis();
    write_records(destination, s3, encode(letters, now_ms), now_ms).await
}

/// Writes input that could not be decoded (see [`encode_raw`]).
pub async fn write_raw(
    destination: &Destination,
    s3: Option<&S3Client>,
    reason: &str,
    raw: &[u8],
) -> Result<String, String> {
    let now_ms = crate::time::now_millis();
    write_records(destination, s3, encode_raw(reason, raw, now_ms), now_ms).await
}

/// Writes NDJSON records as one object or file named after `now_ms`.
async fn write_records(
    destination: &Destination,
    s3: Option<&S3Client>,
    body: Vec<u8>,
    now_ms: i64,
) -> Result<String, String> {
    let name = object_name(now_ms);
    match destination {
        Destination::Dir(dir) => {
            let path = dir.join(format!("dead-letters-{name}.ndjson"));
            let write = async {
                tokio::fs::create_dir_all(dir).await?;
                tokio::fs::write(&path, &body).await
            };
            write
                .await
                .map_err(|e| format!("writing dead letters to {}: {e}", path.display()))?;
            Ok(path.display().to_string())
        }
        Destination::S3 { bucket, prefix } => {
            let s3 = s3.ok_or("dead letters to S3 need AWS_REGION and AWS credentials")?;
            let key = format!("{}.ndjson", dated_key(prefix, now_ms, &name));
            s3.put_object(bucket, &key, Bytes::from(body))
                .await
                .map_err(|e| format!("writing dead letters: {e}"))?;
            Ok(format!("s3://{bucket}/{key}"))
        }
    }
}

/// A name no other invocation writes: the time, and a random part.
fn object_name(now_ms: i64) -> String {
    format!(
        "{}-{:016x}",
        crate::time::rfc3339_millis(now_ms).replace([':', '.'], "-"),
        fastrand::u64(..)
    )
}

/// `prefix/YYYY/MM/DD/name`: dead letters sorted by day.
fn dated_key(prefix: &str, now_ms: i64, name: &str) -> String {
    let date = crate::time::civil_from_days(crate::time::day_number(now_ms));
    let mut key = String::new();
    if !prefix.is_empty() {
        key.push_str(prefix);
        key.push('/');
    }
    key.push_str(&format!(
        "{:04}/{:02}/{:02}/{name}",
        date.year, date.month, date.day
    ));
    key
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_are_told_by_their_marker_wherever_it_is() {
        let letter = encode_raw("bad gzip", b"x", 0);
        assert!(is_record(&letter));
        let big = format!(
            "{{\"action\":\"create\",\"document\":{{\"m\":\"{}\"}},\"{MARKER}\":1}}",
            "a".repeat(100_000)
        );
        assert!(is_record(big.as_bytes()));
        assert!(!is_record(b"{\"logs_forwarder_dead_letter\":0}"));
        assert!(!is_record(b"text \"logs_forwarder_dead_letter\":1"));
    }

    #[test]
    fn destinations_are_validated() {
        assert_eq!(
            "s3://dlq-bucket/forwarder/".parse::<Destination>(),
            Ok(Destination::S3 {
                bucket: "dlq-bucket".into(),
                prefix: "forwarder".into()
            })
        );
        assert_eq!(
            "file:///tmp/dlq".parse::<Destination>(),
            Ok(Destination::Dir("/tmp/dlq".into()))
        );
        assert!("file://relative".parse::<Destination>().is_err());
        assert!("s3:///x".parse::<Destination>().is_err());
        assert!("http://x".parse::<Destination>().is_err());
    }

    #[test]
    fn undecodable_input_is_kept_as_text_or_base64() {
        let text: Value =
            serde_json::from_slice(&encode_raw("bad gzip", b"H4sI!!", 0)).expect("json");
        assert_eq!(text[MARKER], 1);
        assert_eq!(text["error_type"], "undecodable");
        assert_eq!(text["reason"], "bad gzip");
        assert_eq!(text["raw"], "H4sI!!");
        let binary: Value =
            serde_json::from_slice(&encode_raw("not UTF-8", b"\x1f\x8b\xff", 0)).expect("json");
        assert_eq!(binary["raw_base64"], "H4v/");
        assert!(binary.get("raw").is_none());
    }

    #[test]
    fn records_carry_the_document_target_and_reason() {
        let letter = Undelivered {
            item: b"{\"create\":{\"_index\":\"i-1\",\"_id\":\"a\"}}\n{\"x\":1}\n".to_vec(),
            reason: "mapper_parsing_exception: nope".into(),
            error_type: "mapper_parsing_exception".into(),
            rejected: true,
        };
        let out = encode(&[letter], 1_763_800_000_000);
        let record: Value = serde_json::from_slice(&out).expect("json");
        assert_eq!(record[MARKER], 1);
        assert_eq!(record["index"], "i-1");
        assert_eq!(record["id"], "a");
        assert_eq!(record["action"], "create");
        assert_eq!(record["document"], json!({"x": 1}));
        assert_eq!(record["time"], "2025-11-22T08:26:40.000Z");
        assert!(out.ends_with(b"\n"));
    }
}
