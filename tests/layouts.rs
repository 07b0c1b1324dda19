//! Every layout AWS has shipped, one table per class, with lines written
//! here from the AWS documentation of each layout (field lists and their
//! examples, in the years the fields were added), not taken from any other
//! project. Each line goes the way a user's would: as a log object (the
//! file name says nothing about the service, so the format is detected from
//! content, header lines included) or in a CloudWatch Logs payload, through
//! the forwarder's own encoding. Every expected field is checked with its
//! type; no document may be text or carry `@error`.
//!
//! References: "Access logs for your Classic Load Balancer", "Access logs
//! for your Application Load Balancer" (and its history of added fields),
//! "Amazon S3 server access log format", "Flow log records" and "Transit
//! Gateway Flow Logs records", "Lambda function logs" / SnapStart.

mod support;

use logs_forwarder::config::Settings;
use logs_forwarder::input;
use serde_json::{json, Value};

/// One layout: lines, the index family they must be detected as, and the
/// fields (with their JSON types) each line's document must have. A `null`
/// expectation means "absent" (`-` writes nothing).
struct Case<'a> {
    name: &'static str,
    lines: &'a [&'a str],
    index: &'static str,
    expect: Value,
}

fn settings() -> Settings {
    Settings::from_lookup(|_| None).expect("defaults")
}

/// Writes `lines` as a log object named without any hint of its service,
/// and encodes it as replay would.
fn as_object(case: &Case) -> support::Encoded {
    let dir = support::temp_dir("layouts");
    let path = dir.join(format!("{}.log", case.name.replace(' ', "-")));
    std::fs::write(&path, case.lines.join("\n") + "\n").expect("written");
    let units = input::from_file(&path).expect("readable");
    support::encode_units(&settings(), units)
}

/// Sends `lines` as the events of one CloudWatch Logs payload.
fn as_payload(log_group: &str, lines: &[&str]) -> support::Encoded {
    let dir = support::temp_dir("layouts");
    let path = support::cloudwatch_event(&dir, log_group, lines);
    let units = input::from_file(&path).expect("readable");
    support::encode_units(&settings(), units)
}

/// Checks that every document has each expected field, equal in value and
/// JSON type, and was not turned into text.
fn check(case: &Case, encoded: &support::Encoded, records: usize) {
    let name = case.name;
    assert!(encoded.errors.is_empty(), "{name}: {:?}", encoded.errors);
    assert_eq!(
        encoded.summary.malformed, 0,
        "{name}: {:?}",
        encoded.summary.errors
    );
    assert_eq!(
        encoded.items.len(),
        records,
        "{name}: one document per record"
    );
    let expect = case.expect.as_array().expect("one object per line");
    assert_eq!(
        expect.len(),
        records,
        "{name}: the table has a row per record"
    );
    for ((action, doc), want) in encoded.items.iter().zip(expect) {
        let index = action["create"]["_index"].as_str().unwrap_or_default();
        assert!(
            index.starts_with(case.index),
            "{name}: detected as {index}, not {}",
            case.index
        );
        assert!(doc.get("@error").is_none(), "{name}: {doc}");
        assert!(doc.get("@invalid").is_none(), "{name}: {doc}");
        for (field, value) in want.as_object().expect("fields") {
            let got = doc.pointer(&format!("/{}", field.replace('.', "/")));
            match value {
                Value::Null => assert!(got.is_none(), "{name}: {field} should be absent: {doc}"),
                _ => assert_eq!(got, Some(value), "{name}: {field} in {doc}"),
            }
        }
    }
}

fn check_objects(cases: &[Case]) {
    for case in cases {
        let records = case
            .lines
            .iter()
            .filter(|l| !l.starts_with("version ") && !is_header(l))
            .count();
        check(case, &as_object(case), records);
    }
}

fn is_header(line: &str) -> bool {
    logs_forwarder::formats::vpc_flow::FieldList::is_header(line)
}

