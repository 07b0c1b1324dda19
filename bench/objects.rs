//! `cargo bench --bench objects`: log objects as S3 holds them, streamed.
//!
//! Generates a CloudTrail `.json.gz` (`{"Records":[...]}`, ~100 MB of JSON)
//! and a VPC flow log `.log.gz` (~100 MB of lines) and measures, in one run
//! and interleaved:
//!
//! - floor: gunzip + one parse of the decompressed bytes (simd-json over the
//!   whole CloudTrail file; splitting the line objects into lines and values,
//!   streamed through a 64 KiB buffer), in buffers kept from round to round;
//! - pipeline: the forwarder's object path (streamed gunzip, record
//!   splitting, format parsing, routing, bulk encoding, SigV4 signing of
//!   every body), network excluded, on one core: the object is handed over
//!   already inflating in-line, so the read-ahead thread that inflates
//!   objects beside the encoder does not run here (the replay line below
//!   shows what it brings);
//! - SHA-256: hashing the bulk bodies the pipeline produced, which signing
//!   them cannot avoid: `floor + SHA-256` is the bound a signing pipeline is
//!   measured against.
//!
//! S3 server access logs, ALB access logs, WAF, Network Firewall and
//! Route 53 Resolver logs, GuardDuty exports, Security Hub events and EKS
//! audit logs (JSON lines: their floor parses each line with simd-json),
//! CloudFront logs and a Config snapshot (~100 MB each) are reported beside
//! them. Last, a dry-run `replay --out /dev/null` of the flow log
//! object (the release binary, a process of its own) against a bare gunzip
//! of it (`gzip -dc > /dev/null`).
//!
//! It prints MB/s of decompressed input on one core and the ratios, and
//! what that is in Lambda money: CPU milliseconds per GB of decompressed
//! input, and dollars per TB at the arm64 price (see [`ARM64_PRICE`]).

use std::hint::black_box;
use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use logs_forwarder::bodies::ObjectBodies;
use logs_forwarder::client::Cluster;
use logs_forwarder::config::Settings;
use logs_forwarder::decode;
use logs_forwarder::input::ObjectInput;

#[path = "generate.rs"]
#[allow(dead_code)] // The pipeline bench uses the CloudWatch-only generators.
mod generate;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const TARGET: usize = 100 * 1000 * 1000;
/// Interleaved rounds of floor, SHA-256 and pipeline per object.
const ROUNDS: usize = 7;

/// Lambda arm64 price per GB-second (us-east-1, first 7.5 billion GB-s a
/// month, as published for 2025/2026).
const ARM64_PRICE: f64 = 0.000_013_333_4;
/// Lambda gives one vCPU at 1,769 MB and CPU in proportion below that, so
/// a CPU-bound second costs the same at any memory size up to 1,769 MB:
/// 1769 / 1024 GB-seconds.
const GB_SECONDS_PER_CPU_SECOND: f64 = 1769.0 / 1024.0;

fn cloudtrail_file(path: &Path) -> usize {
    let mut gz = flate2::write::GzEncoder::new(
        std::fs::File::create(path).expect("create"),
        flate2::Compression::default(),
    );
    let mut written = 0;
    let mut i = 0usize;
    let mut out = Vec::new();
    out.extend_from_slice(b"{\"Records\":[");
    while written + out.len() < TARGET {
        if i > 0 {
            out.push(b',');
        }
        let record = serde_json::json!({
            "eventVersion": "1.09",
            "userIdentity": {"type": "AssumedRole", "principalId": format!("AROAEXAMPLE:{i}"),
                "arn": format!("arn:aws:sts::111122223333:assumed-role/app/{i}"), "accountId": "111122223333",
                "sessionContext": {"attributes": {"creationDate": "2025-11-22T08:00:00Z", "mfaAuthenticated": "false"}}},
            "eventTime": format!("2025-11-22T{:02}:{:02}:{:02}Z", (i / 3600) % 24, (i / 60) % 60, i % 60),
            "eventSource": "s3.amazonaws.com", "eventName": "GetObject", "awsRegion": "eu-west-1",
            "sourceIPAddress": format!("10.{}.{}.{}", i % 256, (i / 256) % 256, i % 200 + 1),
            "userAgent": "aws-sdk-java/2.21.0 Linux/5.10.205 OpenJDK_64-Bit_Server_VM/17.0.9+8-LTS",
            "requestParameters": {"bucketName": "app-data", "key": format!("tenants/{}/{i:010}.json", i % 97), "Host": "app-data.s3.eu-west-1.amazonaws.com"},
            "responseElements": null,
            "additionalEventData": {"SignatureVersion": "SigV4", "bytesTransferredOut": 5321 + i},
            "requestID": format!("{:016X}", i * 7919), "eventID": format!("{:08x}-0000-4000-8000-{:012x}", i, i),
            "readOnly": true, "resources": [{"type": "AWS::S3::Object", "ARN": format!("arn:aws:s3:::app-data/{i}")}],
            "eventType": "AwsApiCall", "managementEvent": false, "recipientAccountId": "111122223333",
            "eventCategory": "Data", "tlsDetails": {"tlsVersion": "TLSv1.3", "cipherSuite": "TLS_AES_128_GCM_SHA256"}
        });
        serde_json::to_writer(&mut out, &record).expect("json");
        i += 1;
        if out.len() > 1 << 20 {
            gz.write_all(&out).expect("write");
            written += out.len();
            out.clear();
        }
    }
    out.extend_from_slice(b"]}");
    gz.write_all(&out).expect("write");
    written += out.len();
    gz.finish().expect("gzip");
    written
}

