//! Log formats: each turns one log event into the fields of one document.
//!
//! The shared machinery lives here: [`Event`] (what a format gets),
//! [`DocumentEncoder`] (the reusable parse scratch and the metadata every
//! CloudWatch document carries) and [`typed`] (lossless typing of text
//! values). Each format file only knows its own fields.
//!
//! A record that does not fit its format is never dropped: it becomes a text
//! document with an `@error` field that says why.

pub mod apigateway;
pub mod cloudfront;
pub mod cloudtrail;
pub mod config;
pub mod eks;
pub mod elb;
pub mod eventbridge;
pub mod fields;
pub mod findings;
pub mod json;
pub mod lambda;
pub mod line_prefix;
pub mod network_firewall;
pub mod rds;
pub mod route53;
pub mod s3_access;
pub mod text;
pub mod typed;
pub mod typed_json;
pub mod vpc_flow;
pub mod waf;

use std::fmt;
use std::str::FromStr;

use crate::input::cloudwatch::ExtractedFields;
use crate::json::check::Member;
use crate::json::{key, ObjectWriter};

/// The formats the forwarder parses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Format {
    CloudTrail,
    /// VPC / Transit Gateway flow logs, with the field list of the records.
    VpcFlow(vpc_flow::FieldList),
    /// S3 server access logs.
    S3Access,
    /// Load balancer access and connection logs (ALB, NLB, CLB).
    Elb,
    /// Lambda function logs: platform lines typed, the rest text or JSON.
    Lambda,
    /// JSON logs of a known type: WAF, Network Firewall, Route 53 Resolver.
    Known(&'static typed_json::Schema),
    /// Route 53 public DNS query logs.
    DnsQuery,
    /// CloudFront standard logs, with the columns of their `#Fields`
    /// header (W3C lines), or v2's JSON records.
    CloudFront(cloudfront::Columns),
    /// GuardDuty and Security Hub findings, one document per finding.
    Findings,
    /// RDS and Aurora logs: MySQL audit, error and slow query lines,
    /// PostgreSQL lines.
    Rds,
    /// JSON objects, with the member that holds each record's own time (a
    /// route's `time_field`, dotted for a nested member), or `None` for the
    /// well-known names ([`json::TIME_NAMES`]).
    Json(Option<std::sync::Arc<str>>),
    Text,
}

