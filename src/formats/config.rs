//! AWS Config configuration items: snapshot and history files in S3
//! (`AWSLogs/<account>/Config/<region>/YYYY/M/D/{ConfigSnapshot,ConfigHistory}/`).
//!
//! Reference: "Components of a configuration item" in the AWS Config
//! developer guide. A file is one JSON object with `fileVersion` and
//! `configurationItems`, a list read item by item in bounded memory as
//! CloudTrail's `Records` are ([`crate::decode::records`]): one document
//! per item, filed under `configurationItemCaptureTime`. `configuration`
//! and `supplementaryConfiguration` (their shape is the resource type's)
//! and `tags` are one flattened field each. The `ConfigWritabilityCheckFile`
//! Config writes to test the bucket holds no items and is skipped.

use super::typed::Kind;
use super::typed_json::Schema;

/// The index of configuration items and Config's events.
pub const INDEX: &str = "config";

pub const ITEM: Schema = Schema {
    name: "config",
    index: INDEX,
    time: &["configurationItemCaptureTime"],
    fields: &[
        ("configurationItemVersion", Kind::Keyword),
        ("configurationItemCaptureTime", Kind::Keyword),
        ("configurationItemStatus", Kind::Keyword),
        ("configurationStateId", Kind::Keyword),
        ("configurationStateMd5Hash", Kind::Keyword),
        ("awsAccountId", Kind::Keyword),
        ("awsRegion", Kind::Keyword),
        ("availabilityZone", Kind::Keyword),
        ("resourceType", Kind::Keyword),
        ("resourceId", Kind::Keyword),
        ("resourceName", Kind::Keyword),
        ("ARN", Kind::Keyword),
        ("resourceCreationTime", Kind::Keyword),
        ("relatedEvents", Kind::Keyword),
        ("relationships.resourceType", Kind::Keyword),
        ("relationships.resourceId", Kind::Keyword),
        ("relationships.name", Kind::Keyword),
    ],
    flattened: &["configuration", "supplementaryConfiguration", "tags"],
    dash_is_absent: false,
    id: None,
};

/// A cheap test for "this JSON text is a configuration item".
pub fn looks_like(head: &str) -> bool {
    head.contains("\"configurationItemCaptureTime\"") && head.contains("\"resourceType\"")
}

/// Is this the object Config writes to check that it may write the bucket?
pub fn is_writability_check(key: &str) -> bool {
    key.rsplit('/')
        .next()
        .is_some_and(|name| name.starts_with("ConfigWritabilityCheckFile"))
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::super::Format;

    /// Written from the Config developer guide's configuration item.
    const ITEM: &str = r#"{"relatedEvents":[],"relationships":[{"resourceId":"vpc-0a1b2c3d","resourceName":null,"resourceType":"AWS::EC2::VPC","name":"Is contained in Vpc"}],"configuration":{"groupName":"web","ipPermissions":[{"fromPort":443,"ipProtocol":"tcp"}]},"supplementaryConfiguration":{},"tags":{"team":"shop"},"configurationItemVersion":"1.3","configurationItemCaptureTime":"2025-12-05T16:00:00.123Z","configurationStateId":1764950400123,"awsAccountId":"111122223333","configurationItemStatus":"OK","resourceType":"AWS::EC2::SecurityGroup","resourceId":"sg-0123456789abcdef0","resourceName":"web","ARN":"arn:aws:ec2:eu-west-1:111122223333:security-group/sg-0123456789abcdef0","awsRegion":"eu-west-1","availabilityZone":"Not Applicable","configurationStateMd5Hash":""}"#;

    #[test]
    fn an_item_is_filed_under_its_capture_time() {
        let format = Format::detect(ITEM, None);
        assert_eq!(format, Format::Known(&super::ITEM));
        let (doc, encoded) = encode_doc(&format, &event(ITEM));
        assert_eq!(doc["@timestamp"], "2025-12-05T16:00:00.123Z");
        assert_eq!(doc["configuration"]["groupName"], "web");
        assert!(encoded.error.is_none());
        assert!(super::is_writability_check(
            "AWSLogs/111122223333/Config/ConfigWritabilityCheckFile"
        ));
        assert!(!super::is_writability_check(
            "AWSLogs/1/Config/eu-west-1/x.json.gz"
        ));
    }
}
