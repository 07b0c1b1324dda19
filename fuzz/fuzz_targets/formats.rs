//! Every format parser on any message, and detection from content (the
//! format a stream's first line is taken for): the document must be one
//! line of valid JSON, whether the message fits the format or not.
#![no_main]

use libfuzzer_sys::fuzz_target;
use logs_forwarder::formats::vpc_flow::FieldList;
use logs_forwarder::formats::{DocumentEncoder, Event, Format, Origin};

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let Ok(message) = std::str::from_utf8(rest) else {
        return;
    };
    let format = match selector {
        // The network and edge formats (issue 27), above the others' range.
        240 => Format::Known(&logs_forwarder::formats::waf::SCHEMA),
        241 => Format::Known(&logs_forwarder::formats::network_firewall::SCHEMA),
        242 => Format::Known(&logs_forwarder::formats::route53::RESOLVER),
        243 => Format::DnsQuery,
        244 => Format::CloudFront(Default::default()),
        245 => Format::CloudFront(
            logs_forwarder::formats::cloudfront::Columns::from_header("#Fields: date time c-ip sc-status cs(User-Agent)")
                .expect("a header"),
        ),
        // Findings, configuration and audit logs (issue 28).
        246 => Format::Findings,
        247 => Format::Rds,
        248 => Format::Known(&logs_forwarder::formats::eventbridge::EVENT),
        249 => Format::Known(&logs_forwarder::formats::config::ITEM),
        250 => Format::Known(&logs_forwarder::formats::eks::AUDIT),
        251 => Format::Known(&logs_forwarder::formats::apigateway::ACCESS),
        _ => match selector % 9 {
        0 => Format::CloudTrail,
        1 => Format::VpcFlow(FieldList::default()),
        2 => Format::VpcFlow(FieldList::parse("version srcaddr tcp-flags start pkt-dstaddr future-field")),
        3 => Format::S3Access,
        4 => Format::Elb,
        5 => Format::Lambda,
        // A route's time field, nested, for half the JSON inputs.
        6 if selector >= 128 => Format::Json(Some("event.timestamp".into())),
        6 => Format::Json(None),
        7 => Format::Text,
        _ => Format::detect(message, None),
        },
    };
    // An EventBridge event of findings is a record per finding, as the
    // forwarder splits it: each must encode as one line of valid JSON.
    if format == Format::Findings {
        if let Some(parts) = logs_forwarder::formats::findings::parts(message) {
            for part in &parts {
                check(&format, part);
            }
            return;
        }
    }
    check(&format, message);
});

fn check(format: &Format, message: &str) {
    let event = Event {
        id: "36000000000000000000000000000000000000000000000000000001",
        timestamp_ms: 1_700_000_000_000,
        message,
        extracted: None,
    };
    let mut doc = Vec::new();
    let origin = Origin::new("123456789012", "/fuzz", "stream");
    let encoded = DocumentEncoder::default().encode(format, &origin, &event, &mut doc);
    if encoded.skip {
        return;
    }
    assert!(!doc.contains(&b'\n'), "documents are single lines");
    // Valid JSON, as the cluster reads it: numbers past f64 (spliced as
    // written) are syntax the cluster takes, which serde_json's values do not.
    if let Err(e) = serde_json::from_slice::<serde::de::IgnoredAny>(&doc) {
        panic!("{format}: invalid document ({e}): {}", String::from_utf8_lossy(&doc));
    }
    // Text keeps the message exactly, escapes undone.
    if matches!(format, Format::Text) {
        let value: serde_json::Value = serde_json::from_slice(&doc).expect("checked above");
        assert_eq!(value["@message"].as_str(), Some(message), "{format}");
    }
}
