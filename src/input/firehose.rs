//! Amazon Data Firehose: the event of a Firehose data-transformation Lambda
//! (`invocationId`, `deliveryStreamArn`, `records[].recordId`, `data`) and
//! the body of an HTTP endpoint delivery (`requestId`, `timestamp`,
//! `records[].data`).
//!
//! Each record's `data` is base64 of either a CloudWatch Logs payload
//! (gzip or zlib, as a subscription to Firehose sends it) or of raw log
//! text, whose lines become the events of a payload of the delivery
//! stream's name (so that they route like a log group of that name). A
//! record that does not decode fails alone, with its reason.
//!
//! The transformation answer passes every record through unchanged
//! (`"result": "Ok"` with its own data, so that Firehose still delivers it
//! to its destination) or reports it `"ProcessingFailed"` when it was not
//! indexed, which sends it to the stream's error output: nothing is lost.

use aws_lambda_events::firehose::{KinesisFirehoseResponse, KinesisFirehoseResponseRecord};
use serde::Deserialize;
use serde_json::{json, Value};

use super::{Payload, Unit, Work};
use crate::decode;

/// Which Firehose shape an event has.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    /// A data-transformation Lambda invocation.
    Transformation,
    /// An HTTP endpoint delivery request body.
    HttpEndpoint,
}

/// The shape of `event`, if it is a Firehose one.
pub fn shape(event: &Value) -> Option<Shape> {
    let records = event.get("records")?.as_array()?;
    let has_data = records.iter().all(|r| r.get("data").is_some());
    if !has_data {
        return None;
    }
    if event.get("invocationId").is_some() || event.get("deliveryStreamArn").is_some() {
        Some(Shape::Transformation)
    } else if event.get("requestId").is_some() {
        Some(Shape::HttpEndpoint)
    } else {
        None
    }
}

/// What a Firehose invocation is answered with.
#[derive(Debug)]
pub enum Answer {
    /// Every record back: its id and its data as it came.
    Transformation(Vec<(String, Vec<u8>)>),
    /// The request id of the HTTP endpoint delivery.
    HttpEndpoint { request_id: String },
}

impl Answer {
    /// The answer Firehose expects, given the records not indexed
    /// (`aws_lambda_events`' `KinesisFirehoseResponse` for a transformation).
    pub fn response(self, failed: &[String]) -> Value {
        match self {
            Answer::Transformation(records) => {
                let records = records
                    .into_iter()
                    .map(|(id, data)| {
                        let result = if failed.contains(&id) {
                            "ProcessingFailed"
                        } else {
                            "Ok"
                        };
                        let mut record = KinesisFirehoseResponseRecord::default();
                        record.record_id = Some(id);
                        record.result = Some(result.to_owned());
                        *record.data = data;
                        record
                    })
                    .collect();
                let mut response = KinesisFirehoseResponse::default();
                response.records = records;
                serde_json::to_value(response).unwrap_or(Value::Null)
            }
            Answer::HttpEndpoint { request_id } => json!({
                "requestId": request_id,
                "timestamp": crate::time::now_millis(),
            }),
        }
    }
}

/// A record of either shape: its data, and (transformation events) its
/// arrival time.
///
/// Not `aws_lambda_events`' `KinesisFirehoseEventRecord`: its
/// `MillisecondTimestamp` goes through an `f64` of seconds and loses a
/// millisecond to rounding (`1700000000001` reads as `…000`), and it panics
/// (an `assert_eq!`) on a timestamp with a fraction, which a malformed
/// event must not be able to do. The HTTP endpoint body ("Amazon Data
/// Firehose HTTP endpoint delivery request and response specifications") is
/// not a Lambda event, so the library has no type for it. `data` goes
/// through [`decode::base64`], whose errors say what was wrong, like every
/// other base64 here.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct FirehoseRecord {
    data: String,
    #[serde(default)]
    approximate_arrival_timestamp: Option<serde_json::Number>,
}