fn vpc_file(path: &Path) -> usize {
    let header = "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status\n";
    lines_file(path, Some(header), generate::vpc_flow)
}

/// Lines of a generated object, gzipped, to about [`TARGET`] bytes.
fn lines_file(path: &Path, header: Option<&str>, line: fn(usize) -> String) -> usize {
    let mut gz = flate2::write::GzEncoder::new(
        std::fs::File::create(path).expect("create"),
        flate2::Compression::default(),
    );
    let mut written = 0;
    if let Some(header) = header {
        gz.write_all(header.as_bytes()).expect("write");
        written += header.len();
    }
    let mut i = 0usize;
    let mut out = String::new();
    while written + out.len() < TARGET {
        out.push_str(&line(i));
        out.push('\n');
        i += 1;
        if out.len() > 1 << 20 {
            gz.write_all(out.as_bytes()).expect("write");
            written += out.len();
            out.clear();
        }
    }
    gz.write_all(out.as_bytes()).expect("write");
    written += out.len();
    gz.finish().expect("gzip");
    written
}

fn s3_access_file(path: &Path) -> usize {
    lines_file(path, None, generate::s3_access)
}

fn alb_file(path: &Path) -> usize {
    lines_file(path, None, generate::alb)
}

fn waf_file(path: &Path) -> usize {
    lines_file(path, None, generate::waf)
}

fn network_firewall_file(path: &Path) -> usize {
    lines_file(path, None, generate::network_firewall)
}

fn resolver_file(path: &Path) -> usize {
    lines_file(path, None, generate::resolver)
}

fn guardduty_file(path: &Path) -> usize {
    lines_file(path, None, generate::guardduty)
}

fn security_hub_file(path: &Path) -> usize {
    lines_file(path, None, generate::security_hub_event)
}

/// A Config snapshot file: one object, its items in `configurationItems`.
fn config_file(path: &Path) -> usize {
    let mut gz = flate2::write::GzEncoder::new(
        std::fs::File::create(path).expect("create"),
        flate2::Compression::default(),
    );
    let head = r#"{"fileVersion":"1.0","configSnapshotId":"a1b2c3d4","configurationItems":["#;
    gz.write_all(head.as_bytes()).expect("write");
    let mut written = head.len();
    let mut i = 0;
    while written < TARGET {
        let item = generate::config_item(i);
        if i > 0 {
            gz.write_all(b",").expect("write");
            written += 1;
        }
        gz.write_all(item.as_bytes()).expect("write");
        written += item.len();
        i += 1;
    }
    gz.write_all(b"]}").expect("write");
    gz.finish().expect("gzip");
    written + 2
}

fn eks_audit_file(path: &Path) -> usize {
    lines_file(path, None, generate::eks_audit)
}

