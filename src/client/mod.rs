//! Talking to the cluster: one hyper + rustls client with a keep-alive pool
//! that lives as long as the Lambda execution environment, authentication
//! (SigV4, basic, none), optional gzip bodies, and a timeout on every request
//! so that a hung cluster cannot eat the invocation's deadline.

pub mod auth;
pub mod credentials;
pub mod endpoint;
pub mod s3;
pub mod secrets;
pub mod sigv4;
pub mod sqs;
pub mod version;

use std::io::Write as _;
use std::time::{Duration, SystemTime};

use base64::Engine as _;
use bytes::Bytes;
use http::header::{HeaderValue, AUTHORIZATION, CONTENT_ENCODING, CONTENT_TYPE, HOST, RETRY_AFTER};
use http::{Method, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::{connect::HttpConnector, Client};
use hyper_util::rt::TokioExecutor;

pub use endpoint::{Endpoint, EndpointError};
pub use sigv4::{SignError, Signer};

pub use auth::AuthMode;

/// What a [`Cluster`] needs to know: how to authenticate, whether to gzip
/// bodies, how long a request may take, and how many connections to keep.
#[derive(Clone, Debug)]
pub struct ClusterConfig {
    pub auth: AuthMode,
    pub gzip: bool,
    pub timeout: Duration,
    pub connections: usize,
    /// Certificate authorities trusted beside the public ones (`ES_CA_BUNDLE`).
    pub roots: TrustedRoots,
}

/// Certificate authorities a private cluster's certificate may chain to,
/// trusted beside the public (webpki) ones. Certificates are always
/// verified: this only adds roots.
pub type TrustedRoots = std::sync::Arc<Vec<rustls::pki_types::CertificateDer<'static>>>;

type Connector = hyper_rustls::HttpsConnector<HttpConnector>;

/// The one HTTP client of the process: the cluster and S3 share its pool.
pub type HttpClient = Client<Connector, Full<Bytes>>;

/// Builds the HTTP client: HTTPS through rustls with the webpki roots (and
/// `roots`, a private CA's), or plain HTTP, keep-alive connections kept for
/// reuse.
pub fn http_client(max_idle_per_host: usize, roots: &TrustedRoots) -> HttpClient {
    let builder = hyper_rustls::HttpsConnectorBuilder::new();
    let builder = if roots.is_empty() {
        builder.with_webpki_roots()
    } else {
        let mut store = rustls::RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        };
        // Each was parsed when the settings were read.
        let (_, unusable) = store.add_parsable_certificates(roots.iter().cloned());
        if unusable > 0 {
            tracing::warn!(
                unusable,
                "ES_CA_BUNDLE certificates that are no CA were left out"
            );
        }
        let config = rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .map(|b| b.with_root_certificates(store).with_no_client_auth());
        match config {
            Ok(config) => builder.with_tls_config(config),
            // ring supports the default versions: never reached.
            Err(_) => builder.with_webpki_roots(),
        }
    };
    let connector = builder.https_or_http().enable_http1().build();
    Client::builder(TokioExecutor::new())
        // Lambda freezes the environment between invocations; a pooled
        // connection older than the domain's idle timeout is likely dead.
        .pool_idle_timeout(Duration::from_secs(50))
        .pool_max_idle_per_host(max_idle_per_host)
        .build(connector)
}

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("request timed out after {0:?}")]
    Timeout(Duration),
    #[error("connection failed: {0}")]
    Connection(String),
    #[error("reading the response failed: {0}")]
    Body(String),
    #[error(transparent)]
    Sign(#[from] SignError),
    #[error("invalid request: {0}")]
    Request(String),
}

impl ClientError {
    /// Network trouble is worth retrying; a request we cannot build is not.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            ClientError::Timeout(_) | ClientError::Connection(_) | ClientError::Body(_)
        )
    }
}

/// The longest wait before retry `attempt` (from 1): `base` doubled per
/// attempt, at most `cap`. Callers choose their jitter below it.
pub fn backoff_bound(base: Duration, cap: Duration, attempt: u32) -> Duration {
    base.saturating_mul(1u32 << attempt.min(16)).min(cap)
}

/// A response, read whole (bulk responses are small with `filter_path`).
#[derive(Debug)]
pub struct Response {
    pub status: StatusCode,
    pub headers: http::HeaderMap,
    pub body: Bytes,
}

enum Auth {
    SigV4(Signer),
    Basic(HeaderValue),
    None,
}

/// The cluster, as the rest of the forwarder sees it.
pub struct Cluster {
    http: HttpClient,
    endpoint: Endpoint,
    auth: Auth,
    gzip: bool,
    timeout: Duration,
}

impl Cluster {
    pub fn new(endpoint: Endpoint, config: &ClusterConfig) -> Cluster {
        Cluster::with_client(
            http_client(config.connections, &config.roots),
            endpoint,
            config,
        )
    }

