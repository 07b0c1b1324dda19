//! Security findings: GuardDuty's and Security Hub's (AWS Security
//! Finding Format, ASFF), one document per finding, in `findings-*`.
//!
//! References: "GuardDuty finding format" and "Exporting findings" in the
//! GuardDuty user guide (findings as EventBridge events, `detail-type`
//! `GuardDuty Finding`, and as S3 exports, one finding a line, under
//! `AWSLogs/<account>/GuardDuty/<region>/`), and "AWS Security Finding
//! Format" and "EventBridge event formats" in the Security Hub user guide
//! (`Security Hub Findings - Imported` events whose `detail.findings` holds
//! one or more findings).
//!
//! An event is unwrapped ([`parts`]): each finding becomes a record of its
//! own, its fields at the top level as in the S3 export, with the event's
//! `id`, `detail-type`, `source`, `account`, `region` and `time` under
//! `eventbridge`. A finding's own time is its update time. Every finding
//! also gets `finding`, the same few facts for both products (product,
//! severity on GuardDuty's 0-10 scale and its label, type, account, region,
//! resource type, title), which the findings dashboard uses.

use std::borrow::Cow;

use super::json::member_at;
use super::typed::Kind;
use super::typed_json::{self, Schema};
use super::{Encoded, Event, Origin, Parsed};
use crate::json::check::{array_elements, object_members};
use crate::json::ObjectWriter;

/// The index of findings.
pub const INDEX: &str = "findings";

/// GuardDuty's own finding format.
pub const GUARDDUTY: Schema = Schema {
    name: "guardduty",
    index: INDEX,
    time: &["updatedAt", "createdAt", "eventbridge.time"],
    fields: &[
        ("schemaVersion", Kind::Keyword),
        ("accountId", Kind::Keyword),
        ("region", Kind::Keyword),
        ("partition", Kind::Keyword),
        ("id", Kind::Keyword),
        ("arn", Kind::Keyword),
        ("type", Kind::Keyword),
        ("severity", Kind::Float),
        ("createdAt", Kind::Keyword),
        ("updatedAt", Kind::Keyword),
        ("title", Kind::Keyword),
        ("service.serviceName", Kind::Keyword),
        ("service.detectorId", Kind::Keyword),
        ("service.count", Kind::Integer),
        ("service.archived", Kind::Keyword),
        ("service.eventFirstSeen", Kind::Keyword),
        ("service.eventLastSeen", Kind::Keyword),
        ("service.action.actionType", Kind::Keyword),
        (
            "service.action.networkConnectionAction.remoteIpDetails.ipAddressV4",
            Kind::Ip,
        ),
        (
            "service.action.networkConnectionAction.localIpDetails.ipAddressV4",
            Kind::Ip,
        ),
        (
            "service.action.networkConnectionAction.remotePortDetails.port",
            Kind::Integer,
        ),
        (
            "service.action.networkConnectionAction.localPortDetails.port",
            Kind::Integer,
        ),
        (
            "service.action.awsApiCallAction.remoteIpDetails.ipAddressV4",
            Kind::Ip,
        ),
        ("service.action.awsApiCallAction.api", Kind::Keyword),
        ("service.action.dnsRequestAction.domain", Kind::Keyword),
        (
            "service.action.kubernetesApiCallAction.remoteIpDetails.ipAddressV4",
            Kind::Ip,
        ),
        ("resource.resourceType", Kind::Keyword),
    ],
    // What was found on: its shape is the resource type's.
    flattened: &["resource", "service.additionalInfo", "service.evidence"],
    dash_is_absent: false,
    id: None,
};