impl Format {
    pub fn name(&self) -> &'static str {
        match self {
            Format::CloudTrail => "cloudtrail",
            Format::VpcFlow(_) => "vpc_flow",
            Format::S3Access => "s3_access",
            Format::Elb => "elb",
            Format::Lambda => "lambda",
            Format::Known(schema) => schema.name,
            Format::DnsQuery => route53::PUBLIC.name,
            Format::CloudFront(_) => "cloudfront",
            Format::Findings => "findings",
            Format::Rds => "rds",
            Format::Json(_) => "json",
            Format::Text => "text",
        }
    }

    /// Guesses the format of a stream of events from its first event.
    pub fn detect(sample: &str, extracted: Option<&ExtractedFields<'_>>) -> Format {
        if cloudtrail::looks_like(sample) {
            return Format::CloudTrail;
        }
        if let Some(fields) = extracted {
            if vpc_flow::looks_like_extracted(fields) {
                return Format::VpcFlow(vpc_flow::FieldList::default());
            }
        }
        if vpc_flow::FieldList::is_header(sample) {
            return Format::VpcFlow(vpc_flow::FieldList::parse(sample));
        }
        if let Some(list) = vpc_flow::FieldList::detect_line(sample) {
            return Format::VpcFlow(list);
        }
        if s3_access::looks_like(sample) {
            return Format::S3Access;
        }
        if elb::looks_like(sample) {
            return Format::Elb;
        }
        if cloudfront::is_header(sample) || cloudfront::looks_like(sample) {
            return Format::CloudFront(
                cloudfront::Columns::from_header(sample).unwrap_or_default(),
            );
        }
        if route53::looks_like_public(sample) {
            return Format::DnsQuery;
        }
        if sample.trim_start().starts_with('{') {
            return Format::detect_json(sample);
        }
        Format::Text
    }

    /// The JSON log type a record's members name, else generic JSON.
    fn detect_json(sample: &str) -> Format {
        // The names that tell the types apart come early in their records.
        let head = head(sample);
        if eventbridge::looks_like(head) {
            eventbridge::format_of(head)
        } else if findings::looks_like(head) {
            Format::Findings
        } else if config::looks_like(head) {
            Format::Known(&config::ITEM)
        } else if eks::looks_like(head) {
            Format::Known(&eks::AUDIT)
        } else if apigateway::looks_like(head) {
            Format::Known(&apigateway::ACCESS)
        } else if waf::looks_like(head) {
            Format::Known(&waf::SCHEMA)
        } else if network_firewall::looks_like(head) {
            Format::Known(&network_firewall::SCHEMA)
        } else if route53::looks_like_resolver(head) {
            Format::Known(&route53::RESOLVER)
        } else if cloudfront::looks_like_json(head) {
            Format::CloudFront(cloudfront::Columns::default())
        } else {
            Format::Json(None)
        }
    }

    /// Takes a header line of the format's files (flow logs' field list,
    /// CloudFront's `#Version` and `#Fields`), which sets the columns of
    /// the records after it: `true` if `line` was one (it is no record).
    pub fn take_header(&mut self, line: &str) -> bool {
        match self {
            Format::VpcFlow(fields) if vpc_flow::FieldList::is_header(line) => {
                *fields = vpc_flow::FieldList::parse(line);
                true
            }
            Format::CloudFront(columns) if cloudfront::is_header(line) => {
                if let Some(named) = cloudfront::Columns::from_header(line) {
                    *columns = named;
                }
                true
            }
            _ => false,
        }
    }
}

/// The start of a record (its first 4 KiB, cut at a character), where
/// the names that tell a JSON log's type apart are.
pub fn head(record: &str) -> &str {
    let mut end = record.len().min(4096);
    while !record.is_char_boundary(end) {
        end -= 1;
    }
    &record[..end]
}

/// The JSON log types, by name.
pub const KNOWN: &[&typed_json::Schema] =
    &[&waf::SCHEMA, &network_firewall::SCHEMA, &route53::RESOLVER];

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[derive(Debug, thiserror::Error)]
#[error("unknown format {0:?} (expected auto, cloudtrail, vpc_flow, s3_access, elb, lambda, waf, network_firewall, route53_resolver, route53_public, cloudfront, eventbridge, config_event, findings, config, eks_audit, apigateway, rds, json or text)")]
pub struct UnknownFormat(String);

impl FromStr for Format {
    type Err = UnknownFormat;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "cloudtrail" => Ok(Format::CloudTrail),
            "vpc_flow" | "vpcflow" | "vpc-flow" => {
                Ok(Format::VpcFlow(vpc_flow::FieldList::default()))
            }
            "s3_access" | "s3-access" => Ok(Format::S3Access),
            "elb" | "alb" => Ok(Format::Elb),
            "lambda" => Ok(Format::Lambda),
            "route53_public" => Ok(Format::DnsQuery),
            "findings" => Ok(Format::Findings),
            "rds" => Ok(Format::Rds),
            "cloudfront" => Ok(Format::CloudFront(cloudfront::Columns::default())),
            "json" => Ok(Format::Json(None)),
            "text" => Ok(Format::Text),
            other => KNOWN
                .iter()
                .find(|schema| schema.name == other)
                .map(|schema| Format::Known(schema))
                .ok_or_else(|| UnknownFormat(other.to_owned())),
        }
    }
}

/// Where a CloudWatch event came from: the same for every event of a
/// payload, so its fields are rendered once, not once per document.
#[derive(Clone, Debug, Default)]
pub struct Origin {
    /// `"@owner":"…","@log_group":"…","@log_stream":"…"` (empty ones left out).
    rendered: Vec<u8>,
}

