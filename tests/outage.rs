//! An outage is visible: with the cluster unreachable, every event that
//! arrived is counted, as failed, and the invocation fails (so that Lambda
//! retries it and, in the end, its on-failure destination keeps it).

mod support;

use support::{fixture, replay};

#[test]
fn an_unreachable_cluster_counts_every_event_as_failed() {
    // A cluster that hangs up on every connection: held by this test for
    // its whole run (a port bound and released could be taken by another
    // test's listener meanwhile).
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let endpoint = format!("http://{}", listener.local_addr().expect("addr"));
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            drop(stream);
        }
    });
    for file in ["cloudwatch/cloudtrail.json", "cloudwatch/vpc-flow.json"] {
        let dry = replay(&["--out", "/dev/null", &fixture(file)], &[]);
        let events = dry.summary["events"].as_u64().expect("events");
        assert!(events > 0, "{file}: {}", dry.summary);
        let run = replay(
            &["--endpoint", &endpoint, &fixture(file)],
            &[("ES_AUTH", "none")],
        );
        let s = &run.summary;
        assert!(!run.success, "{file}: must fail: {s}");
        assert_eq!(s["events"].as_u64(), Some(events), "{file}: {s}");
        assert_eq!(s["failed"].as_u64(), Some(events), "{file}: {s}");
        assert_eq!(s["indexed"], 0, "{file}: {s}");
        assert!(
            s["errors"].to_string().contains("cluster version"),
            "{file}: {s}"
        );
    }
}
