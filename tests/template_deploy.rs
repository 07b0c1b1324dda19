//! `template.yaml` for the accounts users really have: every parameter
//! combination passes `sam validate --lint` and `cfn-lint`, and the
//! scenarios are deployed, not only linted: translated as `sam deploy` does
//! (`tests/support/sam_translate.py`: `Fn::ForEach` by SAM CLI's own
//! language-extensions code, then the SAM translator), created in moto's
//! CloudFormation and read back with boto3 (`tests/support/cfn_deploy.py`).
//!
//! moto does not model `AWS::Logs::SubscriptionFilter`, `AccountPolicy`,
//! `Destination` or `AWS::SQS::QueuePolicy`, and drops a few properties of
//! what it does model (a function's `Architectures`, a stream's
//! `StreamModeDetails` and encryption, a role's `ManagedPolicyArns`). Those
//! are checked in the translated template, with conditions and intrinsics
//! resolved against the deployed stack (`report["template"]`).

mod support;

use std::collections::BTreeSet;
use std::process::Command;

use serde_json::{json, Map, Value};
use support::{python_json, python_json_in, root, sam_venv_bin, Moto};

const ACCOUNT: &str = "123456789012";
const SECRET: &str = "arn:aws:secretsmanager:us-east-1:123456789012:secret:es-master-AbCdEf";
const BASIC_EXECUTION: &str = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole";

/// The parameters every deployment needs, plus `extra`.
fn parameters(extra: &[(&str, &str)]) -> Value {
    let mut p = Map::new();
    for (k, v) in [
        (
            "DomainEndpoint",
            "https://search-logs-abc.us-east-1.es.amazonaws.com",
        ),
        ("DomainArn", "arn:aws:es:us-east-1:123456789012:domain/logs"),
        ("LogBucketName", "org-logs"),
        ("SnapshotBucket", "org-snapshots"),
    ]
    .iter()
    .chain(extra)
    {
        p.insert((*k).into(), Value::String((*v).into()));
    }
    Value::Object(p)
}

/// What CloudFormation would deploy, and what moto then holds.
struct Deployed {
    translated: Value,
    report: Value,
}

fn deploy(parameters: &Value) -> Deployed {
    let translated = python_json_in(
        &sam_venv_bin("python"),
        "sam_translate.py",
        &json!({
            "template": root().join("template.yaml"),
            "parameters": parameters,
            "code_uri": "s3://artifacts/logs-forwarder.zip",
        }),
    );
    let moto = Moto::start();
    let report = python_json(
        "cfn_deploy.py",
        &json!({
            "endpoint": moto.url,
            "template": translated,
            "parameters": parameters,
            "artifact": {"bucket": "artifacts", "key": "logs-forwarder.zip"},
        }),
    );
    assert_eq!(report["status"], "CREATE_COMPLETE", "{report:#}");
    Deployed { translated, report }
}

impl Deployed {
    fn function(&self, logical: &str) -> &Value {
        &self.report["functions"][logical]
    }

    /// A resource as CloudFormation would have created it (None when its
    /// condition is false).
    fn resource(&self, logical: &str) -> Option<&Value> {
        self.report["template"].get(logical)
    }

    fn exists(&self, logical: &str) -> bool {
        self.report["resources"].get(logical).is_some() || self.resource(logical).is_some()
    }

    fn arn(&self, logical: &str, attribute_source: &str) -> String {
        self.report["queues"][logical][attribute_source]
            .as_str()
            .unwrap_or_else(|| panic!("{logical} has no {attribute_source}"))
            .to_owned()
    }

    /// Resources of a kind, by logical id.
    fn of_type(&self, kind: &str) -> Vec<(&String, &Value)> {
        self.report["template"]
            .as_object()
            .expect("resources")
            .iter()
            .filter(|(_, r)| r["Type"] == kind)
            .collect()
    }

    fn event_sources(&self) -> &Vec<Value> {
        self.function("ForwarderFunction")["EventSourceMappings"]
            .as_array()
            .expect("mappings")
    }

    /// Every statement of the function role's inline policies (the role's own
    /// and the AWS::IAM::Policy resources attached to it), as moto holds them.
    fn inline_statements(&self, function: &str) -> Vec<Value> {
        let policies = &self.function(function)["RolePolicies"]["inline"];
        policies
            .as_object()
            .expect("inline policies")
            .values()
            .flat_map(statements)
            .collect()
    }
}