impl Origin {
    /// A CloudWatch Logs payload's owner, log group and stream.
    pub fn new(owner: &str, log_group: &str, log_stream: &str) -> Origin {
        Origin::render(&[
            ("@owner", owner),
            ("@log_group", log_group),
            ("@log_stream", log_stream),
        ])
    }

    /// A log object: `s3://bucket/key`, or the path of a replayed file.
    pub fn object(source: &str) -> Origin {
        Origin::render(&[("@source", source)])
    }

    fn render(members: &[(&str, &str)]) -> Origin {
        let mut rendered = Vec::new();
        let mut w = ObjectWriter::new(&mut rendered);
        for &(key, value) in members {
            if !value.is_empty() {
                w.str(key, value);
            }
        }
        w.finish();
        rendered.remove(0);
        rendered.pop();
        Origin { rendered }
    }
}

/// One log event as the formats see it.
#[derive(Clone, Copy, Debug)]
pub struct Event<'a> {
    pub id: &'a str,
    /// Milliseconds since the epoch.
    pub timestamp_ms: i64,
    pub message: &'a str,
    pub extracted: Option<&'a ExtractedFields<'a>>,
}

/// What encoding one event produced besides the document text.
#[derive(Debug, Default)]
pub struct Encoded {
    /// The time the document is filed under (`@timestamp`, index date).
    pub timestamp_ms: i64,
    /// A format's own idempotent id (CloudTrail `eventID`), if it has one;
    /// otherwise the CloudWatch event id is used.
    pub id: Option<String>,
    /// Why the event did not fit its format, if it did not.
    pub error: Option<String>,
    /// The event is not a record (a load balancer's "logging enabled"
    /// line): nothing was written and nothing is to be indexed.
    pub skip: bool,
    /// The record has no own time that could be read: it is filed under
    /// the time it was received, and says so (`@timestamp_from`).
    pub own_time_missing: bool,
}

/// A JSON message checked to be one object, with its top-level members.
pub struct Parsed<'m, 'i> {
    pub text: &'i str,
    pub members: &'m [Member<'i>],
}

/// Reusable state for encoding documents: scratch space that survives
/// from one event to the next, so the hot path does not allocate.
#[derive(Default)]
pub struct DocumentEncoder {
    members: Vec<Member<'static>>,
    values: fields::Values,
}

impl DocumentEncoder {
    /// Appends the document for `event` in `format` to `doc` (which may
    /// be a bulk body: what was in it before is left alone).
    pub fn encode(
        &mut self,
        format: &Format,
        origin: &Origin,
        event: &Event<'_>,
        doc: &mut Vec<u8>,
    ) -> Encoded {
        let start = doc.len();
        let result = match format {
            Format::CloudTrail => self.with_json(event.message, |parsed| {
                cloudtrail::encode(parsed, origin, event, doc)
            }),
            Format::Json(time_field) => self.with_json(event.message, |parsed| {
                json::encode_record(parsed, origin, event, time_field.as_deref(), doc)
            }),
            Format::Known(schema) => self.with_json(event.message, |parsed| {
                typed_json::encode(schema, parsed, origin, event, doc)
            }),
            Format::CloudFront(_) if event.message.trim_start().starts_with('{') => self
                .with_json(event.message, |parsed| {
                    typed_json::encode(&cloudfront::JSON, parsed, origin, event, doc)
                }),
            Format::CloudFront(columns) => cloudfront::encode(columns, origin, event, doc),
            Format::DnsQuery => self.with_line(&route53::PUBLIC, origin, event, doc),
            Format::Findings => self.with_json(event.message, |parsed| {
                findings::encode(parsed, origin, event, doc)
            }),
            Format::Rds => Ok(rds::encode(origin, event, doc)),
            Format::VpcFlow(fields) => vpc_flow::encode(fields, origin, event, doc),
            Format::S3Access => self.with_line(&s3_access::FORMAT, origin, event, doc),
            Format::Elb => match elb::classify(event.message) {
                Ok(elb::Line::Record(format)) => self.with_line(format, origin, event, doc),
                Ok(elb::Line::Control) => Ok(Encoded {
                    skip: true,
                    ..Encoded::default()
                }),
                Err(e) => Err(e),
            },
            // Lambda's JSON log format: `timestamp` (application lines) or
            // `time` (platform lines) is the line's own time.
            Format::Lambda if event.message.trim_start().starts_with('{') => self
                .with_json(event.message, |parsed| {
                    json::encode_record(parsed, origin, event, None, doc)
                }),
            Format::Lambda => match lambda::glued_platform_json(event.message) {
                Some(at) => self.with_json(&event.message[at..], |parsed| {
                    json::encode_with_message(parsed, origin, event, Some(event.message), doc)
                }),
                None => lambda::encode(origin, event, doc),
            },
            Format::Text => Ok(text::encode(origin, event, doc)),
        };
        result.unwrap_or_else(|reason| {
            doc.truncate(start);
            text::encode_with_error(origin, event, Some(format!("{format}: {reason}")), doc)
        })
    }