/// The AWS Security Finding Format.
pub const ASFF: Schema = Schema {
    name: "security_hub",
    index: INDEX,
    time: &["UpdatedAt", "CreatedAt", "eventbridge.time"],
    fields: &[
        ("SchemaVersion", Kind::Keyword),
        ("Id", Kind::Keyword),
        ("ProductArn", Kind::Keyword),
        ("ProductName", Kind::Keyword),
        ("CompanyName", Kind::Keyword),
        ("GeneratorId", Kind::Keyword),
        ("AwsAccountId", Kind::Keyword),
        ("Region", Kind::Keyword),
        ("Types", Kind::Keyword),
        ("FirstObservedAt", Kind::Keyword),
        ("LastObservedAt", Kind::Keyword),
        ("CreatedAt", Kind::Keyword),
        ("UpdatedAt", Kind::Keyword),
        ("Severity.Label", Kind::Keyword),
        ("Severity.Normalized", Kind::Integer),
        ("Severity.Original", Kind::Keyword),
        ("Title", Kind::Keyword),
        ("RecordState", Kind::Keyword),
        ("Workflow.Status", Kind::Keyword),
        ("Compliance.Status", Kind::Keyword),
        ("Network.SourceIpV4", Kind::Ip),
        ("Network.DestinationIpV4", Kind::Ip),
        ("Network.SourcePort", Kind::Integer),
        ("Network.DestinationPort", Kind::Integer),
    ],
    // Each product's own fields, and each resource type's details.
    flattened: &[
        "ProductFields",
        "Resources",
        "FindingProviderFields",
        "UserDefinedFields",
        "Compliance.AssociatedStandards",
        "Remediation",
    ],
    dash_is_absent: false,
    id: None,
};

/// The members of `finding`, the summary both products get.
pub const SUMMARY_FIELDS: &[(&str, Kind)] = &[
    ("finding.product", Kind::Keyword),
    ("finding.severity", Kind::Float),
    ("finding.severity_label", Kind::Keyword),
    ("finding.type", Kind::Keyword),
    ("finding.account", Kind::Keyword),
    ("finding.region", Kind::Keyword),
    ("finding.resource_type", Kind::Keyword),
    ("finding.title", Kind::Keyword),
];

/// A cheap test for "this JSON text is a finding", of either product.
pub fn looks_like(head: &str) -> bool {
    is_asff(head) || is_guardduty(head)
}

fn is_asff(head: &str) -> bool {
    head.contains("\"SchemaVersion\"") && head.contains("\"ProductArn\"")
}

fn is_guardduty(head: &str) -> bool {
    head.contains("\"schemaVersion\"")
        && head.contains("\"service\"")
        && head.contains("\"severity\"")
}

/// The findings an EventBridge event carries, each as a record of its own
/// (the finding's members, and the event's under `eventbridge`); `None`
/// for a record that is a finding itself, or no event.
pub fn parts(message: &str) -> Option<Vec<String>> {
    if !message.contains("\"detail-type\"") {
        return None;
    }
    let mut meta = Vec::new();
    let mut detail = None;
    let mut meta_writer = ObjectWriter::new(&mut meta);
    object_members(message, |m| match m.name().as_ref() {
        "detail" => detail = Some(m.value),
        "id" | "detail-type" | "source" | "account" | "region" | "time" => meta_writer.member(&m),
        _ => {}
    })
    .ok()?;
    meta_writer.finish();
    let detail = detail?;
    let mut findings = Vec::new();
    let mut listed = None;
    object_members(detail, |m| {
        if m.name() == "findings" {
            listed = Some(m.value);
        }
    })
    .ok()?;
    match listed {
        Some(list) => array_elements(list, |f| findings.push(f)).ok()?,
        None => findings.push(detail),
    }
    let meta = String::from_utf8(meta).ok()?;
    Some(
        findings
            .into_iter()
            .filter(|f| f.trim_start().starts_with('{'))
            .map(|finding| {
                let inner = finding.trim().trim_start_matches('{');
                let inner = inner.strip_suffix('}').unwrap_or(inner).trim();
                let separator = if inner.is_empty() { "" } else { "," };
                format!("{{{inner}{separator}\"eventbridge\":{meta}}}")
            })
            .collect(),
    )
}

