//! From decoded input to bulk bodies: the part of the pipeline between the
//! formats and the client. Routing, format parsing, index names and ids
//! happen here, one full body at a time, so that the caller can send each
//! body while the next one is encoded.
//!
//! [`Batcher`] turns single events into documents and bodies; it is shared
//! by the two kinds of input: [`PayloadBodies`] (a CloudWatch Logs payload,
//! already in memory) and [`ObjectBodies`] (a log object read as a stream).

use std::collections::HashSet;
use std::hash::BuildHasher as _;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;

use crate::bulk::{BulkBody, BulkEncoder};
use crate::client::sigv4::sha256_hex;
use crate::config::Settings;
use crate::dead_letter::Oversize;
use crate::decode::records::{Layout, RecordReader};
use crate::formats::{findings, text, DocumentEncoder, Event, Format, Origin};
use crate::input::cloudwatch::{LogEvent, LogsData, PayloadError, PayloadParser};
use crate::input::ObjectInput;
use crate::routing::{Destination, IndexPattern, Router};
use crate::summary::Summary;
use crate::time;

/// The id of an event whose format has none of its own.
#[derive(Clone, Copy, Debug)]
pub enum DefaultId<'a> {
    /// Given by the input (a CloudWatch event id), which samples and
    /// replays may repeat: checked against the ids seen.
    Given(&'a str),
    /// Derived from the object and the record's position: unique.
    Derived(&'a str),
}

/// Encodes events into documents and documents into bounded bodies.
/// Reuses every buffer from one event to the next.
pub struct Batcher {
    encoder: BulkEncoder,
    documents: DocumentEncoder,
    /// A document on its own, for routes whose rules edit it.
    doc: Vec<u8>,
    /// Reused by the route's rules.
    rule_buffers: crate::filters::RuleBuffers,
    index: String,
    /// What `index` was written for: a destination's index pattern and a
    /// day. One batcher may serve several destinations (the payloads of a
    /// Firehose-written object), so the pattern is part of the key.
    index_for: Option<(IndexPattern, i64)>,
    /// Hashes only: a collision merely renames one id, deterministically.
    /// Seeded per process; foldhash because SipHash showed up in profiles.
    seen_ids: HashSet<u64, foldhash::fast::FixedState>,
    id_hasher: foldhash::fast::RandomState,
    id_buf: String,
    /// The body size back-pressure allows now, if it is followed.
    bytes_limit: Option<Arc<AtomicUsize>>,
    /// Counts of what encoding saw (events, malformed, skipped).
    pub summary: Summary,
}

impl Batcher {
    pub fn new(settings: &Settings, doc_type: Option<String>) -> Self {
        Batcher {
            encoder: BulkEncoder::new(settings.bulk_max_bytes, settings.action, doc_type),
            documents: DocumentEncoder::default(),
            doc: Vec::with_capacity(4096),
            rule_buffers: Default::default(),
            index: String::new(),
            index_for: None,
            seen_ids: HashSet::default(),
            id_hasher: foldhash::fast::RandomState::default(),
            id_buf: String::new(),
            bytes_limit: None,
            summary: Summary::default(),
        }
    }

    /// Encodes one event (all of one batcher's events go to one
    /// destination). `problem` is set when the input itself is damaged: the
    /// event is then indexed as text with the problem as `@error`.
    /// `default_id` is the id unless the format has its own; `position`
    /// tells apart two events that claim the same id. Returns a body when
    /// this event closed one.
    pub fn push(
        &mut self,
        destination: &Destination,
        origin: &Origin,
        event: &Event<'_>,
        problem: Option<&str>,
        default_id: DefaultId<'_>,
        position: u64,
    ) -> Option<BulkBody> {
        // An EventBridge event goes where its own source says.
        let own = problem
            .is_none()
            .then(|| destination.for_record(event.message))
            .flatten();
        let destination = own.as_ref().unwrap_or(destination);
        // An EventBridge event of findings: a document per finding.
        if problem.is_none() && destination.format == Format::Findings {
            if let Some(parts) = findings::parts(event.message) {
                return self.push_parts(destination, origin, event, &parts, default_id, position);
            }
        }
        self.push_one(destination, origin, event, problem, default_id, position)
    }

    /// The findings of one event, each a document of its own (ids
    /// `<event's>-<n>` when there are several), all in one body.
    fn push_parts(
        &mut self,
        destination: &Destination,
        origin: &Origin,
        event: &Event<'_>,
        parts: &[String],
        default_id: DefaultId<'_>,
        position: u64,
    ) -> Option<BulkBody> {
        if parts.is_empty() {
            self.summary.skipped += 1;
            return None;
        }
        let (base, derived) = match default_id {
            DefaultId::Given(id) => (id, false),
            DefaultId::Derived(id) => (id, true),
        };
        self.encoder.begin_group();
        let mut full = None;
        for (n, part) in parts.iter().enumerate() {
            let id = match parts.len() {
                1 => base.to_owned(),
                _ => format!("{base}-{n}"),
            };
            let default_id = match derived {
                true => DefaultId::Derived(&id),
                false => DefaultId::Given(&id),
            };
            let part_event = Event {
                message: part,
                ..*event
            };
            let body = self.push_one(destination, origin, &part_event, None, default_id, position);
            full = full.or(body);
        }
        self.encoder.end_group();
        full
    }

    fn push_one(
        &mut self,
        destination: &Destination,
        origin: &Origin,
        event: &Event<'_>,
        problem: Option<&str>,
        default_id: DefaultId<'_>,
        position: u64,
    ) -> Option<BulkBody> {
        // Documents are written straight into the body, unless the route's
        // rules need the document on its own to edit it.
        let rules = destination.rules.0.as_ref();
        let out = match rules {
            None => self.encoder.open_item(),
            Some(_) => {
                self.doc.clear();
                &mut self.doc
            }
        };
        let encoded = match problem {
            Some(problem) => text::encode_with_error(origin, event, Some(problem.to_owned()), out),
            None => self
                .documents
                .encode(&destination.format, origin, event, out),
        };
        if encoded.skip {
            self.summary.skipped += 1;
            if rules.is_none() {
                self.encoder.discard_item();
            }
            return None;
        }
        self.summary.events += 1;
        self.summary.own_time_missing += u64::from(encoded.own_time_missing);
        if let Some(error) = &encoded.error {
            self.summary.malformed += 1;
            self.summary.note_error(error.clone());
        }
        if let Some(rules) = rules {
            if !rules.apply(&mut self.doc, &mut self.rule_buffers) {
                self.summary.filtered += 1;
                return None;
            }
            self.encoder.open_item().extend_from_slice(&self.doc);
        }
        if let Some(limit) = &self.bytes_limit {
            self.encoder.set_max_bytes(limit.load(Ordering::Relaxed));
        }
        let day = time::day_number(encoded.timestamp_ms);
        let cached = self
            .index_for
            .as_ref()
            .is_some_and(|(pattern, d)| *d == day && *pattern == destination.index);
        if !cached {
            destination.index.write_name(day, &mut self.index);
            self.index_for = Some((destination.index.clone(), day));
        }
        let (id, unique) = match (encoded.id.as_deref(), default_id) {
            (Some(own), _) => (own, false),
            (None, DefaultId::Given(id)) => (id, false),
            (None, DefaultId::Derived(id)) => (id, true),
        };
        // An id seen twice in one input names two different events
        // (CloudWatch ids are unique; samples and replays are not). Keep both
        // rather than let the second count as a duplicate. Derived ids are
        // unique by construction and skip the set (a set of a million ids
        // was a tenth of a flow log object's time).
        let id = if id.is_empty() {
            None
        } else if unique || self.seen_ids.insert(self.id_hasher.hash_one(id)) {
            Some(id)
        } else {
            self.id_buf.clear();
            self.id_buf.push_str(id);
            self.id_buf.push('-');
            self.id_buf.push_str(itoa::Buffer::new().format(position));
            Some(self.id_buf.as_str())
        };
        self.encoder.close_item(&self.index, id)
    }

    /// Encodes one event of a CloudWatch Logs payload, at `position` in
    /// it; also says whether its timestamp was in seconds.
    fn push_log_event(
        &mut self,
        (destination, origin): &(Destination, Origin),
        log_event: &LogEvent<'_>,
        position: u64,
    ) -> (Option<BulkBody>, bool) {
        let (timestamp_ms, was_seconds) = time::normalize_millis(log_event.timestamp);
        let event = Event {
            id: log_event.id,
            timestamp_ms,
            message: log_event.message,
            extracted: log_event.extracted_fields.as_ref(),
        };
        let full = self.push(
            destination,
            origin,
            &event,
            log_event.invalid_utf8.then_some(INVALID_UTF8),
            DefaultId::Given(log_event.id),
            position,
        );
        (full, was_seconds)
    }

    /// The last, partly filled body.
    pub fn finish(&mut self) -> Option<BulkBody> {
        self.encoder.finish()
    }
}

/// What `@error` says of a CloudWatch Logs message whose bad bytes were
/// replaced: the other events of its payload are untouched.
const INVALID_UTF8: &str = "invalid UTF-8 in the message, replaced with U+FFFD";

/// Where the events of a CloudWatch Logs payload go, by its log group and
/// first event; `None` for a control message (counted as skipped) or a
/// payload without events.
fn payload_route(
    router: &Router,
    payload: &LogsData<'_>,
    summary: &mut Summary,
) -> Option<(Destination, Origin)> {
    if payload.is_control() {
        summary.skipped += 1;
        return None;
    }
    let first = payload.log_events.first()?;
    let destination = router.resolve(
        payload.log_group,
        first.message,
        first.extracted_fields.as_ref(),
    );
    tracing::debug!(log_group = payload.log_group, format = %destination.format, events = payload.log_events.len(), "payload");
    let origin = Origin::new(payload.owner, payload.log_group, payload.log_stream);
    Some((destination, origin))
}

/// The bodies of one parsed CloudWatch Logs payload.
pub struct PayloadBodies<'p> {
    payload: &'p LogsData<'p>,
    /// Where the payload's events go; `None` for a control message or a
    /// payload without events.
    route: Option<(Destination, Origin)>,
    batcher: Batcher,
    /// The next event to encode.
    event_at: usize,
    seconds_noted: bool,
    finished: bool,
}

