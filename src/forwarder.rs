//! The pipeline, once per invocation: units of input → decoded payloads →
//! documents (formats, routing) → bounded bulk bodies → delivery, with bodies
//! sent while the rest is still being encoded and at most
//! `BULK_CONCURRENCY` in flight.
//!
//! The Lambda handler and `logs-forwarder replay` both call
//! [`Forwarder::forward`]; only where bodies go differs ([`Sink`]).

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::stream::{self, StreamExt};
use http::Method;
use tokio::sync::{OnceCell, OwnedSemaphorePermit, Semaphore};
use tokio::task::JoinSet;

use crate::bodies::{ObjectBodies, PayloadBodies};
use crate::bulk::BulkBody;
use crate::client::s3::S3Client;
use crate::client::{self, Cluster};
use crate::config::{AuthMode, Settings, TypeMode};
use crate::delivery::pressure::Pressure;
use crate::delivery::{self, RetryPolicy};
use crate::input::cloudwatch::{PayloadError, PayloadParser};
use crate::input::s3::S3Location;
use crate::input::{ObjectInput, Payload, Unit, Work};
use crate::lifecycle::LifecycleApi;
use crate::summary::Summary;
use crate::templates::{self, ClusterVersion};

/// Where encoded bodies go.
pub enum Sink {
    /// Sent to the cluster.
    Cluster(Arc<Cluster>),
    /// Written as NDJSON (dry run), e.g. to stdout.
    Write(Mutex<Box<dyn Write + Send>>),
}

/// The result of one invocation.
#[derive(Debug, Default)]
pub struct Outcome {
    pub summary: Summary,
    /// Ids of the units (SQS messages, Kinesis records) not fully delivered.
    pub failed_items: Vec<String>,
    /// Some unit without its own id was not fully delivered: the whole
    /// event must be retried.
    pub failed_whole: bool,
}

impl Outcome {
    pub fn is_complete(&self) -> bool {
        !self.failed_whole && self.failed_items.is_empty()
    }

    /// Takes in what became of one unit (`item_id` names it, if it is
    /// acknowledged on its own).
    fn add(&mut self, item_id: Option<String>, summary: Summary) {
        if !summary.is_complete() {
            match item_id {
                Some(id) => self.failed_items.push(id),
                None => self.failed_whole = true,
            }
        }
        self.summary.merge(summary);
    }
}

/// What a unit that could not be sent at all (`reason`) counts: its events
/// as received and failed where they can be told without reading further
/// (a payload's, a dead-letter file's), its objects as deferred.
fn unsent(work: Work, reason: &str) -> Summary {
    let mut summary = Summary::default();
    match work {
        Work::Logs(payload) => {
            let Ok(mut bytes) = payload.decode() else {
                summary.undecodable += 1;
                summary.note_error(reason);
                return summary;
            };
            let mut parser = PayloadParser::default();
            let parsed = match parser.parse(&mut bytes) {
                Err(PayloadError::InvalidUtf8(_)) => {
                    parser.replace_invalid_utf8(&mut bytes).parse(&mut bytes)
                }
                parsed => parsed,
            };
            match parsed {
                Ok(payload) if payload.is_control() => summary.skipped += 1,
                Ok(payload) => summary.events += payload.log_events.len() as u64,
                Err(_) => summary.undecodable += 1,
            }
        }
        Work::DeadLetters(records) => {
            summary.events += records
                .split(|&b| b == b'\n')
                .filter(|l| !l.trim_ascii().is_empty())
                .count() as u64;
        }
        Work::Object(_) => summary.deferred += 1,
        Work::S3(objects) => summary.deferred += objects.len() as u64,
        Work::Undecodable(_) => summary.undecodable += 1,
        Work::Skip(_) => summary.skipped += 1,
    }
    summary.failed = summary.events;
    summary.note_error(reason);
    summary
}

