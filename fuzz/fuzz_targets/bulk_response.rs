//! The `_bulk` response parser on any bytes and item count.
#![no_main]

use libfuzzer_sys::fuzz_target;
use logs_forwarder::bulk::{response, Action};

fuzz_target!(|data: &[u8]| {
    let Some((&count, body)) = data.split_first() else {
        return;
    };
    let action = if count % 2 == 0 { Action::Create } else { Action::Index };
    if let Ok(outcomes) = response::parse(body, usize::from(count / 2), action) {
        assert_eq!(outcomes.len(), usize::from(count / 2));
    }
});
