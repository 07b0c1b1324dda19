//! Amazon EKS control plane audit logs (`/aws/eks/<cluster>/cluster`
//! groups, `kube-apiserver-audit-*` streams).
//!
//! Reference: "Amazon EKS control plane logs" in the EKS user guide and
//! Kubernetes' `audit.k8s.io/v1` `Event`. One JSON object per request:
//! `auditID`, `stage`, `verb`, `requestURI`, `user`, `sourceIPs` (a list of
//! addresses), `objectRef`, `responseStatus`, `requestReceivedTimestamp`
//! and `stageTimestamp` (RFC 3339, microseconds), and `requestObject` /
//! `responseObject` (any Kubernetes object: one flattened field each, as
//! are `annotations`). The same group's other streams (authenticator,
//! controller manager, scheduler) are klog lines, read as text with their
//! level and time ([`super::line_prefix`]).

use super::typed::Kind;
use super::typed_json::Schema;

pub const AUDIT: Schema = Schema {
    name: "eks_audit",
    index: "eks-audit",
    time: &["requestReceivedTimestamp", "stageTimestamp"],
    fields: &[
        ("kind", Kind::Keyword),
        ("apiVersion", Kind::Keyword),
        ("level", Kind::Keyword),
        ("auditID", Kind::Keyword),
        ("stage", Kind::Keyword),
        ("requestURI", Kind::Keyword),
        ("verb", Kind::Keyword),
        ("user.username", Kind::Keyword),
        ("user.uid", Kind::Keyword),
        ("user.groups", Kind::Keyword),
        ("sourceIPs", Kind::Ip),
        ("userAgent", Kind::Keyword),
        ("objectRef.resource", Kind::Keyword),
        ("objectRef.namespace", Kind::Keyword),
        ("objectRef.name", Kind::Keyword),
        ("objectRef.apiGroup", Kind::Keyword),
        ("objectRef.apiVersion", Kind::Keyword),
        ("objectRef.subresource", Kind::Keyword),
        ("responseStatus.code", Kind::Integer),
        ("responseStatus.status", Kind::Keyword),
        ("responseStatus.reason", Kind::Keyword),
        ("requestReceivedTimestamp", Kind::Keyword),
        ("stageTimestamp", Kind::Keyword),
    ],
    flattened: &[
        "requestObject",
        "responseObject",
        "annotations",
        "user.extra",
        "impersonatedUser",
        "responseStatus.details",
    ],
    dash_is_absent: false,
    id: None,
};

/// A cheap test for "this JSON text is a Kubernetes audit event".
pub fn looks_like(head: &str) -> bool {
    head.contains("\"auditID\"") && head.contains("\"requestReceivedTimestamp\"")
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::super::Format;

    /// Written from the Kubernetes audit Event reference.
    const AUDIT: &str = r#"{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"6f2a9a54-7d43-4b0e-9f44-8c2c1c0b1a10","stage":"ResponseComplete","requestURI":"/api/v1/namespaces/shop/secrets/db","verb":"get","user":{"username":"arn:aws:sts::111122223333:assumed-role/dev/alice","groups":["system:authenticated"],"extra":{"accessKeyId":["AKIAIOSFODNN7EXAMPLE"]}},"sourceIPs":["198.51.100.7","2001:db8::7"],"userAgent":"kubectl/v1.31.0","objectRef":{"resource":"secrets","namespace":"shop","name":"db","apiVersion":"v1"},"responseStatus":{"metadata":{},"code":200},"requestReceivedTimestamp":"2025-12-05T16:00:00.123456Z","stageTimestamp":"2025-12-05T16:00:00.130000Z","annotations":{"authorization.k8s.io/decision":"allow"}}"#;

    #[test]
    fn audit_events_are_typed() {
        let format = Format::detect(AUDIT, None);
        assert_eq!(format, Format::Known(&super::AUDIT));
        let (doc, encoded) = encode_doc(&format, &event(AUDIT));
        assert_eq!(doc["@timestamp"], "2025-12-05T16:00:00.123Z");
        assert_eq!(doc["sourceIPs"][1], "2001:db8::7");
        assert_eq!(doc["responseStatus"]["code"], 200);
        assert!(encoded.error.is_none());
        let bad = AUDIT.replace("\"198.51.100.7\"", "\"somewhere\"");
        let (doc, encoded) = encode_doc(&format, &event(&bad));
        assert!(doc.get("sourceIPs").is_none());
        assert!(doc["@invalid"]["sourceIPs"].is_string());
        assert!(encoded.error.is_some());
        let text = AUDIT.replace("\"198.51.100.7\"", "\"[198.51.100.8]\"");
        let (doc, _) = encode_doc(&format, &event(&text));
        assert_eq!(doc["sourceIPs"][0], "198.51.100.8");
    }
}
