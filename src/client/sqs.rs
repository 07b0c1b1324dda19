//! Sending messages to an SQS queue: `SendMessageBatch` in SQS's JSON
//! protocol (`X-Amz-Target: AmazonSQS.SendMessageBatch`), signed with SigV4
//! (service `sqs`). Throttling, server errors and entries SQS failed on its
//! side are sent again with back-off; entries refused as the sender's fault
//! are reported, not retried.

use std::time::{Duration, SystemTime};

use bytes::Bytes;
use http::header::{CONTENT_TYPE, HOST};
use http::Method;
use http_body_util::Full;
use serde::Deserialize;
use serde_json::json;

use super::auth::AwsContext;
use super::{ClientError, Endpoint, HttpClient, Signer};

/// The most entries one SendMessageBatch may carry.
pub const MAX_BATCH: usize = 10;

/// How often a batch is sent before its remaining entries fail.
const ATTEMPTS: u32 = 8;

#[derive(Debug, thiserror::Error)]
pub enum SqsError {
    #[error(
        "queue URL {0:?} is not https://sqs.REGION.amazonaws.com/ACCOUNT/NAME (or an endpoint's)"
    )]
    QueueUrl(String),
    #[error("{0}")]
    Client(#[from] ClientError),
}

pub struct SqsClient {
    http: HttpClient,
    aws: AwsContext,
    queue_url: String,
    /// Where requests go: the AWS CLI's `AWS_ENDPOINT_URL_SQS` /
    /// `AWS_ENDPOINT_URL` if set, else the queue URL's own host.
    endpoint: Endpoint,
    region: String,
    timeout: Duration,
}

