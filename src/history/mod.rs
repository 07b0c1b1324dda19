//! History: objects that already sit in S3, listed and worked through
//! (`replay s3://…` reads them here, `backfill` queues them for the
//! deployed function), with a selection, a concurrency and a checkpoint.
//!
//! `listing` walks the prefixes into a bounded channel; the driver here
//! takes objects from it in batches (one object for a replay, ten
//! notifications for a backfill), runs `concurrency` batches at once,
//! records each object finished in the checkpoint and shows progress.

pub mod announce;
pub mod checkpoint;
pub mod listing;
pub mod progress;
pub mod select;

use std::future::Future;

use futures_util::stream::{self, StreamExt};
use serde::Serialize;
use tokio::sync::mpsc;

use crate::client::s3::{S3Client, S3Location};
use checkpoint::Checkpoint;
use listing::S3Url;
use progress::Progress;
use select::Selection;

/// Objects listed ahead of the work: enough to keep every batch busy,
/// little enough to stay a few hundred KiB.
const LISTED_AHEAD: usize = 1000;

/// What became of one batch.
pub struct BatchOutcome<T> {
    pub result: T,
    /// Objects done (recorded in the checkpoint) and not done.
    pub finished: Vec<S3Location>,
    pub unfinished: u64,
    /// Events the batch's objects held, when the work reads them.
    pub events: u64,
}

/// What a run did, object by object.
#[derive(Debug, Default, Serialize)]
pub struct Objects {
    /// Selected by the listing.
    pub selected: u64,
    pub selected_bytes: u64,
    /// Skipped: the checkpoint names them as done by an earlier run.
    pub already_done: u64,
    pub finished: u64,
    pub finished_bytes: u64,
    /// Worked on but not finished: the next run with the checkpoint
    /// takes them again.
    pub unfinished: u64,
    pub list_requests: u64,
    /// Listings or checkpoint writes that failed.
    pub errors: Vec<String>,
}

/// What a run works through: every object under `sources` that the
/// selection takes and the checkpoint does not name, `concurrency` batches
/// at a time, with progress shown.
pub struct Plan<'a> {
    pub s3: &'a S3Client,
    pub sources: &'a [S3Url],
    pub selection: &'a Selection,
    pub checkpoint: &'a Checkpoint,
    pub concurrency: usize,
    pub progress: &'a Progress,
}

impl Plan<'_> {
    /// Lists and works: `work` gets the objects `batch` at a time as they
    /// are listed; what each batch finished is recorded in the checkpoint,
    /// and the batches' results are folded with `merge`.
    pub async fn run<T, W, F>(
        &self,
        batch: usize,
        work: W,
        mut merge: impl FnMut(&mut T, T),
    ) -> (T, Objects)
    where
        T: Default,
        W: Fn(Vec<S3Location>) -> F,
        F: Future<Output = BatchOutcome<T>>,
    {
        let Plan {
            s3,
            sources,
            selection,
            checkpoint,
            concurrency,
            progress,
        } = *self;
        let (tx, mut rx) = mpsc::channel::<S3Location>(LISTED_AHEAD);
        let listing = async move {
            let seen = |object: &S3Location| progress.listed(object.size.unwrap_or(0));
            let mut found = Vec::new();
            for url in sources {
                found.push(listing::list(s3, url, selection, checkpoint, &tx, &seen).await);
            }
            // The sender goes here: the work ends once the channel is empty.
            drop(tx);
            found
        };
        let working = stream::poll_fn(|cx| rx.poll_recv(cx))
            .ready_chunks(batch.max(1))
            .map(&work)
            .buffer_unordered(concurrency.max(1))
            .fold(
                (T::default(), Objects::default()),
                |(mut total, mut objects), outcome| {
                    objects.take(&outcome, checkpoint, progress);
                    merge(&mut total, outcome.result);
                    async move { (total, objects) }
                },
            );
        let (found, (total, mut objects)) = tokio::join!(listing, working);
        progress.finish();
        for listed in found {
            objects.selected += listed.objects;
            objects.selected_bytes += listed.bytes;
            objects.already_done += listed.already_done;
            objects.list_requests += listed.requests;
            objects.errors.extend(listed.error);
        }
        (total, objects)
    }
}

impl Objects {
    /// Was every object selected worked through, and listed without error?
    pub fn is_complete(&self) -> bool {
        self.errors.is_empty() && self.unfinished == 0
    }

    /// Counts what a batch did, shows it, and records what it finished.
    fn take<T>(&mut self, outcome: &BatchOutcome<T>, checkpoint: &Checkpoint, progress: &Progress) {
        let bytes: u64 = outcome.finished.iter().map(|o| o.size.unwrap_or(0)).sum();
        let worked = outcome.finished.len() as u64 + outcome.unfinished;
        progress.done(worked, bytes, outcome.events);
        for object in &outcome.finished {
            if let Err(e) = checkpoint.record(object) {
                tracing::error!(error = %e, "checkpoint not written");
                crate::summary::note_example(&mut self.errors, e.to_string());
            }
        }
        self.finished += outcome.finished.len() as u64;
        self.finished_bytes += bytes;
        self.unfinished += outcome.unfinished;
    }
}