pub struct Forwarder {
    settings: Arc<Settings>,
    sink: Sink,
    /// Reads S3 objects; `None` without AWS credentials and region.
    s3: Option<Arc<S3Client>>,
    /// How hard to push the cluster, adapted to its 429s.
    pressure: Arc<Pressure>,
    /// One per body that may exist at once (`BULK_CONCURRENCY`), across
    /// every unit and object of an invocation: the memory bound.
    body_permits: Arc<Semaphore>,
    /// One payload inflated at a time (see [`Forwarder::forward_logs`]).
    inflating: Semaphore,
    /// The cluster's version, asked once per cold start.
    version: OnceCell<ClusterVersion>,
    /// Set once the index templates are in place (retried until they are).
    templates: OnceCell<()>,
}

#[derive(Debug, thiserror::Error)]
pub enum ForwardError {
    #[error("cannot determine the cluster version for ES_TYPE=auto: {0}")]
    Version(String),
}

impl Forwarder {
    /// A forwarder that sends to `ES_ENDPOINT`, or writes to `out` without one.
    /// One HTTP client (and connection pool) serves the cluster and S3.
    pub fn from_settings(settings: Settings, out: impl FnOnce() -> Box<dyn Write + Send>) -> Self {
        let http = client::http_client(settings.bulk_concurrency.max(2), &settings.roots);
        let sink = match &settings.endpoint {
            Some(endpoint) => Sink::Cluster(Arc::new(Cluster::with_client(
                http.clone(),
                endpoint.clone(),
                &settings.cluster_config(),
            ))),
            None => Sink::Write(Mutex::new(out())),
        };
        let s3 = settings.aws.clone().map(|aws| {
            Arc::new(S3Client::new(
                http,
                aws,
                settings.s3_endpoint.clone(),
                settings.request_timeout,
            ))
        });
        Forwarder {
            body_permits: Arc::new(Semaphore::new(settings.bulk_concurrency.max(1))),
            inflating: Semaphore::new(1),
            pressure: Arc::new(Pressure::new(
                settings.bulk_concurrency,
                settings.bulk_max_bytes,
            )),
            settings: Arc::new(settings),
            sink,
            s3,
            version: OnceCell::new(),
            templates: OnceCell::new(),
        }
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The S3 client objects are read with (and listed with, by replay).
    pub fn s3(&self) -> Option<&S3Client> {
        self.s3.as_deref()
    }

    /// Forwards every unit, each on its own: one that fails does not stop
    /// the others.
    pub async fn forward(&self, units: Vec<Unit>, deadline: Instant) -> Outcome {
        let mut outcome = Outcome::default();
        let doc_type = match self.doc_type(deadline).await {
            Ok(t) => t,
            Err(e) => {
                // The cluster cannot be reached: nothing is sent, and what
                // arrived is counted as failed, so the outage shows.
                tracing::error!(error = %e, "cannot forward");
                let reason = e.to_string();
                for unit in units {
                    outcome.add(unit.item_id, unsent(unit.work, &reason));
                }
                return outcome;
            }
        };
        if let Err(e) = self.ensure_templates(deadline).await {
            // Documents still go out (dynamic mappings); the next
            // invocation tries again.
            tracing::error!(error = %e, "index templates not installed");
            outcome.summary.note_error(e);
        }
        // Units go concurrently (an SQS batch names up to ten objects: an
        // invocation must not wait on S3 latency one object at a time),
        // their results in order. Memory stays bounded by the body permits:
        // however many units run, at most `BULK_CONCURRENCY` bodies exist.
        let results: Vec<(Option<String>, Summary)> = stream::iter(units)
            .map(|unit| async {
                let item = unit.item_id.as_deref();
                let summary = self
                    .forward_unit(unit.work, item, &doc_type, deadline)
                    .await;
                (unit.item_id, summary)
            })
            .buffered(self.settings.object_concurrency)
            .collect()
            .await;
        for (item_id, summary) in results {
            outcome.add(item_id, summary);
        }
        outcome
    }

    /// One unit of work (`item` names it in logs), unless it is too late
    /// to start it.
    async fn forward_unit(
        &self,
        work: Work,
        item: Option<&str>,
        doc_type: &Option<String>,
        deadline: Instant,
    ) -> Summary {
        if Instant::now() >= self.stop_at(deadline) {
            // Too late to start: the event source delivers it again.
            let mut summary = Summary {
                deferred: 1,
                ..Summary::default()
            };
            summary.note_error("not started before the deadline");
            return summary;
        }
        match work {
            Work::Logs(payload) => self.forward_logs(payload, doc_type.clone(), deadline).await,
            Work::Object(object) => {
                self.forward_object(object, doc_type.clone(), deadline)
                    .await
            }
            Work::S3(objects) => self.forward_s3(objects, doc_type, deadline).await,
            Work::DeadLetters(records) => {
                let (bodies, mut summary) =
                    crate::bodies::dead_letter_bodies(&self.settings, doc_type.clone(), &records);
                let mut dispatch = Dispatch::new(self, deadline);
                for body in bodies {
                    dispatch.submit(body, None).await;
                }
                summary.merge(dispatch.finish().await);
                summary
            }
            Work::Undecodable(reason) => {
                tracing::error!(item, %reason, "undecodable input");
                Summary::undecodable(reason)
            }
            Work::Skip(reason) => {
                tracing::info!(item, reason, "skipped");
                Summary {
                    skipped: 1,
                    ..Summary::default()
                }
            }
        }
    }

    /// One CloudWatch Logs payload. Payloads are inflated one at a time
    /// (however many units run at once) and dropped once their last body
    /// is filled: a batch's memory is one payload plus the bodies.
    async fn forward_logs(
        &self,
        payload: Payload,
        doc_type: Option<String>,
        deadline: Instant,
    ) -> Summary {
        // A closed semaphore never happens: it lives in the forwarder.
        let inflating = self.inflating.acquire().await.ok();
        let mut decoded = match payload.decode() {
            Ok(decoded) => decoded,
            Err(reason) => return self.undecodable(reason, payload.raw()).await,
        };
        let decoded = &mut decoded;
        let mut parser = PayloadParser::default();
        let parsed = match parser.parse(decoded) {
            Err(PayloadError::InvalidUtf8(_)) => {
                parser.replace_invalid_utf8(decoded).parse(decoded)
            }
            parsed => parsed,
        };
        let parsed = match parsed {
            Ok(p) => p,
            Err(e) => return self.undecodable(e.to_string(), payload.raw()).await,
        };
        let own =
            crate::bodies::own_log_group_events(self.settings.own_log_group.as_deref(), &parsed);
        if own > 0 {
            return Summary {
                skipped: own,
                ..Summary::default()
            };
        }
        let mut dispatch = Dispatch::new(self, deadline);
        let mut bodies = PayloadBodies::new(&self.settings, doc_type, &parsed)
            .limit_bytes(self.pressure.bytes_handle());
        while let Some(body) = bodies.next_body() {
            dispatch.submit(body, None).await;
        }
        let mut summary = bodies.into_summary();
        drop(inflating);
        summary.merge(dispatch.finish().await);
        summary
    }

    /// Input that cannot be decoded (`reason`): written as it came to the
    /// dead-letter destination, when there is one, so that it is kept and
    /// not retried in vain; else it fails its unit.
    async fn undecodable(&self, reason: String, raw: &[u8]) -> Summary {
        tracing::error!(%reason, "undecodable input");
        let mut summary = Summary::undecodable(reason.clone());
        if let Some(destination) = &self.settings.dead_letters {
            match crate::dead_letter::write_raw(destination, self.s3.as_deref(), &reason, raw).await
            {
                Ok(location) => {
                    tracing::warn!(%location, "undecodable input dead-lettered");
                    summary.undecodable_kept += 1;
                }
                Err(e) => {
                    tracing::error!(error = %e, "undecodable input not dead-lettered");
                    summary.note_error(e);
                }
            }
        }
        summary
    }

    /// Objects named by an S3 notification, one after the other.
    async fn forward_s3(
        &self,
        objects: Vec<S3Location>,
        doc_type: &Option<String>,
        deadline: Instant,
    ) -> Summary {
        let mut summary = Summary::default();
        let Some(s3) = &self.s3 else {
            summary.undecodable += objects.len() as u64;
            summary.note_error("reading S3 objects needs AWS_REGION and AWS credentials");
            return summary;
        };
        let stop_at = self.stop_at(deadline);
        for object in objects {
            if Instant::now() >= stop_at {
                summary.deferred += 1;
                summary.note_error(format!(
                    "s3://{}/{}: not started before the deadline",
                    object.bucket, object.key
                ));
                continue;
            }
            if let Some(allowed) = &self.settings.s3_buckets {
                if !allowed.contains(&object.bucket) {
                    tracing::error!(bucket = %object.bucket, key = %object.key, "bucket not in S3_BUCKETS");
                    summary.undecodable += 1;
                    summary.note_error(format!(
                        "s3://{}/{}: bucket not in S3_BUCKETS, not read",
                        object.bucket, object.key
                    ));
                    continue;
                }
            }
            match s3.get_object(&object).await {
                Ok(fetched) => {
                    tracing::info!(bucket = %object.bucket, key = %object.key, size = object.size, "reading object");
                    // As a notification names it (its version, else its
                    // ETag), so that a replay from a listing, which names
                    // no version, derives the same ids.
                    let version = object
                        .version_id
                        .clone()
                        .or_else(|| fetched.version_id.clone())
                        .or_else(|| object.etag.clone())
                        .or_else(|| fetched.etag.clone())
                        .unwrap_or_default();
                    let input = ObjectInput {
                        bucket: object.bucket.clone(),
                        key: object.key.clone(),
                        version,
                        timestamp_ms: object.event_time_ms.unwrap_or_else(crate::time::now_millis),
                        body: Box::new(fetched.body),
                    };
                    summary.merge(self.forward_object(input, doc_type.clone(), deadline).await);
                }
                Err(e) => {
                    tracing::error!(error = %e, "cannot read object");
                    summary.undecodable += 1;
                    summary.note_error(e.to_string());
                }
            }
        }
        summary
    }

    /// One log object, read and encoded on a blocking thread (its reader
    /// may block on the network or disk) while bodies are sent from here.
    /// The reader takes a body permit before it fills each body and the
    /// permit goes with the body until it is delivered, so that however many
    /// objects are read at once, at most `BULK_CONCURRENCY` bodies exist.
    async fn forward_object(
        &self,
        object: ObjectInput,
        doc_type: Option<String>,
        deadline: Instant,
    ) -> Summary {
        let settings = self.settings.clone();
        let bytes_limit = self.pressure.bytes_handle();
        let permits = self.body_permits.clone();
        let runtime = tokio::runtime::Handle::current();
        let (tx, mut rx) = tokio::sync::mpsc::channel::<(BulkBody, OwnedSemaphorePermit)>(1);
        let stop_at = self.stop_at(deadline);
        let source = crate::bodies::origin_name(&object.bucket, &object.key);
        let (source_inside, doc_type_inside) = (source.clone(), doc_type.clone());
        let reader = tokio::task::spawn_blocking(move || {
            let source = source_inside;
            let mut bodies = match ObjectBodies::new(&settings, doc_type_inside, object) {
                Ok(bodies) => bodies.stop_at(stop_at).limit_bytes(bytes_limit),
                Err(e) => {
                    return (
                        Summary::undecodable(format!("{source}: {e}")),
                        Vec::new(),
                        None,
                    );
                }
            };
            if let Some(record) = bodies.take_failure_record() {
                let (summary, _) = bodies.into_parts();
                return (summary, Vec::new(), Some(record));
            }
            loop {
                // A closed semaphore never happens: it lives in the forwarder.
                let Ok(permit) = runtime.block_on(permits.clone().acquire_owned()) else {
                    break;
                };
                let Some(body) = bodies.next_body() else {
                    break;
                };
                if tx.blocking_send((body, permit)).is_err() {
                    break;
                }
            }
            let (summary, oversize) = bodies.into_parts();
            (summary, oversize, None)
        });
        let mut dispatch = Dispatch::new(self, deadline);
        while let Some((body, permit)) = rx.recv().await {
            dispatch.submit(body, Some(permit)).await;
        }
        let (mut summary, oversize, failure_record) = match reader.await {
            Ok(parts) => parts,
            Err(e) => (
                Summary::undecodable(format!("reading the object failed: {e}")),
                Vec::new(),
                None,
            ),
        };
        summary.merge(dispatch.finish().await);
        match failure_record {
            None => {}
            Some(Ok(record)) => {
                let inside = self.forward_failure_record(record, doc_type, deadline);
                summary.merge(Box::pin(inside).await);
            }
            Some(Err(e)) => {
                summary.merge(Summary::undecodable(format!(
                    "{source}: failure record: {e}"
                )));
            }
        }
        for record in oversize {
            self.keep_oversize(&record, &mut summary).await;
        }
        summary
    }

    /// The event inside Lambda's failure record, sent again unit by unit.
    async fn forward_failure_record(
        &self,
        record: Vec<u8>,
        doc_type: Option<String>,
        deadline: Instant,
    ) -> Summary {
        let units = match crate::input::from_file_bytes(record) {
            Ok(units) => units,
            Err(e) => return Summary::undecodable(format!("failure record: {e}")),
        };
        let mut summary = Summary::default();
        for unit in units {
            let item = unit.item_id.as_deref();
            summary.merge(
                self.forward_unit(unit.work, item, &doc_type, deadline)
                    .await,
            );
        }
        summary
    }

    /// The whole of a record too large to index (its truncated copy was
    /// indexed with `@error`), to the dead-letter destination. If it cannot
    /// be written there, the object fails, so that it is read again.
    async fn keep_oversize(&self, record: &crate::dead_letter::Oversize, summary: &mut Summary) {
        let Some(destination) = &self.settings.dead_letters else {
            tracing::warn!(source = %record.source, position = record.position, bytes = record.whole.len(),
                "oversized record indexed truncated; set DLQ_URI to keep it whole");
            return;
        };
        match crate::dead_letter::write_oversize(destination, self.s3.as_deref(), record).await {
            Ok(location) => {
                tracing::warn!(%location, bytes = record.whole.len(), "oversized record kept whole");
            }
            Err(e) => {
                tracing::error!(error = %e, "oversized record not kept");
                summary.failed += 1;
                summary.note_error(e);
            }
        }
    }

    /// The `_type` to send, per `ES_TYPE`.
    async fn doc_type(&self, deadline: Instant) -> Result<Option<String>, ForwardError> {
        match (&self.settings.doc_type, &self.sink) {
            (TypeMode::None, _) | (TypeMode::Auto, Sink::Write(_)) => Ok(None),
            (TypeMode::Fixed(name), _) => Ok(Some(name.clone())),
            // OpenSearch Serverless has no version endpoint and no types.
            (TypeMode::Auto, Sink::Cluster(_)) if self.is_serverless() => Ok(None),
            (TypeMode::Auto, Sink::Cluster(cluster)) => {
                let version = self.version(cluster, deadline).await?;
                Ok(type_for(&version))
            }
        }
    }

    /// Installs the index templates once per cold start (`TEMPLATES`).
    async fn ensure_templates(&self, deadline: Instant) -> Result<(), String> {
        let Sink::Cluster(cluster) = &self.sink else {
            return Ok(());
        };
        if !self.settings.apply_templates || self.templates.initialized() {
            return Ok(());
        }
        let version = if self.is_serverless() {
            ClusterVersion::default()
        } else {
            self.version(cluster, deadline)
                .await
                .map_err(|e| e.to_string())?
        };
        let api = if self.is_serverless() {
            LifecycleApi::None
        } else if self.settings.router.has_retention() {
            LifecycleApi::detect(cluster, &version).await
        } else {
            // No policy to install: no need to ask which API there is.
            LifecycleApi::assumed(&version)
        };
        let installed = templates::install(cluster, &self.settings.router, &version, api).await?;
        tracing::info!(
            written = ?installed.templates.written,
            unchanged = installed.templates.unchanged.len(),
            policies_written = ?installed.policies.written,
            "index templates in place"
        );
        let _ = self.templates.set(());
        match installed.lifecycle_unsupported {
            // Once per cold start: the templates are in place all the same.
            Some(why) => Err(why),
            None => Ok(()),
        }
    }

    async fn version(
        &self,
        cluster: &Cluster,
        deadline: Instant,
    ) -> Result<ClusterVersion, ForwardError> {
        self.version
            .get_or_try_init(|| ask_version(cluster, deadline))
            .await
            .copied()
    }

    /// When to stop: the Lambda deadline less `DEADLINE_MARGIN_MS`. No
    /// unit, object or retry starts after it.
    fn stop_at(&self, deadline: Instant) -> Instant {
        deadline
            .checked_sub(self.settings.deadline_margin)
            .unwrap_or(deadline)
    }

    fn is_serverless(&self) -> bool {
        matches!(&self.settings.auth, AuthMode::SigV4 { service, .. } if service == "aoss")
    }
}

/// Elasticsearch 6.x needs one fixed `_type` (`_doc`), 5.x and older a
/// type without a leading underscore; everything newer, and every
/// OpenSearch, takes none (OpenSearch 2+ and Elasticsearch 8+ reject it).
fn type_for(version: &ClusterVersion) -> Option<String> {
    match (version.opensearch, version.major) {
        (true, _) => None,
        (false, 6) => Some("_doc".to_owned()),
        (false, 1..=5) => Some("doc".to_owned()),
        _ => None,
    }
}

/// Asks the cluster its version (`GET /`), retrying briefly.
async fn ask_version(cluster: &Cluster, deadline: Instant) -> Result<ClusterVersion, ForwardError> {
    let mut attempt = 0u32;
    loop {
        let result = cluster.send(Method::GET, "/", None).await;
        let error = match result {
            Ok(resp) if resp.status.is_success() => {
                let info: serde_json::Value = serde_json::from_slice(&resp.body)
                    .map_err(|e| ForwardError::Version(e.to_string()))?;
                let version = ClusterVersion::from_info(&info).ok_or_else(|| {
                    ForwardError::Version(format!(
                        "no version.number in {}",
                        delivery::excerpt(&resp.body)
                    ))
                })?;
                tracing::info!(
                    ?version,
                    doc_type = type_for(&version).as_deref(),
                    "cluster version"
                );
                return Ok(version);
            }
            Ok(resp) => format!(
                "HTTP {}: {}",
                resp.status.as_u16(),
                delivery::excerpt(&resp.body)
            ),
            Err(e) => e.to_string(),
        };
        let wait = Duration::from_millis(200 << attempt.min(6));
        if Instant::now() + wait >= deadline || attempt >= 5 {
            return Err(ForwardError::Version(error));
        }
        attempt += 1;
        tokio::time::sleep(wait).await;
    }
}

/// Sends bodies as they fill, with at most as many in flight as
/// back-pressure allows (never more than `BULK_CONCURRENCY`).
struct Dispatch<'f> {
    forwarder: &'f Forwarder,
    tasks: JoinSet<delivery::Report>,
    policy: RetryPolicy,
    summary: Summary,
    /// Rejected even after repair: for the dead-letter destination.
    rejected: Vec<delivery::Undelivered>,
}

