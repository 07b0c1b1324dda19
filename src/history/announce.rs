//! What `backfill --queue URL` does: the objects are not read here but announced to
//! the deployed forwarder's SQS queue, one S3 `ObjectCreated` notification
//! per object, ten per `SendMessageBatch`, exactly as S3 itself would have
//! sent them. The function then reads them with Lambda's concurrency and
//! its partial batch responses; this machine only lists.

use serde::Serialize;
use serde_json::json;

use super::BatchOutcome;
use crate::client::s3::S3Location;
use crate::client::sqs::{SqsClient, MAX_BATCH};

/// What was queued.
#[derive(Debug, Default, Serialize)]
pub struct Queued {
    pub messages: u64,
    pub bytes: u64,
    pub batches: u64,
    pub retries: u64,
    pub failed: u64,
    pub errors: Vec<String>,
}

impl Queued {
    pub fn merge(&mut self, other: Queued) {
        self.messages += other.messages;
        self.bytes += other.bytes;
        self.batches += other.batches;
        self.retries += other.retries;
        self.failed += other.failed;
        for error in other.errors {
            crate::summary::note_example(&mut self.errors, error);
        }
    }
}

/// Queues one batch of objects (at most [`MAX_BATCH`]).
pub async fn queue(
    sqs: &SqsClient,
    region: &str,
    objects: Vec<S3Location>,
) -> BatchOutcome<Queued> {
    let bodies: Vec<String> = objects
        .iter()
        .map(|o| notification(o, region).to_string())
        .collect();
    debug_assert!(bodies.len() <= MAX_BATCH);
    let sent = sqs.send_batch(&bodies).await;
    let mut queued = Queued {
        batches: 1,
        retries: u64::from(sent.retries),
        ..Queued::default()
    };
    let mut finished = Vec::new();
    let mut objects: Vec<Option<S3Location>> = objects.into_iter().map(Some).collect();
    for i in sent.sent {
        if let Some(object) = objects.get_mut(i).and_then(Option::take) {
            queued.messages += 1;
            queued.bytes += object.size.unwrap_or(0);
            finished.push(object);
        }
    }
    for (i, why) in sent.failed {
        if let Some(object) = objects.get_mut(i).and_then(Option::take) {
            queued.failed += 1;
            let error = format!("s3://{}/{}: not queued: {why}", object.bucket, object.key);
            tracing::error!(%error, "backfill");
            crate::summary::note_example(&mut queued.errors, error);
        }
    }
    BatchOutcome {
        unfinished: queued.failed,
        result: queued,
        finished,
        events: 0,
    }
}

/// The S3 event notification S3 sends when `object` is written (event
/// message structure version 2.1), as the forwarder's SQS path reads it.
/// The key is URL-encoded as S3 encodes it; the event time is the object's
/// `LastModified`, the time a record without its own is filed under.
pub fn notification(object: &S3Location, default_region: &str) -> serde_json::Value {
    let region = object.region.as_deref().unwrap_or(default_region);
    let time =
        crate::time::rfc3339_millis(object.event_time_ms.unwrap_or_else(crate::time::now_millis));
    let mut s3_object = json!({
        "key": crate::percent::encode(&object.key, b"/"),
        "size": object.size.unwrap_or(0),
        "sequencer": format!("{:016X}", object.event_time_ms.unwrap_or(0)),
    });
    if let Some(etag) = &object.etag {
        s3_object["eTag"] = etag.as_str().into();
    }
    json!({"Records": [{
        "eventVersion": "2.1",
        "eventSource": "aws:s3",
        "awsRegion": region,
        "eventTime": time,
        "eventName": "ObjectCreated:Put",
        "userIdentity": {"principalId": "logs-forwarder-backfill"},
        "requestParameters": {"sourceIPAddress": "127.0.0.1"},
        "responseElements": {},
        "s3": {
            "s3SchemaVersion": "1.0",
            "configurationId": "logs-forwarder-backfill",
            "bucket": {"name": object.bucket, "arn": format!("arn:aws:s3:::{}", object.bucket)},
            "object": s3_object,
        },
    }]})
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::s3::{notification as read, Notification};

    #[test]
    fn the_forwarder_reads_what_backfill_queues() {
        let object = S3Location {
            bucket: "logs-1".into(),
            key: "AWSLogs/1/a b+c%é/x.log.gz".into(),
            version_id: None,
            etag: Some("0123abc".into()),
            size: Some(1234),
            region: Some("eu-west-1".into()),
            event_time_ms: Some(1_763_800_000_000),
        };
        let message = notification(&object, "us-east-1");
        assert_eq!(
            message["Records"][0]["eventTime"],
            "2025-11-22T08:26:40.000Z"
        );
        let Ok(Notification::Objects(objects)) = read(message) else {
            panic!("an object-created notification");
        };
        assert_eq!(objects, vec![object]);
    }
}
