//! EventBridge events, GuardDuty and Security Hub findings, AWS Config
//! items, EKS audit events, API Gateway access logs and RDS / Aurora logs,
//! by the delivery paths AWS offers for each (CloudWatch Logs payload, S3
//! object under AWS's key layout, Firehose record, object Firehose wrote),
//! through `replay` (the Lambda's code path) into a real `osmem-server`
//! with the forwarder's templates: each lands in its own index dated by its
//! own time, with its values typed, one document per finding and per
//! configuration item, and nothing rejected.
//!
//! Every record here is written from the AWS documentation of its log
//! (field lists and examples); a day of its own per delivery path, so that
//! the index date proves the record's own time was used.

mod support;

use serde_json::{json, Value};
use support::{firehose_event, path_str, replay_in, replay_to, temp_dir, write_object, Osmem};

fn day(d: u32) -> String {
    format!("2025-12-{d:02}T16:00:00Z")
}

fn event(d: u32, id: &str, detail_type: &str, source: &str, detail: Value) -> Value {
    json!({"version": "0", "id": id, "detail-type": detail_type, "source": source,
           "account": "111122223333", "time": day(d), "region": "eu-west-1",
           "resources": [], "detail": detail})
}

/// A GuardDuty finding (the user guide's finding format), updated on day `d`.
fn guardduty(d: u32, id: &str) -> Value {
    json!({"schemaVersion": "2.0", "accountId": "111122223333", "region": "eu-west-1", "partition": "aws",
        "id": id, "arn": format!("arn:aws:guardduty:eu-west-1:111122223333:detector/d1/finding/{id}"),
        "type": "Recon:EC2/PortProbeUnprotectedPort",
        "resource": {"resourceType": "Instance", "instanceDetails": {"instanceId": "i-0123456789abcdef0",
                     "networkInterfaces": [{"privateIpAddress": "10.0.1.5", "publicIp": "203.0.113.5"}]}},
        "service": {"serviceName": "guardduty", "detectorId": "d1", "archived": false, "count": 3,
                    "eventFirstSeen": day(d - 1), "eventLastSeen": day(d),
                    "action": {"actionType": "NETWORK_CONNECTION", "networkConnectionAction": {
                        "connectionDirection": "INBOUND", "protocol": "TCP", "blocked": false,
                        "remoteIpDetails": {"ipAddressV4": "198.51.100.7", "country": {"countryName": "Netherlands"}},
                        "remotePortDetails": {"port": 41235}, "localPortDetails": {"port": 22}}},
                    "additionalInfo": {"threatListName": "ProofPoint", "sample": true}},
        "severity": 5.0, "createdAt": day(d - 1), "updatedAt": day(d),
        "title": "Unprotected port on EC2 instance i-0123456789abcdef0 is being probed.",
        "description": "EC2 instance has an unprotected port which is being probed by a known malicious host."})
}

/// A Security Hub finding (ASFF), updated on day `d`.
fn asff(d: u32, id: &str, normalized: u32) -> Value {
    json!({"SchemaVersion": "2018-10-08", "Id": id,
        "ProductArn": "arn:aws:securityhub:eu-west-1::product/aws/securityhub",
        "ProductName": "Security Hub", "CompanyName": "AWS", "Region": "eu-west-1",
        "GeneratorId": "aws-foundational-security-best-practices/v/1.0.0/S3.8", "AwsAccountId": "111122223333",
        "Types": ["Software and Configuration Checks/Industry and Regulatory Standards"],
        "FirstObservedAt": day(d - 2), "LastObservedAt": day(d), "CreatedAt": day(d - 2), "UpdatedAt": day(d),
        "Severity": {"Label": if normalized >= 70 { "HIGH" } else { "MEDIUM" }, "Normalized": normalized, "Original": "MEDIUM"},
        "Title": "S3 general purpose buckets should block public access",
        "ProductFields": {"StandardsArn": "arn:aws:securityhub:::standards/aws-foundational-security-best-practices/v/1.0.0", "aws/securityhub/ProductName": "Security Hub"},
        "Resources": [{"Type": "AwsS3Bucket", "Id": "arn:aws:s3:::amzn-s3-demo-bucket", "Partition": "aws", "Region": "eu-west-1",
                       "Details": {"AwsS3Bucket": {"OwnerId": "abc", "CreatedAt": day(1)}}}],
        "Compliance": {"Status": "FAILED"}, "Workflow": {"Status": "NEW"}, "RecordState": "ACTIVE"})
}

