//! SigV4: our signed requests carry exactly the headers botocore (the
//! independent implementation AWS's own Python SDK uses) computes for the
//! same credentials, time, body and host, byte for byte.

mod support;

use std::time::{Duration, SystemTime};

use base64::Engine as _;
use http::Method;
use http_body_util::BodyExt;
use logs_forwarder::client::Cluster;
use logs_forwarder::config::Settings;
use serde_json::{json, Value};

const EPOCH: u64 = 1_763_800_000; // 2025-11-22T08:26:40Z

fn settings(endpoint: &str, service: &str, gzip: bool) -> Settings {
    let vars = [
        ("ES_ENDPOINT", endpoint.to_owned()),
        ("ES_SERVICE", service.to_owned()),
        ("AWS_REGION", "eu-west-1".to_owned()),
        ("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE".to_owned()),
        (
            "AWS_SECRET_ACCESS_KEY",
            "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY".to_owned(),
        ),
        (
            "AWS_SESSION_TOKEN",
            "IQoJb3JpZ2luX2VjEXAMPLE//session+token=".to_owned(),
        ),
        ("BULK_GZIP", gzip.to_string()),
    ];
    Settings::from_lookup(|k| vars.iter().find(|(n, _)| *n == k).map(|(_, v)| v.clone()))
        .expect("valid settings")
}

/// The headers botocore signs `method url` with (the unsigned `headers`,
/// `body`) for `service`, with this file's credentials, at `EPOCH`.
fn botocore(method: &str, url: &str, headers: &Value, body: &[u8], service: &str) -> Value {
    support::python_json(
        "sigv4_oracle.py",
        &json!({
            "method": method,
            "url": url,
            "headers": headers,
            "body_b64": base64::engine::general_purpose::STANDARD.encode(body),
            "access_key": "AKIAIOSFODNN7EXAMPLE",
            "secret_key": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            "token": "IQoJb3JpZ2luX2VjEXAMPLE//session+token=",
            "region": "eu-west-1",
            "service": service,
            "epoch": EPOCH,
        }),
    )
}

#[tokio::test]
async fn signatures_match_botocore() {
    let body = b"{\"create\":{\"_index\":\"cwl-x-2025.11.22\",\"_id\":\"1\"}}\n{\"@message\":\"h\\u00e9llo w\\\"orld\"}\n";
    let mut cases = 0;
    for endpoint in [
        "https://search-logs-abc123.eu-west-1.es.amazonaws.com",
        "http://127.0.0.1:9200/proxy",
    ] {
        for service in ["es", "aoss"] {
            for gzip in [false, true] {
                let settings = settings(endpoint, service, gzip);
                let endpoint_parsed = settings.endpoint.clone().expect("endpoint");
                let cluster = Cluster::new(endpoint_parsed, &settings.cluster_config());
                let time = SystemTime::UNIX_EPOCH + Duration::from_secs(EPOCH);
                let request = cluster
                    .request(
                        Method::POST,
                        logs_forwarder::delivery::BULK_PATH,
                        Some((bytes::Bytes::from_static(body), "application/x-ndjson")),
                        time,
                    )
                    .expect("request builds");
                let ours: Vec<(String, String)> = request
                    .headers()
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_str().expect("ascii").to_owned()))
                    .collect();
                let uri = request.uri().to_string();
                let sent = request
                    .into_body()
                    .collect()
                    .await
                    .expect("body")
                    .to_bytes();
                if gzip {
                    assert_eq!(
                        &sent[..2],
                        &[0x1f, 0x8b],
                        "the gzipped body is what gets signed"
                    );
                }
                let header =
                    |name: &str| ours.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
                // botocore gets the unsigned request: same URL, body and
                // content headers, plus the payload hash header it does not
                // add by itself for these services.
                let mut unsigned = json!({
                    "content-type": "application/x-ndjson",
                    "x-amz-content-sha256": header("x-amz-content-sha256").expect("content hash"),
                });
                if gzip {
                    unsigned["content-encoding"] = json!("gzip");
                }
                let theirs = botocore("POST", &uri, &unsigned, &sent, service);
                for name in [
                    "authorization",
                    "x-amz-date",
                    "x-amz-security-token",
                    "x-amz-content-sha256",
                ] {
                    assert_eq!(
                        header(name).as_deref(),
                        theirs[name].as_str(),
                        "{name} differs for {endpoint} {service} gzip={gzip}"
                    );
                }
                let host = header("host").expect("host");
                assert_eq!(
                    host.contains(':'),
                    endpoint.contains("9200"),
                    "non-default ports are part of Host"
                );
                cases += 1;
            }
        }
    }
    assert_eq!(cases, 8);
}