impl<'p> PayloadBodies<'p> {
    pub fn new(settings: &Settings, doc_type: Option<String>, payload: &'p LogsData<'p>) -> Self {
        let mut batcher = Batcher::new(settings, doc_type);
        let route = payload_route(&settings.router, payload, &mut batcher.summary);
        batcher.seen_ids.reserve(payload.log_events.len());
        // Documents are about their message plus metadata and action line.
        let messages: usize = payload.log_events.iter().map(|e| e.message.len()).sum();
        batcher
            .encoder
            .expect_bytes(messages + payload.log_events.len() * 512);
        PayloadBodies {
            payload,
            route,
            batcher,
            event_at: 0,
            seconds_noted: false,
            finished: false,
        }
    }

    /// The next full body, or the last partial one, or `None` when done.
    pub fn next_body(&mut self) -> Option<BulkBody> {
        if self.route.is_some() {
            while let Some(log_event) = self.payload.log_events.get(self.event_at) {
                let position = self.event_at as u64;
                self.event_at += 1;
                if let Some(full) = self.encode_event(log_event, position) {
                    return Some(full);
                }
            }
        }
        if self.finished {
            return None;
        }
        self.finished = true;
        self.batcher.finish()
    }

    /// Follows the body size that back-pressure allows.
    pub fn limit_bytes(mut self, limit: Arc<AtomicUsize>) -> Self {
        self.batcher.bytes_limit = Some(limit);
        self
    }

