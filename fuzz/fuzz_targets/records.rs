//! The record reader of streamed objects on any bytes, read in small
//! chunks: every record comes out, none larger than the limit, and an
//! object read as lines gives back every line that is not blank, as it
//! was (layout detection never drops input).
#![no_main]

use libfuzzer_sys::fuzz_target;
use logs_forwarder::decode::records::{Layout, RecordReader, MAX_RECORD};

fuzz_target!(|data: &[u8]| {
    let chunk = 1 + data.first().copied().unwrap_or(0) as usize % 17;
    let reader = std::io::BufReader::with_capacity(chunk, std::io::Cursor::new(data.to_vec()));
    let Ok(mut records) = RecordReader::new(Box::new(reader)) else {
        return;
    };
    let lines = records.layout() == Layout::Lines;
    let mut texts = Vec::new();
    while let Ok(Some(record)) = records.next_record() {
        assert!(record.text.len() <= MAX_RECORD + 4);
        texts.push(record.text.into_owned());
        assert!(texts.len() <= data.len() + 1, "more records than bytes");
    }
    if lines {
        let expected: Vec<String> = data
            .split(|&b| b == b'\n')
            .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
            .filter(|l| !l.iter().all(u8::is_ascii_whitespace))
            .map(|l| String::from_utf8_lossy(l).into_owned())
            .collect();
        assert_eq!(texts, expected, "every line, as it was");
    }
});
