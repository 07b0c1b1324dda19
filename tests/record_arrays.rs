//! A file (or S3 object) that is one JSON array of CloudTrail records, as
//! CloudTrail Lake and many tools export them, pretty-printed or on one
//! line, gzipped or not: read record by record through the object reader
//! (replay's files take the S3 object path), each record a CloudTrail
//! document.

mod support;

use std::io::Write as _;

use serde_json::{json, Value};
use support::{path_str, replay, temp_dir};

fn record(i: u32) -> Value {
    json!({"eventVersion": "1.08", "eventSource": "ec2.amazonaws.com", "eventName": "DescribeInstances",
        "eventTime": format!("2026-11-30T10:00:{i:02}Z"), "eventID": format!("0000000{i}-aaaa-bbbb-cccc-dddddddddddd"),
        "awsRegion": "eu-west-1", "requestParameters": {"filterSet": {"items": [{"name": "x", "value": "]"}]}}})
}

#[test]
fn arrays_of_records_are_read_one_record_at_a_time() {
    let dir = temp_dir("arrays");
    let records: Vec<Value> = (1..=3).map(record).collect();
    let pretty = serde_json::to_string_pretty(&records).expect("json");
    let one_line = serde_json::to_string(&records).expect("json");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(pretty.as_bytes()).expect("gzip");
    let files = [
        ("pretty.json", pretty.clone().into_bytes()),
        ("one-line.json", one_line.into_bytes()),
        ("export.json.gz", gz.finish().expect("gzip")),
    ];
    for (name, bytes) in files {
        let path = dir.join(name);
        std::fs::write(&path, bytes).expect("file");
        let run = replay(&["--out", "-", &path_str(&path)], &[]);
        assert!(run.success, "{name}: {}", run.stderr);
        assert_eq!(run.summary["encoded"], 3, "{name}: {}", run.summary);
        assert_eq!(run.summary["malformed"], 0, "{name}: {}", run.summary);
        let lines: Vec<Value> = run
            .stdout
            .split(|&b| b == b'\n')
            .filter(|l| !l.is_empty())
            .map(|l| serde_json::from_slice(l).expect("NDJSON"))
            .collect();
        for (i, pair) in lines.chunks(2).enumerate() {
            let action = &pair[0]["create"];
            assert_eq!(action["_index"], "cloudtrail-2026.11.30", "{name}");
            assert_eq!(
                action["_id"], records[i]["eventID"],
                "{name}: the record's own id"
            );
            assert_eq!(pair[1]["eventName"], "DescribeInstances");
            assert_eq!(
                pair[1]["requestParameters"],
                records[i]["requestParameters"]
            );
        }
    }
}
