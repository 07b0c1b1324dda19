//! Delivering one bulk body: send, read each item's fate, re-send only what
//! is worth re-sending, with exponential backoff and full jitter, until the
//! deadline. A document the cluster rejects for its mapping is repaired
//! once (see [`repair`]). Nothing is dropped quietly: what cannot be
//! delivered comes back as [`Undelivered`] with its reason.

use std::sync::Arc;
use std::time::{Duration, Instant};

use http::{Method, StatusCode};

pub mod pressure;
pub mod repair;

use crate::bulk::{response, Action, BulkBody, ItemOutcome};
use crate::client::Cluster;
use crate::summary::Summary;

/// What the bulk request asks the cluster to send back:
/// `filter_path=errors,items.*.status,items.*.error`, percent-encoded as
/// SigV4's canonical query string has it, so that every signer (and the
/// service, which canonicalises before checking) computes the same signature.
pub const BULK_PATH: &str = "/_bulk?filter_path=errors%2Citems.%2A.status%2Citems.%2A.error";

/// A document that could not be delivered, and why.
#[derive(Debug, Clone)]
pub struct Undelivered {
    /// The action and document lines, ready to be sent again. For a
    /// repaired document that was rejected too, the original.
    pub item: Vec<u8>,
    pub reason: String,
    /// The cluster's error type (`mapper_parsing_exception`, ...), for a
    /// rejection.
    pub error_type: String,
    /// A permanent rejection (as opposed to running out of time): it goes
    /// to the dead-letter destination rather than failing the invocation.
    pub rejected: bool,
}

#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    pub action: Action,
    pub deadline: Instant,
    pub base: Duration,
    pub cap: Duration,
}

impl RetryPolicy {
    /// Full jitter: a random wait between zero and the exponential bound,
    /// so that many throttled senders do not come back in step.
    fn backoff(&self, attempt: u32, retry_after: Option<Duration>) -> Duration {
        let bound = crate::client::backoff_bound(self.base, self.cap, attempt);
        let jittered = bound.mul_f64(fastrand::f64());
        retry_after.map_or(jittered, |ra| ra.max(jittered))
    }
}

#[derive(Debug, Default)]
pub struct Report {
    pub summary: Summary,
    pub undelivered: Vec<Undelivered>,
}

/// The original items of a body of repaired documents, item for item.
type Originals = Option<Arc<Vec<Vec<u8>>>>;

/// Delivers `body`, re-sending failed items alone, until everything has an
/// answer or the deadline leaves no room for another attempt.
pub async fn deliver(
    cluster: Arc<Cluster>,
    body: BulkBody,
    policy: RetryPolicy,
    pressure: Arc<pressure::Pressure>,
) -> Report {
    let mut report = Report::default();
    // Bodies still to send, each with its attempt count and, for repaired
    // documents, the originals (a repair that is rejected too dead-letters
    // the original, not the repair).
    let mut queue: Vec<(BulkBody, u32, Originals)> = vec![(body, 0u32, None)];
    while let Some((body, attempt, originals)) = queue.pop() {
        if body.is_empty() {
            continue;
        }
        report.summary.requests += 1;
        report.summary.bytes_sent += body.bytes.len() as u64;
        let started = Instant::now();
        let sent = cluster
            .send(
                Method::POST,
                BULK_PATH,
                Some((body.bytes.clone(), "application/x-ndjson")),
            )
            .await;
        let ms = started.elapsed().as_millis().min(u128::from(u32::MAX)) as u32;
        report.summary.bulk_latency_ms.push(ms);
        tracing::debug!(
            items = body.len(),
            bytes = body.bytes.len(),
            ms,
            "bulk request"
        );
        // Back-pressure hears of every answer at once, not when the body
        // is finally done: new bodies are held back while this one retries.
        let throttled_before = report.summary.throttled;
        let answered_ok = matches!(&sent, Ok(resp) if resp.status.is_success());
        if matches!(&sent, Ok(resp) if resp.status == StatusCode::TOO_MANY_REQUESTS) {
            report.summary.throttled += 1;
        }
        let (retry, reason, retry_after, originals) = match sent {
            Ok(resp) if resp.status.is_success() => {
                match response::parse(&resp.body, body.len(), policy.action) {
                    Ok(outcomes) => {
                        let next = sort_outcomes(&mut report, &body, outcomes, &originals);
                        if !next.repairs.is_empty() {
                            let fixed =
                                BulkBody::from_items(next.repairs.iter().map(Vec::as_slice));
                            queue.push((fixed, 0, Some(Arc::new(next.repaired_from))));
                        }
                        let originals_again = originals.as_ref().map(|o| {
                            Arc::new(
                                next.again
                                    .iter()
                                    .filter_map(|&i| o.get(i).cloned())
                                    .collect(),
                            )
                        });
                        (
                            body.subset(next.again),
                            next.last_reason,
                            None,
                            originals_again,
                        )
                    }
                    Err(e) => (body, e.to_string(), None, originals),
                }
            }
            Ok(resp) if resp.status == StatusCode::PAYLOAD_TOO_LARGE && body.len() > 1 => {
                let (a, b) = body.halves();
                let mid = body.len() / 2;
                let split = |range: std::ops::Range<usize>| {
                    originals
                        .as_ref()
                        .map(|o| Arc::new(o.get(range).map(<[_]>::to_vec).unwrap_or_default()))
                };
                queue.push((b, attempt, split(mid..body.len())));
                queue.push((a, attempt, split(0..mid)));
                continue;
            }
            Ok(resp) if is_retryable_status(resp.status) => {
                let reason = format!("HTTP {}: {}", resp.status.as_u16(), excerpt(&resp.body));
                (body, reason, resp.retry_after(), originals)
            }
            Ok(resp) if resp.status == StatusCode::PAYLOAD_TOO_LARGE => {
                // One document larger than the cluster takes: no retry or
                // split can deliver it, the dead-letter destination keeps it.
                let reason = format!("HTTP 413 for this document alone: {}", excerpt(&resp.body));
                report.summary.note_error(&reason);
                let item = match &originals {
                    Some(o) => o.first().cloned().unwrap_or_default(),
                    None => body.item(0).to_vec(),
                };
                report.undelivered.push(Undelivered {
                    item,
                    reason,
                    error_type: "request_entity_too_large".into(),
                    rejected: true,
                });
                continue;
            }
            Ok(resp) => {
                // 400 for the whole request, 401/403 (credentials, access
                // policy), 404 (wrong endpoint): re-sending will not help now,
                // but Lambda redelivering the batch later might.
                let reason = format!("HTTP {}: {}", resp.status.as_u16(), excerpt(&resp.body));
                report.summary.refused += 1;
                fail_all(&mut report, &body, &reason);
                continue;
            }
            Err(e) if e.is_retryable() => (body, e.to_string(), None, originals),
            Err(e) => {
                fail_all(&mut report, &body, &e.to_string());
                continue;
            }
        };
        if report.summary.throttled > throttled_before {
            pressure.throttled();
        } else if answered_ok {
            pressure.delivered();
        }
        if retry.is_empty() {
            continue;
        }
        let wait = policy.backoff(attempt, retry_after);
        if Instant::now() + wait >= policy.deadline {
            let reason = format!(
                "out of time after {} attempts; last error: {reason}",
                attempt + 1
            );
            fail_all(&mut report, &retry, &reason);
            continue;
        }
        tracing::warn!(items = retry.len(), attempt, wait_ms = wait.as_millis() as u64, %reason, "retrying");
        report.summary.retried += retry.len() as u64;
        tokio::time::sleep(wait).await;
        queue.push((retry, attempt + 1, originals));
    }
    report
}