/// The dead-letter bucket: the one given, or the stack's own.
fn dead_letter_bucket(d: &Deployed) -> String {
    let given = d.report["parameters"]["DeadLetterBucket"]
        .as_str()
        .unwrap_or("");
    if !given.is_empty() {
        return given.to_owned();
    }
    d.report["physical"]["DeadLettersBucket"]
        .as_str()
        .unwrap_or_else(|| panic!("no DeadLettersBucket: {:#}", d.report["resources"]))
        .to_owned()
}

/// A value of the template with the dead-letter bucket's `Fn::Sub` /
/// `Fn::If` resolved as CloudFormation would for this deployment.
fn resolved(d: &Deployed, value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => {
            let text = other.to_string();
            assert!(
                text.contains("arn:${AWS::Partition}:s3:::${Bucket}"),
                "{text}"
            );
            format!("arn:aws:s3:::{}", dead_letter_bucket(d))
        }
    }
}

fn statements(document: &Value) -> Vec<Value> {
    match &document["Statement"] {
        Value::Array(list) => list.iter().filter(|s| !s.is_null()).cloned().collect(),
        single => vec![single.clone()],
    }
}

fn strings(value: &Value) -> Vec<String> {
    match value {
        Value::String(s) => vec![s.clone()],
        Value::Array(list) => list.iter().flat_map(strings).collect(),
        other => panic!("not a string or list: {other}"),
    }
}

/// The statement granting `action`; exactly one must.
fn granting<'a>(statements: &'a [Value], action: &str) -> &'a Value {
    let found: Vec<&Value> = statements
        .iter()
        .filter(|s| strings(&s["Action"]).iter().any(|a| a == action))
        .collect();
    assert_eq!(found.len(), 1, "one statement grants {action}: {found:?}");
    found[0]
}

