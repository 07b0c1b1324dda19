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

use serde_json::{json, Value};

use super::{Unit, Work};
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

/// One unit per record; item ids are the record ids (transformation) or
/// the records' positions (HTTP endpoint).
pub fn units(event: &Value, shape: Shape) -> Vec<Unit> {
    let stream = event
        .get("deliveryStreamArn")
        .and_then(Value::as_str)
        .and_then(|arn| arn.rsplit('/').next())
        .unwrap_or("firehose");
    let default_time = event.get("timestamp").and_then(Value::as_i64).unwrap_or(0);
    let records = event
        .get("records")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    records
        .iter()
        .enumerate()
        .map(|(i, record)| {
            let item_id = match shape {
                Shape::Transformation => record
                    .get("recordId")
                    .and_then(Value::as_str)
                    .map_or_else(|| i.to_string(), str::to_owned),
                Shape::HttpEndpoint => i.to_string(),
            };
            let time = record
                .get("approximateArrivalTimestamp")
                .and_then(Value::as_i64)
                .unwrap_or(default_time);
            let work = match record.get("data").and_then(Value::as_str) {
                Some(data) => record_work(data, stream, &item_id, time),
                None => Work::Undecodable("Firehose record data is not a string".into()),
            };
            Unit {
                item_id: Some(item_id),
                work,
            }
        })
        .collect()
}

fn record_work(data: &str, stream: &str, record_id: &str, time_ms: i64) -> Work {
    let bytes = match decode::base64(data).and_then(decode::maybe_inflate) {
        Ok(bytes) => bytes,
        Err(e) => return Work::Undecodable(format!("Firehose record {record_id}: {e}")),
    };
    if memchr::memmem::find(&bytes[..bytes.len().min(256)], b"\"messageType\"").is_some() {
        return Work::Logs(bytes);
    }
    let Ok(text) = std::str::from_utf8(&bytes) else {
        return Work::Undecodable(format!("Firehose record {record_id}: not UTF-8 text"));
    };
    // Raw log text: its lines become the events of a payload named after
    // the stream, each with an id of the record's and its line's.
    let events: Vec<Value> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .enumerate()
        .map(|(n, line)| json!({"id": format!("{record_id}-{n}"), "timestamp": time_ms, "message": line}))
        .collect();
    let payload = json!({"messageType": "DATA_MESSAGE", "owner": "", "logGroup": stream,
        "logStream": stream, "subscriptionFilters": [], "logEvents": events});
    Work::Logs(payload.to_string().into_bytes())
}

/// The answer Firehose expects, given the records not indexed.
pub fn response(event: &Value, shape: Shape, failed: &[String]) -> Value {
    match shape {
        Shape::Transformation => {
            let records: Vec<Value> = units_ids(event)
                .into_iter()
                .zip(event["records"].as_array().into_iter().flatten())
                .map(|(id, record)| {
                    let result = if failed.contains(&id) {
                        "ProcessingFailed"
                    } else {
                        "Ok"
                    };
                    json!({"recordId": id, "result": result, "data": record["data"]})
                })
                .collect();
            json!({ "records": records })
        }
        Shape::HttpEndpoint => json!({
            "requestId": event["requestId"],
            "timestamp": crate::time::now_millis(),
        }),
    }
}

fn units_ids(event: &Value) -> Vec<String> {
    event["records"]
        .as_array()
        .into_iter()
        .flatten()
        .enumerate()
        .map(|(i, r)| {
            r.get("recordId")
                .and_then(Value::as_str)
                .map_or_else(|| i.to_string(), str::to_owned)
        })
        .collect()
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
        let units = units(&event, shape);
        assert_eq!(units.len(), 3);
        assert!(matches!(&units[0].work, Work::Logs(b) if b == PAYLOAD));
        let Work::Logs(raw) = &units[1].work else {
            panic!("{:?}", units[1].work);
        };
        let raw: Value = serde_json::from_slice(raw).expect("payload");
        assert_eq!(raw["logGroup"], "app-logs");
        assert_eq!(
            raw["logEvents"][1],
            json!({"id": "r2-1", "timestamp": 1_700_000_000_001_i64, "message": "line two"})
        );
        assert!(matches!(&units[2].work, Work::Undecodable(r) if r.contains("r3")));
        assert_eq!(units[2].item_id.as_deref(), Some("r3"));
        let answer = response(&event, shape, &["r3".to_owned()]);
        assert_eq!(
            answer["records"][0],
            json!({"recordId": "r1", "result": "Ok", "data": event["records"][0]["data"]})
        );
        assert_eq!(answer["records"][2]["result"], "ProcessingFailed");
    }

    #[test]
    fn http_endpoint_bodies() {
        let body = json!({"requestId": "req-1", "timestamp": 1_700_000_000_000_i64,
            "records": [{"data": b64(&gzip(PAYLOAD))}, {"data": b64(b"plain text")}]});
        assert_eq!(shape(&body), Some(Shape::HttpEndpoint));
        let units = units(&body, Shape::HttpEndpoint);
        assert_eq!(units[1].item_id.as_deref(), Some("1"));
        assert!(matches!(&units[0].work, Work::Logs(_)));
        assert_eq!(
            response(&body, Shape::HttpEndpoint, &[])["requestId"],
            "req-1"
        );
        assert_eq!(
            shape(&json!({"records": [{"x": 1}], "requestId": "r"})),
            None
        );
        assert_eq!(shape(&json!({"Records": []})), None);
    }
}
