//! A soak through faults: 50,000 generated events replayed into a real
//! `osmem-server` through our fault-injecting front (`support/proxy.rs`),
//! which answers bulk requests at random with 429 and 503, cuts connections
//! before and after the cluster did the work, and stalls past the request
//! timeout. Every event must end indexed exactly once (counted in osmem by
//! id) or dead-lettered, and the summary's counts must add up.

mod support;

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;

use serde_json::json;
use support::proxy::{Fault, Proxy, CUT, CUT_AFTER, STALL};
use support::{path_str, replay, Osmem};

const FILES: usize = 25;
const PER_FILE: usize = 2_000;

/// Decoded CloudWatch Logs payloads with unique event ids.
fn write_payloads(dir: &std::path::Path) {
    std::fs::create_dir_all(dir).expect("dir");
    for f in 0..FILES {
        let events: Vec<serde_json::Value> = (0..PER_FILE)
            .map(|i| {
                let n = f * PER_FILE + i;
                json!({
                    "id": format!("{}", 38_000_000_000_000_000_000u128 + n as u128),
                    "timestamp": 1_763_800_000_000i64 + n as i64,
                    "message": json!({"level": "info", "n": n, "msg": format!("event {n} of the soak"),
                        "user": format!("u{}", n % 977)}).to_string(),
                })
            })
            .collect();
        let payload = json!({
            "messageType": "DATA_MESSAGE", "owner": "111122223333",
            "logGroup": "/soak/app", "logStream": format!("stream-{f}"),
            "subscriptionFilters": ["soak"], "logEvents": events,
        });
        std::fs::write(
            dir.join(format!("payload-{f:02}.json")),
            payload.to_string(),
        )
        .expect("write");
    }
}

#[test]
fn fifty_thousand_events_through_faults_arrive_exactly_once() {
    let dir = std::env::temp_dir().join(format!("lf-soak-{}", std::process::id()));
    write_payloads(&dir);
    let osmem = Osmem::start();
    // A fixed-seed generator: the same faults on every run.
    let seed = Arc::new(AtomicU64::new(0x2545_F491_4F6C_DD1D));
    let injected = Arc::new([(); 6].map(|_| AtomicUsize::new(0)));
    let counts = injected.clone();
    let fault: Fault = Arc::new(move |_, seen| {
        if !seen.is_bulk() {
            return None;
        }
        let mut x = seed.load(Ordering::SeqCst);
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        seed.store(x, Ordering::SeqCst);
        let roll = x % 100;
        let (slot, answer) = match roll {
            0..=9 => (
                0,
                Some((429, r#"{"error":"too many requests"}"#.to_owned())),
            ),
            10..=17 => (1, Some((503, r#"{"error":"unavailable"}"#.to_owned()))),
            18..=21 => (2, Some((CUT, String::new()))),
            22..=25 => (3, Some((CUT_AFTER, String::new()))),
            26..=27 => (4, Some((STALL, String::new()))),
            _ => (5, None),
        };
        counts[slot].fetch_add(1, Ordering::SeqCst);
        answer
    });
    let proxy = Proxy::start(&osmem.url, Some(fault));
    let dlq = dir.join("dead-letters");
    let dlq_uri = format!("file://{}", path_str(&dlq));
    let payloads: Vec<String> = (0..FILES)
        .map(|f| path_str(&dir.join(format!("payload-{f:02}.json"))))
        .collect();
    let mut args = vec!["--endpoint", proxy.url.as_str()];
    args.extend(payloads.iter().map(String::as_str));
    let run = replay(
        &args,
        &[
            ("ES_AUTH", "none"),
            ("REQUEST_TIMEOUT_MS", "1000"),
            ("BULK_MAX_BYTES", "100000"),
            ("BULK_CONCURRENCY", "4"),
            ("DLQ_URI", &dlq_uri),
        ],
    );
    let _ = std::fs::remove_dir_all(&dir);
    let s = &run.summary;
    let n = |k: &str| s[k].as_u64().unwrap_or(0);
    let faults: Vec<usize> = injected.iter().map(|c| c.load(Ordering::SeqCst)).collect();
    eprintln!("faults [429, 503, cut, cut after, stall, passed]: {faults:?}\nsummary: {s}");
    assert!(run.success, "{}", run.stderr);
    let total = (FILES * PER_FILE) as u64;
    assert_eq!(n("events"), total, "{s}");
    assert_eq!(n("failed"), 0, "{s}");
    assert_eq!(
        n("indexed") + n("duplicates") + n("dead_lettered"),
        total,
        "{s}"
    );
    // Exactly once in the cluster: `create` with the CloudWatch ids.
    assert_eq!(
        osmem.count("cwl-soak-app-*", json!({"match_all": {}})),
        total - n("dead_lettered")
    );
    // The faults happened and were survived by retrying.
    assert!(
        faults[..5].iter().all(|&c| c > 0),
        "every kind of fault was injected: {faults:?}"
    );
    assert!(
        n("retried") > 0 && n("throttled") >= faults[0] as u64,
        "{s}"
    );
    // Work the cluster did before the connection was cut comes back as
    // duplicates on the retry, never as a second copy.
    assert!(n("duplicates") > 0, "{s}");
}