/// Checks that hold for every deployment.
fn common_checks(d: &Deployed, reserved: Option<u64>) {
    for logical in ["ForwarderFunction", "SnapshotManagerFunction"] {
        let f = d.function(logical);
        assert_eq!(f["Runtime"], "provided.al2023", "{logical}");
        assert_eq!(f["Handler"], "bootstrap", "{logical}");
        assert_eq!(
            d.resource(logical).expect("function")["Properties"]["Architectures"],
            json!(["arm64"]),
            "{logical}"
        );
        let env = &f["Environment"]["Variables"];
        assert_eq!(
            env["ES_ENDPOINT"],
            "https://search-logs-abc.us-east-1.es.amazonaws.com"
        );
        assert_eq!(
            env["ES_AUTH"],
            d.report["parameters"]["AuthMode"]
                .as_str()
                .unwrap_or("sigv4")
        );
        // The execution roles: CloudWatch Logs writing and nothing else that
        // AWS manages; every other grant names its resource.
        let role = format!("{logical}Role");
        let managed = strings(&d.resource(&role).expect("role")["Properties"]["ManagedPolicyArns"]);
        assert_eq!(managed[0], BASIC_EXECUTION, "{role}: {managed:?}");
        for arn in &managed[1..] {
            assert!(
                arn.contains(":policy/logs-forwarder-NetworkInterfacesPolicy-"),
                "{role}: {arn}"
            );
        }
        for s in d.inline_statements(logical) {
            for resource in strings(&s["Resource"]) {
                assert!(
                    !resource.contains('*') || resource.ends_with("/*"),
                    "{role}: {s}"
                );
                assert_ne!(resource, "*", "{role}: {s}");
            }
        }
        let inline = d.inline_statements(logical);
        assert_eq!(
            granting(&inline, "es:ESHttpPost")["Resource"],
            "arn:aws:es:us-east-1:123456789012:domain/logs/*"
        );
    }
    let forwarder = d.function("ForwarderFunction");
    assert_eq!(
        forwarder["ReservedConcurrentExecutions"].as_u64(),
        reserved,
        "{forwarder:#}"
    );
    let own = d.inline_statements("ForwarderFunction");
    assert_eq!(
        granting(&own, "s3:GetObject")["Resource"],
        "arn:aws:s3:::org-logs/*"
    );
    // Only the snapshot manager deletes.
    assert!(
        own.iter()
            .all(|s| !strings(&s["Action"]).iter().any(|a| a == "es:ESHttpDelete")),
        "{own:#?}"
    );
    let env = &forwarder["Environment"]["Variables"];
    assert_eq!(env["S3_BUCKETS"], "org-logs");
    // Every scenario keeps what fails: dead letters, and Lambda's failure
    // records of asynchronous invocations (CloudWatch Logs), in one bucket.
    let bucket = dead_letter_bucket(d);
    assert_eq!(
        env["DLQ_URI"],
        format!("s3://{bucket}/logs-forwarder/dead-letters")
    );
    assert_eq!(
        granting(&own, "s3:PutObject")["Resource"],
        format!("arn:aws:s3:::{bucket}/*")
    );
    assert_eq!(
        granting(&own, "s3:ListBucket")["Resource"],
        format!("arn:aws:s3:::{bucket}")
    );
    let invoke = &d
        .resource("ForwarderEventInvokeConfig")
        .expect("an on-failure destination for asynchronous invocations")["Properties"];
    assert_eq!(invoke["MaximumRetryAttempts"], 2);
    assert_eq!(
        invoke["MaximumEventAgeInSeconds"], 21600,
        "the longest Lambda allows"
    );
    assert_eq!(invoke["Qualifier"], "$LATEST");
    assert_eq!(
        resolved(d, &invoke["DestinationConfig"]["OnFailure"]["Destination"]),
        format!("arn:aws:s3:::{bucket}")
    );
    let queue_arn = d.arn("LogObjectsQueue", "QueueArn");
    assert_eq!(granting(&own, "sqs:ReceiveMessage")["Resource"], queue_arn);
    // The log objects queue: partial batch responses, bounded concurrency.
    let sqs: Vec<&Value> = d
        .event_sources()
        .iter()
        .filter(|m| m["EventSourceArn"] == queue_arn)
        .collect();
    assert_eq!(sqs.len(), 1, "{:#?}", d.event_sources());
    assert_eq!(
        sqs[0]["FunctionResponseTypes"],
        json!(["ReportBatchItemFailures"])
    );
    // S3 may notify the queue from the log bucket only (QueuePolicy: unmodeled).
    let policy = &d.resource("LogObjectsQueuePolicy").expect("queue policy")["Properties"];
    let s = &statements(&policy["PolicyDocument"])[0];
    assert_eq!(
        s["Condition"]["ArnLike"]["aws:SourceArn"],
        "arn:aws:s3:::org-logs"
    );
    // Whoever runs `backfill` may list the log bucket and announce objects
    // to the queue, nothing more; the outputs name the policy and the URL.
    let backfill = statements(&d.report["managed_policies"]["BackfillPolicy"]);
    assert_eq!(backfill.len(), 2, "{backfill:?}");
    assert_eq!(
        granting(&backfill, "sqs:SendMessage")["Resource"],
        queue_arn
    );
    assert_eq!(
        granting(&backfill, "s3:ListBucket")["Resource"],
        "arn:aws:s3:::org-logs"
    );
    assert_eq!(
        d.report["outputs"]["LogObjectsQueueUrl"],
        d.report["physical"]["LogObjectsQueue"]
    );
    assert!(d.report["outputs"]["BackfillPolicyArn"].is_string());
}

#[test]
fn public_domain_with_defaults_deploys_nothing_more() {
    let d = deploy(&parameters(&[]));
    common_checks(&d, None);
    for absent in [
        "NetworkInterfacesPolicy",
        "LogsInvokePermission",
        "AllLogGroupsPolicy",
        "LogsStream",
        "LogsDestination",
        "LogsDestinationRole",
        "LogsStreamEventSource",
        "LogBucketKeyPolicy",
        "DeadLetterKeyPolicy",
        "BasicAuthSecretPolicy",
        "DeleteIndicesRule",
    ] {
        assert!(!d.exists(absent), "{absent} without being asked for");
    }
    assert!(d.of_type("AWS::Logs::SubscriptionFilter").is_empty());
    for logical in ["ForwarderFunction", "SnapshotManagerFunction"] {
        let vpc = &d.function(logical)["VpcConfig"];
        assert!(
            vpc.is_null() || vpc["SubnetIds"].as_array().is_none_or(Vec::is_empty),
            "{logical}: {vpc}"
        );
        assert!(d.resource(logical).expect("function")["Properties"]
            .get("VpcConfig")
            .is_none());
    }
    assert!(d.function("ForwarderFunction")["Policy"].is_null());
    let sqs = &d.event_sources()[0];
    assert_eq!(sqs["ScalingConfig"]["MaximumConcurrency"], 5);
    assert!(
        d.exists("DeadLettersBucket"),
        "a bucket of its own when none is given"
    );
}