/// Writes the document of one finding (of either product), or of an
/// EventBridge event that carries none.
pub fn encode(
    parsed: &Parsed<'_, '_>,
    origin: &Origin,
    event: &Event<'_>,
    doc: &mut Vec<u8>,
) -> Result<Encoded, String> {
    let asff = parsed.members.iter().any(|m| m.name() == "SchemaVersion");
    let schema = if asff {
        &ASFF
    } else if parsed.members.iter().any(|m| m.name() == "detail-type") {
        return typed_json::encode(&super::eventbridge::EVENT, parsed, origin, event, doc);
    } else {
        &GUARDDUTY
    };
    typed_json::encode_with(schema, parsed, origin, event, doc, |w| {
        write_summary(w, parsed, asff)
    })
}

/// `finding`: product, severity (0-10) and its label, type, account,
/// region, resource type and title, read from either format.
fn write_summary(w: &mut ObjectWriter<'_>, parsed: &Parsed<'_, '_>, asff: bool) {
    let text = |path: &str| -> Option<Cow<'_, str>> {
        let value = member_at(parsed, path)?;
        match value.strip_prefix('"') {
            Some(_) => serde_json::from_str::<String>(value).ok().map(Cow::Owned),
            None => Some(Cow::Borrowed(value)),
        }
    };
    let first = |path: &str, member: &str| -> Option<String> {
        let list = member_at(parsed, path)?;
        let mut found = None;
        array_elements(list, |e| {
            if found.is_none() {
                found = Some(e);
            }
        })
        .ok()?;
        let element = found?;
        if member.is_empty() {
            return serde_json::from_str::<String>(element).ok();
        }
        let mut value = None;
        object_members(element, |m| {
            if m.name() == member {
                value = m.str_value().map(Cow::into_owned);
            }
        })
        .ok()?;
        value
    };
    let out = w.field("finding");
    let mut f = ObjectWriter::new(out);
    let (severity, label) = if asff {
        let normalized = text("Severity.Normalized").and_then(|n| n.parse::<f64>().ok());
        let label = text("Severity.Label").map(|l| l.into_owned());
        (normalized.map(|n| n / 10.0), label)
    } else {
        let severity = text("severity").and_then(|n| n.parse::<f64>().ok());
        (severity, severity.map(|s| guardduty_label(s).to_owned()))
    };
    if asff {
        let product = text("ProductName").map_or(Cow::Borrowed("Security Hub"), |p| p);
        f.str("product", &product);
    } else {
        f.str("product", "GuardDuty");
    }
    if let Some(severity) = severity.filter(|s| s.is_finite()) {
        f.f64("severity", severity);
    }
    if let Some(label) = label {
        f.str("severity_label", &label);
    }
    let kind = if asff {
        first("Types", "")
    } else {
        text("type").map(Cow::into_owned)
    };
    if let Some(kind) = kind {
        f.str("type", &kind);
    }
    let (account, region, title) = if asff {
        ("AwsAccountId", "Region", "Title")
    } else {
        ("accountId", "region", "title")
    };
    for (name, path) in [("account", account), ("region", region), ("title", title)] {
        if let Some(value) = text(path) {
            f.str(name, &value);
        }
    }
    let resource = if asff {
        first("Resources", "Type")
    } else {
        text("resource.resourceType").map(Cow::into_owned)
    };
    if let Some(resource) = resource {
        f.str("resource_type", &resource);
    }
    f.finish();
}

