//! What happened to every event of an invocation, counted in documents.
//!
//! Invariant, checked by the tests: every event that decoded is exactly one
//! of `indexed`, `duplicates`, `filtered`, `failed`, `dead_lettered` (when
//! sending) or `encoded` (dry run). `retried` counts re-sends, not documents.

use serde::Serialize;

/// How many distinct error messages a summary keeps as examples.
const MAX_ERRORS: usize = 10;

/// Keeps `error` among `errors`, the examples a summary shows: at most
/// [`MAX_ERRORS`] distinct ones, first seen first.
pub fn note_example(errors: &mut Vec<String>, error: String) {
    if errors.len() < MAX_ERRORS && !errors.contains(&error) {
        errors.push(error);
    }
}

#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// Log events decoded from the input (control messages excluded).
    pub events: u64,
    pub indexed: u64,
    /// Already in the cluster (a `create` answered 409): delivered earlier.
    pub duplicates: u64,
    /// Document re-sends after throttling or errors.
    pub retried: u64,
    /// Documents the cluster rejected for their mapping, indexed repaired
    /// (as text with `@error`); also counted in `indexed`.
    pub repaired: u64,
    /// Not delivered: the invocation reports failure so it is redelivered.
    pub failed: u64,
    pub dead_lettered: u64,
    /// Documents written to the output instead of a cluster (dry run).
    pub encoded: u64,
    /// Events that did not fit their format, indexed as text with `@error`.
    pub malformed: u64,
    /// JSON records without an own time that could be read, filed under
    /// the time they were received (`@timestamp_from: received`).
    pub own_time_missing: u64,
    /// Events a route's `drop_if` / `keep_if` left out (counted in `events`).
    pub filtered: u64,
    /// Control messages and notifications with nothing to index, and events
    /// of the forwarder's own log group (not counted in `events`).
    pub skipped: u64,
    /// Inputs that could not be decoded at all (corrupt base64, gzip, JSON).
    pub undecodable: u64,
    /// Of those, the ones written to the dead-letter destination as they
    /// came, with the reason: kept, so not retried.
    pub undecodable_kept: u64,
    /// Inputs (batch items, objects) left unfinished at the Lambda deadline:
    /// reported as failed so that they are delivered again.
    pub deferred: u64,
    pub requests: u64,
    pub bytes_sent: u64,
    /// 429 answers: whole requests and single items.
    pub throttled: u64,
    /// Requests refused whole for a reason re-sending cannot mend now (400,
    /// 401, 403, 404: configuration, credentials, access policy): their
    /// documents count as failed, the invocation fails, and the event
    /// source's on-failure destination keeps it.
    pub refused: u64,
    /// How long each bulk request took (milliseconds), for the metrics.
    #[serde(skip)]
    pub bulk_latency_ms: Vec<u32>,
    /// Examples of what went wrong, first seen first.
    pub errors: Vec<String>,
}

impl Summary {
    /// One input that could not be decoded at all, and why.
    pub fn undecodable(reason: impl Into<String>) -> Summary {
        let mut summary = Summary {
            undecodable: 1,
            ..Summary::default()
        };
        summary.note_error(reason);
        summary
    }

    pub fn note_error(&mut self, error: impl Into<String>) {
        note_example(&mut self.errors, error.into());
    }

    pub fn merge(&mut self, other: Summary) {
        self.events += other.events;
        self.indexed += other.indexed;
        self.duplicates += other.duplicates;
        self.retried += other.retried;
        self.repaired += other.repaired;
        self.failed += other.failed;
        self.dead_lettered += other.dead_lettered;
        self.encoded += other.encoded;
        self.malformed += other.malformed;
        self.own_time_missing += other.own_time_missing;
        self.filtered += other.filtered;
        self.skipped += other.skipped;
        self.undecodable += other.undecodable;
        self.undecodable_kept += other.undecodable_kept;
        self.deferred += other.deferred;
        self.requests += other.requests;
        self.bytes_sent += other.bytes_sent;
        self.throttled += other.throttled;
        self.refused += other.refused;
        self.bulk_latency_ms.extend(other.bulk_latency_ms);
        for e in other.errors {
            self.note_error(e);
        }
    }

    /// Did everything that arrived get delivered (or written, in a dry run)?
    pub fn is_complete(&self) -> bool {
        self.failed == 0 && self.undecodable <= self.undecodable_kept && self.deferred == 0
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|e| format!("{{\"error\":\"summary: {e}\"}}"))
    }
}