    /// What encoding saw so far.
    pub fn summary(&self) -> &Summary {
        &self.batcher.summary
    }

    pub fn into_summary(self) -> Summary {
        self.batcher.summary
    }

    fn encode_event(&mut self, log_event: &LogEvent<'p>, position: u64) -> Option<BulkBody> {
        let route = self.route.as_ref()?;
        let (full, was_seconds) = self.batcher.push_log_event(route, log_event, position);
        if was_seconds && !self.seconds_noted {
            self.seconds_noted = true;
            self.batcher.summary.note_error(format!(
                "{}: timestamps in seconds, read as seconds",
                self.payload.log_group
            ));
        }
        full
    }
}

/// How many records are read between two looks at the clock for the
/// deadline (the first record always looks).
const CLOCK_EVERY: u32 = 256;

/// The bodies of one log object, read record by record as they are needed.
pub struct ObjectBodies {
    records: RecordReader,
    router: Router,
    bucket: String,
    key: String,
    /// Where the records go, decided by the first one.
    destination: Option<Destination>,
    origin: Origin,
    /// Time of records that carry none of their own.
    timestamp_ms: i64,
    /// The start of the ids of records without their own: a hash of
    /// bucket, key and version, so that a redelivered object overwrites
    /// nothing and duplicates nothing.
    id_prefix: String,
    id_buf: String,
    batcher: Batcher,
    /// When to stop reading (the Lambda deadline less the margin).
    stop_at: Option<Instant>,
    /// Records read since the clock was last looked at: reading the clock
    /// for every record showed in profiles (3% of a flow log object).
    since_clock: u32,
    finished: bool,
    /// Objects that Firehose wrote from a CloudWatch Logs subscription hold
    /// whole payloads one after the other: each is parsed on its own (in
    /// this buffer), and the bodies its events fill wait here.
    payload: Vec<u8>,
    parser: PayloadParser,
    pending: std::collections::VecDeque<BulkBody>,
    /// The forwarder's own log group, whose events are never indexed.
    own_log_group: Option<String>,
    /// Records too large to index whole, kept whole for the dead letters.
    oversize: Vec<Oversize>,
    /// Whether the object's records are CloudWatch Logs payloads, decided
    /// by its first record.
    payloads: Option<bool>,
    /// Whether the object is a dead-letter file (`replay s3://…` of the
    /// dead-letter prefix), decided by its first record.
    dead_letters: Option<bool>,
}