#[test]
fn classic_load_balancer_lines_of_every_year() {
    check_objects(&[
        Case {
            name: "clb 2014 without user agent and tls",
            lines: &[
                r#"2014-02-15T23:39:43.945958Z my-loadbalancer 192.168.131.39:2817 10.0.0.1:80 0.000073 0.001048 0.000057 200 200 0 29 "GET http://www.example.com:80/ HTTP/1.1""#,
            ],
            index: "elb-access-2014.02.15",
            expect: json!([{
                "client_ip": "192.168.131.39", "client_port": 2817, "backend_ip": "10.0.0.1",
                "request_processing_time": 0.000073, "elb_status_code": 200, "sent_bytes": 29,
                "request_method": "GET", "request_url": "http://www.example.com:80/",
                "user_agent": null, "@timestamp": "2014-02-15T23:39:43.945Z",
            }]),
        },
        Case {
            name: "clb http https tcp and no backend",
            lines: &[
                r#"2015-05-13T23:39:43.945958Z my-loadbalancer 192.168.131.39:2817 10.0.0.1:80 0.000073 0.001048 0.000057 200 200 0 29 "GET http://www.example.com:80/ HTTP/1.1" "curl/7.38.0" - -"#,
                r#"2015-05-13T23:39:43.945958Z my-loadbalancer 192.168.131.39:2817 10.0.0.1:80 0.000086 0.001048 0.001337 200 200 0 57 "GET https://www.example.com:443/ HTTP/1.1" "curl/7.38.0" DHE-RSA-AES128-SHA TLSv1.2"#,
                r#"2015-05-13T23:39:43.945958Z my-loadbalancer 192.168.131.39:2817 10.0.0.1:80 0.001069 0.000028 0.000041 - - 82 305 "- - - " "-" - -"#,
                r#"2015-05-13T23:39:43.945958Z my-loadbalancer [2001:db8::1]:2817 - -1 -1 -1 503 0 0 0 "GET http://www.example.com:80/ HTTP/1.1" "curl/7.38.0" - -"#,
            ],
            index: "elb-access-2015.05.13",
            expect: json!([
                {"user_agent": "curl/7.38.0", "ssl_cipher": null, "backend_status_code": 200},
                {"ssl_cipher": "DHE-RSA-AES128-SHA", "ssl_protocol": "TLSv1.2", "sent_bytes": 57},
                {"elb_status_code": null, "request_method": null, "received_bytes": 82},
                {"client_ip": "2001:db8::1", "backend_ip": null, "request_processing_time": -1,
                 "backend_processing_time": -1, "elb_status_code": 503},
            ]),
        },
    ]);
}

const TG: &str =
    "arn:aws:elasticloadbalancing:us-east-2:123456789012:targetgroup/my-targets/73e2d6bc24d8a067";

