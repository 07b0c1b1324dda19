//! `cargo bench --bench pipeline`: the forwarder's pipeline against the floor.
//!
//! For CloudTrail, VPC flow, Lambda text, WAF, Network Firewall, Route 53
//! Resolver, CloudFront, GuardDuty, Security Hub, EKS audit, API Gateway and
//! RDS audit payloads of 1,000 and 10,000
//! events it measures, in one run and interleaved (these machines are noisy):
//!
//! - floor: base64 + gunzip + one simd-json parse of the payload, the least
//!   any forwarder must do;
//! - pipeline: everything the Lambda does but the network: decode, parse the
//!   payload, parse each event's format, route, encode the bulk bodies and
//!   SigV4-sign them;
//! - handler: the whole invocation (`Forwarder::forward`) against a local
//!   accept-all `_bulk` endpoint, over loopback HTTP.
//!
//! It prints medians and their ratios to the floor, and to `floor + SHA-256
//! of the bodies`, the least a signing pipeline can do.

use std::hint::black_box;
use std::io::Write as _;
use std::net::SocketAddr;
use std::time::{Duration, Instant, SystemTime};

use base64::Engine as _;
use bytes::Bytes;
use logs_forwarder::bodies::PayloadBodies;
use logs_forwarder::client::Cluster;
use logs_forwarder::config::Settings;
use logs_forwarder::decode;
use logs_forwarder::forwarder::Forwarder;
use logs_forwarder::input::cloudwatch::PayloadParser;
use logs_forwarder::input::{Payload, Unit, Work};

#[path = "generate.rs"]
#[allow(dead_code)] // The objects bench uses the other generators.
mod generate;
#[path = "loopback.rs"]
mod loopback;
use generate::{
    apigateway, cloudfront, eks_audit, eventbridge, guardduty_event, network_firewall, rds_audit,
    rds_postgres, resolver, route53_public, security_hub_event, vpc_flow, waf,
};

/// The same allocator as the `logs-forwarder` binary.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const T0: i64 = 1_763_800_000_000;