/// A configuration item captured on day `d`.
fn config_item(d: u32, resource: &str) -> Value {
    json!({"relatedEvents": [], "relationships": [{"resourceId": "vpc-0a1b2c3d", "resourceType": "AWS::EC2::VPC", "name": "Is contained in Vpc"}],
        "configuration": {"groupName": resource, "ipPermissions": [{"fromPort": 443, "ipProtocol": "tcp", "ipRanges": ["0.0.0.0/0"]}]},
        "supplementaryConfiguration": {}, "tags": {"team": "shop"}, "configurationItemVersion": "1.3",
        "configurationItemCaptureTime": format!("2025-12-{d:02}T16:00:00.123Z"), "configurationStateId": 1_764_950_400_123_i64,
        "awsAccountId": "111122223333", "configurationItemStatus": "OK", "resourceType": "AWS::EC2::SecurityGroup",
        "resourceId": resource, "resourceName": resource, "ARN": format!("arn:aws:ec2:eu-west-1:111122223333:security-group/{resource}"),
        "awsRegion": "eu-west-1", "availabilityZone": "Not Applicable", "configurationStateMd5Hash": ""})
}

fn eks_audit(d: u32, id: &str) -> String {
    json!({"kind": "Event", "apiVersion": "audit.k8s.io/v1", "level": "Metadata", "auditID": id,
        "stage": "ResponseComplete", "requestURI": "/api/v1/namespaces/shop/secrets/db", "verb": "get",
        "user": {"username": "arn:aws:sts::111122223333:assumed-role/dev/alice", "groups": ["system:authenticated"]},
        "sourceIPs": ["198.51.100.7"], "userAgent": "kubectl/v1.31.0",
        "objectRef": {"resource": "secrets", "namespace": "shop", "name": "db", "apiVersion": "v1"},
        "responseStatus": {"metadata": {}, "code": 403},
        "requestReceivedTimestamp": format!("2025-12-{d:02}T16:00:00.123456Z"),
        "stageTimestamp": format!("2025-12-{d:02}T16:00:00.130000Z"),
        "annotations": {"authorization.k8s.io/decision": "forbid"}})
    .to_string()
}

fn apigateway(d: u32, id: &str, status: &str) -> String {
    json!({"requestId": id, "ip": "198.51.100.7", "caller": "-", "user": "-",
        "requestTime": format!("{d:02}/Dec/2025:16:00:00 +0000"), "httpMethod": "POST",
        "resourcePath": "/orders", "status": status, "protocol": "HTTP/1.1",
        "responseLength": "36", "integrationLatency": "-", "responseLatency": "29"})
    .to_string()
}

fn cloudwatch(dir: &std::path::Path, group: &str, messages: &[&str]) -> String {
    path_str(&support::cloudwatch_event(dir, group, messages))
}

/// Where one delivery should land, how many documents, and a query on its
/// typed values that must find them all.
struct Case {
    what: &'static str,
    index: &'static str,
    documents: u64,
    typed: Value,
}