#[test]
fn application_load_balancer_lines_of_every_year() {
    // The target group ARN is spliced in to keep the lines readable.
    let lines: Vec<String> = [
        // 2016: ends with the target group.
        r#"http 2016-08-10T22:08:42.945958Z app/my-loadbalancer/50dc6c495c0c9188 192.168.131.39:2817 10.0.0.1:80 0.000 0.001 0.000 200 200 34 366 "GET http://www.example.com:80/ HTTP/1.1" "curl/7.46.0" - - TG"#,
        // 2017: the trace id.
        r#"https 2017-01-10T22:08:42.945958Z app/my-loadbalancer/50dc6c495c0c9188 192.168.131.39:2817 10.0.0.1:80 0.086 0.048 0.037 200 200 0 57 "GET https://www.example.com:443/ HTTP/1.1" "curl/7.46.0" ECDHE-RSA-AES128-GCM-SHA256 TLSv1.2 TG "Root=1-58337281-1d84f3d73c47ec4e58577259""#,
        // 2018: domain, certificate (a resumed session), rule, creation time,
        // actions, redirect, error; no target answered: -1 timings.
        r#"https 2018-07-02T22:23:00.186641Z app/my-loadbalancer/50dc6c495c0c9188 192.168.131.39:2817 - -1 -1 -1 503 - 34 366 "GET https://www.example.com:443/ HTTP/1.1" "curl/7.46.0" ECDHE-RSA-AES128-GCM-SHA256 TLSv1.2 TG "Root=1-58337281-1d84f3d73c47ec4e58577259" "www.example.com" "session-reused" 0 2018-07-02T22:22:48.364000Z "forward" "-" "TargetNotFound""#,
        // 2019: the target lists; a WebSocket upgrade.
        r#"ws 2019-11-30T22:22:48.364000Z app/my-loadbalancer/50dc6c495c0c9188 10.0.0.140:40914 10.0.1.192:8010 0.001 0.003 0.000 101 101 218 587 "GET http://10.0.0.30:80/ HTTP/1.1" "-" - - TG "Root=1-58337364-23a8c76965a2ef7629b185e3" "-" "-" 1 2019-11-30T22:22:48.364000Z "forward" "-" "-" "10.0.1.192:8010" "101""#,
        // 2020: desync classification; HTTP/2.
        r#"h2 2020-06-01T12:00:00.000000Z app/my-loadbalancer/50dc6c495c0c9188 [2001:db8::7]:60420 10.0.0.66:9000 0.000 0.002 0.000 200 200 5 257 "GET https://10.0.2.105:773/ HTTP/2.0" "curl/7.68.0" ECDHE-RSA-AES128-GCM-SHA256 TLSv1.2 TG "Root=1-58337327-72bd00b0343d75b906739c42" "-" "-" 1 2020-06-01T12:00:00.000000Z "redirect" "https://example.com:80/" "-" "10.0.0.66:9000" "200" "Ambiguous" "UndefinedContentLengthSemantics""#,
        // 2024: the connection trace id; gRPC over TLS.
        r#"grpcs 2024-03-01T08:00:00.123456Z app/my-loadbalancer/50dc6c495c0c9188 192.168.131.39:2817 10.0.0.1:50051 0.000 0.003 0.000 200 200 120 75 "POST https://api.example.com:443/helloworld.Greeter/SayHello HTTP/2.0" "grpc-go/1.60.0" TLS_AES_128_GCM_SHA256 TLSv1.3 TG "Root=1-65e18b40-0123456789abcdef01234567" "api.example.com" "arn:aws:acm:us-east-2:123456789012:certificate/12345678-1234-1234-1234-123456789012" 2 2024-03-01T08:00:00.120000Z "forward" "-" "-" "10.0.0.1:50051" "200" "-" "-" TID_9f8e7d6c5b4a39281706"#,
        // 2025: request transforms; secure WebSocket.
        r#"wss 2025-09-01T10:00:00.000000Z app/my-loadbalancer/50dc6c495c0c9188 192.168.131.39:2817 10.0.0.1:8443 0.001 0.010 0.000 101 101 300 600 "GET https://chat.example.com:443/socket HTTP/1.1" "Mozilla/5.0" TLS_AES_128_GCM_SHA256 TLSv1.3 TG "Root=1-68b56f20-0123456789abcdef01234567" "chat.example.com" "-" 3 2025-09-01T09:59:59.990000Z "forward" "-" "-" "10.0.0.1:8443" "101" "-" "-" TID_0a1b2c3d4e5f60718293 "internal.example.com" "/v2/socket" "TransformSuccess""#,
    ]
    .iter()
    .map(|l| l.replace(" TG", &format!(" {TG}")))
    .collect();
    let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
    check_objects(&[Case {
        name: "alb 2016 to 2025",
        lines: &lines,
        index: "elb-access-",
        expect: json!([
            {"type": "http", "target_group_arn": TG, "trace_id": null, "target_processing_time": 0.001},
            {"trace_id": "Root=1-58337281-1d84f3d73c47ec4e58577259", "ssl_protocol": "TLSv1.2"},
            {"target_ip": null, "request_processing_time": -1, "target_processing_time": -1,
             "elb_status_code": 503, "target_status_code": null, "chosen_cert_arn": "session-reused",
             "matched_rule_priority": 0, "actions_executed": ["forward"], "error_reason": "TargetNotFound",
             "request_creation_time": "2018-07-02T22:22:48.364000Z"},
            {"type": "ws", "elb_status_code": 101, "target_port_list": "10.0.1.192:8010",
             "target_status_code_list": "101", "user_agent": null, "domain_name": null},
            {"type": "h2", "client_ip": "2001:db8::7", "request_protocol": "HTTP/2.0",
             "classification": "Ambiguous", "classification_reason": "UndefinedContentLengthSemantics",
             "redirect_url": "https://example.com:80/", "actions_executed": ["redirect"]},
            {"type": "grpcs", "target_port": 50051, "request_method": "POST",
             "conn_trace_id": "TID_9f8e7d6c5b4a39281706", "ssl_protocol": "TLSv1.3", "matched_rule_priority": 2},
            {"type": "wss", "transformed_host": "internal.example.com", "transformed_uri": "/v2/socket",
             "request_transform_status": "TransformSuccess", "extra_fields": null},
        ]),
    }]);
}