fn cloudtrail(i: usize) -> String {
    let services = [
        ("s3.amazonaws.com", "GetObject"),
        ("ec2.amazonaws.com", "DescribeInstances"),
        ("sts.amazonaws.com", "AssumeRole"),
        ("kms.amazonaws.com", "Decrypt"),
        ("lambda.amazonaws.com", "Invoke"),
    ];
    let (source, name) = services[i % services.len()];
    let secs = T0 / 1000 + i as i64;
    serde_json::json!({
        "eventVersion": "1.09",
        "userIdentity": {
            "type": "AssumedRole",
            "principalId": format!("AROAEXAMPLE{i:08}:session-{i}"),
            "arn": format!("arn:aws:sts::111122223333:assumed-role/app-role/session-{i}"),
            "accountId": "111122223333",
            "accessKeyId": format!("ASIAEXAMPLE{i:09}"),
            "sessionContext": {
                "sessionIssuer": {"type": "Role", "principalId": "AROAEXAMPLE", "arn": "arn:aws:iam::111122223333:role/app-role", "accountId": "111122223333", "userName": "app-role"},
                "attributes": {"creationDate": "2025-11-22T08:00:00Z", "mfaAuthenticated": "false"}
            }
        },
        "eventTime": logs_forwarder::time::rfc3339_millis(secs * 1000).replace(".000Z", "Z"),
        "eventSource": source,
        "eventName": name,
        "awsRegion": "eu-west-1",
        "sourceIPAddress": format!("10.{}.{}.{}", i % 256, (i / 256) % 256, i % 200 + 1),
        "userAgent": "aws-sdk-java/2.21.0 Linux/5.10.205 OpenJDK_64-Bit_Server_VM/17.0.9+8-LTS Java/17.0.9 vendor/Amazon.com_Inc. io/sync http/Apache cfg/retry-mode/standard",
        "requestParameters": {
            "bucketName": "app-data-eu-west-1",
            "key": format!("tenants/{}/objects/{i:010}.json", i % 97),
            "Host": "app-data-eu-west-1.s3.eu-west-1.amazonaws.com",
            "filters": [{"name": "instance-state-name", "values": ["running", "pending"]}],
            "maxResults": 100
        },
        "responseElements": {"credentials": {"expiration": "Nov 22, 2025, 9:26:40 AM", "accessKeyId": "ASIAEXAMPLE"}, "assumedRoleUser": {"arn": "arn:aws:sts::111122223333:assumed-role/app-role/x"}},
        "additionalEventData": {"SignatureVersion": "SigV4", "CipherSuite": "TLS_AES_128_GCM_SHA256", "bytesTransferredIn": 0, "bytesTransferredOut": 5321 + i, "x-amz-id-2": "Zm9vYmFyYmF6cXV4cXV1eGZvb2JhcmJhenF1eHF1dXg="},
        "requestID": format!("{:032X}", i * 7919),
        "eventID": format!("{:08x}-2222-4000-8000-{:012x}", i, i * 104_729),
        "readOnly": true,
        "resources": [{"type": "AWS::S3::Object", "ARN": format!("arn:aws:s3:::app-data-eu-west-1/tenants/{}/objects/{i:010}.json", i % 97)}, {"accountId": "111122223333", "type": "AWS::S3::Bucket", "ARN": "arn:aws:s3:::app-data-eu-west-1"}],
        "eventType": "AwsApiCall",
        "managementEvent": false,
        "recipientAccountId": "111122223333",
        "vpcEndpointId": "vpce-0123456789abcdef0",
        "eventCategory": "Data",
        "tlsDetails": {"tlsVersion": "TLSv1.3", "cipherSuite": "TLS_AES_128_GCM_SHA256", "clientProvidedHostHeader": "app-data-eu-west-1.s3.eu-west-1.amazonaws.com"}
    })
    .to_string()
}

fn lambda_text(i: usize) -> String {
    let req = format!("{:08x}-1d4b-4e6f-9a7b-{:012x}", i / 4, i / 4);
    match i % 4 {
        0 => format!("START RequestId: {req} Version: $LATEST\n"),
        1 => format!("2025-11-22T08:26:42.120Z\t{req}\tINFO\tprocessed order {i} for customer c-{} in 12 ms; cart had {} items and total of {}.{:02} EUR\n", i % 9973, i % 7 + 1, i % 500, i % 100),
        2 => format!("END RequestId: {req}\n"),
        _ => format!("REPORT RequestId: {req}\tDuration: {}.{:02} ms\tBilled Duration: {} ms\tMemory Size: 512 MB\tMax Memory Used: {} MB\t\n", 10 + i % 400, i % 100, 11 + i % 400, 60 + i % 30),
    }
}

/// The `awslogs.data` string CloudWatch Logs would send for these messages.
fn awslogs_data(group: &str, messages: impl Iterator<Item = String>) -> (String, usize) {
    let events: Vec<serde_json::Value> = messages
        .enumerate()
        .map(|(i, m)| serde_json::json!({"id": format!("{}", 37_000_000_000_000_000_000_000u128 + i as u128 * 7919), "timestamp": T0 + i as i64, "message": m}))
        .collect();
    let payload = serde_json::json!({
        "messageType": "DATA_MESSAGE", "owner": "111122223333", "logGroup": group,
        "logStream": "stream-1", "subscriptionFilters": ["f"], "logEvents": events,
    });
    let raw = serde_json::to_vec(&payload).expect("serialise");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&raw).expect("gzip");
    let data = base64::engine::general_purpose::STANDARD.encode(gz.finish().expect("gzip"));
    (data, raw.len())
}

fn bench_settings(endpoint: &str) -> Settings {
    bench_settings_with(endpoint, None)
}

