//! The record reader of streamed objects on any bytes, read in small
//! chunks: every record comes out, none larger than the limit.
#![no_main]

use libfuzzer_sys::fuzz_target;
use logs_forwarder::decode::records::{RecordReader, MAX_RECORD};

fuzz_target!(|data: &[u8]| {
    let chunk = 1 + data.first().copied().unwrap_or(0) as usize % 17;
    let reader = std::io::BufReader::with_capacity(chunk, std::io::Cursor::new(data.to_vec()));
    let Ok(mut records) = RecordReader::new(Box::new(reader)) else {
        return;
    };
    let mut total = 0usize;
    while let Ok(Some(record)) = records.next_record() {
        assert!(record.text.len() <= MAX_RECORD + 4);
        total += 1;
        assert!(total <= data.len() + 1, "more records than bytes");
    }
});