/// What became of the entries of one batch, by their index in it.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct BatchResult {
    pub sent: Vec<usize>,
    /// Entries not sent, and why.
    pub failed: Vec<(usize, String)>,
    /// Sends after throttling or errors.
    pub retries: u32,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Answer {
    #[serde(default)]
    successful: Vec<Entry>,
    #[serde(default)]
    failed: Vec<Failure>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Entry {
    id: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Failure {
    id: String,
    #[serde(default)]
    sender_fault: bool,
    #[serde(default)]
    code: String,
    #[serde(default)]
    message: Option<String>,
}

impl SqsClient {
    pub fn new(
        http: HttpClient,
        aws: AwsContext,
        queue_url: &str,
        endpoint: Option<Endpoint>,
        timeout: Duration,
    ) -> Result<SqsClient, SqsError> {
        let bad = || SqsError::QueueUrl(queue_url.to_owned());
        let (scheme, rest) = queue_url.split_once("://").ok_or_else(bad)?;
        let host = rest.split('/').next().unwrap_or_default();
        if host.is_empty() || !matches!(scheme, "https" | "http") {
            return Err(bad());
        }
        let endpoint = match endpoint {
            Some(endpoint) => endpoint,
            None => format!("{scheme}://{host}").parse().map_err(|_| bad())?,
        };
        // `sqs.eu-west-1.amazonaws.com` and the legacy
        // `eu-west-1.queue.amazonaws.com` name their region.
        let host_name = host.split(':').next().unwrap_or_default();
        let region = host_name
            .strip_prefix("sqs.")
            .and_then(|h| h.split('.').next())
            .or_else(|| host_name.strip_suffix(".queue.amazonaws.com"))
            .filter(|r| super::s3::check_region(r).is_ok())
            .unwrap_or(&aws.region)
            .to_owned();
        Ok(SqsClient {
            http,
            aws,
            queue_url: queue_url.to_owned(),
            endpoint,
            region,
            timeout,
        })
    }

    /// Sends `bodies` (at most [`MAX_BATCH`]) as one batch, again and again
    /// with back-off for what SQS throttled or failed on its side.
    pub async fn send_batch(&self, bodies: &[String]) -> BatchResult {
        let mut result = BatchResult::default();
        let mut pending: Vec<usize> = (0..bodies.len().min(MAX_BATCH)).collect();
        for index in MAX_BATCH..bodies.len() {
            result
                .failed
                .push((index, format!("a batch holds at most {MAX_BATCH} messages")));
        }
        let mut last_error = String::new();
        for attempt in 0..ATTEMPTS {
            if pending.is_empty() {
                break;
            }
            if attempt > 0 {
                result.retries += 1;
                tokio::time::sleep(backoff(attempt)).await;
            }
            match self.send_once(bodies, &pending).await {
                Ok(answer) => {
                    let index = |id: &str| id.parse::<usize>().ok().filter(|i| pending.contains(i));
                    for entry in answer.successful {
                        if let Some(i) = index(&entry.id) {
                            result.sent.push(i);
                        }
                    }
                    let mut again = Vec::new();
                    for failure in answer.failed {
                        let Some(i) = index(&failure.id) else {
                            continue;
                        };
                        let why =
                            format!("{}: {}", failure.code, failure.message.unwrap_or_default());
                        if failure.sender_fault {
                            result.failed.push((i, why));
                        } else {
                            last_error = why;
                            again.push(i);
                        }
                    }
                    // An entry the answer does not name was not sent.
                    let named: Vec<usize> = result
                        .sent
                        .iter()
                        .chain(result.failed.iter().map(|(i, _)| i))
                        .chain(&again)
                        .copied()
                        .collect();
                    again.extend(pending.iter().filter(|i| !named.contains(i)));
                    again.sort_unstable();
                    again.dedup();
                    pending = again;
                }
                Err(Attempt::Retry(why)) => {
                    tracing::warn!(error = %why, attempt, "SendMessageBatch to be retried");
                    last_error = why;
                }
                Err(Attempt::Refused(why)) => {
                    last_error = why;
                    break;
                }
            }
        }
        for i in pending {
            result.failed.push((i, last_error.clone()));
        }
        result.sent.sort_unstable();
        result.failed.sort_unstable();
        result
    }

    /// The signed SendMessageBatch request of the entries `pending` (their
    /// index in `bodies` is their `Id`), at `time`.
    pub fn batch_request(
        &self,
        bodies: &[String],
        pending: &[usize],
        time: SystemTime,
    ) -> Result<http::Request<Full<Bytes>>, ClientError> {
        let entries: Vec<_> = pending
            .iter()
            .filter_map(|&i| Some(json!({"Id": i.to_string(), "MessageBody": bodies.get(i)?})))
            .collect();
        let body = Bytes::from(json!({"QueueUrl": self.queue_url, "Entries": entries}).to_string());
        let mut request = http::Request::builder()
            .method(Method::POST)
            .uri(self.endpoint.url("/"))
            .header(HOST, self.endpoint.authority())
            .header(CONTENT_TYPE, "application/x-amz-json-1.0")
            .header("x-amz-target", "AmazonSQS.SendMessageBatch")
            .body(Full::new(body.clone()))
            .map_err(|e| ClientError::Request(e.to_string()))?;
        Signer::new(&self.aws.credentials, &self.region, "sqs").sign(&mut request, &body, time)?;
        Ok(request)
    }

    async fn send_once(&self, bodies: &[String], pending: &[usize]) -> Result<Answer, Attempt> {
        let request = self
            .batch_request(bodies, pending, SystemTime::now())
            .map_err(|e| Attempt::Refused(e.to_string()))?;
        let answer = super::exchange(&self.http, request, self.timeout)
            .await
            .map_err(|e| {
                let why = e.to_string();
                if e.is_retryable() {
                    Attempt::Retry(why)
                } else {
                    Attempt::Refused(why)
                }
            })?;
        if answer.status.is_success() {
            return serde_json::from_slice(&answer.body).map_err(|e| {
                Attempt::Refused(format!(
                    "SendMessageBatch answered {}: {e}",
                    super::excerpt(&answer.body)
                ))
            });
        }
        let error: serde_json::Value = serde_json::from_slice(&answer.body).unwrap_or_default();
        let kind = error
            .get("__type")
            .and_then(|t| t.as_str())
            .map(|t| t.rsplit('#').next().unwrap_or(t).to_owned())
            .unwrap_or_default();
        let why = format!(
            "SendMessageBatch: HTTP {} {kind}: {}",
            answer.status.as_u16(),
            error
                .get("message")
                .or_else(|| error.get("Message"))
                .and_then(|m| m.as_str())
                .map_or_else(|| super::excerpt(&answer.body), str::to_owned)
        );
        let throttled = answer.status.as_u16() == 429
            || kind.contains("Throttl")
            || kind == "RequestThrottled"
            || kind.contains("KmsThrottled");
        if throttled || answer.status.is_server_error() {
            Err(Attempt::Retry(why))
        } else {
            Err(Attempt::Refused(why))
        }
    }
}

enum Attempt {
    Retry(String),
    Refused(String),
}

/// 100 ms doubling, up to 10 s; half of it, and a random part of the other
/// half, so that a throttled queue is given at least half the bound.
fn backoff(attempt: u32) -> Duration {
    let bound = super::backoff_bound(Duration::from_millis(100), Duration::from_secs(10), attempt);
    bound / 2 + (bound / 2).mul_f64(fastrand::f64())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::auth::Credentials;

    fn client(queue_url: &str, endpoint: Option<&str>) -> Result<SqsClient, SqsError> {
        SqsClient::new(
            crate::client::http_client(1, &Default::default()),
            AwsContext {
                region: "us-east-1".into(),
                credentials: Credentials {
                    access_key_id: "AKID".into(),
                    secret_access_key: "secret".into(),
                    session_token: None,
                },
            },
            queue_url,
            endpoint.map(|e| e.parse().expect("endpoint")),
            Duration::from_secs(1),
        )
    }

    #[test]
    fn queue_urls_name_the_endpoint_and_region() {
        let sqs = client(
            "https://sqs.eu-west-1.amazonaws.com/111122223333/logs",
            None,
        )
        .expect("valid");
        assert_eq!(sqs.region, "eu-west-1");
        assert_eq!(
            sqs.endpoint.url("/"),
            "https://sqs.eu-west-1.amazonaws.com/"
        );
        let legacy = client("https://ap-south-1.queue.amazonaws.com/1/q", None).expect("valid");
        assert_eq!(legacy.region, "ap-south-1");
        let local = client("http://127.0.0.1:5000/123456789012/q", None).expect("valid");
        assert_eq!(local.region, "us-east-1");
        let moved = client(
            "https://sqs.eu-west-1.amazonaws.com/1/q",
            Some("http://localhost:4566"),
        )
        .expect("valid");
        assert_eq!(moved.endpoint.url("/"), "http://localhost:4566/");
        for bad in ["sqs.eu-west-1.amazonaws.com/1/q", "ftp://h/q", "https:///q"] {
            assert!(client(bad, None).is_err(), "{bad}");
        }
    }

    #[test]
    fn backoff_grows_and_is_bounded() {
        assert!(backoff(1) <= Duration::from_millis(200));
        assert!(backoff(20) <= Duration::from_secs(10));
        assert!(backoff(20) >= Duration::from_secs(5));
    }
}