    /// Writes an access-log line in `format`: its typed values, then the
    /// metadata, with `@timestamp` the line's own time.
    fn with_line(
        &mut self,
        format: &fields::LineFormat,
        origin: &Origin,
        event: &Event<'_>,
        doc: &mut Vec<u8>,
    ) -> Result<Encoded, String> {
        let line = event.message.trim_end_matches(['\n', '\r']);
        self.values.split(line)?;
        let mut w = ObjectWriter::new(doc);
        let mut invalid = typed::Invalid::default();
        let time = fields::write_line(&mut w, format, line, &self.values, &mut invalid)?;
        let timestamp_ms = time.unwrap_or(event.timestamp_ms);
        write_cloudwatch_meta(&mut w, origin, event, timestamp_ms);
        if time.is_none() {
            write_time_received(&mut w);
        }
        let error = invalid
            .finish(&mut w)
            .map(|reason| format!("{}: {reason}", format.name));
        w.finish();
        Ok(Encoded {
            timestamp_ms,
            error,
            own_time_missing: time.is_none(),
            ..Encoded::default()
        })
    }

    /// Checks that `text` is one JSON object and hands it to `f`.
    fn with_json<R>(
        &mut self,
        text: &str,
        f: impl FnOnce(&Parsed<'_, '_>) -> Result<R, String>,
    ) -> Result<R, String> {
        if !text.trim_start().starts_with('{') {
            return Err("not a JSON object".into());
        }
        let mut members = recycle(std::mem::take(&mut self.members));
        let result = match crate::json::check::object_members(text, |m| members.push(m)) {
            Ok(()) => f(&Parsed {
                text,
                members: &members,
            }),
            Err(invalid) => Err(invalid.to_string()),
        };
        self.members = recycle(members);
        result
    }
}

/// An empty list of members of another lifetime in the same allocation
/// (std collects in place when the layouts are the same), so that the
/// members of each message do not cost an allocation.
fn recycle<'b>(mut members: Vec<Member<'_>>) -> Vec<Member<'b>> {
    members.clear();
    members
        .into_iter()
        .map(|_| unreachable!("the list is empty"))
        .collect()
}

/// Names that the forwarder itself writes into every CloudWatch document.
pub const RESERVED: [&str; 8] = [
    "@id",
    "@timestamp",
    "@timestamp_from",
    "@message",
    "@owner",
    "@log_group",
    "@log_stream",
    "@source",
];

/// Is `name` one that the forwarder writes itself?
pub fn is_reserved(name: &str) -> bool {
    // Every reserved name starts with '@' (tested): most keys are out at once.
    name.starts_with('@') && RESERVED.contains(&name)
}

/// Writes the metadata every CloudWatch Logs document carries, as the stock
/// function did. `timestamp_ms` may differ from the event's (CloudTrail files
/// events under `eventTime`).
pub fn write_cloudwatch_meta(
    w: &mut ObjectWriter<'_>,
    origin: &Origin,
    event: &Event<'_>,
    timestamp_ms: i64,
) {
    // Keys written for every document: rendered here, not escaped anew.
    if !event.id.is_empty() {
        w.rendered_str(key!("@id"), event.id);
    }
    crate::json::write_timestamp(w.rendered_key(key!("@timestamp")), timestamp_ms);
    w.members(&origin.rendered);
}

