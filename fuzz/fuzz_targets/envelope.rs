//! The envelope decoder and everything behind it: any bytes as a replayed
//! file or a Lambda event, decoded, parsed and encoded into bulk bodies
//! whose documents must all be valid JSON.
#![no_main]

use libfuzzer_sys::fuzz_target;
use logs_forwarder::bodies::PayloadBodies;
use logs_forwarder::config::Settings;
use logs_forwarder::input::cloudwatch::PayloadParser;
use logs_forwarder::input::{self, Work};

fuzz_target!(|data: &[u8]| {
    let settings = Settings::from_lookup(|_| None).expect("defaults");
    let mut units = input::from_file_bytes(data.to_vec()).unwrap_or_default();
    if let Ok(event) = serde_json::from_slice::<serde_json::Value>(data) {
        units.extend(input::from_event(event).map(|e| e.units).unwrap_or_default());
    }
    for unit in units {
        if let Work::Logs(payload) = unit.work {
            let Ok(mut bytes) = payload.decode() else {
                continue;
            };
            let mut parser = PayloadParser::default();
            if let Ok(payload) = parser.parse(&mut bytes) {
                let mut bodies = PayloadBodies::new(&settings, None, &payload);
                while let Some(body) = bodies.next_body() {
                    for i in 0..body.len() {
                        assert!(
                            serde_json::from_slice::<serde_json::Value>(body.document(i)).is_ok(),
                            "invalid document: {:?}",
                            String::from_utf8_lossy(body.document(i))
                        );
                    }
                }
            }
        }
    }
});