#[test]
fn vpc_domain_many_log_groups_whole_account_and_other_accounts() {
    let groups = [
        "/aws/lambda/payments-api",
        "/ecs/orders.v2",
        "API-Gateway-Execution-Logs_abc123/prod",
    ];
    let d = deploy(&parameters(&[
        ("SubnetIds", "subnet-0aa11,subnet-0bb22"),
        ("SecurityGroupIds", "sg-0cc33"),
        ("LogGroupNames", &groups.join(",")),
        ("SubscribeAllLogGroups", "true"),
        (
            "ExcludedLogGroupNames",
            "/aws/lambda/noisy,/aws/rds/instance/db/audit",
        ),
        ("SourceAccountIds", "111111111111,222222222222"),
        ("SourceOrganizationId", "o-abcdef1234"),
        ("LogsStreamMaxRetryAttempts", "4"),
        ("ReservedConcurrency", "20"),
        ("ObjectsMaxConcurrency", "3"),
        ("DeadLetterBucket", "org-dead-letters"),
        (
            "LogBucketKmsKeyArn",
            "arn:aws:kms:us-east-1:123456789012:key/log-bucket-key",
        ),
        (
            "DeadLetterKmsKeyArn",
            "arn:aws:kms:us-east-1:123456789012:key/dead-letter-key",
        ),
        ("DeleteIndicesPrefixes", "cloudtrail-,vpc-flowlogs-"),
        ("DeleteIndicesOlderThan", "180d"),
    ]));
    common_checks(&d, Some(20));
    let forwarder = d.function("ForwarderFunction");
    let forwarder_arn = forwarder["FunctionArn"].as_str().expect("arn");
    let forwarder_name = forwarder["FunctionName"].as_str().expect("name");

    // VPC: both functions inside, network interfaces only where asked.
    for logical in ["ForwarderFunction", "SnapshotManagerFunction"] {
        let vpc = &d.function(logical)["VpcConfig"];
        assert_eq!(
            vpc["SubnetIds"],
            json!(["subnet-0aa11", "subnet-0bb22"]),
            "{logical}"
        );
        assert_eq!(vpc["SecurityGroupIds"], json!(["sg-0cc33"]), "{logical}");
        let managed = strings(
            &d.resource(&format!("{logical}Role")).expect("role")["Properties"]
                ["ManagedPolicyArns"],
        );
        assert_eq!(managed.len(), 2, "{managed:?}");
    }
    let eni = statements(&d.report["managed_policies"]["NetworkInterfacesPolicy"]);
    let create = granting(&eni, "ec2:CreateNetworkInterface");
    assert_eq!(
        strings(&create["Resource"]),
        [
            "arn:aws:ec2:us-east-1:123456789012:network-interface/*",
            "arn:*:ec2:*:*:subnet/subnet-0aa11",
            "arn:*:ec2:*:*:subnet/subnet-0bb22",
            "arn:*:ec2:*:*:security-group/sg-0cc33",
        ]
    );
    let delete = granting(&eni, "ec2:DeleteNetworkInterface");
    assert_eq!(
        delete["Resource"],
        "arn:aws:ec2:us-east-1:123456789012:network-interface/*"
    );
    // Only the Describe calls, which have no resource-level permissions, are on *.
    for s in &eni {
        if strings(&s["Resource"]).contains(&"*".to_owned()) {
            let actions: BTreeSet<String> = strings(&s["Action"]).into_iter().collect();
            assert!(actions.iter().all(|a| a.starts_with("ec2:Describe")), "{s}");
        }
    }

    // Many log groups: one subscription filter each, to the forwarder.
    let filters = d.of_type("AWS::Logs::SubscriptionFilter");
    let subscribed: BTreeSet<&str> = filters
        .iter()
        .map(|(_, f)| f["Properties"]["LogGroupName"].as_str().expect("name"))
        .collect();
    assert_eq!(subscribed, groups.into_iter().collect());
    for (name, f) in &filters {
        assert_eq!(f["Properties"]["DestinationArn"], forwarder_arn, "{name}");
    }
    // CloudWatch Logs may invoke it for this account's log groups only.
    let invoke = &statements(&forwarder["Policy"])[0];
    assert_eq!(invoke["Principal"]["Service"], "logs.amazonaws.com");
    assert_eq!(
        invoke["Condition"]["StringEquals"]["AWS:SourceAccount"],
        ACCOUNT
    );
    assert_eq!(
        invoke["Condition"]["ArnLike"]["AWS:SourceArn"],
        "arn:aws:logs:us-east-1:123456789012:log-group:*"
    );

    // The whole account, except the forwarder's own log group and the exclusions.
    let account = &d.resource("AllLogGroupsPolicy").expect("account policy")["Properties"];
    assert_eq!(account["PolicyType"], "SUBSCRIPTION_FILTER_POLICY");
    assert_eq!(account["Scope"], "ALL");
    let document: Value =
        serde_json::from_str(account["PolicyDocument"].as_str().expect("text")).expect("JSON");
    assert_eq!(document["DestinationArn"], forwarder_arn);
    let criteria = account["SelectionCriteria"].as_str().expect("criteria");
    let excluded: Vec<String> = serde_json::from_str(
        criteria
            .strip_prefix("LogGroupName NOT IN ")
            .expect("the one selector CloudWatch Logs takes"),
    )
    .expect("a JSON list of names");
    assert_eq!(
        excluded,
        [
            format!("/aws/lambda/{forwarder_name}"),
            "/aws/lambda/noisy".into(),
            "/aws/rds/instance/db/audit".into(),
        ]
    );

    // Many accounts: destination → Kinesis → forwarder, failures to a queue.
    let stream = &d.report["stream"];
    let stream_arn = stream["StreamARN"].as_str().expect("stream");
    let stream_props = &d.resource("LogsStream").expect("stream")["Properties"];
    assert_eq!(stream_props["StreamModeDetails"]["StreamMode"], "ON_DEMAND");
    assert!(stream_props.get("ShardCount").is_none());
    assert_eq!(stream_props["StreamEncryption"]["EncryptionType"], "KMS");
    let kinesis: Vec<&Value> = d
        .event_sources()
        .iter()
        .filter(|m| m["EventSourceArn"] == stream_arn)
        .collect();
    assert_eq!(kinesis.len(), 1, "{:#?}", d.event_sources());
    let k = kinesis[0];
    assert_eq!(
        k["FunctionResponseTypes"],
        json!(["ReportBatchItemFailures"])
    );
    assert_eq!(k["BisectBatchOnFunctionError"], true);
    assert_eq!(k["MaximumRetryAttempts"], 4);
    assert_eq!(
        k["DestinationConfig"]["OnFailure"]["Destination"], "arn:aws:s3:::org-dead-letters",
        "S3 keeps the records, not only their position"
    );
    let own = d.inline_statements("ForwarderFunction");
    assert_eq!(granting(&own, "kinesis:GetRecords")["Resource"], stream_arn);
    assert!(!d.exists("DeadLettersBucket"), "the given bucket is used");
    assert_eq!(
        granting(&own, "s3:PutObject")["Resource"],
        "arn:aws:s3:::org-dead-letters/*"
    );
    assert_eq!(
        granting(&own, "kms:GenerateDataKey")["Resource"],
        "arn:aws:kms:us-east-1:123456789012:key/dead-letter-key"
    );
    let mut decrypting: Vec<String> = own
        .iter()
        .filter(|s| strings(&s["Action"]).iter().any(|a| a == "kms:Decrypt"))
        .flat_map(|s| strings(&s["Resource"]))
        .collect();
    decrypting.sort();
    assert_eq!(
        decrypting,
        [
            "arn:aws:kms:us-east-1:123456789012:key/dead-letter-key",
            "arn:aws:kms:us-east-1:123456789012:key/log-bucket-key"
        ],
        "each key for its own bucket only"
    );
    let sqs: Vec<&Value> = d
        .event_sources()
        .iter()
        .filter(|m| m["EventSourceArn"] != stream_arn)
        .collect();
    assert_eq!(sqs[0]["ScalingConfig"]["MaximumConcurrency"], 3);

    let destination = &d.resource("LogsDestination").expect("destination")["Properties"];
    assert_eq!(destination["TargetArn"], stream_arn);
    let destination_arn = "arn:aws:logs:us-east-1:123456789012:destination:logs-forwarder-logs";
    let policy: Value =
        serde_json::from_str(destination["DestinationPolicy"].as_str().expect("text"))
            .expect("the destination policy is JSON");
    let granted = statements(&policy);
    assert_eq!(granted.len(), 2, "{policy:#}");
    assert_eq!(
        granted[0]["Principal"]["AWS"],
        json!(["111111111111", "222222222222"])
    );
    assert_eq!(granted[1]["Principal"], "*");
    assert_eq!(
        granted[1]["Condition"]["StringEquals"]["aws:PrincipalOrgID"],
        "o-abcdef1234"
    );
    for s in &granted {
        assert_eq!(s["Resource"], destination_arn);
        assert_eq!(
            s["Action"],
            json!(["logs:PutSubscriptionFilter", "logs:PutAccountPolicy"])
        );
    }
    // The role CloudWatch Logs puts records with: for those accounts, onto that stream.
    let role = &d.report["destination_role"];
    assert_eq!(destination["RoleArn"], role["arn"]);
    let trust = statements(&role["trust"]);
    assert_eq!(
        strings(&trust[0]["Condition"]["StringLike"]["aws:SourceArn"]),
        [
            "arn:*:logs:*:123456789012:*",
            "arn:*:logs:*:111111111111:*",
            "arn:*:logs:*:222222222222:*"
        ]
    );
    assert_eq!(
        trust[1]["Condition"]["StringEquals"]["aws:SourceOrgID"],
        "o-abcdef1234"
    );
    let put: Vec<Value> = role["policies"]["inline"]
        .as_object()
        .expect("inline")
        .values()
        .flat_map(statements)
        .collect();
    assert_eq!(granting(&put, "kinesis:PutRecord")["Resource"], stream_arn);
    assert_eq!(put.len(), 1);
    // Snapshot, then delete: a daily rule invokes the snapshot manager.
    let rule = &d.resource("DeleteIndicesRule").expect("rule")["Properties"];
    assert_eq!(rule["ScheduleExpression"], "rate(1 day)");
    let target = &rule["Targets"][0];
    assert_eq!(
        target["Arn"],
        d.function("SnapshotManagerFunction")["FunctionArn"]
    );
    let input: Value =
        serde_json::from_str(target["Input"].as_str().expect("input")).expect("JSON");
    assert_eq!(
        input,
        json!({"action": "delete-indices", "prefix": "cloudtrail-,vpc-flowlogs-",
               "older_than": "180d", "require_snapshot": true})
    );
    assert!(d.exists("DeleteIndicesPermission"));
    // The output each source account needs.
    let output = &d.translated["Outputs"]["LogsDestinationArn"];
    assert_eq!(
        output["Value"],
        json!({"Fn::GetAtt": ["LogsDestination", "Arn"]})
    );
    assert_eq!(output["Condition"], "ReceivesFromOtherAccounts");
}