fn bench_settings_with(endpoint: &str, routes: Option<&str>) -> Settings {
    let mut vars = vec![
        ("ES_ENDPOINT", endpoint.to_owned()),
        ("AWS_REGION", "eu-west-1".to_owned()),
        ("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE".to_owned()),
        (
            "AWS_SECRET_ACCESS_KEY",
            "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY".to_owned(),
        ),
        ("AWS_SESSION_TOKEN", "token".to_owned()),
        ("ES_TYPE", "none".to_owned()),
        ("TEMPLATES", "off".to_owned()),
    ];
    if let Some(routes) = routes {
        vars.push(("ROUTES", routes.to_owned()));
    }
    Settings::from_lookup(|k| vars.iter().find(|(n, _)| *n == k).map(|(_, v)| v.clone()))
        .expect("settings")
}

fn floor(data: &str) -> usize {
    let compressed = decode::base64(data).expect("base64");
    let mut json = decode::gunzip(&compressed, usize::MAX).expect("gunzip");
    let tape = simd_json::to_tape(&mut json).expect("json");
    tape.0.len()
}

fn pipeline(data: &str, settings: &Settings, cluster: &Cluster) -> usize {
    pipeline_counting(data, settings, cluster).0
}

/// The pipeline, and how many events the route's filters left out.
fn pipeline_counting(data: &str, settings: &Settings, cluster: &Cluster) -> (usize, u64) {
    let mut decoded = decode::base64_gzip(data).expect("decode");
    let mut parser = PayloadParser::default();
    let payload = parser.parse(&mut decoded).expect("payload");
    let mut bodies = PayloadBodies::new(settings, None, &payload);
    let mut signed = 0;
    while let Some(body) = bodies.next_body() {
        let req = cluster
            .request(
                http::Method::POST,
                logs_forwarder::delivery::BULK_PATH,
                Some((body.bytes.clone(), "application/x-ndjson")),
                SystemTime::now(),
            )
            .expect("sign");
        signed += req.headers().len();
    }
    (signed, bodies.into_summary().filtered)
}

/// The bulk bodies the pipeline produces, to time hashing them alone.
fn bodies(data: &str, settings: &Settings) -> Vec<Bytes> {
    let mut decoded = decode::base64_gzip(data).expect("decode");
    let mut parser = PayloadParser::default();
    let payload = parser.parse(&mut decoded).expect("payload");
    let mut bodies = PayloadBodies::new(settings, None, &payload);
    std::iter::from_fn(|| bodies.next_body().map(|b| b.bytes)).collect()
}

/// SHA-256 of every body: the part of signing that grows with the output.
fn hash_only(bodies: &[Bytes]) -> u8 {
    use sha2::Digest as _;
    bodies
        .iter()
        .map(|b| sha2::Sha256::digest(b)[0])
        .fold(0, |a, b| a ^ b)
}