/// One record as a unit named `id`, and, if `keep` (a transformation
/// answers with every record's data), its decoded data (empty if it did not
/// decode). `default_time` is for records without an arrival time of their
/// own.
fn record_unit(
    record: Value,
    id: String,
    stream: &str,
    default_time: i64,
    keep: bool,
) -> (Unit, Vec<u8>) {
    let decoded = FirehoseRecord::deserialize(record)
        .map_err(|e| e.to_string())
        .and_then(|record| {
            let time = record
                .approximate_arrival_timestamp
                .and_then(|n| n.as_i64().or_else(|| n.as_f64().map(|f| f as i64)))
                .unwrap_or(default_time);
            let data = decode::base64(&record.data).map_err(|e| e.to_string())?;
            Ok((data, time))
        });
    let (work, data) = match decoded {
        Ok((data, time)) if keep => (record_work(data.clone(), stream, &id, time), data),
        Ok((data, time)) => (record_work(data, stream, &id, time), Vec::new()),
        Err(e) => (
            Work::Undecodable(format!("Firehose record {id}: {e}")),
            Vec::new(),
        ),
    };
    let unit = Unit {
        item_id: Some(id),
        work,
    };
    (unit, data)
}

/// One unit per record, and how to answer. Item ids are the record ids
/// (transformation) or the records' positions (HTTP endpoint). Each record
/// is read with its own type, so that one that does not fit fails alone.
pub fn read(mut event: Value, shape: Shape) -> (Vec<Unit>, Answer) {
    let stream = event
        .get("deliveryStreamArn")
        .and_then(Value::as_str)
        .and_then(|arn| arn.rsplit('/').next())
        .unwrap_or("firehose")
        .to_owned();
    let default_time = event.get("timestamp").and_then(Value::as_i64).unwrap_or(0);
    let records = match event.get_mut("records").map(Value::take) {
        Some(Value::Array(records)) => records,
        _ => Vec::new(),
    };
    let mut returned = Vec::new();
    let units = records
        .into_iter()
        .enumerate()
        .map(|(i, record)| {
            let id = match shape {
                Shape::Transformation => record.get("recordId").and_then(Value::as_str),
                Shape::HttpEndpoint => None,
            }
            .map_or_else(|| i.to_string(), str::to_owned);
            let keep = shape == Shape::Transformation;
            let (unit, data) = record_unit(record, id.clone(), &stream, default_time, keep);
            if keep {
                returned.push((id, data));
            }
            unit
        })
        .collect();
    let answer = match shape {
        Shape::Transformation => Answer::Transformation(returned),
        Shape::HttpEndpoint => Answer::HttpEndpoint {
            request_id: event
                .get("requestId")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned(),
        },
    };
    (units, answer)
}

fn record_work(data: Vec<u8>, stream: &str, record_id: &str, time_ms: i64) -> Work {
    Work::Logs(Payload::Firehose(Record {
        data,
        stream: stream.to_owned(),
        record_id: record_id.to_owned(),
        time_ms,
    }))
}

/// A Firehose record's data, inflated only when it is forwarded.
#[derive(Debug)]
pub struct Record {
    /// base64 undone; gzip or zlib not yet.
    data: Vec<u8>,
    /// The delivery stream, the log group of raw text.
    stream: String,
    record_id: String,
    /// The record's arrival, the time of raw text lines.
    time_ms: i64,
}

impl Record {
    /// The record's bytes, base64 undone.
    pub fn data(&self) -> &[u8] {
        &self.data
    }
}