/// What the item answers to one bulk request leave to do.
struct NextSteps {
    /// Items to send again (throttled, rejected execution, 5xx).
    again: Vec<usize>,
    last_reason: String,
    /// Rejected items rewritten to fit, and the items they replace.
    repairs: Vec<Vec<u8>>,
    repaired_from: Vec<Vec<u8>>,
}

/// Counts each item's answer into `report` and sorts out what comes next.
/// `originals` is set when `body` holds repairs: a repair rejected again
/// is not repaired twice, and the original is what becomes undelivered.
fn sort_outcomes(
    report: &mut Report,
    body: &BulkBody,
    outcomes: Vec<ItemOutcome>,
    originals: &Originals,
) -> NextSteps {
    let mut next = NextSteps {
        again: Vec::new(),
        last_reason: String::new(),
        repairs: Vec::new(),
        repaired_from: Vec::new(),
    };
    for (i, outcome) in outcomes.into_iter().enumerate() {
        match outcome {
            ItemOutcome::Indexed => {
                report.summary.indexed += 1;
                if originals.is_some() {
                    report.summary.repaired += 1;
                }
            }
            ItemOutcome::Duplicate => report.summary.duplicates += 1,
            ItemOutcome::Retry { status, reason } => {
                if status == 429 {
                    report.summary.throttled += 1;
                }
                next.again.push(i);
                next.last_reason = reason;
            }
            ItemOutcome::Rejected {
                reason, error_type, ..
            } => {
                let repair = match originals {
                    None if repair::is_repairable(&error_type) => {
                        repair::repair(body.item(i), &error_type, &reason)
                    }
                    _ => None,
                };
                if let Some(fixed) = repair {
                    tracing::warn!(%reason, "document rejected; re-sending it repaired");
                    next.repairs.push(fixed);
                    next.repaired_from.push(body.item(i).to_vec());
                    continue;
                }
                report.summary.note_error(reason.clone());
                let item = match originals {
                    Some(o) => o.get(i).cloned().unwrap_or_default(),
                    None => body.item(i).to_vec(),
                };
                report.undelivered.push(Undelivered {
                    item,
                    reason,
                    error_type,
                    rejected: true,
                });
            }
        }
    }
    next
}

fn fail_all(report: &mut Report, body: &BulkBody, reason: &str) {
    report.summary.note_error(reason);
    for i in 0..body.len() {
        report.undelivered.push(Undelivered {
            item: body.item(i).to_vec(),
            reason: reason.to_owned(),
            error_type: String::new(),
            rejected: false,
        });
    }
}

/// Throttling and temporary unavailability.
pub fn is_retryable_status(status: StatusCode) -> bool {
    matches!(status.as_u16(), 429 | 500 | 502 | 503 | 504)
}

pub use crate::client::excerpt;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_is_bounded_and_honours_retry_after() {
        let policy = RetryPolicy {
            action: Action::Create,
            deadline: Instant::now(),
            base: Duration::from_millis(100),
            cap: Duration::from_secs(2),
        };
        for attempt in 0..40 {
            let wait = policy.backoff(attempt, None);
            assert!(wait <= Duration::from_secs(2));
            assert!(wait <= Duration::from_millis(100) * 2u32.pow(attempt.min(16)));
        }
        assert!(policy.backoff(0, Some(Duration::from_secs(3))) >= Duration::from_secs(3));
    }
}