/// How many times to run only the pipeline on `events` events, when
/// `BENCH_PROFILE` is set: `1` for a loop of a few seconds, for `perf
/// record`; `<n>` (n > 1) n times, for valgrind's short runs.
fn profile_runs(events: usize) -> Option<usize> {
    let profile = std::env::var_os("BENCH_PROFILE")?;
    let times = profile
        .to_str()
        .and_then(|n| n.parse::<usize>().ok())
        .filter(|&n| n > 1);
    Some(times.unwrap_or(if events <= 1_000 { 2_050 } else { 450 }))
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// An accept-all `_bulk` endpoint: every item answered 201.
async fn accept_all() -> SocketAddr {
    loopback::serve(|req| async move { loopback::bulk_created(&loopback::body(req).await) }).await
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let addr = runtime.block_on(accept_all());
    let endpoint = format!("http://{addr}");
    let settings = bench_settings(&endpoint);
    let cluster = Cluster::new(
        settings.endpoint.clone().expect("endpoint"),
        &settings.cluster_config(),
    );
    let forwarder =
        Forwarder::from_settings(bench_settings(&endpoint), || Box::new(std::io::sink()));

    println!("| payload | events | decoded MB | bodies MB | floor ms | pipeline ms | pipeline / floor | of which SHA-256 / floor | handler ms | handler / floor | pipeline / (floor + SHA-256) |");
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    type Gen = fn(usize) -> String;
    let kinds: [(&str, &str, Gen); 15] = [
        ("CloudTrail", "aws-cloudtrail-logs-111122223333", cloudtrail),
        ("VPC flow", "/vpc/flowlogs", vpc_flow),
        ("Lambda text", "/aws/lambda/orders", lambda_text),
        ("WAF", "aws-waf-logs-shop", waf),
        (
            "Network Firewall",
            "/network-firewall/egress/flow",
            network_firewall,
        ),
        ("Route 53 Resolver", "/vpc/dns-queries", resolver),
        (
            "Route 53 public DNS",
            "/aws/route53/example.com",
            route53_public,
        ),
        ("CloudFront", "/cloudfront/shop", cloudfront),
        (
            "GuardDuty (EventBridge)",
            "/aws/events/guardduty",
            guardduty_event,
        ),
        (
            "Security Hub (2 findings an event)",
            "/aws/events/securityhub",
            security_hub_event,
        ),
        ("EKS audit", "/aws/eks/shop/cluster", eks_audit),
        ("API Gateway", "/api/access", apigateway),
        ("RDS audit", "/aws/rds/cluster/shop/audit", rds_audit),
        (
            "RDS PostgreSQL",
            "/aws/rds/instance/orders/postgresql",
            rds_postgres,
        ),
        ("EventBridge (EC2)", "/aws/events/ec2", eventbridge),
    ];
    // BENCH_ONLY=<kind> (e.g. "VPC flow") limits the run, for profiling.
    let only = std::env::var("BENCH_ONLY").ok();
    for &(name, group, generate) in &kinds {
        if only.as_deref().is_some_and(|o| o != name) {
            continue;
        }
        for &n in &[1_000usize, 10_000] {
            let (data, raw_len) = awslogs_data(group, (0..n).map(generate));
            // Medians of many interleaved samples: on these shared machines a
            // median of nine moved by a tenth from run to run.
            let iterations = if n == 1_000 { 201 } else { 41 };
            let (mut f, mut p, mut h, mut sha) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
            if let Some(times) = profile_runs(n) {
                for _ in 0..times {
                    black_box(pipeline(&data, &settings, &cluster));
                }
                continue;
            }
            let output = bodies(&data, &settings);
            let output_len: usize = output.iter().map(Bytes::len).sum();
            for _ in 0..iterations {
                let t = Instant::now();
                black_box(hash_only(&output));
                sha.push(t.elapsed());
                let t = Instant::now();
                black_box(floor(&data));
                f.push(t.elapsed());
                let t = Instant::now();
                black_box(pipeline(&data, &settings, &cluster));
                p.push(t.elapsed());
                let t = Instant::now();
                let units = vec![Unit {
                    item_id: None,
                    // As Lambda hands it over: decoded by the forwarder.
                    work: Work::Logs(Payload::Base64(data.clone())),
                }];
                let outcome = runtime
                    .block_on(forwarder.forward(units, Instant::now() + Duration::from_secs(60)));
                h.push(t.elapsed());
                // Every event indexed (Security Hub's: a document per finding).
                let s = &outcome.summary;
                assert!(s.indexed == s.events && s.events >= n as u64, "{s:?}");
                assert_eq!(s.malformed + s.own_time_missing, 0, "{s:?}");
            }
            let (f, p, h, sha) = (median(f), median(p), median(h), median(sha));
            let ms = |d: Duration| d.as_secs_f64() * 1000.0;
            println!(
                "| {name} | {n} | {:.1} | {:.1} | {:.2} | {:.2} | {:.2}x | {:.2}x | {:.2} | {:.2}x | {:.2}x |",
                raw_len as f64 / 1e6,
                output_len as f64 / 1e6,
                ms(f),
                ms(p),
                ms(p) / ms(f),
                ms(sha) / ms(f),
                ms(h),
                ms(h) / ms(f),
                ms(p) / (ms(f) + ms(sha))
            );
        }
    }
    if only.as_deref().is_none_or(|o| o == "Filters") {
        filters(&endpoint, &cluster, &runtime);
    }
}

/// Route filters on 10,000 VPC flow records: what rules cost when they
/// drop nothing, and what dropping most records saves, against the same
/// pipeline without routes, in one run.
fn filters(endpoint: &str, cluster: &Cluster, runtime: &tokio::runtime::Runtime) {
    let n = 10_000;
    let (data, _) = awslogs_data("/vpc/flowlogs", (0..n).map(vpc_flow));
    let variants: [(&str, Option<&str>); 4] = [
        ("no routes", None),
        ("a route without rules", Some(r#"[{"log_group":"*"}]"#)),
        (
            "rules that drop nothing",
            Some(
                r#"[{"log_group":"*","drop_if":[{"all":[{"field":"action","equals":"ACCEPT"},{"field":"srcaddr","cidr":"192.0.2.0/24"}]}],"drop_fields":["nowhere"],"add_fields":{"environment":"prod"}}]"#,
            ),
        ),
        (
            "drop_if dropping ~80%",
            Some(
                r#"[{"log_group":"*","drop_if":[{"field":"srcaddr","cidr":["10.0.0.0/17","10.0.128.0/18","10.0.192.0/20"]}]}]"#,
            ),
        ),
    ];
    let settings: Vec<Settings> = variants
        .iter()
        .map(|(_, routes)| bench_settings_with(endpoint, *routes))
        .collect();
    let forwarders: Vec<Forwarder> = variants
        .iter()
        .map(|(_, routes)| {
            Forwarder::from_settings(bench_settings_with(endpoint, *routes), || {
                Box::new(std::io::sink())
            })
        })
        .collect();
    // Profiled: only the pipeline with rules that drop nothing.
    if let Some(times) = profile_runs(n) {
        for _ in 0..times {
            black_box(pipeline_counting(&data, &settings[2], cluster));
        }
        return;
    }
    let mut times = vec![Vec::new(); variants.len()];
    let mut handler = vec![Vec::new(); variants.len()];
    let mut floors = Vec::new();
    let mut filtered = vec![0; variants.len()];
    for _ in 0..41 {
        let t = Instant::now();
        black_box(floor(&data));
        floors.push(t.elapsed());
        for (i, s) in settings.iter().enumerate() {
            let t = Instant::now();
            filtered[i] = black_box(pipeline_counting(&data, s, cluster)).1;
            times[i].push(t.elapsed());
            let t = Instant::now();
            let units = vec![Unit {
                item_id: None,
                work: Work::Logs(Payload::Base64(data.clone())),
            }];
            let outcome = runtime
                .block_on(forwarders[i].forward(units, Instant::now() + Duration::from_secs(60)));
            handler[i].push(t.elapsed());
            assert_eq!(
                outcome.summary.indexed + outcome.summary.filtered,
                n as u64,
                "{:?}",
                outcome.summary
            );
        }
    }
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let floor_ms = ms(median(floors));
    let base_ms = ms(median(times[0].clone()));
    let base_handler_ms = ms(median(handler[0].clone()));
    println!();
    println!("| VPC flow, {n} events | filtered | pipeline ms | pipeline / floor | pipeline / no routes | handler ms | handler / no routes |");
    println!("|---|---:|---:|---:|---:|---:|---:|");
    for (i, (name, _)) in variants.iter().enumerate() {
        let p = ms(median(times[i].clone()));
        let h = ms(median(handler[i].clone()));
        println!(
            "| {name} | {:.1}% | {p:.2} | {:.2}x | {:.2}x | {h:.2} | {:.2}x |",
            filtered[i] as f64 * 100.0 / n as f64,
            p / floor_ms,
            p / base_ms,
            h / base_handler_ms
        );
    }
}
