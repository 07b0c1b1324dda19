//! Deterministic mutation smoke test: every fixture's decoded payload,
//! corrupted thousands of ways (flipped, deleted, inserted, truncated
//! bytes), goes through the payload parser and the encoder. Nothing may
//! panic, and every event that decodes must come out as exactly one valid
//! JSON document (a record that no longer fits its format becomes text with
//! `@error`). Coverage-guided fuzzing is issue 5's job; this keeps the basic
//! promise checked on every run.

mod support;

use logs_forwarder::bodies::PayloadBodies;
use logs_forwarder::config::Settings;
use logs_forwarder::input::cloudwatch::PayloadParser;
use logs_forwarder::input::{self, Work};

const MUTATIONS_PER_FIXTURE: usize = 3000;

fn decoded_fixtures() -> Vec<Vec<u8>> {
    let dir = support::fixtures().join("cloudwatch");
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).expect("fixtures") {
        let bytes = std::fs::read(entry.expect("entry").path()).expect("read");
        for unit in input::from_file_bytes(bytes).expect("fixture envelopes") {
            if let Work::Logs(payload) = unit.work {
                out.push(payload.decode().expect("fixtures decode"));
            }
        }
    }
    out
}

fn mutate(rng: &mut fastrand::Rng, original: &[u8]) -> Vec<u8> {
    let mut bytes = original.to_vec();
    for _ in 0..rng.usize(1..4) {
        if bytes.is_empty() {
            break;
        }
        let at = rng.usize(..bytes.len());
        match rng.u8(..5) {
            0 => bytes[at] ^= 1 << rng.u8(..8),
            1 => {
                bytes.remove(at);
            }
            2 => bytes.insert(
                at,
                *rng.choice(b"{}[]\",:\\\n \x00\xff0-".iter())
                    .unwrap_or(&b'x'),
            ),
            3 => bytes.truncate(at),
            _ => bytes[at] = b'"',
        }
    }
    bytes
}

#[test]
fn corrupted_payloads_never_panic_and_lose_nothing_that_decoded() {
    let settings = Settings::from_lookup(|_| None).expect("defaults");
    let mut rng = fastrand::Rng::with_seed(20261122);
    let (mut parsed, mut rejected) = (0, 0);
    for original in decoded_fixtures() {
        for _ in 0..MUTATIONS_PER_FIXTURE {
            let mut bytes = mutate(&mut rng, &original);
            let mut parser = PayloadParser::default();
            let Ok(payload) = parser.parse(&mut bytes) else {
                rejected += 1;
                continue;
            };
            parsed += 1;
            let mut bodies = PayloadBodies::new(&settings, None, &payload);
            let mut documents = 0u64;
            while let Some(body) = bodies.next_body() {
                for i in 0..body.len() {
                    let doc: serde_json::Value = serde_json::from_slice(body.document(i))
                        .expect("every document is valid JSON");
                    assert!(doc["@timestamp"].is_string());
                    documents += 1;
                }
            }
            assert_eq!(documents, bodies.summary().events);
        }
    }
    // Both paths were exercised: mutations that still parse and ones that do not.
    assert!(
        parsed > 1000 && rejected > 1000,
        "parsed {parsed}, rejected {rejected}"
    );
}