#[test]
fn s3_server_access_logs_from_the_oldest_layout_to_today() {
    check_objects(&[
        Case {
            name: "s3 access 18 values with short ids",
            lines: &[
                // The oldest layout (to version_id), with a shortened
                // canonical id as some documentation examples have.
                r#"79a59df900b949e55d96a1e6 awsexamplebucket1 [06/Feb/2009:00:00:38 +0000] 192.0.2.3 79a59df900b949e55d96a1e6 3E57427F3EXAMPLE REST.GET.VERSIONING - "GET /awsexamplebucket1?versioning HTTP/1.1" 200 - 113 - 7 - "-" "S3Console/0.4" -"#,
                // An IAM user, an assumed role and a service as requester,
                // a request with no remote address.
                r#"79a59df900b949e55d96a1e6 awsexamplebucket1 [06/Feb/2009:00:01:57 +0000] 192.0.2.3 arn:aws:iam::123456789012:user/alice DD6CC733AEXAMPLE REST.PUT.OBJECT photos/2019/08/puppy.jpg "PUT /awsexamplebucket1/photos/2019/08/puppy.jpg?x-foo=bar HTTP/1.1" 200 - - 2662992 3462 45 "-" "aws-cli/1.16.0" -"#,
                r#"79a59df900b949e55d96a1e6 awsexamplebucket1 [06/Feb/2009:00:02:00 +0000] - arn:aws:sts::123456789012:assumed-role/Admin/session-1 A1206F460EXAMPLE REST.GET.OBJECT a%20key%20with%20spaces "GET /awsexamplebucket1/a%20key%20with%20spaces HTTP/1.1" 404 NoSuchKey 243 - 12 - "-" "Boto3/1.9" -"#,
                r#"79a59df900b949e55d96a1e6 awsexamplebucket1 [06/Feb/2009:00:03:00 +0000] - svc:logging.s3.amazonaws.com 7B4A0FABBEXAMPLE S3.EXPIRE.OBJECT logs/old.log - - - - - - - "-" "-" -"#,
            ],
            index: "s3-access-2009.02.06",
            expect: json!([
                {"bucket_owner": "79a59df900b949e55d96a1e6", "http_status": 200, "bytes_sent": 113,
                 "total_time": 7, "turn_around_time": null, "request_method": "GET", "version_id": null,
                 "@timestamp": "2009-02-06T00:00:38.000Z"},
                {"requester": "arn:aws:iam::123456789012:user/alice", "object_size": 2662992,
                 "total_time": 3462, "turn_around_time": 45, "key": "photos/2019/08/puppy.jpg"},
                {"remote_ip": null, "requester": "arn:aws:sts::123456789012:assumed-role/Admin/session-1",
                 "http_status": 404, "error_code": "NoSuchKey"},
                {"requester": "svc:logging.s3.amazonaws.com", "operation": "S3.EXPIRE.OBJECT",
                 "http_status": null, "request_uri": null},
            ]),
        },
        Case {
            name: "s3 access 2019 to today",
            lines: &[
                // 2019: host id, signature, cipher, authentication, host, TLS.
                r#"79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be awsexamplebucket1 [06/Feb/2019:00:00:38 +0000] 192.0.2.3 79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be 3E57427F3EXAMPLE REST.GET.VERSIONING - "GET /awsexamplebucket1?versioning HTTP/1.1" 200 - 113 - 7 - "-" "S3Console/0.4" - s9lzHYrFp76ZVxRcpX9+5cjAnEH2ROuNkd2BHfIa6UkFVdtjf5mKR3/eTPFvsiP/XV/VLi31234= SigV4 ECDHE-RSA-AES128-GCM-SHA256 AuthHeader awsexamplebucket1.s3.us-west-1.amazonaws.com TLSV1.2"#,
                // 2020: access point and ACL required.
                r#"79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be awsexamplebucket1 [06/Feb/2021:00:00:38 +0000] 2001:db8::1 79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be 3E57427F3EXAMPLE REST.GET.OBJECT doc.txt "GET /doc.txt HTTP/1.1" 200 - 3 3 7 6 "-" "curl/8.0" - 3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY+MTRCxf3vjVBH40Nr8X8gdRQBpUMLUo SigV4 TLS_AES_128_GCM_SHA256 QueryString ap-1-123456789012.s3-accesspoint.us-west-1.amazonaws.com TLSv1.3 arn:aws:s3:us-west-1:123456789012:accesspoint/example-AP -"#,
                // Today: source region.
                r#"79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be awsexamplebucket1 [06/Feb/2025:00:00:38 +0000] 192.0.2.3 - 3E57427F3EXAMPLE REST.GET.BUCKET - "GET /?list-type=2 HTTP/1.1" 200 - 512 - 20 19 "-" "aws-sdk-java/2.20" - s9lzHYrFp76ZVxRcpX9+5cjAnEH2ROuNkd2BHfIa6UkFVdtjf5mKR3/eTPFvsiP= SigV4 TLS_AES_128_GCM_SHA256 AuthHeader awsexamplebucket1.s3.us-west-1.amazonaws.com TLSv1.3 - Yes us-east-1"#,
            ],
            index: "s3-access-",
            expect: json!([
                {"signature_version": "SigV4", "authentication_type": "AuthHeader", "tls_version": "TLSV1.2",
                 "access_point_arn": null},
                {"remote_ip": "2001:db8::1", "access_point_arn": "arn:aws:s3:us-west-1:123456789012:accesspoint/example-AP",
                 "acl_required": null, "turn_around_time": 6},
                {"requester": null, "acl_required": "Yes", "source_region": "us-east-1", "bytes_sent": 512},
            ]),
        },
    ]);
}

