//! Near the Lambda deadline the forwarder takes no new work: units not
//! started and objects not finished are reported as failed (so that the
//! event source delivers them again; ids make that safe), never dropped.

mod support;

use std::time::{Duration, Instant};

use logs_forwarder::config::Settings;
use logs_forwarder::forwarder::Forwarder;
use logs_forwarder::input::{self, ObjectInput, Unit, Work};

fn forwarder() -> Forwarder {
    let settings = Settings::from_lookup(|name| match name {
        "DEADLINE_MARGIN_MS" => Some("1000".into()),
        _ => None,
    })
    .expect("settings");
    Forwarder::from_settings(settings, || Box::new(std::io::sink()))
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

#[test]
fn units_left_at_the_deadline_are_failed_items() {
    let bytes = std::fs::read(support::fixtures().join("bad/kinesis-one-truncated-record.json"))
        .expect("fixture");
    let units = input::from_file_bytes(bytes).expect("kinesis event");
    let ids: Vec<String> = units.iter().filter_map(|u| u.item_id.clone()).collect();
    assert_eq!(ids.len(), 3);
    // Within the margin of the deadline: nothing may start.
    let deadline = Instant::now() + Duration::from_millis(500);
    let outcome = runtime().block_on(forwarder().forward(units, deadline));
    assert_eq!(outcome.failed_items, ids);
    assert_eq!(outcome.summary.deferred, 3);
    assert_eq!(outcome.summary.events, 0);
    assert!(!outcome.is_complete());
}

#[test]
fn an_object_being_read_stops_at_the_deadline_and_fails() {
    // An object that never ends: the reader must stop at the deadline
    // rather than run into Lambda's timeout.
    struct Endless(u64);
    impl std::io::Read for Endless {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            std::thread::sleep(Duration::from_millis(1));
            let line = format!(
                "2 111122223333 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 1 {} {} ACCEPT OK\n",
                1_763_800_000 + self.0,
                1_763_800_060 + self.0
            );
            self.0 += 1;
            let n = line.len().min(buf.len());
            buf[..n].copy_from_slice(&line.as_bytes()[..n]);
            Ok(n)
        }
    }
    let unit = Unit {
        item_id: Some("message-1".into()),
        work: Work::Object(ObjectInput {
            bucket: "b".into(),
            key: "AWSLogs/1/vpcflowlogs/endless.log".into(),
            version: "1".into(),
            timestamp_ms: 0,
            body: Box::new(Endless(0)),
        }),
    };
    let started = Instant::now();
    let deadline = started + Duration::from_millis(1_500);
    let outcome = runtime().block_on(forwarder().forward(vec![unit], deadline));
    let took = started.elapsed();
    assert!(
        took < Duration::from_millis(1_400),
        "stopped at deadline - margin: {took:?}"
    );
    assert_eq!(outcome.failed_items, ["message-1"]);
    assert_eq!(outcome.summary.deferred, 1);
    assert!(outcome.summary.events > 0, "what was read was encoded");
    assert_eq!(outcome.summary.encoded, outcome.summary.events);
    assert!(outcome
        .summary
        .errors
        .iter()
        .any(|e| e.contains("stopped at the deadline")));
}
