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
use listing::{Listed, S3Url};
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

/// Works through every object of `sources` the selection takes and the
/// checkpoint does not name: `work` gets them `batch` at a time, with up
/// to `concurrency` batches at once; the results are folded with `merge`.
#[allow(clippy::too_many_arguments)]
pub async fn run<T, W, F>(
    s3: &S3Client,
    sources: &[S3Url],
    selection: &Selection,
    checkpoint: &Checkpoint,
    concurrency: usize,
    batch: usize,
    progress: &Progress,
    work: W,
    mut merge: impl FnMut(&mut T, T),
) -> (T, Objects)
where
    T: Default,
    W: Fn(Vec<S3Location>) -> F,
    F: Future<Output = BatchOutcome<T>>,
{
    let (tx, mut rx) = mpsc::channel::<S3Location>(LISTED_AHEAD);
    let listing = async move {
        let mut found = Vec::new();
        let seen = |object: &S3Location| progress.listed(object.size.unwrap_or(0));
        for url in sources {
            let listed = listing::list(s3, url, selection, checkpoint, &tx, &seen).await;
            found.push(listed.map_err(|e| format!("listing {url}: {e}")));
        }
        // The sender goes here: the work ends once the channel is empty.
        drop(tx);
        found
    };
    let objects = stream::poll_fn(|cx| rx.poll_recv(cx)).ready_chunks(batch.max(1));
    let working = objects
        .map(&work)
        .buffer_unordered(concurrency.max(1))
        .fold(
            (T::default(), Objects::default()),
            |(mut total, mut objects), outcome| {
                let bytes: u64 = outcome.finished.iter().map(|o| o.size.unwrap_or(0)).sum();
                progress.done(
                    outcome.finished.len() as u64 + outcome.unfinished,
                    bytes,
                    outcome.events,
                );
                for object in &outcome.finished {
                    if let Err(e) = checkpoint.record(object) {
                        tracing::error!(error = %e, "checkpoint not written");
                        if objects.errors.len() < 10 {
                            objects.errors.push(e.to_string());
                        }
                    }
                }
                objects.finished += outcome.finished.len() as u64;
                objects.finished_bytes += bytes;
                objects.unfinished += outcome.unfinished;
                merge(&mut total, outcome.result);
                async move { (total, objects) }
            },
        );
    let (found, (total, mut objects)) = tokio::join!(listing, working);
    progress.finish();
    for listed in found {
        match listed {
            Ok(Listed {
                objects: selected,
                bytes,
                already_done,
                requests,
            }) => {
                objects.selected += selected;
                objects.selected_bytes += bytes;
                objects.already_done += already_done;
                objects.list_requests += requests;
            }
            Err(e) => objects.errors.push(e),
        }
    }
    (total, objects)
}

impl Objects {
    /// Was every object selected worked through, and listed without error?
    pub fn is_complete(&self) -> bool {
        self.errors.is_empty() && self.unfinished == 0
    }
}