#[test]
fn flow_log_headers_in_any_order_and_any_subset() {
    check_objects(&[
        Case {
            name: "flow fields reordered",
            lines: &[
                "srcaddr dstaddr action start end version bytes",
                "10.0.1.5 203.0.113.9 REJECT 1700000000 1700000060 2 840",
            ],
            index: "vpc-flowlogs-2023.11.14",
            expect: json!([{"srcaddr": "10.0.1.5", "action": "REJECT", "start": 1_700_000_000_i64,
                "version": 2, "bytes": 840, "@timestamp": "2023-11-14T22:13:20.000Z"}]),
        },
        Case {
            name: "flow subset without times",
            lines: &[
                "interface-id srcaddr dstaddr dstport action",
                "eni-0a1b2c3d 10.0.0.1 10.0.0.2 443 ACCEPT",
            ],
            index: "vpc-flowlogs-",
            expect: json!([{"interface_id": "eni-0a1b2c3d", "dstport": 443, "start": null}]),
        },
        Case {
            name: "transit gateway fields only",
            lines: &[
                "resource-type tgw-id tgw-attachment-id tgw-src-vpc-account-id tgw-dst-vpc-account-id packets-lost-no-route packets-lost-blackhole packets-lost-mtu-exceeded packets-lost-ttl-expired",
                "TransitGateway tgw-0123456789abcdef0 tgw-attach-0fedcba9876543210 123456789012 210987654321 0 4 1 0",
            ],
            index: "vpc-flowlogs-",
            expect: json!([{"resource_type": "TransitGateway", "tgw_id": "tgw-0123456789abcdef0",
                "tgw_src_vpc_account_id": "123456789012", "packets_lost_blackhole": 4,
                "packets_lost_mtu_exceeded": 1}]),
        },
        Case {
            name: "flow start and end in milliseconds",
            lines: &[
                "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status",
                "2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010123 1418530070456 ACCEPT OK",
            ],
            index: "vpc-flowlogs-2014.12.14",
            expect: json!([{"start": "2014-12-14T04:06:50.123Z", "end": "2014-12-14T04:07:50.456Z",
                "@timestamp": "2014-12-14T04:06:50.123Z", "packets": 20}]),
        },
    ]);
}

