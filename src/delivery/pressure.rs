//! Back-pressure: how hard the forwarder pushes, adapted to what the
//! cluster takes (additive increase, multiplicative decrease).
//!
//! A 429, for a whole request or for any item of it, halves both the number
//! of bodies in flight and the size of new bodies (not below one body and
//! [`MIN_BYTES`]). Every [`RECOVER_AFTER`] bodies in a row delivered without
//! a 429 grow them back one step (one more body in flight, a quarter more
//! bytes), up to `BULK_CONCURRENCY` and `BULK_MAX_BYTES`. The state lives as
//! long as the execution environment, so a cluster that was throttling is
//! not hit at full force again by the next invocation.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// The smallest body size back-pressure goes down to.
pub const MIN_BYTES: usize = 64 * 1024;
/// Bodies delivered without a 429 before one step back up.
pub const RECOVER_AFTER: usize = 8;

#[derive(Debug)]
pub struct Pressure {
    max_concurrency: usize,
    max_bytes: usize,
    concurrency: AtomicUsize,
    bytes: Arc<AtomicUsize>,
    clean: AtomicUsize,
}

impl Pressure {
    pub fn new(max_concurrency: usize, max_bytes: usize) -> Self {
        Pressure {
            max_concurrency: max_concurrency.max(1),
            max_bytes,
            concurrency: AtomicUsize::new(max_concurrency.max(1)),
            bytes: Arc::new(AtomicUsize::new(max_bytes)),
            clean: AtomicUsize::new(0),
        }
    }

    /// Bodies allowed in flight now.
    pub fn concurrency(&self) -> usize {
        self.concurrency.load(Ordering::Relaxed)
    }

    /// The body size allowed now.
    pub fn bytes(&self) -> usize {
        self.bytes.load(Ordering::Relaxed)
    }

    /// The body size, shared with the encoders.
    pub fn bytes_handle(&self) -> Arc<AtomicUsize> {
        self.bytes.clone()
    }

    /// A body met a 429: back off.
    pub fn throttled(&self) {
        self.clean.store(0, Ordering::Relaxed);
        let _ = self
            .concurrency
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |c| {
                Some((c / 2).max(1))
            });
        let floor = MIN_BYTES.min(self.max_bytes);
        let _ = self
            .bytes
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |b| {
                Some((b / 2).max(floor))
            });
        tracing::warn!(
            concurrency = self.concurrency(),
            bytes = self.bytes(),
            "cluster throttling: backing off"
        );
    }

    /// A body went through without a 429.
    pub fn delivered(&self) {
        if self.clean.fetch_add(1, Ordering::Relaxed) + 1 < RECOVER_AFTER {
            return;
        }
        self.clean.store(0, Ordering::Relaxed);
        let max_c = self.max_concurrency;
        let max_b = self.max_bytes;
        let _ = self
            .concurrency
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |c| {
                Some((c + 1).min(max_c))
            });
        let _ = self
            .bytes
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |b| {
                Some((b + b / 4).min(max_b))
            });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn halves_on_throttling_and_recovers_step_by_step() {
        let p = Pressure::new(8, 4 << 20);
        p.throttled();
        assert_eq!((p.concurrency(), p.bytes()), (4, 2 << 20));
        for _ in 0..10 {
            p.throttled();
        }
        assert_eq!((p.concurrency(), p.bytes()), (1, MIN_BYTES), "floors");
        for _ in 0..RECOVER_AFTER - 1 {
            p.delivered();
        }
        assert_eq!(p.concurrency(), 1, "not before RECOVER_AFTER clean bodies");
        p.delivered();
        assert_eq!((p.concurrency(), p.bytes()), (2, MIN_BYTES + MIN_BYTES / 4));
        for _ in 0..1000 {
            p.delivered();
        }
        assert_eq!(
            (p.concurrency(), p.bytes()),
            (8, 4 << 20),
            "back to the maximums"
        );
    }
}
