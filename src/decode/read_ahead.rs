//! Reading a stream on a thread of its own, a few blocks ahead of its
//! consumer: a log object is inflated on one core while its records are
//! parsed and encoded on another (inflating was a third of a dry-run replay
//! of a flow log object).
//!
//! Invariant: at most [`BLOCKS`] + 2 blocks of [`BLOCK`] bytes exist per
//! stream (those queued, the one being filled and the one being read), so
//! memory stays bounded however large the object is. Blocks are recycled,
//! not allocated per read. The thread ends at the end of the stream, at its
//! first error (which the consumer then gets, after every byte before it),
//! or once the consumer is dropped.

use std::io::{self, BufRead, Read};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};

/// Bytes per block.
pub const BLOCK: usize = 256 * 1024;
/// Full blocks that may wait for the consumer.
pub const BLOCKS: usize = 4;

/// A filled block: its buffer and how much of it holds data.
type Filled = io::Result<(Vec<u8>, usize)>;

/// The consumer's end: a `BufRead` over the blocks the thread has read.
pub struct ReadAhead {
    full: Receiver<Filled>,
    empty: SyncSender<Vec<u8>>,
    block: Vec<u8>,
    /// Data in `block` is `block[at..len]`.
    at: usize,
    len: usize,
}

impl ReadAhead {
    /// Starts reading `input` on a new thread.
    pub fn spawn(input: impl Read + Send + 'static) -> io::Result<ReadAhead> {
        let (full_tx, full) = sync_channel(BLOCKS);
        let (empty, empty_rx) = sync_channel(BLOCKS + 2);
        std::thread::Builder::new()
            .name("read-ahead".into())
            .spawn(move || produce(input, &full_tx, &empty_rx))?;
        Ok(ReadAhead {
            full,
            empty,
            block: Vec::new(),
            at: 0,
            len: 0,
        })
    }
}

/// The thread: fills blocks until the end, an error, or a gone consumer.
fn produce(mut input: impl Read, full: &SyncSender<Filled>, empty: &Receiver<Vec<u8>>) {
    loop {
        let mut block = empty.try_recv().unwrap_or_else(|_| vec![0; BLOCK]);
        let mut len = 0;
        while len < BLOCK {
            match input.read(&mut block[len..]) {
                Ok(0) => break,
                Ok(n) => len += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    // The bytes before the error first, then the error.
                    if len > 0 && full.send(Ok((block, len))).is_err() {
                        return;
                    }
                    let _ = full.send(Err(e));
                    return;
                }
            }
        }
        if len == 0 || full.send(Ok((block, len))).is_err() {
            return;
        }
    }
}

impl BufRead for ReadAhead {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if self.at == self.len {
            match self.full.recv() {
                Ok(Ok((block, len))) => {
                    let used = std::mem::replace(&mut self.block, block);
                    if used.len() == BLOCK {
                        // The thread may have ended: then it is not needed.
                        let _ = self.empty.try_send(used);
                    }
                    (self.at, self.len) = (0, len);
                }
                Ok(Err(e)) => return Err(e),
                // The end of the stream (or of the thread).
                Err(_) => return Ok(&[]),
            }
        }
        Ok(&self.block[self.at..self.len])
    }

    fn consume(&mut self, amount: usize) {
        self.at = (self.at + amount).min(self.len);
    }
}

impl Read for ReadAhead {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let available = self.fill_buf()?;
        let n = available.len().min(buf.len());
        buf[..n].copy_from_slice(&available[..n]);
        self.consume(n);
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;
    use std::time::{Duration, Instant};

    fn bytes(len: usize) -> Vec<u8> {
        (0..len).map(|i| (i * 7 % 251) as u8).collect()
    }

    /// Hands out at most `step` bytes per read, to cut blocks anywhere.
    struct Trickle {
        data: io::Cursor<Vec<u8>>,
        step: usize,
    }

    impl Read for Trickle {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = buf.len().min(self.step);
            self.data.read(&mut buf[..n])
        }
    }

    #[test]
    fn every_byte_arrives_in_order() {
        for len in [
            0,
            1,
            BLOCK - 1,
            BLOCK,
            BLOCK + 1,
            3 * BLOCK + 17,
            11 * BLOCK,
        ] {
            for step in [usize::MAX, 4093] {
                let data = bytes(len);
                let input = Trickle {
                    data: io::Cursor::new(data.clone()),
                    step,
                };
                let mut out = Vec::new();
                ReadAhead::spawn(input)
                    .expect("thread")
                    .read_to_end(&mut out)
                    .expect("read");
                assert!(out == data, "{len} bytes, {step} per read");
            }
        }
    }

    #[test]
    fn an_error_comes_after_the_bytes_before_it() {
        let data = bytes(BLOCK + 5);
        let failing = io::Cursor::new(data.clone()).chain(FailingRead);
        let mut reader = ReadAhead::spawn(failing).expect("thread");
        let mut out = Vec::new();
        let error = reader.read_to_end(&mut out).expect_err("the error");
        assert_eq!(error.to_string(), "connection reset");
        assert!(
            out == data,
            "{} of {} bytes before the error",
            out.len(),
            data.len()
        );
    }

    struct FailingRead;

    impl Read for FailingRead {
        fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
            Err(io::Error::other("connection reset"))
        }
    }

    /// An endless input that says when it has been dropped.
    struct Endless(Arc<AtomicBool>);

    impl Read for Endless {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            buf.fill(b'x');
            Ok(buf.len())
        }
    }

    impl Drop for Endless {
        fn drop(&mut self) {
            self.0.store(true, Ordering::SeqCst);
        }
    }

    #[test]
    fn the_thread_ends_when_its_consumer_is_dropped() {
        let dropped = Arc::new(AtomicBool::new(false));
        let mut reader = ReadAhead::spawn(Endless(dropped.clone())).expect("thread");
        assert_eq!(reader.fill_buf().expect("a block").len(), BLOCK);
        drop(reader);
        let deadline = Instant::now() + Duration::from_secs(10);
        while !dropped.load(Ordering::SeqCst) {
            assert!(Instant::now() < deadline, "the thread still reads");
            std::thread::sleep(Duration::from_millis(5));
        }
    }
}