/// The largest failure record read whole: Lambda's hold one invocation's
/// event (1 MB at most) or one stream batch (6 MB of records, in base64).
const MAX_FAILURE_RECORD: u64 = 64 << 20;

/// Is this (first) record of an object a whole CloudWatch Logs payload?
/// Then every record of the object is one (Firehose writes nothing else
/// into such an object).
fn is_payload(text: &str) -> bool {
    let bytes = text.as_bytes();
    let find = |needle: &[u8]| memchr::memmem::find(bytes, needle).is_some();
    text.trim_start().starts_with('{') && find(b"\"messageType\"") && find(b"\"logEvents\"")
}

impl ObjectBodies {
    pub fn new(
        settings: &Settings,
        doc_type: Option<String>,
        input: ObjectInput,
    ) -> std::io::Result<Self> {
        let records = RecordReader::new(crate::decode::object_reader(input.body)?)?;
        let source = origin_name(&input.bucket, &input.key);
        let identity = format!("{}\n{}\n{}", input.bucket, input.key, input.version);
        let id_prefix = sha256_hex(identity.as_bytes())[..20].to_owned();
        let mut batcher = Batcher::new(settings, doc_type);
        if records.layout() == Layout::Digest {
            tracing::info!(%source, "CloudTrail digest file: nothing to index");
            batcher.summary.skipped += 1;
        }
        // The object AWS Config writes to test that it may write the bucket.
        let writability_check = crate::formats::config::is_writability_check(&input.key);
        if writability_check {
            tracing::info!(%source, "Config writability check: nothing to index");
            batcher.summary.skipped += 1;
        }
        Ok(ObjectBodies {
            records,
            router: settings.router.clone(),
            bucket: input.bucket,
            key: input.key,
            destination: None,
            origin: Origin::object(&source),
            timestamp_ms: input.timestamp_ms,
            id_prefix,
            id_buf: String::new(),
            batcher,
            stop_at: None,
            since_clock: 0,
            finished: writability_check,
            payload: Vec::new(),
            parser: PayloadParser::default(),
            pending: Default::default(),
            own_log_group: settings.own_log_group.clone(),
            payloads: None,
            dead_letters: None,
            oversize: Vec::new(),
        })
    }