#[test]
fn one_log_group_an_organization_and_a_provisioned_stream() {
    let d = deploy(&parameters(&[
        ("LogGroupNames", "/aws/lambda/only-this-one"),
        ("SourceOrganizationId", "o-abcdef1234"),
        ("LogsStreamShardCount", "2"),
        ("AuthMode", "basic"),
        ("BasicAuthSecretArn", SECRET),
    ]));
    common_checks(&d, None);
    // Basic auth: both functions read the secret, and only it; no password
    // anywhere in the template or the environment.
    for logical in ["ForwarderFunction", "SnapshotManagerFunction"] {
        let env = &d.function(logical)["Environment"]["Variables"];
        assert_eq!(env["ES_AUTH"], "basic", "{logical}");
        assert_eq!(env["ES_SECRET_ARN"], SECRET, "{logical}");
        assert!(env.get("ES_PASSWORD").is_none(), "{logical}");
        let granted = d.inline_statements(logical);
        assert_eq!(
            granting(&granted, "secretsmanager:GetSecretValue")["Resource"],
            SECRET,
            "{logical}"
        );
    }
    let filters = d.of_type("AWS::Logs::SubscriptionFilter");
    assert_eq!(filters.len(), 1);
    assert_eq!(
        filters[0].1["Properties"]["LogGroupName"],
        "/aws/lambda/only-this-one"
    );
    assert!(d.resource("AllLogGroupsPolicy").is_none());
    assert!(d.exists("LogsInvokePermission"));
    assert!(!d.exists("NetworkInterfacesPolicy"));
    let stream = &d.resource("LogsStream").expect("stream")["Properties"];
    assert_eq!(stream["StreamModeDetails"]["StreamMode"], "PROVISIONED");
    assert_eq!(stream["ShardCount"], "2");
    assert_eq!(d.report["stream"]["OpenShardCount"], 2);
    let destination = &d.resource("LogsDestination").expect("destination")["Properties"];
    let policy: Value =
        serde_json::from_str(destination["DestinationPolicy"].as_str().expect("text"))
            .expect("JSON");
    let granted = statements(&policy);
    assert_eq!(granted.len(), 1, "{policy:#}");
    assert_eq!(granted[0]["Principal"], "*");
    let trust = statements(&d.report["destination_role"]["trust"]);
    assert_eq!(trust.len(), 1, "{trust:?}");
    assert!(trust[0]["Condition"]["StringEquals"]["aws:SourceOrgID"].is_string());
}