impl<'f> Dispatch<'f> {
    fn new(forwarder: &'f Forwarder, deadline: Instant) -> Self {
        let settings = &forwarder.settings;
        Dispatch {
            forwarder,
            tasks: JoinSet::new(),
            policy: RetryPolicy {
                action: settings.action,
                deadline: forwarder.stop_at(deadline),
                base: Duration::from_millis(100),
                cap: Duration::from_secs(10),
            },
            summary: Summary::default(),
            rejected: Vec::new(),
        }
    }

    /// Sends `body` with its permit (taken here if the caller has none).
    async fn submit(&mut self, body: BulkBody, permit: Option<OwnedSemaphorePermit>) {
        match &self.forwarder.sink {
            Sink::Write(out) => {
                let written = match out.lock() {
                    Ok(mut out) => out.write_all(&body.bytes),
                    Err(_) => Err(std::io::Error::other("output lock poisoned")),
                };
                match written {
                    Ok(()) => self.summary.encoded += body.len() as u64,
                    Err(e) => {
                        self.summary.failed += body.len() as u64;
                        self.summary.note_error(format!("writing output: {e}"));
                    }
                }
            }
            Sink::Cluster(cluster) => {
                // Wait before spawning: encoding waits while the allowed
                // number of bodies is in flight, which bounds memory.
                while self.tasks.len() >= self.forwarder.pressure.concurrency() {
                    match self.tasks.join_next().await {
                        Some(joined) => self.absorb(joined),
                        None => break,
                    }
                }
                let permit = match permit {
                    Some(permit) => Some(permit),
                    None => self
                        .forwarder
                        .body_permits
                        .clone()
                        .acquire_owned()
                        .await
                        .ok(),
                };
                let cluster = cluster.clone();
                let policy = self.policy;
                let pressure = self.forwarder.pressure.clone();
                self.tasks.spawn(async move {
                    let report = delivery::deliver(cluster, body, policy, pressure).await;
                    drop(permit);
                    report
                });
            }
        }
    }