#[test]
fn every_type_by_every_path_lands_typed_in_its_own_index() {
    let osmem = Osmem::start();
    let dir = temp_dir("findings-audit");
    let mut inputs = Vec::new();
    let mut cases = Vec::new();
    let term = |field: &str, value: &str| json!({"term": {field: value}});
    let both = |a: Value, b: Value| json!({"bool": {"filter": [a, b]}});

    // EventBridge events: a log group, a Firehose record, an object
    // Firehose wrote (events one after the other, no separator).
    let ec2 = |d, id: &str| {
        event(
            d,
            id,
            "EC2 Instance State-change Notification",
            "aws.ec2",
            json!({"instance-id": "i-0123456789abcdef0", "state": "stopped"}),
        )
    };
    inputs.push(cloudwatch(
        &dir,
        "/aws/events/ec2",
        &[&ec2(1, "e-cw").to_string()],
    ));
    cases.push(Case {
        what: "event via CloudWatch Logs",
        index: "events-2025.12.01",
        documents: 1,
        typed: term("id", "e-cw"),
    });
    inputs.push(firehose_event(&dir, "events", &ec2(2, "e-fh").to_string()));
    cases.push(Case {
        what: "event via Firehose",
        index: "events-2025.12.02",
        documents: 1,
        typed: term("detail-type", "EC2 Instance State-change Notification"),
    });
    inputs.push(write_object(
        &dir,
        "events/2025/12/03/16/events-1-2025-12-03-16-00-00-0a1b2c3d",
        format!("{}{}", ec2(3, "e-fo1"), ec2(3, "e-fo2")).as_bytes(),
    ));
    cases.push(Case {
        what: "events in a Firehose object",
        index: "events-2025.12.03",
        documents: 2,
        typed: term("source", "aws.ec2"),
    });

    // One group for every rule: each event goes where its source says.
    let mixed = [
        ec2(12, "mixed-ec2").to_string(),
        event(
            12,
            "mixed-gd",
            "GuardDuty Finding",
            "aws.guardduty",
            guardduty(12, "gd-mixed"),
        )
        .to_string(),
        event(
            12,
            "mixed-cfg",
            "Config Configuration Item Change",
            "aws.config",
            json!({"configurationItem": {}}),
        )
        .to_string(),
    ];
    inputs.push(cloudwatch(
        &dir,
        "/aws/events/all",
        &mixed.iter().map(String::as_str).collect::<Vec<_>>(),
    ));
    cases.push(Case {
        what: "an EC2 event of a catch-all group",
        index: "events-2025.12.12",
        documents: 1,
        typed: term("id", "mixed-ec2"),
    });
    cases.push(Case {
        what: "a finding of a catch-all group",
        index: "findings-2025.12.12",
        documents: 1,
        typed: term("id", "gd-mixed"),
    });
    cases.push(Case {
        what: "a Config event of a catch-all group",
        index: "config-2025.12.12",
        documents: 1,
        typed: term("id", "mixed-cfg"),
    });

    // GuardDuty: EventBridge (log group, Firehose), and its S3 export.
    let gd_event = |d, id: &str| {
        event(
            d,
            &format!("ev-{id}"),
            "GuardDuty Finding",
            "aws.guardduty",
            guardduty(d, id),
        )
    };
    let gd_typed = || {
        both(
            json!({"term": {"service.action.networkConnectionAction.remoteIpDetails.ipAddressV4": "198.51.100.0/24"}}),
            json!({"range": {"severity": {"gte": 4, "lt": 7}}}),
        )
    };
    inputs.push(cloudwatch(
        &dir,
        "/aws/events/guardduty",
        &[&gd_event(2, "gd-cw").to_string()],
    ));
    cases.push(Case {
        what: "GuardDuty via EventBridge to CloudWatch Logs",
        index: "findings-2025.12.02",
        documents: 1,
        typed: both(
            gd_typed(),
            term("eventbridge.detail-type", "GuardDuty Finding"),
        ),
    });
    inputs.push(write_object(&dir, "AWSLogs/111122223333/GuardDuty/eu-west-1/2025/12/03/0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9.jsonl.gz",
        &support::gzip(&format!("{}\n{}\n", guardduty(3, "gd-s3a"), guardduty(3, "gd-s3b")))));
    cases.push(Case {
        what: "GuardDuty's S3 export",
        index: "findings-2025.12.03",
        documents: 2,
        typed: gd_typed(),
    });
    inputs.push(firehose_event(
        &dir,
        "findings",
        &gd_event(4, "gd-fh").to_string(),
    ));
    cases.push(Case {
        what: "GuardDuty via EventBridge to Firehose",
        index: "findings-2025.12.04",
        documents: 1,
        typed: both(gd_typed(), term("finding.severity_label", "MEDIUM")),
    });

    // Security Hub: one event of three findings (three documents), and a
    // Firehose object of two events of two findings each.
    let hub = |d, id: &str, n: u32| {
        event(
            d,
            id,
            "Security Hub Findings - Imported",
            "aws.securityhub",
            json!({"findings": (0..n).map(|i| asff(d, &format!("{id}-f{i}"), 40 + 20 * i)).collect::<Vec<_>>()}),
        )
    };
    let hub_typed = || json!({"range": {"Severity.Normalized": {"gte": 40}}});
    inputs.push(cloudwatch(
        &dir,
        "/aws/events/securityhub",
        &[&hub(5, "sh-cw", 3).to_string()],
    ));
    cases.push(Case {
        what: "Security Hub event of three findings via CloudWatch Logs",
        index: "findings-2025.12.05",
        documents: 3,
        typed: hub_typed(),
    });
    inputs.push(write_object(
        &dir,
        "securityhub/2025/12/06/16/findings-1-2025-12-06-16-00-00-0a1b2c3d",
        format!("{}\n{}\n", hub(6, "sh-fo1", 2), hub(6, "sh-fo2", 2)).as_bytes(),
    ));
    cases.push(Case {
        what: "Security Hub events in a Firehose object",
        index: "findings-2025.12.06",
        documents: 4,
        typed: both(hub_typed(), term("finding.product", "Security Hub")),
    });

    // Config: a snapshot (three items, one document each), a history file,
    // the writability check (nothing), a compliance change event.
    let snapshot = json!({"fileVersion": "1.0", "configSnapshotId": "a1b2c3d4",
        "configurationItems": [config_item(7, "sg-1"), config_item(7, "sg-2"), config_item(7, "sg-3")]});
    inputs.push(write_object(&dir, "AWSLogs/111122223333/Config/eu-west-1/2025/12/7/ConfigSnapshot/111122223333_Config_eu-west-1_ConfigSnapshot_20251207T160000Z_a1b2c3d4.json.gz",
        &support::gzip(&snapshot.to_string())));
    cases.push(Case {
        what: "Config snapshot",
        index: "config-2025.12.07",
        documents: 3,
        typed: term("resourceType", "AWS::EC2::SecurityGroup"),
    });
    let history = json!({"fileVersion": "1.0", "configurationItems": [config_item(8, "sg-4")]});
    inputs.push(write_object(&dir, "AWSLogs/111122223333/Config/eu-west-1/2025/12/8/ConfigHistory/111122223333_Config_eu-west-1_ConfigHistory_AWS::EC2::SecurityGroup_20251208T160000Z_20251208T170000Z_1.json.gz",
        &support::gzip(&history.to_string())));
    cases.push(Case {
        what: "Config history",
        index: "config-2025.12.08",
        documents: 1,
        typed: term("configuration.groupName", "sg-4"),
    });
    inputs.push(write_object(
        &dir,
        "AWSLogs/111122223333/Config/ConfigWritabilityCheckFile",
        b"ConfigWritabilityCheckFile",
    ));
    let compliance = event(
        9,
        "cfg-ev",
        "Config Rules Compliance Change",
        "aws.config",
        json!({"configRuleName": "s3-bucket-public-read-prohibited", "newEvaluationResult": {"complianceType": "NON_COMPLIANT"}}),
    );
    inputs.push(cloudwatch(
        &dir,
        "/aws/events/config",
        &[&compliance.to_string()],
    ));
    cases.push(Case {
        what: "Config compliance event",
        index: "config-2025.12.09",
        documents: 1,
        typed: term("id", "cfg-ev"),
    });

    // EKS: the audit stream, and klog lines of the authenticator.
    inputs.push(cloudwatch(
        &dir,
        "/aws/eks/shop/cluster",
        &[&eks_audit(10, "a-1"), &eks_audit(10, "a-2")],
    ));
    inputs.push(cloudwatch(&dir, "/aws/eks/shop/cluster",
        &["time=\"2025-12-10T16:00:01Z\" level=info msg=\"access granted\" arn=\"arn:aws:iam::111122223333:role/dev\"",
          "I1210 16:00:02.123456      10 leaderelection.go:258] successfully acquired lease kube-system/kube-scheduler"]));
    cases.push(Case {
        what: "EKS audit",
        index: "eks-audit-2025.12.10",
        documents: 2,
        typed: both(
            json!({"term": {"sourceIPs": "198.51.100.0/24"}}),
            json!({"range": {"responseStatus.code": {"gte": 400}}}),
        ),
    });

    // API Gateway: access logs in a group of any name; execution logs.
    inputs.push(cloudwatch(
        &dir,
        "/custom/api-access",
        &[&apigateway(11, "r-1", "502"), &apigateway(11, "r-2", "200")],
    ));
    cases.push(Case {
        what: "API Gateway access log",
        index: "apigateway-2025.12.11",
        documents: 2,
        typed: both(
            json!({"range": {"status": {"gte": 200}}}),
            json!({"term": {"ip": "198.51.100.0/24"}}),
        ),
    });
    inputs.push(cloudwatch(
        &dir,
        "API-Gateway-Execution-Logs_a1b2c3d4e5/prod",
        &["(c6af9ac6-7b61-11e6-9a41-93e8deadbeef) Method request body before transformations: {}"],
    ));

    // RDS: audit, PostgreSQL, slow query and error logs.
    inputs.push(cloudwatch(&dir, "/aws/rds/cluster/shop/audit",
        &["1764604800123456,ip-10-0-1-5,admin,10.0.1.25,26,1077,QUERY,orders,'SELECT id, total FROM orders',0"]));
    cases.push(Case {
        what: "Aurora MySQL audit",
        index: "rds-2025.12.01",
        documents: 1,
        typed: both(
            json!({"term": {"client_ip": "10.0.0.0/8"}}),
            json!({"range": {"connection_id": {"gte": 26}}}),
        ),
    });
    inputs.push(cloudwatch(&dir, "/aws/rds/instance/orders/postgresql",
        &["2025-12-02 16:00:00 UTC:10.0.1.25(51234):app@orders:[4242]:ERROR:  relation \"ordrs\" does not exist"]));
    cases.push(Case {
        what: "PostgreSQL",
        index: "rds-2025.12.02",
        documents: 1,
        typed: both(
            term("level", "ERROR"),
            json!({"range": {"pid": {"gt": 4000}}}),
        ),
    });
    inputs.push(cloudwatch(&dir, "/aws/rds/instance/orders/slowquery",
        &["# Time: 2025-12-03T16:00:00.123456Z\n# User@Host: admin[admin] @  [10.0.1.25]  Id:    26\n# Query_time: 2.000164  Lock_time: 0.000010 Rows_sent: 1  Rows_examined: 0\nSET timestamp=1764777600;\nSELECT SLEEP(2);"]));
    cases.push(Case {
        what: "MySQL slow query",
        index: "rds-2025.12.03",
        documents: 1,
        typed: json!({"range": {"query_time": {"gt": 1.5}}}),
    });
    inputs.push(cloudwatch(&dir, "/aws/rds/instance/orders/error",
        &["2025-12-04T16:00:00.123456Z 0 [Warning] [MY-010068] [Server] CA certificate ca.pem is self signed."]));
    cases.push(Case {
        what: "MySQL error log",
        index: "rds-2025.12.04",
        documents: 1,
        typed: term("error_code", "MY-010068"),
    });

    let run = replay_to(&osmem.url, &dir, &inputs);
    assert!(run.success, "{}\n{}", run.summary, run.stderr);
    // The execution log line and the two lines of the EKS control plane.
    let expected: u64 = cases.iter().map(|c| c.documents).sum::<u64>() + 3;
    osmem.request("POST", "/_refresh", None);
    assert_eq!(
        run.summary["indexed"],
        expected,
        "{}\n{}",
        run.summary,
        osmem.get("/_cat/indices?format=json")
    );
    assert_eq!(
        run.summary["failed"], 0,
        "nothing rejected: {}",
        run.summary
    );
    assert_eq!(run.summary["duplicates"], 0, "{}", run.summary);
    assert_eq!(run.summary["malformed"], 0, "{}", run.summary);

    osmem.request("POST", "/_refresh", None);
    for case in &cases {
        let all = osmem.count(case.index, json!({"match_all": {}}));
        assert_eq!(
            all, case.documents,
            "{}: documents in {}",
            case.what, case.index
        );
        assert_eq!(
            osmem.count(case.index, case.typed.clone()),
            case.documents,
            "{}: typed values",
            case.what
        );
    }
    for field in ["@error", "@invalid"] {
        assert_eq!(
            osmem.count("*", json!({"exists": {"field": field}})),
            0,
            "{field}"
        );
    }
    // Only the execution log line (no time at its start) says it was
    // dated by its arrival; the authenticator's logfmt line has its own.
    assert_eq!(
        osmem.count("*", json!({"exists": {"field": "@timestamp_from"}})),
        1
    );
    let logfmt = osmem.sources(
        "cwl-aws-eks-shop-cluster-2025.12.10",
        json!({"match_all": {}}),
    );
    assert_eq!(logfmt.len(), 1, "{logfmt:?}");
    assert_eq!(logfmt[0]["@timestamp"], "2025-12-10T16:00:01.000Z");
    assert_eq!(logfmt[0]["level"], "info");
    // The scheduler's klog line: its level, and its own time (the year of
    // its arrival, 2023 here, taken back a year as it would be ahead of it).
    let klog = osmem.sources(
        "cwl-aws-eks-shop-cluster-2022.12.10",
        json!({"match": {"level": "INFO"}}),
    );
    assert_eq!(klog.len(), 1, "{klog:?}");
    assert_eq!(klog[0]["@timestamp"], "2022-12-10T16:00:02.123Z");
    // A finding is its own document, the event it came in beside it.
    let hub_docs = osmem.sources("findings-2025.12.05", json!({"match_all": {}}));
    let mut ids: Vec<&str> = hub_docs.iter().filter_map(|d| d["Id"].as_str()).collect();
    ids.sort();
    assert_eq!(ids, ["sh-cw-f0", "sh-cw-f1", "sh-cw-f2"]);
    assert!(hub_docs.iter().all(
        |d| d["eventbridge"]["id"] == "sh-cw" && d["finding"]["resource_type"] == "AwsS3Bucket"
    ));
    // Execution logs and the authenticator's text go where they belong.
    assert_eq!(
        osmem.count("apigw-execution-*", json!({"match_all": {}})),
        1
    );
    assert_eq!(
        osmem.count("apigateway-*", json!({"range": {"status": {"gte": 500}}})),
        1
    );
    assert_eq!(
        osmem.count(
            "apigateway-*",
            json!({"exists": {"field": "integrationLatency"}})
        ),
        0,
        "- is no value"
    );

    // EventBridge ids are the documents' ids: the same events again are
    // all duplicates, none a second document.
    let again = replay_in(
        Some(&dir),
        &["--endpoint", osmem.url.as_str(), &inputs[0], &inputs[1]],
        &[("ES_AUTH", "none")],
    );
    assert_eq!(again.summary["duplicates"], 2, "{}", again.summary);
    let _ = std::fs::remove_dir_all(&dir);
}