/// `template.yaml` with the defaults of some parameters replaced.
fn with_defaults(template: &str, values: &[(&str, &str)]) -> String {
    let mut out = template.to_owned();
    for (name, value) in values {
        let head = format!("\n  {name}:\n");
        let at = out
            .find(&head)
            .unwrap_or_else(|| panic!("parameter {name}"));
        let default = out[at..].find("\n    Default: ").expect("a default") + at;
        let end = out[default + 1..].find('\n').expect("line end") + default + 1;
        out.replace_range(default..end, &format!("\n    Default: \"{value}\""));
    }
    out
}

#[test]
fn every_parameter_combination_passes_sam_validate_and_cfn_lint() {
    let template = std::fs::read_to_string(root().join("template.yaml")).expect("template");
    let dir = root().join("target/template-variants");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("variants dir");
    let mut files = Vec::new();
    for vpc in [("", ""), ("subnet-0aa11,subnet-0bb22", "sg-0cc33")] {
        for groups in [
            "",
            "/aws/lambda/a",
            "/aws/lambda/a,/ecs/b.c,API-Gateway-Execution-Logs_x/prod",
        ] {
            for all in ["false", "true"] {
                for accounts in ["", "111111111111,222222222222"] {
                    let variant = with_defaults(
                        &template,
                        &[
                            ("SubnetIds", vpc.0),
                            ("SecurityGroupIds", vpc.1),
                            ("LogGroupNames", groups),
                            ("SubscribeAllLogGroups", all),
                            ("SourceAccountIds", accounts),
                        ],
                    );
                    let path = dir.join(format!("variant-{}.yaml", files.len()));
                    std::fs::write(&path, variant).expect("variant written");
                    files.push(path);
                }
            }
        }
    }
    assert_eq!(files.len(), 24);
    let lint = Command::new(sam_venv_bin("cfn-lint"))
        .args(&files)
        .output()
        .expect("cfn-lint runs");
    assert!(
        lint.status.success(),
        "cfn-lint: {}{}",
        String::from_utf8_lossy(&lint.stdout),
        String::from_utf8_lossy(&lint.stderr)
    );
    for file in &files {
        let out = Command::new(sam_venv_bin("sam"))
            .args(["validate", "--lint", "--region", "us-east-1", "--template"])
            .arg(file)
            .env("SAM_CLI_TELEMETRY", "0")
            .output()
            .expect("sam runs");
        assert!(
            out.status.success(),
            "sam validate --lint {}: {}{}",
            file.display(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
