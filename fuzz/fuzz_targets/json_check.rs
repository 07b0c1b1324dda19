//! The one-pass JSON check on any text, against `serde_json` as the
//! oracle: the same verdict (but for nesting deeper than the check takes,
//! where it stops reading),
//! and members that are the object's own, each valid JSON on its own.
#![no_main]

use libfuzzer_sys::fuzz_target;
use logs_forwarder::json::check::object_members;
use serde::de::IgnoredAny;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut members = Vec::new();
    let ours = object_members(text, |m| members.push(m));
    let theirs = serde_json::from_str::<IgnoredAny>(text).is_ok() && text.trim_start().starts_with('{');
    match ours {
        // Refused before the rest was read: serde_json may take it or not.
        Err(e) if e.what == "nested too deeply" => {}
        Err(e) => assert!(!theirs, "refused what serde_json takes ({e}): {text:?}"),
        Ok(()) => {
            assert!(theirs, "took what serde_json refuses: {text:?}");
            for m in &members {
                assert!(serde_json::from_str::<IgnoredAny>(m.key).is_ok(), "{m:?}");
                // A lone surrogate escape has no UTF-8 name: only the others
                // can be compared.
                if let Ok(name) = serde_json::from_str::<String>(m.key) {
                    assert_eq!(m.name(), name, "{m:?}");
                }
                assert!(serde_json::from_str::<IgnoredAny>(m.value).is_ok(), "{m:?}");
            }
        }
    }
});