fn cloudfront_file(path: &Path) -> usize {
    let header = "#Version: 1.0\n#Fields: date time x-edge-location sc-bytes c-ip cs-method cs(Host) cs-uri-stem sc-status cs(Referer) cs(User-Agent) cs-uri-query cs(Cookie) x-edge-result-type x-edge-request-id x-host-header cs-protocol cs-bytes time-taken x-forwarded-for ssl-protocol ssl-cipher x-edge-response-result-type cs-protocol-version fle-status fle-encrypted-fields c-port time-to-first-byte x-edge-detailed-result-type sc-content-type sc-content-len sc-range-start sc-range-end\n";
    lines_file(path, Some(header), generate::cloudfront)
}

fn settings() -> Settings {
    let vars = [
        ("ES_ENDPOINT", "http://127.0.0.1:9"),
        ("AWS_REGION", "eu-west-1"),
        ("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE"),
        (
            "AWS_SECRET_ACCESS_KEY",
            "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        ),
        ("ES_TYPE", "none"),
    ];
    Settings::from_lookup(|k| {
        vars.iter()
            .find(|(n, _)| *n == k)
            .map(|(_, v)| v.to_string())
    })
    .expect("settings")
}

/// gunzip + one parse of the decompressed object: CloudTrail whole, as
/// simd-json needs it; lines streamed through a buffer of the size the
/// forwarder reads with. Its buffers are kept from one round to the next,
/// as the forwarder keeps its own: the page faults of 100 MB of fresh
/// memory are no part of the least work, and moved this floor threefold
/// between runs of one binary.
#[derive(Default)]
struct Floor {
    bytes: Vec<u8>,
    buffers: Option<simd_json::Buffers>,
    tape: Option<simd_json::Tape<'static>>,
    line: LineParser,
}

/// How the floor reads an object.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Parse {
    /// One simd-json parse of the whole object (CloudTrail).
    Whole,
    /// Lines split into their values (flow logs, access logs).
    Values,
    /// One simd-json parse per line (JSON lines: WAF, Network Firewall).
    JsonLines,
}

/// simd-json over each line, its buffers kept.
#[derive(Default)]
struct LineParser {
    scratch: Vec<u8>,
    buffers: Option<simd_json::Buffers>,
    tape: Option<simd_json::Tape<'static>>,
}

impl LineParser {
    fn json_lines(&mut self, text: &str) -> usize {
        let mut nodes = 0;
        for line in text.lines() {
            self.scratch.clear();
            self.scratch.extend_from_slice(line.as_bytes());
            let buffers = self
                .buffers
                .get_or_insert_with(|| simd_json::Buffers::new(64 * 1024));
            let mut tape = self
                .tape
                .take()
                .unwrap_or_else(simd_json::Tape::null)
                .reset();
            simd_json::fill_tape(&mut self.scratch, buffers, &mut tape).expect("json");
            nodes += tape.0.len();
            self.tape = Some(tape.reset());
        }
        nodes
    }
}

impl Floor {
    fn run(&mut self, path: &Path, parse: Parse) -> usize {
        let file = std::fs::File::open(path).expect("open");
        let mut gunzip = flate2::read::MultiGzDecoder::new(std::io::BufReader::new(file));
        if parse == Parse::Whole {
            self.bytes.clear();
            gunzip.read_to_end(&mut self.bytes).expect("gunzip");
            let len = self.bytes.len();
            let buffers = self
                .buffers
                .get_or_insert_with(|| simd_json::Buffers::new(len));
            let mut tape = self
                .tape
                .take()
                .unwrap_or_else(simd_json::Tape::null)
                .reset();
            simd_json::fill_tape(&mut self.bytes, buffers, &mut tape).expect("json");
            let nodes = tape.0.len();
            self.tape = Some(tape.reset());
            return nodes;
        }
        let buf = &mut self.bytes;
        buf.resize(64 * 1024, 0);
        let (mut filled, mut values) = (0, 0);
        loop {
            let n = gunzip.read(&mut buf[filled..]).expect("gunzip");
            filled += n;
            // Whole lines now, the rest carried to the front.
            let end = if n == 0 {
                filled
            } else {
                memchr::memrchr(b'\n', &buf[..filled]).map_or(0, |p| p + 1)
            };
            let text = std::str::from_utf8(&buf[..end]).expect("utf-8");
            values += match parse {
                Parse::JsonLines => self.line.json_lines(text),
                _ => text
                    .lines()
                    .map(|l| l.split_ascii_whitespace().count())
                    .sum::<usize>(),
            };
            if n == 0 {
                return values;
            }
            buf.copy_within(end..filled, 0);
            filled -= end;
            assert!(filled < buf.len(), "a line longer than the buffer");
        }
    }
}