/// The requests of `replay s3://` and `backfill`, which moto accepts
/// unsigned-checked: a ListObjectsV2 page (a query of several parameters,
/// a continuation token and a prefix that need encoding) and a
/// SendMessageBatch (SQS's JSON protocol) carry what botocore computes.
#[tokio::test]
async fn listing_and_queueing_requests_match_botocore() {
    use logs_forwarder::client::auth::{AwsContext, Credentials};
    use logs_forwarder::client::s3::{list_query, S3Client, S3Location};
    use logs_forwarder::client::sqs::SqsClient;

    let aws = AwsContext {
        region: "eu-west-1".into(),
        credentials: Credentials {
            access_key_id: "AKIAIOSFODNN7EXAMPLE".into(),
            secret_access_key: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY".into(),
            session_token: Some("IQoJb3JpZ2luX2VjEXAMPLE//session+token=".into()),
        },
    };
    let http = logs_forwarder::client::http_client(1, &Default::default());
    let time = SystemTime::UNIX_EPOCH + Duration::from_secs(EPOCH);
    let s3 = S3Client::new(http.clone(), aws.clone(), None, Duration::from_secs(5));
    let query = list_query(
        "AWSLogs/111122223333/a b+c/é/",
        Some("/"),
        Some("1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM="),
    );
    let sqs = SqsClient::new(
        http,
        aws,
        "https://sqs.eu-west-1.amazonaws.com/111122223333/logs-forwarder-objects",
        None,
        Duration::from_secs(5),
    )
    .expect("queue URL");
    let bodies = vec![
        "{\"Records\":[]}".to_owned(),
        "second \"message\" é".to_owned(),
    ];
    let requests = [
        (
            "s3",
            s3.signed(
                Method::GET,
                &S3Location::new("logs-1", ""),
                &query,
                bytes::Bytes::new(),
                time,
            )
            .expect("list request"),
            vec![],
        ),
        (
            "sqs",
            sqs.batch_request(&bodies, &[0, 1], time)
                .expect("batch request"),
            vec!["content-type", "x-amz-target"],
        ),
    ];
    for (service, request, unsigned_headers) in requests {
        let header = |name: &str| {
            request
                .headers()
                .get(name)
                .map(|v| v.to_str().expect("ascii").to_owned())
        };
        let mut unsigned =
            json!({"x-amz-content-sha256": header("x-amz-content-sha256").expect("hash")});
        for name in unsigned_headers {
            unsigned[name] = json!(header(name).expect("header"));
        }
        let (method, uri) = (request.method().to_string(), request.uri().to_string());
        let ours = (
            header("authorization"),
            header("x-amz-date"),
            header("x-amz-security-token"),
        );
        let body = request
            .into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes();
        let theirs = botocore(&method, &uri, &unsigned, &body, service);
        assert!(ours.0.is_some(), "{service}: signed");
        assert_eq!(
            ours.0.as_deref(),
            theirs["authorization"].as_str(),
            "{service}: {uri}"
        );
        assert_eq!(
            ours.1.as_deref(),
            theirs["x-amz-date"].as_str(),
            "{service}"
        );
        assert_eq!(
            ours.2.as_deref(),
            theirs["x-amz-security-token"].as_str(),
            "{service}"
        );
    }
}