    /// Follows the body size that back-pressure allows.
    pub fn limit_bytes(mut self, limit: Arc<AtomicUsize>) -> Self {
        self.batcher.bytes_limit = Some(limit);
        self
    }

    /// The whole object, if it is Lambda's failure record of an invocation
    /// or a stream batch (the dead-letter bucket keeps them beside the dead
    /// letters) rather than a log: the event inside is to be sent again, as
    /// `replay` does with such a file. Asked before the first body. An
    /// object whose head only looks like one (a log of Lambda events) is
    /// read as the log it is.
    pub fn take_failure_record(&mut self) -> Option<std::io::Result<Vec<u8>>> {
        // A head that cannot be read is reported by the first body.
        let head = self.records.head().ok()?;
        if !crate::input::is_failure_record(head) {
            return None;
        }
        let whole = match self.records.take_whole(MAX_FAILURE_RECORD) {
            Ok(Some(whole)) => whole,
            // Larger than any failure record: a log.
            Ok(None) => return None,
            Err(e) => return Some(Err(e)),
        };
        if crate::input::is_one_failure_record(&whole) {
            self.finished = true;
            return Some(Ok(whole));
        }
        self.records.unread(whole);
        None
    }

    /// Stops reading at `when`: what was read is sent, and the object is
    /// reported unfinished so that it is delivered again (its ids make
    /// that safe).
    pub fn stop_at(mut self, when: Instant) -> Self {
        self.stop_at = Some(when);
        self
    }