fn object_bodies(path: &Path, settings: &Settings) -> ObjectBodies {
    let file = std::fs::File::open(path).expect("open");
    let body = decode::maybe_gunzip_reader(file).expect("reader");
    let input = ObjectInput {
        bucket: "bench".into(),
        key: path.display().to_string(),
        version: "1".into(),
        timestamp_ms: 0,
        body,
    };
    ObjectBodies::new(settings, None, input).expect("object")
}

/// The bulk bodies of an object, kept, for the SHA-256 share.
/// The bodies of an object; every record of a generated object must fit
/// its format, or the figures would be those of the text fallback.
fn bodies(path: &Path, settings: &Settings) -> Vec<bytes::Bytes> {
    let mut bodies = object_bodies(path, settings);
    let all = std::iter::from_fn(|| bodies.next_body().map(|b| b.bytes)).collect();
    let summary = bodies.into_summary();
    assert!(
        summary.malformed == 0 && summary.own_time_missing == 0,
        "{}: {:?}",
        path.display(),
        summary.errors
    );
    all
}

/// SHA-256 of every body: the part of signing that grows with the output.
fn hash_only(bodies: &[bytes::Bytes]) -> u8 {
    use sha2::Digest as _;
    bodies
        .iter()
        .map(|b| sha2::Sha256::digest(b)[0])
        .fold(0, |a, b| a ^ b)
}

/// `replay --out /dev/null` of `path` with the release binary, and a bare
/// `gzip -dc` of it, interleaved: medians of seven.
fn replay_vs_gunzip(path: &Path) -> (Duration, Duration) {
    let binary = env!("CARGO_BIN_EXE_logs-forwarder");
    let (mut r, mut g) = (Vec::new(), Vec::new());
    for _ in 0..ROUNDS {
        let t = Instant::now();
        let out = std::process::Command::new(binary)
            .args(["replay", "--out", "/dev/null"])
            .arg(path)
            .env("RUST_LOG", "error")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .expect("replay runs");
        assert!(out.success(), "replay failed");
        r.push(t.elapsed());
        let t = Instant::now();
        let out = std::process::Command::new("gzip")
            .arg("-dc")
            .arg(path)
            .stdout(std::process::Stdio::null())
            .status()
            .expect("gzip runs");
        assert!(out.success());
        g.push(t.elapsed());
    }
    r.sort();
    g.sort();
    (r[ROUNDS / 2], g[ROUNDS / 2])
}

fn pipeline(path: &Path, settings: &Settings, cluster: &Cluster) -> u64 {
    let mut bodies = object_bodies(path, settings);
    while let Some(body) = bodies.next_body() {
        let request = cluster
            .request(
                http::Method::POST,
                logs_forwarder::delivery::BULK_PATH,
                Some((body.bytes, "application/x-ndjson")),
                SystemTime::now(),
            )
            .expect("sign");
        black_box(request);
    }
    let summary = bodies.into_summary();
    assert_eq!(summary.malformed, 0, "{summary:?}");
    summary.events
}