    /// A cluster reached through an existing client (sharing its pool).
    pub fn with_client(http: HttpClient, endpoint: Endpoint, config: &ClusterConfig) -> Cluster {
        let auth = match &config.auth {
            AuthMode::SigV4 {
                service,
                region,
                credentials,
            } => Auth::SigV4(Signer::new(credentials, region, service)),
            AuthMode::Basic { username, password } => {
                let token = base64::engine::general_purpose::STANDARD
                    .encode(format!("{username}:{}", password.0));
                let mut value = HeaderValue::from_str(&format!("Basic {token}"))
                    .unwrap_or(HeaderValue::from_static(""));
                value.set_sensitive(true);
                Auth::Basic(value)
            }
            AuthMode::None => Auth::None,
        };
        Cluster {
            http,
            endpoint,
            auth,
            gzip: config.gzip,
            timeout: config.timeout,
        }
    }

    pub fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }

    /// Sends one request and reads the whole response, within the timeout.
    pub async fn send(
        &self,
        method: Method,
        path_and_query: &str,
        body: Option<(Bytes, &'static str)>,
    ) -> Result<Response, ClientError> {
        self.send_with(method, path_and_query, body, &[]).await
    }

    /// [`Cluster::send`] with more headers (signed with the rest), such as
    /// the `osd-xsrf` that the Dashboards API asks for.
    pub async fn send_with(
        &self,
        method: Method,
        path_and_query: &str,
        body: Option<(Bytes, &str)>,
        headers: &[(&'static str, &str)],
    ) -> Result<Response, ClientError> {
        let request =
            self.request_with(method, path_and_query, body, headers, SystemTime::now())?;
        exchange(&self.http, request, self.timeout).await
    }

    /// The request exactly as it goes on the wire, authenticated as of
    /// `time` (public so tests can compare it with an independent signer).
    pub fn request(
        &self,
        method: Method,
        path_and_query: &str,
        body: Option<(Bytes, &'static str)>,
        time: SystemTime,
    ) -> Result<http::Request<Full<Bytes>>, ClientError> {
        self.request_with(method, path_and_query, body, &[], time)
    }

    fn request_with(
        &self,
        method: Method,
        path_and_query: &str,
        body: Option<(Bytes, &str)>,
        headers: &[(&'static str, &str)],
        time: SystemTime,
    ) -> Result<http::Request<Full<Bytes>>, ClientError> {
        let mut builder = http::Request::builder()
            .method(method)
            .uri(self.endpoint.url(path_and_query))
            .header(HOST, self.endpoint.authority());
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        let payload: Bytes = match body {
            Some((bytes, content_type)) => {
                builder = builder.header(CONTENT_TYPE, content_type);
                if self.gzip {
                    builder = builder.header(CONTENT_ENCODING, "gzip");
                    Bytes::from(gzip(&bytes))
                } else {
                    bytes
                }
            }
            None => Bytes::new(),
        };
        let mut request = builder
            .body(Full::new(payload.clone()))
            .map_err(|e| ClientError::Request(e.to_string()))?;
        match &self.auth {
            Auth::SigV4(signer) => signer.sign(&mut request, &payload, time)?,
            Auth::Basic(value) => {
                request.headers_mut().insert(AUTHORIZATION, value.clone());
            }
            Auth::None => {}
        }
        Ok(request)
    }
}

/// The start of a response body, for error messages.
pub fn excerpt(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(&body[..body.len().min(300)]);
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

impl Response {
    /// How long the server asks to wait before trying again (`Retry-After`
    /// in seconds), if it says.
    pub fn retry_after(&self) -> Option<Duration> {
        self.headers
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs)
    }

    /// `HTTP <status>: <the body's start>`, for an answer that is not a success.
    pub fn error_text(&self) -> String {
        format!("HTTP {}: {}", self.status.as_u16(), excerpt(&self.body))
    }
}

impl Cluster {
    /// PUTs a JSON body; an answer other than 2xx is an error (with
    /// [`Response::error_text`]), as is a request that fails.
    pub async fn put_json(&self, path: &str, body: &serde_json::Value) -> Result<Response, String> {
        let response = self
            .send(
                Method::PUT,
                path,
                Some((body.to_string().into(), "application/json")),
            )
            .await
            .map_err(|e| e.to_string())?;
        if !response.status.is_success() {
            return Err(response.error_text());
        }
        Ok(response)
    }
}

/// Sends `request` and reads the whole response, all within `timeout`.
pub(crate) async fn exchange(
    http: &HttpClient,
    request: http::Request<Full<Bytes>>,
    timeout: Duration,
) -> Result<Response, ClientError> {
    let exchange = async {
        let response = http
            .request(request)
            .await
            .map_err(|e| ClientError::Connection(error_chain(&e)))?;
        let (parts, body) = response.into_parts();
        let body = body
            .collect()
            .await
            .map_err(|e| ClientError::Body(error_chain(&e)))?
            .to_bytes();
        Ok(Response {
            status: parts.status,
            headers: parts.headers,
            body,
        })
    };
    tokio::time::timeout(timeout, exchange)
        .await
        .map_err(|_| ClientError::Timeout(timeout))?
}

/// Fast gzip: the point is fewer bytes on the wire, not the best ratio.
fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(
        Vec::with_capacity(bytes.len() / 4),
        flate2::Compression::fast(),
    );
    // Writing into a Vec cannot fail.
    let _ = encoder.write_all(bytes);
    encoder.finish().unwrap_or_default()
}

/// An error and its causes on one line (hyper's top-level messages are terse).
pub(crate) fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