#[test]
fn lambda_platform_lines_of_every_kind() {
    let report = "REPORT RequestId: 8edbd53f-1bd5-4d2b-9d6a-6e1a3b1e1b2c\tDuration: 120.29 ms\tBilled Duration: 121 ms\tMemory Size: 512 MB\tMax Memory Used: 102 MB\tRestore Duration: 474.16 ms\tBilled Restore Duration: 242 ms\t\t\t\n";
    let old = "REPORT RequestId: 4ce9c5b7-1234-4d2b-9d6a-000000000000  Duration: 3.21 ms  Billed Duration: 100 ms  Memory Size: 128 MB  Max Memory Used: 20 MB\t\n";
    let glued = r#"[AppConfig agent] 2024/05/01 10:00:00 INFO fetched{"time":"2024-05-01T10:00:00.000Z","type":"platform.runtimeDone","record":{"requestId":"6d68ca91","status":"success","metrics":{"durationMs":12.5,"producedBytes":120}}}"#;
    let case = Case {
        name: "lambda report lines",
        lines: &[],
        index: "cwl-",
        expect: json!([
            {"platform": "report", "duration_ms": 120.29, "billed_duration_ms": 121,
             "memory_size_mb": 512, "max_memory_used_mb": 102, "restore_duration_ms": 474.16,
             "billed_restore_duration_ms": 242, "init_duration_ms": null},
            {"platform": "report", "request_id": "4ce9c5b7-1234-4d2b-9d6a-000000000000",
             "billed_duration_ms": 100, "max_memory_used_mb": 20},
            {"type": "platform.runtimeDone", "record.metrics.durationMs": 12.5, "@message": glued},
        ]),
    };
    let encoded = as_payload("/aws/lambda/checkout", &[report, old, glued]);
    check(&case, &encoded, 3);
}

/// Detection from content: the log group names no service, and ids have
/// shapes that differ from the documentation's (short canonical ids, a
/// load balancer id of any length, no interface id, a non-numeric account).
#[test]
fn detection_does_not_depend_on_the_shape_of_ids() {
    let cases = [
        (
            r#"0123abcd example-bucket [06/Feb/2019:00:00:38 +0000] 192.0.2.3 arn:aws:iam::000000000001:root 3E57427F3EXAMPLE REST.HEAD.OBJECT k "HEAD /k HTTP/1.1" 200 - - 10 2 1 "-" "x" -"#,
            "s3-access-",
        ),
        (
            r#"https 2018-07-02T22:23:00.186641Z app/lb/1 192.168.131.39:2817 10.0.0.1:80 0.086 0.048 0.037 200 200 0 57 "GET https://x:443/ HTTP/1.1" "curl/7.46.0" ECDHE-RSA-AES128-GCM-SHA256 TLSv1.2 arn:aws:elasticloadbalancing:us-east-2:1:targetgroup/t/1 "Root=1-58337281-1d84f3d73c47ec4e58577259""#,
            "elb-access-",
        ),
        (
            r#"2015-05-13T23:39:43.945958Z lb 192.168.131.39:2817 10.0.0.1:80 0.000073 0.001048 0.000057 200 200 0 29 "GET http://www.example.com:80/ HTTP/1.1""#,
            "elb-access-",
        ),
        (
            "2 account-x - 10.0.0.1 10.0.0.2 443 49152 6 3 180 1700000000 1700000060 ACCEPT OK",
            "vpc-flowlogs-",
        ),
        (
            "2 123456789012 tgw-attach-0fedcba9876543210 - - - - - - - 1700000000 1700000060 - NODATA",
            "vpc-flowlogs-",
        ),
    ];
    for (line, index) in cases {
        let encoded = as_payload("/custom/anything", &[line]);
        assert!(encoded.errors.is_empty(), "{line}: {:?}", encoded.errors);
        let (action, doc) = &encoded.items[0];
        let got = action["create"]["_index"].as_str().unwrap_or_default();
        assert!(
            got.starts_with(index),
            "{line}\ndetected as {got}, not {index}"
        );
        assert!(doc.get("@error").is_none(), "{doc}");
        assert!(doc.get("@message").is_none(), "parsed, not text: {doc}");
    }
    // And lines that only resemble a layout are not taken for one.
    for text in [
        "2 is the answer to everything we asked about the network today",
        "[06/Feb/2019:00:00:38 +0000] something happened",
        "https is required for every request sent to the service",
    ] {
        let encoded = as_payload("/custom/anything", &[text]);
        let (action, doc) = &encoded.items[0];
        let got = action["create"]["_index"].as_str().unwrap_or_default();
        assert!(got.starts_with("cwl-"), "{text}: {got}");
        assert_eq!(doc["@message"], text);
    }
}

