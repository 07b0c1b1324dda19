//! Back-pressure, measured: a cluster that can work on two bulk requests at
//! a time (our front answers 429 to any request beyond two in flight, and
//! holds the others for 100 ms before passing them to osmem). With
//! `BULK_CONCURRENCY=8` the forwarder must settle near what the cluster
//! takes: most requests go through the first time, and everything arrives.

mod support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use serde_json::json;
use support::proxy::{Fault, Proxy};
use support::{path_str, replay, Osmem};

#[test]
fn concurrency_adapts_to_what_the_cluster_takes() {
    let events: Vec<serde_json::Value> = (0..1500)
        .map(|n| {
            json!({"id": format!("{}", 39_000_000_000u64 + n), "timestamp": 1_763_800_000_000i64 + n as i64,
                "message": json!({"n": n, "text": "x".repeat(600)}).to_string()})
        })
        .collect();
    let payload = json!({"messageType": "DATA_MESSAGE", "owner": "1", "logGroup": "/pressure",
        "logStream": "s", "subscriptionFilters": [], "logEvents": events});
    let file = std::env::temp_dir().join(format!("lf-pressure-{}.json", std::process::id()));
    std::fs::write(&file, payload.to_string()).expect("write");

    let osmem = Osmem::start();
    let in_flight = Arc::new(AtomicUsize::new(0));
    let (accepted, refused) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let (counter, ok, no) = (in_flight.clone(), accepted.clone(), refused.clone());
    let fault: Fault = Arc::new(move |_, seen| {
        if !seen.is_bulk() {
            return None;
        }
        if counter.fetch_add(1, Ordering::SeqCst) >= 2 {
            counter.fetch_sub(1, Ordering::SeqCst);
            no.fetch_add(1, Ordering::SeqCst);
            return Some((429, r#"{"error":"queue full"}"#.to_owned()));
        }
        std::thread::sleep(Duration::from_millis(100));
        counter.fetch_sub(1, Ordering::SeqCst);
        ok.fetch_add(1, Ordering::SeqCst);
        None
    });
    let proxy = Proxy::start(&osmem.url, Some(fault));
    let run = replay(
        &["--endpoint", &proxy.url, &path_str(&file)],
        &[
            ("ES_AUTH", "none"),
            ("BULK_CONCURRENCY", "8"),
            ("BULK_MAX_BYTES", "8192"),
            ("TEMPLATES", "off"),
        ],
    );
    let _ = std::fs::remove_file(&file);
    assert!(run.success, "{}", run.stderr);
    assert_eq!(run.summary["indexed"], 1500, "{}", run.summary);
    let (ok, no) = (
        accepted.load(Ordering::SeqCst),
        refused.load(Ordering::SeqCst),
    );
    eprintln!(
        "bulk requests: {ok} accepted, {no} refused with 429; summary {}",
        run.summary
    );
    // Eight at once against a cluster that takes two would see three in
    // four refused; adapting, only the probes above two are.
    assert!(no * 3 < ok, "{no} refused for {ok} accepted");
    assert!(no > 0, "the cluster did push back");
}