/// The CloudWatch Logs payload a record carries: the record itself, or its
/// raw text lines as the events of a payload named after the stream, each
/// with an id of the record's and its line's.
pub fn payload(record: &Record) -> Result<Vec<u8>, String> {
    let Record {
        data,
        stream,
        record_id,
        time_ms,
    } = record;
    let bytes = match decode::inflated(data) {
        Ok(Some(inflated)) => inflated,
        Ok(None) => data.clone(),
        Err(e) => return Err(format!("Firehose record {record_id}: {e}")),
    };
    if memchr::memmem::find(&bytes[..bytes.len().min(256)], b"\"messageType\"").is_some() {
        return Ok(bytes);
    }
    let Ok(text) = std::str::from_utf8(&bytes) else {
        return Err(format!("Firehose record {record_id}: not UTF-8 text"));
    };
    let events: Vec<Value> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .enumerate()
        .map(|(n, line)| json!({"id": format!("{record_id}-{n}"), "timestamp": time_ms, "message": line}))
        .collect();
    let payload = json!({"messageType": "DATA_MESSAGE", "owner": "", "logGroup": stream,
        "logStream": stream, "subscriptionFilters": [], "logEvents": events});
    Ok(payload.to_string().into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine as _;
    use std::io::Write as _;

    fn b64(bytes: &[u8]) -> String {
        base64::engine::general_purpose::STANDARD.encode(bytes)
    }

    fn gzip(bytes: &[u8]) -> Vec<u8> {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(bytes).expect("gzip");
        gz.finish().expect("gzip")
    }

    const PAYLOAD: &[u8] =
        br#"{"messageType":"DATA_MESSAGE","logGroup":"/aws/lambda/f","logEvents":[]}"#;

    #[test]
    fn transformation_records_payloads_raw_lines_and_a_bad_one() {
        let event = json!({
            "invocationId": "inv-1",
            "deliveryStreamArn": "arn:aws:firehose:eu-west-1:123456789012:deliverystream/app-logs",
            "region": "eu-west-1",
            "records": [
                {"recordId": "r1", "approximateArrivalTimestamp": 1_700_000_000_000_i64, "data": b64(&gzip(PAYLOAD))},
                {"recordId": "r2", "approximateArrivalTimestamp": 1_700_000_000_001_i64, "data": b64(b"line one\nline two\n")},
                {"recordId": "r3", "approximateArrivalTimestamp": 1_700_000_000_002_i64, "data": "!!not base64"},
            ]
        });
        let shape = shape(&event).expect("Firehose");
        assert_eq!(shape, Shape::Transformation);
        let (units, answer) = read(event.clone(), shape);
        assert_eq!(units.len(), 3);
        let mut units = units.into_iter();
        let mut decoded = || match units.next().map(|u| u.work) {
            Some(Work::Logs(payload)) => payload.decode(),
            other => panic!("{other:?}"),
        };
        assert_eq!(decoded().ok().as_deref(), Some(PAYLOAD));
        let raw: Value = serde_json::from_slice(&decoded().expect("raw")).expect("payload");
        assert_eq!(raw["logGroup"], "app-logs");
        assert_eq!(
            raw["logEvents"][1],
            json!({"id": "r2-1", "timestamp": 1_700_000_000_001_i64, "message": "line two"})
        );
        let (units, _) = read(event.clone(), shape);
        assert!(matches!(&units[2].work, Work::Undecodable(r) if r.contains("r3")));
        assert_eq!(units[2].item_id.as_deref(), Some("r3"));
        let answer = answer.response(&["r3".to_owned()]);
        assert_eq!(answer["records"][0]["recordId"], "r1");
        assert_eq!(answer["records"][0]["result"], "Ok");
        assert_eq!(answer["records"][0]["data"], event["records"][0]["data"]);
        assert_eq!(answer["records"][1]["data"], event["records"][1]["data"]);
        assert_eq!(answer["records"][2]["recordId"], "r3");
        assert_eq!(answer["records"][2]["result"], "ProcessingFailed");
    }

    /// `aws_lambda_events`' own record type panics on this timestamp.
    #[test]
    fn a_fractional_arrival_time_neither_panics_nor_loses_the_record() {
        let event = json!({"invocationId": "i", "records": [
            {"recordId": "r1", "approximateArrivalTimestamp": 1_700_000_000_000.5, "data": b64(b"x")}]});
        let (mut units, _) = read(event, Shape::Transformation);
        let Work::Logs(payload) = units.remove(0).work else {
            panic!("not a payload")
        };
        let payload: Value =
            serde_json::from_slice(&payload.decode().expect("decodes")).expect("payload");
        assert_eq!(payload["logEvents"][0]["timestamp"], 1_700_000_000_000_i64);
    }

    #[test]
    fn http_endpoint_bodies() {
        let body = json!({"requestId": "req-1", "timestamp": 1_700_000_000_000_i64,
            "records": [{"data": b64(&gzip(PAYLOAD))}, {"data": b64(b"plain text")}]});
        assert_eq!(shape(&body), Some(Shape::HttpEndpoint));
        let (units, answer) = read(body, Shape::HttpEndpoint);
        assert_eq!(units[1].item_id.as_deref(), Some("1"));
        assert!(matches!(&units[0].work, Work::Logs(_)));
        assert_eq!(answer.response(&[])["requestId"], "req-1");
        assert_eq!(
            shape(&json!({"records": [{"x": 1}], "requestId": "r"})),
            None
        );
        assert_eq!(shape(&json!({"Records": []})), None);
    }
}
