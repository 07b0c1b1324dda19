//! The basic-auth credentials of a cluster, from AWS Secrets Manager
//! (`ES_SECRET_ARN`): one signed `GetSecretValue` per cold start, so that
//! no password sits in the function's environment or the template.
//!
//! Reference: "GetSecretValue" (AWS Secrets Manager API reference): a JSON
//! 1.1 request (`X-Amz-Target: secretsmanager.GetSecretValue`, body
//! `{"SecretId": ARN}`), answered with the secret's `SecretString`. The
//! secret holds `{"username": ..., "password": ...}`, as the OpenSearch
//! Service console and most tools store a master user.

use std::time::{Duration, SystemTime};

use bytes::Bytes;
use http::header::{CONTENT_TYPE, HOST};
use http::Method;
use http_body_util::Full;
use serde::Deserialize;

use super::auth::{AwsContext, Secret};
use super::{excerpt, exchange, ClientError, Endpoint, HttpClient, Signer};

#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error("{0:?} is not a Secrets Manager secret ARN (arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME)")]
    Arn(String),
    #[error("GetSecretValue: {0}")]
    Client(#[from] ClientError),
    #[error("GetSecretValue: HTTP {status}: {message}")]
    Status { status: u16, message: String },
    #[error("the secret is not {{\"username\": ..., \"password\": ...}} text ({0})")]
    Shape(String),
}

/// A cluster user and password.
#[derive(Debug)]
pub struct BasicCredentials {
    pub username: String,
    pub password: Secret,
}

#[derive(Deserialize)]
struct GetSecretValue {
    #[serde(rename = "SecretString")]
    secret_string: Option<String>,
}

#[derive(Deserialize)]
struct UserAndPassword {
    username: String,
    password: String,
}

/// The region a secret lives in, from its ARN.
pub fn region_of(arn: &str) -> Result<&str, SecretError> {
    let parts: Vec<&str> = arn.splitn(7, ':').collect();
    match parts.as_slice() {
        ["arn", _, "secretsmanager", region, account, "secret", name]
            if !region.is_empty() && account.len() == 12 && !name.is_empty() =>
        {
            super::s3::check_region(region).map_err(|_| SecretError::Arn(arn.to_owned()))?;
            Ok(region)
        }
        _ => Err(SecretError::Arn(arn.to_owned())),
    }
}

/// Reads the secret `arn` with the function's credentials, from
/// `endpoint` (tests) or the regional Secrets Manager endpoint.
pub async fn basic_credentials(
    http: &HttpClient,
    aws: &AwsContext,
    endpoint: Option<&Endpoint>,
    arn: &str,
    timeout: Duration,
) -> Result<BasicCredentials, SecretError> {
    let region = region_of(arn)?;
    let endpoint = match endpoint {
        Some(endpoint) => endpoint.clone(),
        None => format!("https://secretsmanager.{region}.amazonaws.com")
            .parse()
            .map_err(|e: super::EndpointError| ClientError::Request(e.to_string()))?,
    };
    let body = Bytes::from(serde_json::json!({ "SecretId": arn }).to_string());
    let mut request = http::Request::builder()
        .method(Method::POST)
        .uri(endpoint.url("/"))
        .header(HOST, endpoint.authority())
        .header(CONTENT_TYPE, "application/x-amz-json-1.1")
        .header("x-amz-target", "secretsmanager.GetSecretValue")
        .body(Full::new(body.clone()))
        .map_err(|e| ClientError::Request(e.to_string()))?;
    Signer::new(&aws.credentials, region, "secretsmanager")
        .sign(&mut request, &body, SystemTime::now())
        .map_err(ClientError::from)?;
    let response = exchange(http, request, timeout).await?;
    if !response.status.is_success() {
        return Err(SecretError::Status {
            status: response.status.as_u16(),
            message: excerpt(&response.body),
        });
    }
    parse(&response.body)
}

/// The credentials in a `GetSecretValue` answer.
fn parse(body: &[u8]) -> Result<BasicCredentials, SecretError> {
    let answer: GetSecretValue =
        serde_json::from_slice(body).map_err(|e| SecretError::Shape(e.to_string()))?;
    let text = answer
        .secret_string
        .ok_or_else(|| SecretError::Shape("no SecretString: a binary secret".into()))?;
    // serde's message would quote the secret's text: say only where.
    let user: UserAndPassword = serde_json::from_str(&text)
        .map_err(|e| SecretError::Shape(format!("line {} column {}", e.line(), e.column())))?;
    Ok(BasicCredentials {
        username: user.username,
        password: Secret(user.password),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_arns_name_their_region() {
        let arn = "arn:aws:secretsmanager:eu-west-1:111122223333:secret:es-master-AbCdEf";
        assert_eq!(region_of(arn).expect("valid"), "eu-west-1");
        for bad in [
            "es-master",
            "arn:aws:s3:::bucket",
            "arn:aws:secretsmanager:x@127.0.0.1:111122223333:secret:s",
            "arn:aws:secretsmanager:eu-west-1:1:secret:s",
        ] {
            assert!(region_of(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn answers_give_the_user_and_never_echo_the_secret() {
        let ok = br#"{"ARN":"a","Name":"n","SecretString":"{\"username\":\"admin\",\"password\":\"p4ss\"}"}"#;
        let creds = parse(ok).expect("credentials");
        assert_eq!(creds.username, "admin");
        assert_eq!(creds.password.0, "p4ss");
        assert!(!format!("{creds:?}").contains("p4ss"));
        let wrong = br#"{"SecretString":"{\"user\":\"admin\",\"pass\":\"hunter2\"}"}"#;
        let err = parse(wrong).expect_err("no username").to_string();
        assert!(!err.contains("hunter2"), "{err}");
        assert!(parse(br#"{"SecretBinary":"AAAA"}"#).is_err());
    }
}