fn main() {
    let dir: PathBuf = std::env::temp_dir().join(format!("lf-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let settings = settings();
    let cluster = Cluster::new(
        settings.endpoint.clone().expect("endpoint"),
        &settings.cluster_config(),
    );
    println!("| object | decompressed MB | gzip MB | records | floor MB/s | pipeline MB/s | pipeline / floor (time) | SHA-256 share of floor + SHA | pipeline / (floor + SHA) |");
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    type Make = fn(&Path) -> usize;
    let objects: [(&str, &str, Make, Parse); 12] = [
        (
            "CloudTrail .json.gz",
            "cloudtrail.json.gz",
            cloudtrail_file,
            Parse::Whole,
        ),
        (
            "VPC flow .log.gz",
            "vpcflow.log.gz",
            vpc_file,
            Parse::Values,
        ),
        (
            "S3 access .log.gz",
            "s3access.log.gz",
            s3_access_file,
            Parse::Values,
        ),
        ("ALB .log.gz", "alb.log.gz", alb_file, Parse::Values),
        ("WAF .log.gz", "waf.log.gz", waf_file, Parse::JsonLines),
        (
            "Network Firewall .log.gz",
            "network-firewall.log.gz",
            network_firewall_file,
            Parse::JsonLines,
        ),
        (
            "Route 53 Resolver .log.gz",
            "resolver.log.gz",
            resolver_file,
            Parse::JsonLines,
        ),
        (
            "CloudFront .gz",
            "E2EXAMPLE1234.2025-11-22-16.a1b2c3d4.gz",
            cloudfront_file,
            Parse::Values,
        ),
        (
            "GuardDuty export .jsonl.gz",
            "guardduty.jsonl.gz",
            guardduty_file,
            Parse::JsonLines,
        ),
        (
            "Security Hub events (Firehose) .gz",
            "findings-1-2025-11-22-10-00-00-a1b2c3d4.gz",
            security_hub_file,
            Parse::JsonLines,
        ),
        (
            "Config snapshot .json.gz",
            "config-snapshot.json.gz",
            config_file,
            Parse::Whole,
        ),
        (
            "EKS audit .log.gz",
            "eks-audit.log.gz",
            eks_audit_file,
            Parse::JsonLines,
        ),
    ];
    let mut flow_object = None;
    let mut costs = Vec::new();
    // BENCH_ONLY=<object> (e.g. "VPC flow .log.gz") limits the run, for profiling.
    let only = std::env::var("BENCH_ONLY").ok();
    for (name, file, make, parse) in objects {
        if only.as_deref().is_some_and(|o| o != name) {
            continue;
        }
        let path = dir.join(file);
        let raw = make(&path);
        let gz = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
        // BENCH_PROFILE=<n>: only the pipeline, n times, for `perf record`.
        if let Some(times) = std::env::var("BENCH_PROFILE")
            .ok()
            .and_then(|n| n.parse::<usize>().ok())
        {
            for _ in 0..times {
                black_box(pipeline(&path, &settings, &cluster));
            }
            continue;
        }
        let kept = bodies(&path, &settings);
        let (mut f, mut p, mut h) = (Vec::new(), Vec::new(), Vec::new());
        let mut records = 0;
        let mut floor = Floor::default();
        // Seven interleaved rounds: one sample of each is off by a third
        // now and then on a shared machine; the median of seven is not.
        for _ in 0..ROUNDS {
            let t = Instant::now();
            black_box(floor.run(&path, parse));
            f.push(t.elapsed());
            let t = Instant::now();
            black_box(hash_only(&kept));
            h.push(t.elapsed());
            let t = Instant::now();
            records = pipeline(&path, &settings, &cluster);
            p.push(t.elapsed());
        }
        drop(kept);
        f.sort();
        p.sort();
        h.sort();
        let (f, p, h): (Duration, Duration, Duration) =
            (f[ROUNDS / 2], p[ROUNDS / 2], h[ROUNDS / 2]);
        let mbs = |d: Duration| raw as f64 / 1e6 / d.as_secs_f64();
        let bound = (f + h).as_secs_f64();
        println!(
            "| {name} | {:.0} | {:.1} | {records} | {:.0} | {:.0} | {:.2}x | {:.0}% | {:.2}x |",
            raw as f64 / 1e6,
            gz as f64 / 1e6,
            mbs(f),
            mbs(p),
            p.as_secs_f64() / f.as_secs_f64(),
            100.0 * h.as_secs_f64() / bound,
            p.as_secs_f64() / bound,
        );
        costs.push((name, p.as_secs_f64() * 1000.0 / (raw as f64 / 1e9)));
        if file == "vpcflow.log.gz" {
            flow_object = Some(path);
        }
    }
    println!();
    println!(
        "| object | CPU ms per GB decompressed | $ per TB at arm64 Lambda prices (CPU only) |"
    );
    println!("|---|---:|---:|");
    for (name, ms_per_gb) in costs {
        let dollars_per_tb = ms_per_gb / 1000.0 * 1000.0 * GB_SECONDS_PER_CPU_SECOND * ARM64_PRICE;
        println!("| {name} | {ms_per_gb:.0} | {dollars_per_tb:.3} |");
    }
    if let Some(path) = flow_object {
        let (replay, gunzip) = replay_vs_gunzip(&path);
        println!();
        println!(
            "dry-run `replay --out /dev/null` of the flow log object: {:.2} s; `gzip -dc > /dev/null`: {:.2} s; ratio {:.2}x",
            replay.as_secs_f64(),
            gunzip.as_secs_f64(),
            replay.as_secs_f64() / gunzip.as_secs_f64()
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}