    /// The next full body, or the last partial one, or `None` when done.
    pub fn next_body(&mut self) -> Option<BulkBody> {
        let ObjectBodies {
            records,
            router,
            bucket,
            key,
            destination,
            origin,
            timestamp_ms,
            id_prefix,
            id_buf,
            batcher,
            stop_at,
            since_clock,
            finished,
            payload,
            parser,
            pending,
            own_log_group,
            payloads,
            dead_letters,
            oversize,
        } = self;
        if let Some(body) = pending.pop_front() {
            return Some(body);
        }
        if *finished {
            return None;
        }
        loop {
            *since_clock = since_clock.wrapping_add(1);
            if *since_clock % CLOCK_EVERY == 1 && stop_at.is_some_and(|t| Instant::now() >= t) {
                batcher.summary.deferred += 1;
                batcher.summary.note_error(format!(
                    "{}: stopped at the deadline after {} records",
                    origin_name(bucket, key),
                    batcher.summary.events
                ));
                break;
            }
            let mut record = match records.next_record() {
                Ok(Some(record)) => record,
                Ok(None) => break,
                Err(e) => {
                    // The records before were sent; the object as a whole
                    // failed and is redelivered (ids make that safe).
                    batcher.summary.undecodable += 1;
                    batcher
                        .summary
                        .note_error(format!("{}: reading failed: {e}", origin_name(bucket, key)));
                    break;
                }
            };
            if *dead_letters
                .get_or_insert_with(|| crate::dead_letter::is_record(record.text.as_bytes()))
            {
                let line = record.text.as_bytes();
                let full = push_dead_letter(
                    &mut batcher.encoder,
                    line,
                    record.position,
                    &mut batcher.summary,
                );
                if full.is_some() {
                    return full;
                }
                continue;
            }
            let is_payloads = *payloads.get_or_insert_with(|| is_payload(&record.text));
            // A record of a payloads object that is not one (a stray line, a
            // payload that does not parse) is indexed as what it is, with
            // the reason, rather than lost.
            let mut not_a_payload = None;
            if is_payloads && record.problem.is_none() && is_payload(&record.text) {
                payload.clear();
                payload.extend_from_slice(record.text.as_bytes());
                let context = PayloadContext {
                    router,
                    own_log_group: own_log_group.as_deref(),
                };
                match payload_bodies(&context, batcher, parser, payload, pending) {
                    Ok(()) => match pending.pop_front() {
                        Some(body) => return Some(body),
                        None => continue,
                    },
                    Err(e) => not_a_payload = Some(format!("not a CloudWatch Logs payload: {e}")),
                }
            }
            let problem = not_a_payload.as_deref().or(record.problem.as_deref());
            let destination = destination.get_or_insert_with(|| {
                let d = router.resolve_object(bucket, key, &record.text);
                tracing::debug!(%bucket, %key, format = %d.format, index = d.index.prefix(), "object");
                d
            });
            // Header lines (S3 writes one per file; concatenated files
            // repeat it) set the columns of the records that follow.
            if problem.is_none() && destination.format.take_header(&record.text) {
                continue;
            }
            let event = Event {
                id: "",
                timestamp_ms: *timestamp_ms,
                message: &record.text,
                extracted: None,
            };
            id_buf.clear();
            id_buf.push_str(id_prefix);
            id_buf.push('-');
            id_buf.push_str(itoa::Buffer::new().format(record.position));
            let full = batcher.push(
                destination,
                origin,
                &event,
                problem,
                DefaultId::Derived(id_buf),
                record.position,
            );
            match record.whole.take() {
                None => {}
                Some(Ok(whole)) => oversize.push(Oversize {
                    source: origin_name(bucket, key),
                    position: record.position,
                    id: id_buf.clone(),
                    reason: problem.unwrap_or_default().to_owned(),
                    whole,
                }),
                Some(Err(why)) => {
                    let error = format!(
                        "{}: record {}: its whole text could not be kept: {why}",
                        origin_name(bucket, key),
                        record.position
                    );
                    tracing::error!(%error, "oversized record");
                    batcher.summary.note_error(error);
                }
            }
            if full.is_some() {
                return full;
            }
        }
        *finished = true;
        batcher.finish()
    }

    pub fn into_summary(self) -> Summary {
        self.batcher.summary
    }

    /// What was read, and the records too large to index whole.
    pub fn into_parts(self) -> (Summary, Vec<Oversize>) {
        (self.batcher.summary, self.oversize)
    }
}

/// How many events of `payload` are the forwarder's own log lines (its log
/// group is `own`, from `AWS_LAMBDA_LOG_GROUP_NAME`): they are never
/// indexed, since indexing them would feed the forwarder for ever once a
/// subscription (say, account-wide) reaches its log group. Says so once.
pub fn own_log_group_events(own: Option<&str>, payload: &LogsData<'_>) -> u64 {
    if own != Some(payload.log_group) {
        return 0;
    }
    tracing::warn!(
        log_group = payload.log_group,
        events = payload.log_events.len(),
        "skipped events from the forwarder's own log group (AWS_LAMBDA_LOG_GROUP_NAME)"
    );
    payload.log_events.len() as u64
}

/// The events of one CloudWatch Logs payload found in an object, routed
/// by its own log group as a direct subscription would be; the bodies they
/// fill go to `pending`.
struct PayloadContext<'a> {
    router: &'a Router,
    own_log_group: Option<&'a str>,
}

