//! Memory stays bounded however large an object is: a generated CloudTrail
//! file of 250,000 records (~400 MB of JSON) replayed dry-run peaks well
//! below the 128 MiB of the smallest Lambda; and however large a batch's
//! payloads inflate: eight Kinesis records of ~48 MB each stay under the
//! forwarder's default 256 MB. Peak resident memory is the
//! kernel's `ru_maxrss` for the child process, read through Python's
//! `resource` module (no other tool here reports it for a child).

mod support;

use std::io::Write as _;
use std::process::Command;

const RECORDS: usize = 250_000;
const LIMIT_KIB: u64 = 128 * 1024;

/// Runs `replay --out /dev/null FILE` and returns its summary and its peak
/// resident memory in KiB.
fn replay_peak(file: &std::path::Path) -> (serde_json::Value, u64) {
    let script = "import resource, subprocess, sys\n\
                  r = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)\n\
                  sys.stderr.write(r.stderr.decode(errors='replace'))\n\
                  print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n\
                  sys.exit(r.returncode)";
    let run = Command::new(support::python())
        .args(["-c", script])
        .arg(env!("CARGO_BIN_EXE_logs-forwarder"))
        .args(["replay", "--out", "/dev/null"])
        .arg(file)
        .env_remove("ES_ENDPOINT")
        .output()
        .expect("python runs");
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "{stderr}");
    let summary: serde_json::Value =
        serde_json::from_str(stderr.lines().last().unwrap_or("")).expect("summary");
    let peak_kib: u64 = String::from_utf8_lossy(&run.stdout)
        .trim()
        .parse()
        .expect("ru_maxrss");
    (summary, peak_kib)
}

#[test]
fn a_kinesis_batch_of_large_payloads_inflates_one_at_a_time() {
    use base64::Engine as _;
    const RECORDS: usize = 8;
    const EVENTS: usize = 12_000;
    let dir = support::temp_dir("memory-kinesis");
    let message = "x".repeat(4000);
    let mut records = Vec::new();
    let mut inflated = 0;
    for r in 0..RECORDS {
        let mut payload = Vec::with_capacity(50 << 20);
        write!(payload, r#"{{"messageType":"DATA_MESSAGE","owner":"111122223333","logGroup":"/app/big","logStream":"s{r}","subscriptionFilters":["f"],"logEvents":["#).expect("write");
        for e in 0..EVENTS {
            if e > 0 {
                payload.push(b',');
            }
            write!(
                payload,
                r#"{{"id":"{r}-{e}","timestamp":1764900000000,"message":"{e} {message}"}}"#
            )
            .expect("write");
        }
        payload.extend_from_slice(b"]}");
        inflated += payload.len();
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(&payload).expect("gzip");
        let data = base64::engine::general_purpose::STANDARD.encode(gz.finish().expect("gzip"));
        assert!(data.len() < 1 << 20, "a Kinesis record holds at most 1 MB");
        records.push(serde_json::json!({"eventSource": "aws:kinesis", "eventID": format!("shardId-0:{r}"),
            "kinesis": {"kinesisSchemaVersion": "1.0", "partitionKey": "p", "sequenceNumber": r.to_string(), "data": data}}));
    }
    assert!(inflated > 360 << 20, "{inflated} bytes inflated in all");
    let file = dir.join("kinesis-batch.json");
    std::fs::write(&file, serde_json::json!({ "Records": records }).to_string()).expect("write");
    let (summary, peak_kib) = replay_peak(&file);
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(summary["events"], (RECORDS * EVENTS) as u64, "{summary}");
    assert_eq!(summary["encoded"], (RECORDS * EVENTS) as u64, "{summary}");
    eprintln!(
        "peak resident memory: {} MiB for {} MiB of payloads",
        peak_kib / 1024,
        inflated >> 20
    );
    assert!(peak_kib < 256 * 1024, "peak {peak_kib} KiB is over 256 MB");
}

#[test]
fn a_400_mb_cloudtrail_object_streams_in_bounded_memory() {
    let dir = std::env::temp_dir().join(format!("lf-memory-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let file = dir.join("AWSLogs-cloudtrail-huge.json");
    let mut out =
        std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(&file).expect("create"));
    let padding = "x".repeat(1200);
    out.write_all(b"{\"Records\":[").expect("write");
    for i in 0..RECORDS {
        if i > 0 {
            out.write_all(b",").expect("write");
        }
        write!(
            out,
            r#"{{"eventVersion":"1.09","userIdentity":{{"type":"AssumedRole","accountId":"111122223333","arn":"arn:aws:sts::111122223333:assumed-role/app/{i}"}},"eventTime":"2025-11-22T{:02}:{:02}:{:02}Z","eventSource":"s3.amazonaws.com","eventName":"GetObject","awsRegion":"eu-west-1","sourceIPAddress":"10.0.{}.{}","requestParameters":{{"bucketName":"app-data","key":"tenants/{i:010}.json","note":"{padding}"}},"eventID":"{:08x}-0000-4000-8000-{:012x}","readOnly":true,"eventType":"AwsApiCall","recipientAccountId":"111122223333"}}"#,
            (i / 3600) % 24,
            (i / 60) % 60,
            i % 60,
            i % 256,
            i % 200,
            i,
            i
        )
        .expect("write");
    }
    out.write_all(b"]}").expect("write");
    out.flush().expect("flush");
    drop(out);
    let size = std::fs::metadata(&file).expect("metadata").len();
    assert!(size > 380_000_000, "{size} bytes");

    let (summary, peak_kib) = replay_peak(&file);
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(
        summary["events"].as_u64(),
        Some(RECORDS as u64),
        "{summary}"
    );
    assert_eq!(summary["malformed"], 0, "{summary}");
    eprintln!(
        "peak resident memory: {} MiB for a {} MB object",
        peak_kib / 1024,
        size / 1_000_000
    );
    assert!(peak_kib < LIMIT_KIB, "peak {peak_kib} KiB is over 128 MiB");
}