/// `"@timestamp_from":"received"`: the record had no own time that could be
/// read, and is filed under the time it was received (counted as
/// [`Encoded::own_time_missing`]), never silently.
pub fn write_time_received(w: &mut ObjectWriter<'_>) {
    w.rendered_str(key!("@timestamp_from"), "received");
}

/// `"@message":…`, which most documents carry: its key rendered once.
pub fn write_message(w: &mut ObjectWriter<'_>, message: &str) {
    w.rendered_str(key!("@message"), message);
}

#[cfg(test)]
pub(crate) mod test_support {
    use super::*;

    pub fn origin() -> Origin {
        Origin::new("123456789012", "/test/group", "stream")
    }

    pub fn event(message: &str) -> Event<'_> {
        Event {
            id: "36000000000000000000000000000000000000000000000000000001",
            timestamp_ms: 1_700_000_000_000,
            message,
            extracted: None,
        }
    }

    /// Encodes and parses the document back, for assertions.
    pub fn encode_doc(format: &Format, event: &Event<'_>) -> (serde_json::Value, Encoded) {
        let mut doc = Vec::new();
        let encoded = DocumentEncoder::default().encode(format, &origin(), event, &mut doc);
        assert!(!doc.contains(&b'\n'), "documents are single lines");
        let value = serde_json::from_slice(&doc)
            .unwrap_or_else(|e| panic!("invalid document {e}: {}", String::from_utf8_lossy(&doc)));
        (value, encoded)
    }
}

#[cfg(test)]
mod tests {
    use super::test_support::*;
    use super::*;

    #[test]
    fn detection_by_content() {
        let ct =
            r#"{"eventVersion":"1.08","eventSource":"s3.amazonaws.com","eventName":"GetObject"}"#;
        assert_eq!(Format::detect(ct, None), Format::CloudTrail);
        let flow = "2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK";
        assert!(matches!(Format::detect(flow, None), Format::VpcFlow(_)));
        assert_eq!(
            Format::detect(r#"{"level":"info"}"#, None),
            Format::Json(None)
        );
        assert_eq!(Format::detect("START RequestId: 1", None), Format::Text);
    }

    #[test]
    fn reserved_names_start_with_an_at_sign() {
        assert!(RESERVED.iter().all(|name| name.starts_with('@')));
        assert!(RESERVED.iter().all(|name| is_reserved(name)));
        assert!(!is_reserved("@other") && !is_reserved("timestamp"));
    }

    #[test]
    fn scratch_space_is_reused_from_one_message_to_the_next() {
        let mut encoder = DocumentEncoder::default();
        let mut doc = Vec::new();
        let record = r#"{"eventVersion":"1.08","eventSource":"x","a":1,"b":2}"#;
        encoder.encode(&Format::CloudTrail, &origin(), &event(record), &mut doc);
        let (ptr, capacity) = (encoder.members.as_ptr(), encoder.members.capacity());
        assert!(capacity >= 4);
        encoder.encode(&Format::CloudTrail, &origin(), &event(record), &mut doc);
        assert_eq!(
            (encoder.members.as_ptr(), encoder.members.capacity()),
            (ptr, capacity)
        );
    }

    #[test]
    fn a_record_that_does_not_fit_becomes_text_with_error() {
        let (doc, encoded) = encode_doc(
            &Format::CloudTrail,
            &event("{\"eventVersion\": \"1.0\", trunc"),
        );
        assert_eq!(doc["@message"], "{\"eventVersion\": \"1.0\", trunc");
        let err = doc["@error"].as_str().expect("@error");
        assert!(err.starts_with("cloudtrail: invalid JSON"), "{err}");
        assert_eq!(encoded.error.as_deref(), Some(err));
    }
}