fn payload_bodies(
    context: &PayloadContext<'_>,
    batcher: &mut Batcher,
    parser: &mut PayloadParser,
    bytes: &mut Vec<u8>,
    pending: &mut std::collections::VecDeque<BulkBody>,
) -> Result<(), PayloadError> {
    let payload = match parser.parse(bytes) {
        Err(PayloadError::InvalidUtf8(_)) => parser.replace_invalid_utf8(bytes).parse(bytes)?,
        parsed => parsed?,
    };
    let own = own_log_group_events(context.own_log_group, &payload);
    if own > 0 {
        batcher.summary.skipped += own;
        return Ok(());
    }
    if payload.log_events.is_empty() {
        batcher.summary.skipped += 1;
        return Ok(());
    }
    let Some(route) = payload_route(context.router, &payload, &mut batcher.summary) else {
        return Ok(());
    };
    for (position, log_event) in payload.log_events.iter().enumerate() {
        if let (Some(full), _) = batcher.push_log_event(&route, log_event, position as u64) {
            pending.push_back(full);
        }
    }
    Ok(())
}

/// `s3://bucket/key`, or the path of a local file.
pub fn origin_name(bucket: &str, key: &str) -> String {
    if bucket.is_empty() {
        key.to_owned()
    } else {
        format!("s3://{bucket}/{key}")
    }
}

/// The bodies that send the records of a dead-letter file again, each
/// document as it was, to its index under its id.
pub fn dead_letter_bodies(
    settings: &Settings,
    doc_type: Option<String>,
    records: &[u8],
) -> (Vec<BulkBody>, Summary) {
    let mut encoder = BulkEncoder::new(settings.bulk_max_bytes, settings.action, doc_type);
    let mut summary = Summary::default();
    let mut bodies = Vec::new();
    for (n, line) in records.split(|&b| b == b'\n').enumerate() {
        bodies.extend(push_dead_letter(&mut encoder, line, n as u64, &mut summary));
    }
    bodies.extend(encoder.finish());
    (bodies, summary)
}