/// Every input line is in some document, whatever its first line looks
/// like: each reader's near-miss (a first line that looks like JSON, an
/// array, a CloudWatch Logs payload or a flow log header, and is not, or
/// not only) goes through the object path, and N lines give N documents,
/// each line whole in one of them.
#[test]
fn layout_near_misses_keep_every_line() {
    let payload_line = r#"{"messageType":"DATA_MESSAGE","owner":"111122223333","logGroup":"/app","logStream":"s","subscriptionFilters":["f"],"logEvents":[{"id":"1","timestamp":1751623200000,"message":"from the payload"}]}"#;
    let cases: &[(&str, &[&str])] = &[
        (
            "kafka",
            &[
                "[2025-07-04 10:00:00,123] INFO [KafkaServer id=1] started (kafka.server.KafkaServer)",
                "[2025-07-04 10:00:01,456] WARN [ReplicaManager broker=1] slow (kafka.server.ReplicaManager)",
            ],
        ),
        (
            "levels",
            &["[INFO] starting", "[WARN] careful", "[ERROR] boom"],
        ),
        ("array then text", &["[1,2,3]", "then text", "and more"]),
        ("object then text", &[r#"{"a":1}"#, "plain text", "[x]"]),
        ("not an object", &["{curly but not json}", "second line"]),
        (
            "payload then text",
            &[payload_line, "a stray line", r#"{"messageType":"DATA_MESSAGE","logEvents":[cut"#],
        ),
        (
            "header-like sentence",
            &["version account-id is what we log", "2 123456789012 eni-1 - -"],
        ),
    ];
    for (name, lines) in cases {
        let encoded = as_object(&Case {
            name,
            lines,
            index: "",
            expect: json!([]),
        });
        assert!(encoded.errors.is_empty(), "{name}: {:?}", encoded.errors);
        assert_eq!(
            encoded.items.len(),
            lines.len(),
            "{name}: one document per line: {:?}",
            encoded.items
        );
        assert_eq!(encoded.summary.undecodable, 0, "{name}");
        let texts: Vec<String> = encoded.docs().map(|doc| doc.to_string()).collect();
        for line in lines.iter() {
            let wanted = match line {
                // The payload's event is what is indexed of it.
                l if *l == payload_line => "from the payload".to_owned(),
                // An object's members are the document's.
                l => match serde_json::from_str::<Value>(l) {
                    Ok(Value::Object(o)) => Value::Object(o).to_string(),
                    _ => serde_json::to_string(l).expect("string"),
                },
            };
            let wanted = wanted.trim_matches(|c| c == '"' || c == '{' || c == '}');
            assert!(
                texts.iter().any(|doc| doc.contains(wanted)),
                "{name}: {line:?} is in no document: {texts:?}"
            );
        }
    }
}

/// JSON records of a log object are filed under their own time, whatever
/// shape it has, so that they land in the index of their day (they were
/// filed under the moment they were read); one without any says so.
#[test]
fn json_records_are_filed_under_their_own_time() {
    let lines = [
        r#"{"timestamp":1733400000123,"action":"ALLOW","httpRequest":{"clientIp":"198.51.100.7"}}"#,
        r#"{"time":"2025-01-02T03:04:05Z","msg":"deployed"}"#,
        r#"{"event_time":"1735700000","msg":"seconds as text"}"#,
        r#"{"msg":"no time of its own"}"#,
    ];
    let encoded = as_object(&Case {
        name: "json own time",
        lines: &lines,
        index: "",
        expect: json!([]),
    });
    assert!(encoded.errors.is_empty(), "{:?}", encoded.errors);
    let got: Vec<(String, String)> = encoded
        .items
        .iter()
        .map(|(action, doc)| {
            let index = action["create"]["_index"].as_str().unwrap_or_default();
            (
                index.rsplit('-').next().unwrap_or_default().to_owned(),
                doc["@timestamp"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        got[0],
        ("2024.12.05".into(), "2024-12-05T12:00:00.123Z".into())
    );
    assert_eq!(
        got[1],
        ("2025.01.02".into(), "2025-01-02T03:04:05.000Z".into())
    );
    assert_eq!(
        got[2],
        ("2025.01.01".into(), "2025-01-01T02:53:20.000Z".into())
    );
    let last = &encoded.items[3].1;
    assert_eq!(last["@timestamp_from"], "received", "{last}");
    assert_eq!(encoded.summary.own_time_missing, 1);
    assert!(encoded.items[..3]
        .iter()
        .all(|(_, d)| d.get("@timestamp_from").is_none()));
}

/// Application log lines in an object (EMR / MSK style logs in S3) are
/// filed under the time they start with, with their level and logger; a
/// line that starts otherwise says it was filed under the time received.
#[test]
fn text_lines_are_filed_under_the_time_they_start_with() {
    let lines = [
        "[2025-07-04 10:00:00,123] INFO [KafkaServer id=1] started (kafka.server.KafkaServer)",
        "2025-07-05 11:00:00,456 - app.db - WARNING - slow query",
        "I0706 12:00:00.789012   12345 server.go:42] Starting server",
        "just a line",
    ];
    let encoded = as_object(&Case {
        name: "application lines",
        lines: &lines,
        index: "",
        expect: json!([]),
    });
    assert!(encoded.errors.is_empty(), "{:?}", encoded.errors);
    let docs: Vec<&Value> = encoded.docs().collect();
    assert_eq!(docs.len(), 4);
    assert_eq!(docs[0]["@timestamp"], "2025-07-04T10:00:00.123Z");
    assert_eq!(docs[0]["level"], "INFO");
    assert_eq!(docs[0]["logger"], "kafka.server.KafkaServer");
    assert_eq!(docs[0]["@message"], lines[0]);
    assert_eq!(docs[1]["@timestamp"], "2025-07-05T11:00:00.456Z");
    assert_eq!(
        (&docs[1]["level"], &docs[1]["logger"]),
        (&json!("WARNING"), &json!("app.db"))
    );
    assert_eq!(docs[2]["level"], "INFO");
    assert!(docs[2]["@timestamp"]
        .as_str()
        .unwrap_or("")
        .ends_with("-07-06T12:00:00.789Z"));
    assert_eq!(docs[3]["@timestamp_from"], "received");
    assert!(docs[..3].iter().all(|d| d.get("@timestamp_from").is_none()));
    assert_eq!(encoded.summary.own_time_missing, 1);
    let index = |i: usize| {
        encoded.items[i].0["create"]["_index"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    };
    assert!(index(0).ends_with("-2025.07.04"), "{}", index(0));
    assert!(index(1).ends_with("-2025.07.05"), "{}", index(1));
}