/// GuardDuty's severity levels: low below 4, medium below 7, high below
/// 9, critical above.
fn guardduty_label(severity: f64) -> &'static str {
    match severity {
        s if s < 4.0 => "LOW",
        s if s < 7.0 => "MEDIUM",
        s if s < 9.0 => "HIGH",
        _ => "CRITICAL",
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::super::Format;
    use super::*;

    fn asff(id: &str, normalized: u32) -> String {
        format!(
            r#"{{"SchemaVersion":"2018-10-08","Id":"{id}","ProductArn":"arn:aws:securityhub:eu-west-1::product/aws/securityhub","ProductName":"Security Hub","AwsAccountId":"111122223333","Region":"eu-west-1","Types":["Effects/Data Exposure"],"CreatedAt":"2025-12-01T00:00:00Z","UpdatedAt":"2025-12-05T16:00:00.000Z","Severity":{{"Label":"HIGH","Normalized":{normalized}}},"Title":"t","Resources":[{{"Type":"AwsS3Bucket","Id":"arn:aws:s3:::b"}}]}}"#
        )
    }

    #[test]
    fn an_event_of_findings_is_a_record_per_finding() {
        let event = format!(
            r#"{{"version":"0","id":"ev1","detail-type":"Security Hub Findings - Imported","source":"aws.securityhub","account":"111122223333","time":"2025-12-05T16:00:05Z","region":"eu-west-1","resources":[],"detail":{{"findings":[{},{}]}}}}"#,
            asff("f1", 70),
            asff("f2", 90)
        );
        assert_eq!(Format::detect(&event, None), Format::Findings);
        let parts = parts(&event).expect("an event");
        assert_eq!(parts.len(), 2);
        let (doc, encoded) = encode_doc(
            &Format::Findings,
            &super::super::test_support::event(&parts[1]),
        );
        assert_eq!(doc["Id"], "f2");
        assert_eq!(doc["eventbridge"]["id"], "ev1");
        assert_eq!(doc["@timestamp"], "2025-12-05T16:00:00.000Z");
        assert_eq!(doc["finding"]["severity"], 9.0);
        assert_eq!(doc["finding"]["severity_label"], "HIGH");
        assert_eq!(doc["finding"]["type"], "Effects/Data Exposure");
        assert_eq!(doc["finding"]["resource_type"], "AwsS3Bucket");
        assert!(encoded.error.is_none());
        // A finding alone is no event; an event without findings has none.
        assert!(parts_of(&asff("f3", 10)).is_none());
        let empty = r#"{"detail-type":"Security Hub Findings - Imported","source":"aws.securityhub","id":"e","detail":{"findings":[]}}"#;
        assert_eq!(parts_of(empty), Some(0));
    }

    fn parts_of(message: &str) -> Option<usize> {
        parts(message).map(|p| p.len())
    }

    #[test]
    fn guardduty_findings_from_events_and_exports_are_alike() {
        let finding = r#"{"schemaVersion":"2.0","accountId":"111122223333","region":"eu-west-1","id":"gd1","type":"UnauthorizedAccess:EC2/SSHBruteForce","resource":{"resourceType":"Instance"},"service":{"serviceName":"guardduty","count":4,"action":{"actionType":"NETWORK_CONNECTION","networkConnectionAction":{"remoteIpDetails":{"ipAddressV4":"198.51.100.7"}}}},"severity":7.5,"createdAt":"2025-12-04T00:00:00.000Z","updatedAt":"2025-12-05T16:00:00.000Z","title":"SSH brute force"}"#;
        let event = format!(
            r#"{{"version":"0","id":"ev2","detail-type":"GuardDuty Finding","source":"aws.guardduty","account":"111122223333","time":"2025-12-05T16:00:09Z","region":"eu-west-1","resources":[],"detail":{finding}}}"#
        );
        let parts = parts(&event).expect("an event");
        assert_eq!(parts.len(), 1);
        for record in [finding, parts[0].as_str()] {
            let (doc, encoded) = encode_doc(
                &Format::Findings,
                &super::super::test_support::event(record),
            );
            assert_eq!(doc["@timestamp"], "2025-12-05T16:00:00.000Z");
            assert_eq!(doc["finding"]["product"], "GuardDuty");
            assert_eq!(doc["finding"]["severity_label"], "HIGH");
            assert_eq!(doc["finding"]["resource_type"], "Instance");
            assert_eq!(doc["severity"], 7.5);
            assert!(encoded.error.is_none());
        }
    }
}