/// One record of a dead-letter file (line `n`, from 0) into `encoder`: its
/// document as it was, to its index under its id. Input that was kept as it
/// came (undecodable, too large) is counted and left for a person.
fn push_dead_letter(
    encoder: &mut BulkEncoder,
    line: &[u8],
    n: u64,
    summary: &mut Summary,
) -> Option<BulkBody> {
    if line.iter().all(u8::is_ascii_whitespace) {
        return None;
    }
    let record: serde_json::Value = match serde_json::from_slice(line) {
        Ok(record) => record,
        Err(e) => {
            summary.undecodable += 1;
            summary.note_error(format!("dead letter {}: {e}", n + 1));
            return None;
        }
    };
    let error_type = record.get("error_type").and_then(serde_json::Value::as_str);
    if let Some(kind @ ("undecodable" | "record_too_large")) = error_type {
        // Input kept as it came, for a person to look at: nothing to send.
        summary.skipped += 1;
        summary.note_error(format!(
            "dead letter {}: {kind}, kept as it came and not sent",
            n + 1
        ));
        return None;
    }
    let (Some(index), Some(document)) = (
        record.get("index").and_then(serde_json::Value::as_str),
        record.get("document").filter(|d| d.is_object()),
    ) else {
        summary.undecodable += 1;
        summary.note_error(format!("dead letter {}: no index or document", n + 1));
        return None;
    };
    summary.events += 1;
    let id = record.get("id").and_then(serde_json::Value::as_str);
    let doc = document.to_string();
    encoder.push(index, id, doc.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The action line follows the document, not the CloudWatch event: its
    /// own time picks the index day, its own id (CloudTrail) the `_id`, a
    /// repeated id is kept apart, and a skipped line leaves nothing behind.
    #[test]
    fn action_lines_follow_the_document_not_the_guess() {
        let settings = Settings::from_lookup(|_| None).expect("defaults");
        let origin = Origin::new("111122223333", "/g", "s");
        // Encodes `messages` (one destination per batcher, as in use, routed
        // by the last message) and returns each item's action and document.
        let run = |group: &str, messages: &[(&str, Option<&str>)]| {
            let sample = messages[messages.len() - 1].0;
            let destination = settings.router.resolve(group, sample, None);
            let mut batcher = Batcher::new(&settings, None);
            for (i, &(message, problem)) in messages.iter().enumerate() {
                let default_id = format!("cwl-{i}");
                let event = Event {
                    id: "cwl-id",
                    timestamp_ms: 1_763_856_000_000, // 2025-11-23T00:00:00Z
                    message,
                    extracted: None,
                };
                let full = batcher.push(
                    &destination,
                    &origin,
                    &event,
                    problem,
                    DefaultId::Given(&default_id),
                    i as u64,
                );
                assert!(full.is_none());
            }
            let items: Vec<(serde_json::Value, serde_json::Value)> = batcher
                .finish()
                .map(|body| {
                    (0..body.len())
                        .map(|i| {
                            let item = body.item(i);
                            let action = &item[..item.len() - body.document(i).len() - 2];
                            let parse = |b: &[u8]| -> serde_json::Value {
                                serde_json::from_slice(b).expect("JSON line")
                            };
                            (parse(action)["create"].clone(), parse(body.document(i)))
                        })
                        .collect()
                })
                .unwrap_or_default();
            (items, batcher.summary)
        };

        // A flow record that started the day before CloudWatch received it.
        let flow =
            "2 111122223333 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 40 1763855990 1763856010 ACCEPT OK";
        let (items, _) = run("/vpc/flow", &[(flow, None)]);
        assert_eq!(items[0].0["_index"], "vpc-flowlogs-2025.11.22");
        assert_eq!(items[0].0["_id"], "cwl-0");
        assert_eq!(items[0].1["srcaddr"], "10.0.0.1");

        // CloudTrail records carry their own id; a repeated one is kept apart.
        let trail = r#"{"eventVersion":"1.08","eventTime":"2025-11-23T00:00:01Z","eventSource":"s3.amazonaws.com","eventID":"e-1"}"#;
        let (items, _) = run("/trail", &[(trail, None), (trail, None)]);
        assert_eq!(items[0].0["_index"], "cloudtrail-2025.11.23");
        assert_eq!(items[0].0["_id"], "e-1");
        assert_eq!(items[1].0["_id"], "e-1-1");
        assert_eq!(items[1].1["eventID"], "e-1");

        // A load balancer's control line leaves nothing behind; a damaged
        // record is text with the problem, filed under the event's time.
        let control = "Enable AccessLog for ELB: app/x at 2025-11-23T00:00:00Z";
        let alb = "http 2025-11-22T23:59:59.000000Z app/x 10.0.0.1:1 10.0.0.2:80 0.001 0.002 0.000 200 200 1 2 \"GET http://x:80/ HTTP/1.1\" \"curl\" - - arn:aws:elasticloadbalancing:eu-west-1:111122223333:targetgroup/t/1 \"Root=1-5\" \"-\" \"-\" 0 2025-11-22T23:59:59.000000Z \"forward\" \"-\" \"-\" \"10.0.0.2:80\" \"200\" \"-\" \"-\"";
        let (items, summary) = run(
            "/elb",
            &[(control, None), ("x", Some("cut off")), (alb, None)],
        );
        assert_eq!((summary.events, summary.skipped), (2, 1));
        assert_eq!(items.len(), 2);
        assert_eq!(items[0].0["_index"], "elb-access-2025.11.23");
        assert_eq!(items[0].1["@error"], "cut off");
        assert_eq!(items[1].0["_index"], "elb-access-2025.11.22", "{items:?}");
        assert_eq!(items[1].0["_id"], "cwl-2");
        assert_eq!(items[1].1["elb_status_code"], 200);
    }
}