    /// Takes in the report of one finished delivery.
    fn absorb(&mut self, joined: Result<delivery::Report, tokio::task::JoinError>) {
        match joined {
            Ok(report) => {
                if report.summary.throttled > 0 {
                    self.forwarder.pressure.throttled();
                } else {
                    self.forwarder.pressure.delivered();
                }
                // Once per body, not per document: a refused request or an
                // outage would otherwise log every document of it.
                if let Some(first) = report.undelivered.first() {
                    tracing::error!(count = report.undelivered.len(), reason = %first.reason, rejected = first.rejected, "documents not delivered");
                }
                for undelivered in report.undelivered {
                    if undelivered.rejected && self.forwarder.settings.dead_letters.is_some() {
                        self.rejected.push(undelivered);
                    } else {
                        self.summary.failed += 1;
                    }
                }
                self.summary.merge(report.summary);
            }
            Err(e) => {
                // A panicking delivery task loses track of its body: fail
                // the invocation so that the whole batch comes again.
                self.summary.failed += 1;
                self.summary
                    .note_error(format!("delivery task failed: {e}"));
            }
        }
    }

    async fn finish(mut self) -> Summary {
        while let Some(joined) = self.tasks.join_next().await {
            self.absorb(joined);
        }
        if let (Some(destination), false) = (
            &self.forwarder.settings.dead_letters,
            self.rejected.is_empty(),
        ) {
            let count = self.rejected.len() as u64;
            let s3 = self.forwarder.s3.as_deref();
            match crate::dead_letter::write(destination, s3, &self.rejected).await {
                Ok(location) => {
                    tracing::warn!(count, %location, "documents dead-lettered");
                    self.summary.dead_lettered += count;
                }
                Err(e) => {
                    // Lambda delivers the batch again: nothing is lost.
                    tracing::error!(error = %e, count, "dead letters not written");
                    self.summary.failed += count;
                    self.summary.note_error(e);
                }
            }
        }
        if let Sink::Write(out) = &self.forwarder.sink {
            if let Ok(mut out) = out.lock() {
                if let Err(e) = out.flush() {
                    self.summary.note_error(format!("flushing output: {e}"));
                }
            }
        }
        self.summary
    }
}