/// One bad value per record: the record arrives with that value in
/// `@invalid` and the rest typed; the cluster rejects nothing.
#[test]
fn a_bad_value_costs_only_itself_and_nothing_is_rejected() {
    let osmem = Osmem::start();
    let dir = temp_dir("findings-audit-bad");
    let mut finding = guardduty(2, "gd-bad");
    finding["severity"] = json!("very high");
    let inputs = [
        cloudwatch(
            &dir,
            "/aws/events/guardduty",
            &[&event(2, "ev-bad", "GuardDuty Finding", "aws.guardduty", finding).to_string()],
        ),
        cloudwatch(
            &dir,
            "/aws/eks/shop/cluster",
            &[&eks_audit(4, "a-bad").replace("198.51.100.7", "nowhere")],
        ),
        cloudwatch(
            &dir,
            "/custom/api-access",
            &[&apigateway(5, "r-bad", "5xx")],
        ),
    ];
    let run = replay_to(&osmem.url, &dir, &inputs);
    assert!(run.success, "{}\n{}", run.summary, run.stderr);
    assert_eq!(run.summary["indexed"], 3, "{}", run.summary);
    assert_eq!(run.summary["failed"], 0, "{}", run.summary);
    osmem.request("POST", "/_refresh", None);
    for (index, invalid, still_typed) in [
        (
            "findings-*",
            "severity",
            json!({"term": {"service.action.networkConnectionAction.remoteIpDetails.ipAddressV4": "198.51.100.7"}}),
        ),
        (
            "eks-audit-*",
            "sourceIPs",
            json!({"range": {"responseStatus.code": {"gte": 400}}}),
        ),
        (
            "apigateway-*",
            "status",
            json!({"range": {"responseLength": {"gt": 30}}}),
        ),
    ] {
        support::assert_one_bad_value(&osmem, index, invalid, still_typed);
    }
    let _ = std::fs::remove_dir_all(&dir);
}
